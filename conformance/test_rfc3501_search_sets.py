"""RFC 3501 §6.4.4 SEARCH: sequence sets, UIDs, OR/NOT nesting, CHARSET, \\Recent keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers_fetch import Spec, append, attach, filled_box, opened, search_result
from helpers_search import SEARCH_MAILS, search_box

from imapcheck.session import Session
from imapcheck.wire.encode import Literal
from imapcheck.wire.utf7 import encode_mailbox

__all__ = ["search_box"]  # the module-scoped fixture
COUNT = len(SEARCH_MAILS)
SEEN = {n for n, m in enumerate(SEARCH_MAILS, 1) if "\\Seen" in m.flags}


def flagged(flag: str) -> set[int]:
    return {n for n, m in enumerate(SEARCH_MAILS, 1) if flag in m.flags}


def sender(needle: str) -> set[int]:
    return {n for n, m in enumerate(SEARCH_MAILS, 1) if needle in m.header("from").lower()}


def cc(needle: str) -> set[int]:
    return {n for n, m in enumerate(SEARCH_MAILS, 1) if needle in m.header("cc").lower()}


def to(needle: str) -> set[int]:
    return {n for n, m in enumerate(SEARCH_MAILS, 1) if needle in m.header("to").lower()}


ALL = set(range(1, COUNT + 1))

SEQUENCE_SETS = [
    ("2,4:5", {2, 4, 5}, "a list with a range"),
    ("*", {COUNT}, "'*' is the last message"),
    ("4:2", {2, 3, 4}, "a reversed range means the same as 2:4"),
    ("*:6", set(range(6, COUNT + 1)), "'*:6' is 6 up to the last"),
    ("7:*", set(range(7, COUNT + 1)), "'7:*' is 7 up to the last"),
    ("1,3:4,8", {1, 3, 4, 8}, "mixed numbers and ranges"),
    ("5:5", {5}, "a one-message range"),
    ("2:6 SEEN", {2, 3, 4, 5, 6} & SEEN, "a sequence set ANDed with SEEN"),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(
    ("criteria", "want", "meaning"), SEQUENCE_SETS, ids=[c[0] for c in SEQUENCE_SETS]
)
def test_search_sequence_sets(connect, search_box, criteria, want, meaning):
    session = opened(connect, search_box)
    reply = session.command("SEARCH", criteria.encode())
    got = search_result(reply)
    assert reply.ok and set(got) == want, (
        f"SEARCH {criteria} ({meaning}, §9 seq-range: 'regardless of order') must return "
        f"{sorted(want)}; server: {reply.summary()}, {sorted(got)}"
    )


BOOLEAN = [
    ("NOT SEEN", ALL - SEEN),
    ("NOT NOT SEEN", SEEN),
    ("OR SEEN FLAGGED", SEEN | flagged("\\Flagged")),
    (
        "OR DRAFT OR DELETED ANSWERED",
        flagged("\\Draft") | flagged("\\Deleted") | flagged("\\Answered"),
    ),
    ("OR (SEEN ANSWERED) DRAFT", (SEEN & flagged("\\Answered")) | flagged("\\Draft")),
    ("NOT (SEEN ANSWERED)", ALL - (SEEN & flagged("\\Answered"))),
    ("NOT OR SEEN FLAGGED", ALL - SEEN - flagged("\\Flagged")),
    ("(OR SEEN DRAFT) NOT DELETED", (SEEN | flagged("\\Draft")) - flagged("\\Deleted")),
    ("OR NOT SEEN KEYWORD $Label1", (ALL - SEEN) | flagged("$Label1")),
    ("FLAGGED NOT CC carol", flagged("\\Flagged") - cc("carol")),
    ("OR FROM alice TO alice", sender("alice") | to("alice")),
    ("OR (FROM bob SEEN) (TO bob UNSEEN)", (sender("bob") & SEEN) | (to("bob") - SEEN)),
    ("((SEEN))", SEEN),
    ("(SEEN) (NOT DELETED)", SEEN - flagged("\\Deleted")),
    ("NOT (OR 1:3 *)", ALL - {1, 2, 3, COUNT}),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(("criteria", "want"), BOOLEAN, ids=[c[0] for c in BOOLEAN])
def test_search_or_not_and_parentheses(connect, search_box, criteria, want):
    assert 0 < len(want) < COUNT, f"test design: {criteria} does not discriminate"
    session = opened(connect, search_box)
    reply = session.command("SEARCH", criteria.encode())
    got = search_result(reply)
    assert reply.ok and set(got) == want, (
        f"SEARCH {criteria} must return {sorted(want)} (OR, NOT and parenthesised lists "
        f"combine keys, §6.4.4); server: {reply.summary()}, {sorted(got)}"
    )


# -- UIDs -----------------------------------------------------------------------------------


def uid_cases(box) -> dict[str, tuple[str, str, set[int], str]]:
    """id -> (command, criteria, expected numbers, meaning); needs the box's real UIDs."""
    u = box.uid
    seen_uids = {u(n) for n in SEEN}
    return {
        "uid-range-over-gap": (
            "SEARCH",
            f"UID {u(3)}:{u(5)}",
            {3, 4, 5},
            "messages whose UIDs lie in the range (a gap inside)",
        ),
        "uid-range-reversed": (
            "SEARCH",
            f"UID {u(5)}:{u(3)}",
            {3, 4, 5},
            "a reversed UID range means the same",
        ),
        "uidnext-star": (
            "SEARCH",
            f"UID {box.uidnext}:*",
            {COUNT},
            "UIDNEXT:* always includes the last message (§6.4.8)",
        ),
        "uid-list-with-missing": (
            "SEARCH",
            f"UID {u(2)},{u(4) + 1},{u(7)}",
            {2, 7},
            "listed UIDs; a non-existent one is ignored",
        ),
        "uid-search-returns-uids": (
            "UID SEARCH",
            "SEEN",
            seen_uids,
            "UID SEARCH answers with UIDs, not sequence numbers",
        ),
        "uid-search-seqset-is-seq": (
            "UID SEARCH",
            "2:3",
            {u(2), u(3)},
            "a bare sequence set in UID SEARCH is still message numbers (§6.4.8 example)",
        ),
        "uid-search-uid-key": (
            "UID SEARCH",
            f"UID {u(2)}:{u(4)} NOT SEEN",
            {u(n) for n in (2, 3, 4) if n not in SEEN},
            "UID key ANDed with NOT SEEN, answered as UIDs",
        ),
    }


