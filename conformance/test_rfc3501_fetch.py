"""RFC 3501 §6.4.5 FETCH: sizes, dates, flags, UIDs, macros, sequence sets, RFC822.* items."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from helpers_fetch import (
    byte_diff,
    fetch_box,
    fetch_items,
    fetch_specs,
    flag_set,
    opened,
)

from imapcheck import corpus
from imapcheck.wire.utf7 import encode_mailbox

__all__ = ["fetch_box"]  # the module-scoped fixture
MESSAGES = corpus.all_messages()
SPECS = fetch_specs(MESSAGES)
COUNT = len(MESSAGES)
NAMES = [message.name for message in MESSAGES]
DATE_TIME = re.compile(rb"^[ \d]\d-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


def fetch_all(connect, box, items: bytes) -> dict[int, dict]:
    session = opened(connect, box)
    reply = session.command("FETCH", b"1:*", items)
    assert reply.ok, f"FETCH 1:* {items.decode()} failed: {reply.summary()}"
    return reply.fetches()


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize("name", NAMES)
def test_rfc822_size_is_exact(connect, fetch_box, name):
    seq = NAMES.index(name) + 1
    session = opened(connect, fetch_box)
    got = fetch_items(session.command("FETCH", str(seq).encode(), b"(RFC822.SIZE)"), seq)
    want = corpus.load(name).size
    assert got.get("RFC822.SIZE") == str(want), (
        f"RFC822.SIZE of {name} must be its size in octets, {want}; "
        f"server said {got.get('RFC822.SIZE')}"
    )


@pytest.mark.rfc("3501", "9", "MUST")
def test_internaldate_is_a_quoted_date_time(connect, fetch_box):
    fetched = fetch_all(connect, fetch_box, b"(INTERNALDATE)")
    bad = {
        seq: items.get("INTERNALDATE")
        for seq, items in fetched.items()
        if not (
            isinstance(items.get("INTERNALDATE"), bytes) and DATE_TIME.match(items["INTERNALDATE"])
        )
    }
    assert len(fetched) == COUNT and not bad, (
        'INTERNALDATE must be a quoted date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (§9); '
        f"got {bad} ({len(fetched)} of {COUNT} messages answered)"
    )


def instant(value: str | bytes) -> datetime:
    text = value.decode() if isinstance(value, bytes) else value
    return datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z")


@pytest.mark.rfc("3501", "6.3.11", "SHOULD")
def test_internaldate_is_the_appended_date_time(connect, fetch_box):
    """APPEND's date-time SHOULD become the internal date (the zone may be shown differently)."""
    fetched = fetch_all(connect, fetch_box, b"(INTERNALDATE)")
    wrong = {}
    for seq, spec in enumerate(SPECS, 1):
        got = fetched.get(seq, {}).get("INTERNALDATE")
        try:
            same = got is not None and instant(got) == instant(spec.date or "")
        except (ValueError, AttributeError):
            same = False
        if not same:
            wrong[seq] = (spec.date, got)
    assert not wrong, f"INTERNALDATE differs from the APPEND date-time: {wrong}"


@pytest.mark.rfc("3501", "6.3.11", "SHOULD")
def test_flags_are_the_appended_flags(connect, fetch_box):
    fetched = fetch_all(connect, fetch_box, b"(FLAGS)")
    wrong = {}
    for seq, spec in enumerate(SPECS, 1):
        got = flag_set(fetched.get(seq, {}).get("FLAGS")) - {"\\recent"}
        want = {f.lower() for f in spec.flags}
        if got != want:
            wrong[seq] = (sorted(want), sorted(got))
    assert not wrong, f"FLAGS (expected, got) differ from the flags given to APPEND: {wrong}"


@pytest.mark.rfc("3501", "6.4.5", "MUST")
def test_uid_item(connect, fetch_box):
    fetched = fetch_all(connect, fetch_box, b"(UID)")
    got = {seq: items.get("UID") for seq, items in fetched.items()}
    want = {seq: str(fetch_box.uid(seq)) for seq in range(1, COUNT + 1)}
    assert got == want, f"FETCH 1:* (UID) must give each message its UID: {want}; got {got}"


# -- macros ---------------------------------------------------------------------------------

