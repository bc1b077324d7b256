"""RFC 3501 §6.3.11, §2.3.3, §2.3.4: APPEND stores exact bytes, flags and internal date."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

HEAD = (
    b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\n"
    b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <append@example.org>\r\n"
)
MULTIPART = (
    b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    b"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b1\r\n"
    b"Content-Type: text/html\r\n\r\n<p>html</p>\r\n--b1--\r\nepilogue\r\n"
)
MESSAGES = {
    "plain": HEAD + b"Subject: plain\r\n\r\nHello Joe, do you think we can meet at 3:30?\r\n",
    "multipart": HEAD + b"Subject: multipart\r\n" + MULTIPART,
    "header-only": HEAD + b"Subject: no body\r\n\r\n",
    "no-final-crlf": HEAD + b"Subject: unterminated\r\n\r\nlast line without CRLF",
    "mbox-traps": HEAD + b"Subject: traps\r\n\r\nFrom here on\r\n>From quoted\r\n.\r\n \t \r\n",
    "long-line": HEAD + b"Subject: long\r\n\r\n" + b"y" * 990 + b"\r\n",
    "large": HEAD + b"Subject: large\r\n\r\n" + b"0123456789abcdef" * 16 * 1024 + b"\r\n",
    "8bit": HEAD + b"Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "Grüße, 日本語 ✓\r\n".encode(),
}
SHOULD_8BIT = pytest.mark.rfc("3501", "6.3.11", "SHOULD")  # 8-bit may be converted reversibly
CASES = [pytest.param(k, marks=SHOULD_8BIT) if k == "8bit" else k for k in MESSAGES]
SIMPLE = MESSAGES["plain"]

FLAG_CASES = {  # id -> (flag list argument or None, flags expected)
    "none": (None, set()),
    "empty": (b"()", set()),
    "seen": (b"(\\Seen)", {"\\seen"}),
    "seen-flagged": (b"(\\Seen \\Flagged)", {"\\seen", "\\flagged"}),
    "answered-draft": (b"(\\Answered \\Draft)", {"\\answered", "\\draft"}),
    "deleted": (b"(\\Deleted)", {"\\deleted"}),
    "keyword": (b"($Forwarded \\Seen)", {"$forwarded", "\\seen"}),
    "custom-keyword": (b"(imapcheck_kw)", {"imapcheck_kw"}),
}
DATES = [
    "17-Jul-1996 02:44:25 -0700",
    "01-Jan-2000 00:00:00 +0000",
    " 5-Mar-2010 10:00:00 +0530",
    "31-Dec-2020 23:59:59 +1400",
    "29-Feb-2024 12:30:00 -1200",
    "01-Jan-2099 12:00:00 +0000",
]


def mb(name: str):
    return astring(encode_mailbox(name))


def parse_date(text) -> datetime:
    value = text.decode() if isinstance(text, bytes) else str(text)
    return datetime.strptime(value.strip(), "%d-%b-%Y %H:%M:%S %z")


class View:
    """Another session's view of the shared mailbox: the messages added since it was made."""

    def __init__(self, session, name: str) -> None:
        self.session, self.name = session, name
        self.before = self.uids()

    def uids(self) -> set[int]:
        reply = self.session.command("EXAMINE", mb(self.name))
        assert reply.ok, f"EXAMINE {self.name!r} failed: {reply.summary()}"
        if not reply.of("EXISTS")[-1].number:
            return set()
        fetched = self.session.command("FETCH", b"1:*", b"UID").fetches()
        return {int(str(f["UID"])) for f in fetched.values()}

    def new(self, items: bytes = b"(FLAGS INTERNALDATE)") -> list[dict]:
        """The messages added since, in UID order, with ``items`` (EXAMINE changes nothing)."""
        fresh = sorted(self.uids() - self.before)
        if not fresh:
            return []
        uid_set = ",".join(map(str, fresh)).encode()
        fetched = self.session.command("UID", b"FETCH", uid_set, items).fetches().values()
        return sorted(fetched, key=lambda f: int(str(f["UID"])))


def first_difference(a: bytes, b: bytes) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def flags_of(item) -> set[str]:
    return {str(f).lower() for f in item["FLAGS"]} - {"\\recent"}


def count(session, name: str) -> int | None:
    reply = session.command("STATUS", mb(name), b"(MESSAGES)")
    return int(str(reply.of("STATUS")[0].items["MESSAGES"])) if reply.ok else None


@pytest.fixture(scope="module")
def box(target, sandbox):
    """One mailbox for the module: each test looks only at the messages it added."""
    session = Session(target, name="append-setup", validate=False)
    session.connect()
    session.login()
    name = sandbox.create(session, "append")
    yield name
    try:
        sandbox.remove(session, name)
    except (ImapcheckError, OSError):
        pass  # the run's clean-up removes the rest
    finally:
        session.logout()