UID_IDS = [
    "uid-range-over-gap",
    "uid-range-reversed",
    "uidnext-star",
    "uid-list-with-missing",
    "uid-search-returns-uids",
    "uid-search-seqset-is-seq",
    "uid-search-uid-key",
]


@pytest.mark.rfc("3501", "6.4.8", "MUST")
@pytest.mark.parametrize("ident", UID_IDS)
def test_search_with_uids(connect, search_box, ident):
    command, criteria, want, meaning = uid_cases(search_box)[ident]
    assert search_box.uids[3] + 1 != search_box.uids[4], "set-up must leave a gap in the UIDs"
    session = opened(connect, search_box)
    reply = session.command(command, criteria.encode())
    got = search_result(reply)
    assert reply.ok and set(got) == want, (
        f"{command} {criteria}: {meaning}; expected {sorted(want)}, "
        f"server: {reply.summary()}, {sorted(got)} (UIDs of messages 1-{COUNT}: "
        f"{search_box.uids})"
    )


# -- CHARSET --------------------------------------------------------------------------------

UTF8_CASES = [
    ("BODY", "Köln", {5}, "a quoted-printable body, decoded before comparing"),
    ("SUBJECT", "Grüße", {5}, "an RFC 2047 encoded-word Subject, decoded before comparing"),
    ("BODY", "Straße", {7}, "an 8-bit UTF-8 body"),
    ("TEXT", "zebra", {2, 4}, "ASCII text under CHARSET UTF-8"),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(
    ("key", "needle", "want", "meaning"),
    UTF8_CASES,
    ids=[f"{c[0]}-{c[1].encode('ascii', 'replace').decode()}" for c in UTF8_CASES],
)
def test_search_charset_utf8(connect, search_box, key, needle, want, meaning):
    """§6.4.4: transfer encodings and encoded words MUST be decoded for a non-ASCII CHARSET."""
    session = opened(connect, search_box)
    reply = session.command("SEARCH", b"CHARSET", b"UTF-8", key.encode(), Literal(needle.encode()))
    if reply.status == "NO" and reply.code_named("BADCHARSET"):
        pytest.skip("the server does not support CHARSET UTF-8 (other charsets are MAY)")
    got = search_result(reply)
    assert reply.ok and set(got) == want, (
        f"SEARCH CHARSET UTF-8 {key} {needle!r} must match {sorted(want)} ({meaning}); "
        f"server: {reply.summary()}, {sorted(got)}"
    )


@pytest.mark.rfc("3501", "6.4.4", "MUST")
def test_search_charset_us_ascii_supported(connect, search_box):
    session = opened(connect, search_box)
    reply = session.command("SEARCH", b"CHARSET", b"US-ASCII", b"TEXT", b"zebra")
    got = search_result(reply)
    assert reply.ok and set(got) == {2, 4}, (
        f"US-ASCII MUST be supported: CHARSET US-ASCII TEXT zebra must match [2, 4]; "
        f"server: {reply.summary()}, {sorted(got)}"
    )


@pytest.mark.rfc("3501", "6.4.4", "MUST")
def test_search_unknown_charset_is_no_not_bad(connect, search_box):
    session = opened(connect, search_box)
    reply = session.command("SEARCH", b"CHARSET", b"X-IMAPCHECK-NO-SUCH-CHARSET", b"TEXT", b"a")
    assert reply.status == "NO", (
        "a SEARCH with an unsupported charset MUST get a tagged NO (not a BAD); "
        f"server said {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6.4.4", "SHOULD")
def test_search_unknown_charset_has_badcharset_code(connect, search_box):
    session = opened(connect, search_box)
    reply = session.command("SEARCH", b"CHARSET", b"X-IMAPCHECK-NO-SUCH-CHARSET", b"TEXT", b"a")
    assert reply.status == "NO" and reply.code is not None and reply.code.name == "BADCHARSET", (
        f"the NO for an unsupported charset SHOULD carry [BADCHARSET]; got {reply.summary()}"
    )
    listed = set()
    for arg in reply.code.args:
        for item in arg if isinstance(arg, list) else [arg]:
            listed.add((item.decode() if isinstance(item, bytes) else str(item)).upper())
    assert "X-IMAPCHECK-NO-SUCH-CHARSET" not in listed, (
        f"[BADCHARSET] must not list the charset it just refused: {reply.code.raw}"
    )


# -- \Recent: RECENT, NEW, OLD --------------------------------------------------------------

RECENT_SPECS = [
    Spec(b"Subject: old unseen\r\n\r\nfirst\r\n"),
    Spec(b"Subject: old seen\r\n\r\nsecond\r\n", ("\\Seen",)),
    Spec(b"Subject: new unseen\r\n\r\nthird\r\n"),
    Spec(b"Subject: new seen\r\n\r\nfourth\r\n", ("\\Seen",)),
]


@pytest.fixture(scope="module")
def recent_session(target, sandbox) -> Iterator[Session]:
    """Messages 1-2 seen by an earlier SELECT, 3-4 appended after it; a session selecting now."""
    with filled_box(target, sandbox, "recent", RECENT_SPECS[:2]) as box:  # fill() SELECTs it
        writer, session = Session(target, name="recent-writer"), Session(target, name="recent")
        try:
            writer.connect()
            writer.login()
            for spec in RECENT_SPECS[2:]:
                append(writer, box.name, spec)
            writer.logout()
            session.connect()
            session.login()
            session.select(encode_mailbox(box.name))
            yield session
        finally:
            writer.close()
            session.logout()


RECENT_CASES = [
    ("RECENT", {3, 4}),
    ("NEW", {3}),
    ("OLD", {1, 2}),
    ("NOT RECENT", {1, 2}),
    ("OR NEW SEEN", {2, 3, 4}),
    ("UNSEEN NOT NEW", {1}),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(("criteria", "want"), RECENT_CASES, ids=[c[0] for c in RECENT_CASES])
def test_search_recent_new_old(request, recent_session, criteria, want):
    """NEW is RECENT UNSEEN; OLD is NOT RECENT (§6.4.4), with \\Recent as of §2.3.2."""
    session = attach(request, recent_session)
    reply = session.command("SEARCH", criteria.encode())
    got = search_result(reply)
    assert reply.ok and set(got) == want, (
        f"SEARCH {criteria} must return {sorted(want)}: messages 1-2 were seen by an earlier "
        f"SELECT, 3-4 arrived after it (4 with \\Seen); server: {reply.summary()}, {sorted(got)}"
    )