MACROS = {
    "ALL": {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
    "FAST": {"FLAGS", "INTERNALDATE", "RFC822.SIZE"},
    "FULL": {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"},
}


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize("macro", list(MACROS))
def test_macro_expands_to_exactly_its_items(connect, fetch_box, macro):
    """A macro returns exactly its items, with the values the items give when named."""
    want = MACROS[macro]
    session = opened(connect, fetch_box)
    by_macro = session.command("FETCH", b"1:*", macro.encode())
    by_items = session.command("FETCH", b"1:*", ("(" + " ".join(sorted(want)) + ")").encode())
    assert by_macro.ok and by_items.ok, f"{by_macro.summary()} / {by_items.summary()}"
    wrong = {}
    for seq in range(1, COUNT + 1):
        got, named = by_macro.fetches().get(seq, {}), by_items.fetches().get(seq, {})
        if not want <= set(got) or set(got) - want - {"UID"}:  # an unsolicited UID is harmless
            wrong[seq] = f"items {sorted(got)}"
        elif any(got[key] != named.get(key) for key in want):
            wrong[seq] = {k: (got[k], named.get(k)) for k in want if got[k] != named.get(k)}
    assert not wrong, (
        f"FETCH {macro} must be equivalent to ({' '.join(sorted(want))}) (§6.4.5); "
        f"wrong for messages: {wrong}"
    )


# -- sequence sets --------------------------------------------------------------------------

SEQUENCE_SETS = {
    "1:*": lambda n: set(range(1, n + 1)),
    "*": lambda n: {n},
    "3:1": lambda n: {1, 2, 3},
    "*:{m}": lambda n: {n - 1, n},
    "2,4,6": lambda n: {2, 4, 6},
    "1:2,{n}": lambda n: {1, 2, n},
    "5:5": lambda n: {5},
}


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize("pattern", list(SEQUENCE_SETS))
def test_fetch_sequence_set(connect, fetch_box, pattern):
    """Ranges regardless of order, '*' the last message (§9 seq-number, seq-range)."""
    seqset = pattern.format(n=COUNT, m=COUNT - 1)
    session = opened(connect, fetch_box)
    reply = session.command("FETCH", seqset.encode(), b"(UID)")
    want = SEQUENCE_SETS[pattern](COUNT)
    got = set(reply.fetches())
    assert reply.ok and got == want, (
        f"FETCH {seqset} (UID) in a mailbox of {COUNT} must return messages {sorted(want)}; "
        f"server: {reply.summary()}, {sorted(got)}"
    )
    uids = {seq: items.get("UID") for seq, items in reply.fetches().items()}
    assert all(uids[seq] == str(fetch_box.uid(seq)) for seq in got), f"wrong UIDs {uids}"


@pytest.mark.rfc("3501", "9", "SHOULD")
@pytest.mark.parametrize("pattern", ["{over}", "1,{over}", "{n}:{over}"])
def test_fetch_beyond_last_message_is_bad(connect, fetch_box, pattern):
    """'The server should respond with a tagged BAD response to a command that uses a message
    sequence number greater than the number of messages in the selected mailbox.'"""
    seqset = pattern.format(n=COUNT, over=COUNT + 1)
    session = opened(connect, fetch_box)
    reply = session.command("FETCH", seqset.encode(), b"(UID)")
    assert reply.status == "BAD", (
        f"FETCH {seqset} with {COUNT} messages should get a tagged BAD; got {reply.summary()}"
    )
    assert session.command("NOOP").ok, "the session must stay usable"


@pytest.mark.rfc("3501", "9", "SHOULD")
def test_fetch_star_in_empty_mailbox_is_bad(connect, mailbox):
    """'This includes "*" if the selected mailbox is empty.'"""
    session = connect()
    session.select(encode_mailbox(mailbox), readonly=True)
    reply = session.command("FETCH", b"*", b"(UID)")
    assert reply.status == "BAD" and not reply.of("FETCH"), (
        f"FETCH * in an empty mailbox should get a tagged BAD; got {reply.summary()}"
    )


# -- RFC822, RFC822.HEADER, RFC822.TEXT -----------------------------------------------------

RFC822_ITEMS = {"RFC822": "", "RFC822.HEADER": "HEADER", "RFC822.TEXT": "TEXT"}


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize("name", list(RFC822_ITEMS))
def test_rfc822_items_have_the_right_bytes(connect, fetch_box, name):
    """RFC822 = BODY[], RFC822.HEADER = BODY.PEEK[HEADER], RFC822.TEXT = BODY[TEXT], each
    answered under its own name (§6.4.5). Read-only (EXAMINE), so nothing changes."""
    fetched = fetch_all(connect, fetch_box, name.encode())
    wrong = {}
    for seq, message in enumerate(MESSAGES, 1):
        items = fetched.get(seq, {})
        want = message.section(RFC822_ITEMS[name])
        if items.get(name) != want:
            wrong[message.name] = byte_diff(want, items.get(name, sorted(items)))
    assert not wrong, f"FETCH {name} must return BODY[{RFC822_ITEMS[name]}] as {name}: {wrong}"