@pytest.fixture
def view(connect, box) -> View:
    return View(connect(), box)


@pytest.mark.rfc("3501", "6.3.11", "MUST")
@pytest.mark.parametrize("kind", CASES)
def test_append_bytes_fetched_back_identical(imap, box, view, kind):
    data = MESSAGES[kind]
    reply = imap.command("APPEND", mb(box), Literal(data))
    assert reply.ok, f"APPEND of the {kind} message failed: {reply.summary()}"
    seen = view.new(b"BODY.PEEK[]")
    assert len(seen) == 1, f"one APPEND must add exactly one message; the mailbox holds {len(seen)}"
    got = seen[0]["BODY[]"]
    assert got == data, (
        f"APPEND 'appends the literal argument as a new message': BODY[] of the {kind} message "
        f"differs from the {len(data)} bytes appended (got {len(got or b'')} bytes; first "
        f"difference at offset {first_difference(got or b'', data)})"
    )


@pytest.mark.rfc("3501", "2.3.4", "MUST")
@pytest.mark.parametrize("kind", list(MESSAGES))
def test_rfc822_size_exact(imap, box, view, kind):
    data = MESSAGES[kind]
    assert imap.command("APPEND", mb(box), Literal(data)).ok
    size = int(str(view.new(b"RFC822.SIZE")[0]["RFC822.SIZE"]))
    assert size == len(data), (
        f"RFC822.SIZE is 'the number of octets in the message': the {kind} message has "
        f"{len(data)} octets, the server said {size}"
    )


@pytest.mark.parametrize(
    "case",
    [  # without a flag list the empty default is not optional
        pytest.param(
            k, marks=pytest.mark.rfc("3501", "6.3.11", "MUST" if k == "none" else "SHOULD")
        )
        for k in FLAG_CASES
    ],
)
def test_append_flags(imap, box, view, case):
    flag_arg, expected = FLAG_CASES[case]
    args = [mb(box)] + ([flag_arg] if flag_arg else []) + [Literal(SIMPLE)]
    reply = imap.command("APPEND", *args)
    assert reply.ok, f"APPEND with flags {flag_arg!r} failed: {reply.summary()}"
    got = flags_of(view.new(b"FLAGS")[0])
    assert got == expected, (
        f"APPEND with flag list {flag_arg.decode() if flag_arg else '(none)'}: the flags "
        "'SHOULD be set in the resulting message; otherwise, the flag list ... is set to empty'; "
        "another "
        f"session sees {sorted(got)}"
    )


@pytest.mark.rfc("3501", "6.3.11", "SHOULD")
@pytest.mark.parametrize("date", DATES, ids=lambda d: d.strip()[:11])
def test_append_internaldate_round_trip(imap, box, view, date):
    reply = imap.command("APPEND", mb(box), f'"{date}"'.encode(), Literal(SIMPLE))
    assert reply.ok, f"APPEND with date-time {date!r} failed: {reply.summary()}"
    got = view.new(b"INTERNALDATE")[0]["INTERNALDATE"]
    assert parse_date(got) == parse_date(date), (
        f"'If a date-time is specified, the internal date SHOULD be set': appended with {date!r}, "
        f"INTERNALDATE is {got!r} (a different instant)"
    )


@pytest.mark.rfc("3501", "6.3.11", "MUST")
def test_append_internaldate_defaults_to_now(imap, box, view):
    assert imap.command("APPEND", mb(box), Literal(SIMPLE)).ok
    got = parse_date(view.new(b"INTERNALDATE")[0]["INTERNALDATE"])
    skew = abs(got.timestamp() - time.time())
    assert skew < 3600, (
        "without a date-time 'the internal date ... is set to the current date and time': "
        f"INTERNALDATE {got} is {skew:.0f} s away from now (tolerance 1 h for clock skew)"
    )


@pytest.mark.rfc("3501", "6.3.11", "SHOULD")
def test_append_flags_and_date_together(imap, box, view):
    date = "17-Jul-1996 02:44:25 -0700"
    reply = imap.command(
        "APPEND", mb(box), b"(\\Seen $Label1)", f'"{date}"'.encode(), Literal(SIMPLE)
    )
    assert reply.ok, f"APPEND with flags and date-time failed: {reply.summary()}"
    item = view.new(b"(FLAGS INTERNALDATE)")[0]
    assert flags_of(item) == {"\\seen", "$label1"}, f"flags not set: {item['FLAGS']}"
    assert parse_date(item["INTERNALDATE"]) == parse_date(date), "internal date not set"


