"""SORT (RFC 5256), ESORT (RFC 5267 §3) and SORT=DISPLAY (RFC 5957): the order the server gives
equals the order computed here from the messages appended, key by key."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cmp_to_key

import pytest
from helpers_ext import number, only_esearch, sort_result
from helpers_fetch import Box, Spec, filled_box, opened

pytestmark = pytest.mark.requires("SORT")


@dataclass(frozen=True)
class Mail:
    """A message described by what the sort keys look at; ``base`` is its base subject."""

    subject: str | None
    base: str
    sender: str
    to: str | None
    cc: str | None
    date: str | None  # the Date: header, None for none
    internal: str  # INTERNALDATE as appended
    pad: int

    @property
    def raw(self) -> bytes:
        head = [f"From: {self.sender}"]
        head += [f"To: {self.to}"] if self.to else []
        head += [f"Cc: {self.cc}"] if self.cc else []
        head += [f"Subject: {self.subject}"] if self.subject is not None else []
        head += [f"Date: {self.date}"] if self.date else []
        body = "sort test body\r\n" + "".join(f"padding line {n:03d}\r\n" for n in range(self.pad))
        return ("\r\n".join(head) + "\r\n\r\n" + body).encode()

    def key(self, name: str) -> object:
        if name == "ARRIVAL":
            return datetime.strptime(self.internal, "%d-%b-%Y %H:%M:%S %z").timestamp()
        if name == "DATE":  # sent date, UTC; the internal date when there is no Date: (§2.2)
            if self.date is None:
                return self.key("ARRIVAL")
            return email.utils.parsedate_to_datetime(self.date).timestamp()
        if name == "SIZE":
            return len(self.raw)
        if name == "SUBJECT":
            return self.base.upper()  # i;unicode-casemap on ASCII compares upper-cased
        field = {"FROM": self.sender, "TO": self.to, "CC": self.cc}.get(name.replace("DISPLAY", ""))
        if not field:
            return ""
        display, addr = email.utils.getaddresses([field])[0]
        if name.startswith("DISPLAY"):  # RFC 5957: display name, else the address
            return (display or addr).upper()
        return addr.split("@")[0].upper()  # addr-mailbox of the first address


MAILS = [
    Mail("Re: Apple pie", "Apple pie", "Zed <carol@example.org>", "dave@example.net", None,
         "Mon, 06 Mar 2023 10:00:00 +0000", "05-Mar-2023 09:00:00 +0000", 30),
    Mail("banana split", "banana split", "bob@example.org", "Alice <alice@example.net>",
         "erin@example.com", "Mon, 06 Mar 2023 08:00:00 -0500", "01-Mar-2023 12:00:00 +0000", 10),
    Mail("[list] Cherry tart", "Cherry tart", "Alice <alice@example.org>", "bob@example.net",
         "Carol <carol@example.com>", "Mon, 06 Mar 2023 12:00:00 +0100",
         "03-Mar-2023 23:30:00 -0800", 50),
    Mail("Fwd: apple PIE", "apple PIE", "dave@example.org", "carol@example.net",
         "bob@example.com", "Sun, 05 Mar 2023 22:00:00 -0300", "04-Mar-2023 10:00:00 +0530", 5),
    Mail("[Fwd: Date night]", "Date night", "Erin <erin@example.org>", None, "dave@example.com",
         "Tue, 07 Mar 2023 06:00:00 +0000", "02-Mar-2023 18:00:00 +0000", 40),
    Mail("elderberry (fwd)", "elderberry", "frank@example.org", "erin@example.net",
         "alice@example.com", None, "06-Mar-2023 06:00:00 +0000", 20),
    Mail("Re: [list] Re: banana split", "banana split", "alice@example.org",
         "Robert <bob@example.net>", "dave@example.com", "Tue, 07 Mar 2023 09:00:00 +0000",
         "02-Mar-2023 00:00:00 +0000", 0),
    Mail(None, "", "Greg <greg@example.org>", "frank@example.net", None,
         "Mon, 06 Mar 2023 09:30:00 +0000", "07-Mar-2023 08:00:00 +0000", 70),
    Mail("[only blob]", "[only blob]", "henry@example.org", "greg@example.net",
         "frank@example.com", "Mon, 06 Mar 2023 13:00:00 +0000", "01-Mar-2023 12:00:00 +0000", 25),
]  # fmt: skip


def expected(criteria: str) -> list[int]:
    """Sequence numbers sorted by ``criteria`` (e.g. "SUBJECT REVERSE DATE"), RFC 5256 §3:
    REVERSE flips one key; ties fall back to ascending sequence number."""
    words, keys = criteria.split(), []
    while words:
        reverse = words[0] == "REVERSE"
        words = words[1:] if reverse else words
        keys.append((reverse, words.pop(0)))

    def compare(a: int, b: int) -> int:
        for reverse, name in keys:
            ka, kb = MAILS[a - 1].key(name), MAILS[b - 1].key(name)
            if ka != kb:
                result = -1 if ka < kb else 1
                return -result if reverse else result
        return a - b

    return sorted(range(1, len(MAILS) + 1), key=cmp_to_key(compare))


@pytest.fixture(scope="module")
def sort_box(target, sandbox) -> Iterator[Box]:
    specs = [Spec(m.raw, (), m.internal) for m in MAILS]
    with filled_box(target, sandbox, "sort", specs) as made:
        yield made


def sort(session, criteria: str, *search: bytes, charset: bytes = b"UTF-8", uid: bool = False):
    words = [b"SORT", f"({criteria})".encode(), charset, *(search or (b"ALL",))]
    reply = session.command("UID", *words) if uid else session.command(*words)
    assert reply.ok, f"{reply.command!r} failed: {reply.summary()}"
    return reply


def describe(order: list[int], criteria: str) -> str:
    keys = [w for w in criteria.split() if w != "REVERSE"]
    return ", ".join(f"{s}:{[MAILS[s - 1].key(k) for k in keys]}" for s in order)


CRITERIA = [
    "ARRIVAL", "DATE", "SUBJECT", "FROM", "TO", "CC", "SIZE", "REVERSE DATE", "REVERSE SUBJECT",
    "REVERSE ARRIVAL", "SUBJECT DATE", "SUBJECT REVERSE DATE", "FROM SIZE", "REVERSE TO",
]  # fmt: skip


@pytest.mark.rfc("5256", "3", "MUST")
@pytest.mark.parametrize("criteria", CRITERIA)
def test_sort_order(connect, sort_box, criteria):
    got = sort_result(sort(opened(connect, sort_box), criteria))
    want = expected(criteria)
    assert got == want, (
        f"SORT ({criteria}) must give {want} (RFC 5256 §3; base subject §2.1, sent date §2.2, "
        f"addr-mailbox of the first address, ties by sequence number), got {got}.\n"
        f"  keys in the expected order: {describe(want, criteria)}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
def test_uid_sort_returns_uids_in_the_same_order(connect, sort_box):
    got = sort_result(sort(opened(connect, sort_box), "SUBJECT DATE", uid=True))
    want = [sort_box.uid(seq) for seq in expected("SUBJECT DATE")]
    assert got == want, f"UID SORT (SUBJECT DATE) must give the UIDs {want}, got {got}"


@pytest.mark.rfc("5256", "3", "MUST")
def test_sort_applies_search_criteria(connect, sort_box):
    got = sort_result(sort(opened(connect, sort_box), "SUBJECT", b"FROM", b"alice"))
    assert got == [7, 3], (
        "SORT first searches, then sorts the matches: FROM alice matches 3 and 7, whose base "
        f"subjects 'banana split' < 'Cherry tart' give [7, 3]; got {got}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
def test_us_ascii_charset_is_implemented(connect, sort_box):
    got = sort_result(sort(opened(connect, sort_box), "ARRIVAL", charset=b"US-ASCII"))
    assert got == expected("ARRIVAL"), f"SORT with US-ASCII must work like UTF-8, got {got}"


@pytest.mark.rfc("5256", "3", "MUST")
def test_no_match_gives_empty_sort_response(connect, sort_box):
    reply = sort(opened(connect, sort_box), "SUBJECT", b"SUBJECT", b"imapcheck-no-such-subject")
    assert len(reply.of("SORT")) == 1 and sort_result(reply) == [], (
        f"a SORT that matches nothing returns an empty SORT response (example A284), got "
        f"{[str(u) for u in reply.of('SORT')]}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
def test_unknown_sort_key_is_bad(connect, sort_box):
    reply = opened(connect, sort_box).command("SORT", b"(X-IMAPCHECK)", b"UTF-8", b"ALL")
    assert reply.status == "BAD", (
        f"an unknown sort key is an invalid argument (BAD), got {reply.summary()}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
def test_unknown_charset_is_no(connect, sort_box):
    reply = opened(connect, sort_box).command("SORT", b"(SUBJECT)", b"X-IMAPCHECK-CHARSET", b"ALL")
    assert reply.status == "NO", (
        f"'NO - sort error: can't sort that charset' (RFC 5256 §3), got {reply.summary()}"
    )


@pytest.mark.rfc("5957", "4", "MUST")
@pytest.mark.requires("SORT=DISPLAY")
@pytest.mark.parametrize("criteria", ["DISPLAYFROM", "DISPLAYTO", "REVERSE DISPLAYFROM"])
def test_display_sort_order(connect, sort_box, criteria):
    got = sort_result(sort(opened(connect, sort_box), criteria))
    want = expected(criteria)
    assert got == want, (
        f"SORT ({criteria}) sorts by the display name of the first address, or the address "
        f"itself when there is none (RFC 5957): expected {want}, got {got}.\n"
        f"  keys: {describe(want, criteria)}"
    )


@pytest.mark.rfc("5267", "3.1", "MUST")
@pytest.mark.requires("ESORT")
@pytest.mark.parametrize("uid", [False, True], ids=["seq", "uid"])
def test_esort_min_max_count(connect, sort_box, uid):
    session = opened(connect, sort_box)
    words = [b"SORT", b"RETURN", b"(MIN MAX COUNT)", b"(REVERSE DATE)", b"UTF-8", b"ALL"]
    reply = session.command("UID", *words) if uid else session.command(*words)
    assert reply.ok, f"{reply.command!r} failed: {reply.summary()}"
    result = only_esearch(reply)
    order = expected("REVERSE DATE")
    order = [sort_box.uid(s) for s in order] if uid else order
    got = {
        k: number(result.data.get(k)) if k in result.data else None for k in ("MIN", "MAX", "COUNT")
    }
    want = {"MIN": order[0], "MAX": order[-1], "COUNT": len(order)}
    assert got == want and result.uid == uid, (
        "ESORT MIN/MAX are the first/last message in the requested sort order (RFC 5267 §3.1), "
        f"sort order {order}: expected {want} (UID {uid}), got {got} (UID {result.uid})"
    )


@pytest.mark.rfc("5267", "3.3", "MUST")
@pytest.mark.requires("ESORT")
@pytest.mark.parametrize("options", [b"()", b"(ALL)"], ids=["empty", "all"])
def test_esort_all_in_sort_order(connect, sort_box, options):
    reply = opened(connect, sort_box).command(
        "SORT", b"RETURN", options, b"(SUBJECT REVERSE DATE)", b"UTF-8", b"ALL"
    )
    assert reply.ok, f"{reply.command!r} failed: {reply.summary()}"
    got = only_esearch(reply).numbers("ALL")
    want = expected("SUBJECT REVERSE DATE")
    assert got == want, (
        f"SORT RETURN {options.decode()} gives ALL in the requested sort order (RFC 5267 §3.1, "
        f"§3.3), expected {want}, got {got}"
    )
