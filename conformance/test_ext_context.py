"""CONTEXT=SEARCH (RFC 5267 §4): PARTIAL results, UPDATE notifications (ADDTO, REMOVEFROM)
that follow another session's changes, CANCELUPDATE, and the CONTEXT hint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers_ext import append_ok, esearches, message, number, only_esearch, seq_list, text
from helpers_fetch import Box, Spec, filled_box, opened

from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("CONTEXT=SEARCH")
FLAGGED = [1, 3, 5]  # of six messages


@pytest.fixture(scope="module")
def context_box(target, sandbox) -> Iterator[Box]:
    specs = [
        Spec(message(n, "context"), ("\\Flagged",) if n in FLAGGED else ()) for n in range(1, 7)
    ]
    with filled_box(target, sandbox, "context", specs) as made:
        yield made


def partial(reply) -> tuple[str, list[int]]:
    value = only_esearch(reply).data.get("PARTIAL")
    assert isinstance(value, list) and len(value) == 2, (
        f"no PARTIAL (range set) data: {reply.untagged}"
    )
    return text(value[0]), seq_list(value[1]) if value[1] is not None else []


@pytest.mark.rfc("5267", "4.4", "MUST")
@pytest.mark.parametrize(
    "window,key,want",
    [
        ("1:2", b"ALL", [1, 2]),
        ("2:4", b"FLAGGED", [3, 5]),
        ("5:9", b"ALL", [5, 6]),
        ("10:20", b"ALL", []),
    ],
)
def test_partial_gives_that_window_of_results(connect, context_box, window, key, want):
    reply = opened(connect, context_box).command(
        "SEARCH", b"RETURN", f"(PARTIAL {window})".encode(), key
    )
    assert reply.ok, f"SEARCH RETURN (PARTIAL {window}) failed: {reply.summary()}"
    echoed, got = partial(reply)
    assert (echoed, got) == (window, want), (
        f"PARTIAL {window} returns the original range and results {window} of the mailbox-order "
        f"result list, fewer (or NIL) past its end (RFC 5267 §4.4): expected ({window}, {want}), "
        f"got ({echoed}, {got})"
    )


@pytest.mark.rfc("5267", "4.4", "MUST")
def test_uid_partial_gives_uids(connect, context_box):
    reply = opened(connect, context_box).command(
        "UID", b"SEARCH", b"RETURN", b"(PARTIAL 1:2)", b"FLAGGED"
    )
    want = [context_box.uid(1), context_box.uid(3)]
    assert partial(reply)[1] == want and only_esearch(reply).uid, (
        f"UID SEARCH RETURN (PARTIAL 1:2) FLAGGED must give UID PARTIAL {want}: {reply.untagged}"
    )


@pytest.mark.rfc("5267", "4.2", "MUST")
def test_context_hint_keeps_results_right(connect, context_box):
    session = opened(connect, context_box)
    counted = session.command("SEARCH", b"RETURN", b"(CONTEXT COUNT)", b"FLAGGED")
    assert counted.ok and number(only_esearch(counted).data.get("COUNT")) == 3, (
        f"SEARCH RETURN (CONTEXT COUNT) FLAGGED must count 3: {counted.untagged}"
    )
    plain = session.command("SEARCH", b"ALL")
    numbers = [number(t) for u in plain.of("SEARCH") for t in u.tokens]
    assert numbers == [1, 2, 3, 4, 5, 6], (
        f"with CONTEXT=SEARCH all SEARCH results are in mailbox order (§4.1), got {numbers}"
    )


def updating(imap, imap2, box: str):
    """Four messages, 1 and 3 flagged; ``imap`` selects and searches FLAGGED with UPDATE."""
    for n in range(1, 5):
        append_ok(imap, box, message(n, "update"), flags=("\\Flagged",) if n in (1, 3) else ())
    imap.select(encode_mailbox(box))
    imap2.select(encode_mailbox(box))
    reply = imap.command("SEARCH", b"RETURN", b"(UPDATE ALL)", b"FLAGGED")
    assert reply.ok, f"SEARCH RETURN (UPDATE ALL) failed: {reply.summary()}"
    assert only_esearch(reply).numbers("ALL") == [1, 3], f"initial result wrong: {reply.untagged}"
    return reply.tag


def updates(reply, tag: str, name: str) -> list[int]:
    return [n for e in esearches(reply) if e.tag == tag for n in pairs(e.data.get(name))]


def pairs(value) -> list[int]:
    """The messages of an ADDTO/REMOVEFROM payload: (position set position set ...)."""
    if not isinstance(value, list):
        return []
    return [n for i in range(1, len(value), 2) for n in seq_list(value[i])]


@pytest.mark.rfc("5267", "4.3.3", "MUST")
def test_update_reports_addto_and_removefrom(imap, imap2, box):
    tag = updating(imap, imap2, box)
    imap2.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Flagged)")
    added = imap.command("NOOP")
    imap2.command("STORE", b"1", b"-FLAGS.SILENT", b"(\\Flagged)")
    removed = imap.command("NOOP")
    assert updates(added, tag, "ADDTO") == [2], (
        "after another session flags message 2, the UPDATE search must report ADDTO with it "
        f"(RFC 5267 §4.3.3); NOOP got {[str(u) for u in added.untagged]}"
    )
    assert updates(removed, tag, "REMOVEFROM") == [1], (
        "after message 1 loses \\Flagged, the UPDATE search must report REMOVEFROM with it "
        f"(§4.3.4); NOOP got {[str(u) for u in removed.untagged]}"
    )


@pytest.mark.rfc("5267", "4.3.3", "MUST")
def test_addto_for_new_message_follows_exists(imap, imap2, box):
    tag = updating(imap, imap2, box)
    append_ok(imap2, box, message(5, "update"), flags=("\\Flagged",))
    reply = imap.command("NOOP")
    kinds = [u.kind for u in reply.untagged]
    assert updates(reply, tag, "ADDTO") == [5] and "EXISTS" in kinds, (
        f"a new flagged message 5 must be reported by EXISTS and ADDTO, got {kinds}: "
        f"{[str(u) for u in reply.untagged]}"
    )
    assert kinds.index("EXISTS") < kinds.index("ESEARCH"), (
        "an ADDTO with sequence numbers of new messages MUST be sent after the EXISTS (§4.3.3)"
    )


@pytest.mark.rfc("5267", "4.3.5", "MUST")
def test_cancelupdate_stops_notifications(imap, imap2, box):
    tag = updating(imap, imap2, box)
    reply = imap.command("CANCELUPDATE", f'"{tag}"'.encode())
    assert reply.ok, f"CANCELUPDATE failed: {reply.summary()}"
    imap2.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Flagged)")
    after = imap.command("NOOP")
    late = [str(u) for u in after.of("ESEARCH")]
    assert not late, f"CANCELUPDATE prevents all updates to the context (§4.3.5), got {late}"


@pytest.mark.rfc("5267", "4.3", "MUST")
def test_reusing_an_update_tag_is_bad(imap, imap2, box):
    tag = updating(imap, imap2, box)
    reply = imap.command("SEARCH", b"RETURN", b"(UPDATE)", b"ALL", tag=tag)
    assert reply.status == "BAD", (
        "using UPDATE with a tag already used by an updating search SHALL be rejected with BAD "
        f"(§4.3), got {reply.summary()}"
    )
