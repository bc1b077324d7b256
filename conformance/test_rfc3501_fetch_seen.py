"""RFC 3501 §6.4.5: which FETCH items set \\Seen, and that EXAMINE never does (§6.3.2).

Every case reads its own message of one shared mailbox, so the cases cannot disturb each
other; the flag is then checked from a second session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers_fetch import Box, Spec, fetch_items, filled_box, flag_set, opened

from imapcheck import corpus

SETS_SEEN = [
    "BODY[]",
    "BODY[TEXT]",
    "BODY[HEADER]",
    "BODY[1]",
    "BODY[2.MIME]",
    "BODY[HEADER.FIELDS (Subject)]",
    "BODY[]<0.10>",
    "RFC822",
    "RFC822.TEXT",
]
KEEPS_UNSEEN = [
    "BODY.PEEK[]",
    "BODY.PEEK[TEXT]",
    "BODY.PEEK[1]",
    "BODY.PEEK[]<0.10>",
    "RFC822.HEADER",
]
OTHER = ["flags-in-response", "examine-body", "examine-rfc822"]
CASES = SETS_SEEN + KEEPS_UNSEEN + OTHER
SEQ = {case: seq for seq, case in enumerate(CASES, 1)}


@pytest.fixture(scope="module")
def seen_box(target, sandbox) -> Iterator[Box]:
    """One unseen multipart message per case."""
    spec = Spec(corpus.load("alternative").data)
    with filled_box(target, sandbox, "seen", [spec] * len(CASES)) as box:
        yield box


def flags_elsewhere(connect, box: Box, seq: int) -> set[str]:
    """The message's flags as a new session sees them."""
    session = opened(connect, box)
    return flag_set(
        fetch_items(session.command("FETCH", str(seq).encode(), b"(FLAGS)"), seq).get("FLAGS")
    )


def read(connect, box: Box, case: str, item: str, *, readonly: bool = False):
    seq = SEQ[case]
    session = opened(connect, box, readonly=readonly)
    reply = session.command("FETCH", str(seq).encode(), f"({item})".encode())
    assert reply.ok and fetch_items(reply, seq), f"FETCH {seq} ({item}) failed: {reply.summary()}"
    return seq, reply


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize("item", SETS_SEEN)
def test_fetch_sets_seen(connect, seen_box, item):
    """BODY[<section>] (any section, partial too), RFC822 and RFC822.TEXT set \\Seen."""
    seq, _ = read(connect, seen_box, item, item)
    flags = flags_elsewhere(connect, seen_box, seq)
    assert "\\seen" in flags, (
        f"FETCH {item} must implicitly set \\Seen (§6.4.5); afterwards another session sees "
        f"FLAGS {sorted(flags)}"
    )


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize("item", KEEPS_UNSEEN)
def test_fetch_does_not_set_seen(connect, seen_box, item):
    """BODY.PEEK[...] and RFC822.HEADER (= BODY.PEEK[HEADER]) leave \\Seen alone."""
    seq, _ = read(connect, seen_box, item, item)
    flags = flags_elsewhere(connect, seen_box, seq)
    assert "\\seen" not in flags, (
        f"FETCH {item} must not set \\Seen (§6.4.5); afterwards another session sees "
        f"FLAGS {sorted(flags)}"
    )


@pytest.mark.rfc("3501", "6.4.5", "SHOULD")
def test_implicit_seen_is_reported_in_the_fetch(connect, seen_box):
    """'if this causes the flags to change, they SHOULD be included as part of the FETCH
    responses'."""
    seq, reply = read(connect, seen_box, "flags-in-response", "BODY[TEXT]")
    flags = fetch_items(reply, seq).get("FLAGS")
    assert "\\seen" in flag_set(flags), (
        f"FETCH BODY[TEXT] of an unseen message should also return FLAGS with \\Seen; "
        f"the response had {sorted(fetch_items(reply, seq))} (FLAGS {flags})"
    )


@pytest.mark.rfc("3501", "6.3.2", "MUST")
@pytest.mark.parametrize(
    ("case", "item"), [("examine-body", "BODY[]"), ("examine-rfc822", "RFC822")]
)
def test_examine_never_sets_seen(connect, seen_box, case, item):
    """EXAMINE: 'No changes to the permanent state of the mailbox, including per-user state,
    are permitted.'"""
    seq, _ = read(connect, seen_box, case, item, readonly=True)
    flags = flags_elsewhere(connect, seen_box, seq)
    assert "\\seen" not in flags, (
        f"FETCH {item} in a mailbox opened with EXAMINE must not set \\Seen; afterwards "
        f"another session sees FLAGS {sorted(flags)}"
    )