@pytest.mark.rfc("3501", "6.3.11", "MUST")
def test_append_to_missing_mailbox_is_no_trycreate(imap, sandbox):
    reply = imap.command("APPEND", mb(sandbox.name("missing")), Literal(SIMPLE))
    assert reply.status == "NO", (
        f"APPEND to a missing mailbox must fail with NO; got {reply.summary()}"
    )
    assert reply.code is not None and reply.code.name == "TRYCREATE", (
        '\'the server MUST send the response code "[TRYCREATE]" as the prefix of the text of the '
        f"tagged NO response'; got {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6.3.11", "MUST")
def test_append_to_missing_mailbox_does_not_create_it(imap, sandbox):
    name = sandbox.name("missing")
    imap.command("APPEND", mb(name), Literal(SIMPLE))
    assert count(imap, name) is None, (
        "'If the destination mailbox does not exist, a server MUST return an error, and MUST NOT "
        "automatically create the mailbox'; STATUS finds it after the APPEND"
    )


@pytest.mark.rfc("3501", "7.5", "MUST")
def test_append_synchronizing_literal_gets_continuation(imap, box):
    reply = imap.command("APPEND", mb(box), Literal(SIMPLE))
    assert reply.ok, f"APPEND failed: {reply.summary()}"
    assert len(reply.continuations) == 1 and reply.continuations[0].first_line.startswith(b"+"), (
        "a synchronizing literal {n} is sent only after the server's '+' continuation request; "
        f"saw {len(reply.continuations)} continuation(s)"
    )


@pytest.mark.rfc("2088", "3", "MUST")
@pytest.mark.requires("LITERAL+")
def test_append_non_synchronizing_literal(imap, box, view):
    reply = imap.command("APPEND", mb(box), Literal(SIMPLE, non_sync=True))
    assert reply.ok, f"APPEND with a {{n+}} literal must succeed; got {reply.summary()}"
    assert not reply.continuations, "no continuation request may be sent for a {n+} literal"
    assert view.new(b"BODY.PEEK[]")[0]["BODY[]"] == SIMPLE, "the bytes differ"


@pytest.mark.rfc("2088", "3", "MUST")
@pytest.mark.requires("LITERAL+")
def test_refused_append_still_consumes_non_synchronizing_literal(imap, box, view):
    """The literal of a refused APPEND is message data, never a command of its own."""
    inside = b"inj1 NOOP"  # what a confused server would run as a command
    line = b'a1 APPEND %s "01-Foo-2020 10:00:00 +0000" {%d+}\r\n%s\r\n' % (
        encode_mailbox(box).encode(),
        len(inside),
        inside,
    )
    imap.send_raw(line, expect_tag="a1")
    refused = imap.wait("a1")
    after = imap.command("NOOP")
    injected = [v for v in imap.violations if v.line.startswith("inj1 ")]
    assert not injected, (
        "for a {n+} literal 'the server MUST treat the specified number of following octets and "
        "the following line as part of the same command'; after refusing the APPEND "
        f"({refused.summary()}) the server ran the literal's bytes as a command: {injected[0].line}"
    )
    assert after.ok and not view.new(b"UID"), "the refused APPEND must add no message"


@pytest.mark.rfc("3501", "6.3.11", "SHOULD")
def test_append_to_selected_mailbox_sends_exists(imap, box):
    before = imap.select(box).of("EXISTS")[-1].number or 0
    reply = imap.command("APPEND", mb(box), Literal(SIMPLE))
    assert reply.ok, f"APPEND failed: {reply.summary()}"
    assert [u.number for u in reply.of("EXISTS")][-1:] == [before + 1], (
        "'the server SHOULD notify the client immediately via an untagged EXISTS response' when "
        f"appending to the selected mailbox; got {[str(u) for u in reply.untagged]}"
    )


@pytest.mark.rfc("3501", "6.3.11", "MUST")
def test_append_adds_to_the_end(imap, box, view):
    for n in range(3):
        data = SIMPLE + b"part %d\r\n" % n
        assert imap.command("APPEND", mb(box), Literal(data)).ok
    bodies = [item["BODY[]"] for item in view.new(b"BODY.PEEK[]")]
    assert bodies == [SIMPLE + b"part %d\r\n" % n for n in range(3)], (
        "APPEND adds the message 'to the end of the specified destination mailbox'; the order "
        "of the three appended messages is not kept"
    )


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize(
    "date", ["01-Foo-2020 10:00:00 +0000", "not a date"], ids=["bad-month", "garbage"]
)
def test_append_invalid_date_rejected_without_trace(imap, box, view, date):
    reply = imap.command("APPEND", mb(box), f'"{date}"'.encode(), Literal(SIMPLE))
    assert reply.status in ("BAD", "NO"), (
        f"a date-time that does not match the grammar ({date!r}) must be refused; got "
        f"{reply.summary()}"
    )
    assert not view.new(b"UID"), "'If the append is unsuccessful ... no partial appending'"
