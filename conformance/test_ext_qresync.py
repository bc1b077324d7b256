"""RFC 7162 §3.2 QRESYNC: ENABLE, SELECT (QRESYNC ...) with VANISHED (EARLIER) and the changed
messages, UID FETCH (CHANGEDSINCE ... VANISHED), VANISHED instead of EXPUNGE, [CLOSED]."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from helpers_sessions import boxes
from helpers_sync import View, flagset, kinds, mb, number, poll, select_code, uid_list

from imapcheck.wire.encode import Literal

__all__ = ["boxes"]  # fixtures


@dataclass
class Known:
    """What a client remembers of a mailbox it synchronised earlier."""

    name: str
    validity: int
    modseq: int
    uids: list[int]


def enable(session) -> None:
    reply = session.command("ENABLE", b"QRESYNC")
    assert reply.ok, f"ENABLE QRESYNC failed: {reply.summary()}"


def vanished(untagged, *, earlier: bool) -> list[int]:
    found: list[int] = []
    for item in untagged:
        if item.kind != "VANISHED" or not item.tokens:
            continue
        tagged = isinstance(item.tokens[0], list)
        if tagged == earlier:
            found += uid_list(item.tokens[-1])
    return found


@pytest.fixture
def synced(connect, boxes):
    """Session A (QRESYNC enabled) knows a six-message mailbox, then B changes it: expunges
    messages 2 and 5, flags message 3, appends one. A has nothing selected."""
    a, b = connect(name="A"), connect(name="B")
    enable(a)
    name = boxes.make(a, 6)
    reply = a.command("SELECT", mb(name))
    assert reply.ok, f"SELECT failed: {reply.summary()}"
    known = Known(
        name,
        select_code(reply, "UIDVALIDITY"),
        select_code(reply, "HIGHESTMODSEQ"),
        [u or 0 for u in View.load(a).uids],
    )
    assert a.command("UNSELECT" if "UNSELECT" in a.capabilities else "CLOSE").ok
    b.select(name)
    assert b.command("STORE", b"2,5", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert b.command("EXPUNGE").ok
    assert b.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Answered)").ok  # message 3 before
    assert b.command("APPEND", mb(name), Literal(b"Subject: later\r\n\r\nx\r\n")).ok
    return known, a, b


GONE, CHANGED = (2, 5), 3  # positions, in the mailbox A knew


def check_resync(
    known: Known, reply, *, restricted: set[int] | None = None, count: int | None = 5
) -> None:
    uids = known.uids
    gone = {uids[p - 1] for p in GONE}
    expected_gone = gone if restricted is None else gone & restricted
    told = set(vanished(reply.untagged, earlier=True))
    live = {number(f["UID"]) for f in reply.fetches().values() if "UID" in f}
    exists = [u.number for u in reply.of("EXISTS")]
    assert expected_gone <= told and not told & (set(uids) - gone), (
        "'The server sends the client any pending flag changes ... and expunges those that have "
        f"occurred in this mailbox since the provided modification sequence': expunged UIDs "
        f"{sorted(expected_gone)} must be in VANISHED (EARLIER), and no live message; got "
        f"{kinds(reply.untagged, 'VANISHED')}"
    )
    fetched = reply.fetches()
    assert all("UID" in f and "MODSEQ" in f and "FLAGS" in f for f in fetched.values()), (
        f"flag changes are sent 'using FETCH responses that MUST contain UIDs' (with FLAGS and "
        f"MODSEQ): {kinds(reply.untagged, 'FETCH')}"
    )
    assert uids[CHANGED - 1] in live and not live & gone, (
        f"the changed message (UID {uids[CHANGED - 1]}) must be reported: FETCHed UIDs {live}"
    )
    for items in fetched.values():
        assert number(items["MODSEQ"]) > known.modseq, f"unchanged message reported: {items}"
        if number(items["UID"]) == uids[CHANGED - 1]:
            assert flagset(items["FLAGS"]) == {"\\answered"}, f"wrong flags: {items}"
    assert count is None or (exists and exists[-1] == count), (
        f"VANISHED (EARLIER) does not decrement the count; EXISTS must say {count}: {exists}"
    )


@pytest.mark.rfc("7162", "3.2.3", "MUST")
@pytest.mark.requires("QRESYNC", "ENABLE")
def test_enable_qresync_is_confirmed(connect):
    a = connect(name="A")
    reply = a.command("ENABLE", b"QRESYNC")
    enabled = [str(t).upper() for u in reply.of("ENABLED") for t in u.tokens]
    assert reply.ok and "QRESYNC" in enabled, (
        f"ENABLE QRESYNC must answer '* ENABLED QRESYNC' (RFC 5161 §3.2): {reply.untagged}"
    )


@pytest.mark.rfc("7162", "3.2.5", "MUST")
@pytest.mark.requires("QRESYNC")
def test_select_qresync_without_enable_is_bad(connect, boxes):
    a = connect(name="A")
    name = boxes.make(a, 1)
    reply = a.command("SELECT", mb(name), b"(QRESYNC (1 1))")
    assert reply.status == "BAD", (
        "'A server MUST respond with a tagged BAD response if the Quick Resynchronization "
        "parameter to SELECT/EXAMINE command is specified and the client hasn't issued \"ENABLE "
        f"QRESYNC\"'; got {reply.summary()}"
    )


@pytest.mark.rfc("7162", "3.2.5.1", "MUST")
@pytest.mark.requires("QRESYNC")
@pytest.mark.parametrize("form", ["modseq-only", "known-uids", "seq-match", "examine"])
def test_select_qresync_resynchronises(synced, form):
    known, a, _b = synced
    u = known.uids
    params = f"{known.validity} {known.modseq}"
    restricted = None
    if form == "known-uids":
        params += f" {u[0]}:{u[3]}"
        restricted = set(u[:4])
    elif form == "seq-match":
        params += f" {u[0]}:{u[-1]} (1,3 {u[0]},{u[2]})"
    verb = "EXAMINE" if form == "examine" else "SELECT"
    reply = a.command(verb, mb(known.name), f"(QRESYNC ({params}))".encode())
    assert reply.ok, f"{verb} (QRESYNC ({params})) failed: {reply.summary()}"
    check_resync(known, reply, restricted=restricted)


@pytest.mark.rfc("7162", "3.2.5", "MUST")
@pytest.mark.requires("QRESYNC")
def test_select_qresync_wrong_uidvalidity_ignored(synced):
    known, a, _b = synced
    wrong = known.validity + 1 if known.validity < 4294967295 else 1
    reply = a.command("SELECT", mb(known.name), f"(QRESYNC ({wrong} {known.modseq}))".encode())
    assert reply.ok, f"SELECT failed: {reply.summary()}"
    assert not reply.of("VANISHED") and not reply.of("FETCH"), (
        "'If the provided UIDVALIDITY doesn't match ... the server MUST ignore the remaining "
        "parameters and behave as if no dynamic message data changed'; got "
        f"{kinds(reply.untagged, 'VANISHED', 'FETCH')}"
    )


@pytest.mark.rfc("7162", "3.2.5.1", "MUST")
@pytest.mark.requires("QRESYNC")
def test_select_qresync_with_current_modseq_reports_nothing(synced):
    known, a, _b = synced
    first = a.command("EXAMINE", mb(known.name))
    now = select_code(first, "HIGHESTMODSEQ")
    reply = a.command("SELECT", mb(known.name), f"(QRESYNC ({known.validity} {now}))".encode())
    assert reply.ok and not reply.of("FETCH") and not vanished(reply.untagged, earlier=True), (
        f"nothing changed since mod-sequence {now}; SELECT (QRESYNC ...) still reported "
        f"{kinds(reply.untagged, 'VANISHED', 'FETCH')}"
    )


@pytest.mark.rfc("7162", "3.2.6", "MUST")
@pytest.mark.requires("QRESYNC")
def test_uid_fetch_vanished_modifier(synced):
    known, a, _b = synced
    a.select(known.name)
    reply = a.command(
        "UID", b"FETCH", b"1:*", b"(FLAGS)", f"(CHANGEDSINCE {known.modseq} VANISHED)".encode()
    )
    assert reply.ok, f"UID FETCH (CHANGEDSINCE ... VANISHED) failed: {reply.summary()}"
    check_resync(known, reply, count=None)
    order = [u.kind for u in reply.untagged if u.kind in ("VANISHED", "FETCH")]
    assert order[: order.count("VANISHED")] == ["VANISHED"] * order.count("VANISHED"), (
        f"'Any VANISHED (EARLIER) responses MUST be returned before any FETCH responses': {order}"
    )


@pytest.mark.rfc("7162", "3.2.6", "MUST")
@pytest.mark.requires("QRESYNC")
def test_fetch_with_vanished_modifier_is_bad(synced):
    known, a, _b = synced
    a.select(known.name)
    reply = a.command(
        "FETCH", b"1:*", b"(FLAGS)", f"(CHANGEDSINCE {known.modseq} VANISHED)".encode()
    )
    assert reply.status == "BAD", (
        "'the VANISHED UID FETCH modifier is NOT allowed with a FETCH command. The server MUST "
        f"return a tagged BAD response'; got {reply.summary()}"
    )


EXPUNGE_SOURCES = [
    "EXPUNGE",
    pytest.param("UID EXPUNGE", marks=pytest.mark.requires("UIDPLUS")),
    "other-session",
]


def expunge_via(source: str, a, b, name: str, boxes, uids: list[int]):
    """Remove messages 2 and 4 of ``name`` through ``source``; A's reply or NOOP data."""
    if source == "other-session":
        assert b.command("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
        assert b.command("EXPUNGE").ok
        return poll(a, lambda s: bool(s and kinds(s, "VANISHED", "EXPUNGE"))), None
    if source == "MOVE":
        reply = a.command("MOVE", b"2,4", mb(boxes.make(a, 0, hint="moved")))
    else:
        assert a.command("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
        if source == "EXPUNGE":
            reply = a.command("EXPUNGE")
        else:
            reply = a.command("UID", b"EXPUNGE", f"{uids[1]},{uids[3]}".encode())
    assert reply.ok, f"{source} failed: {reply.summary()}"
    return reply.untagged, reply


def check_vanished(connect, boxes, source: str, quote: str) -> None:
    """Five messages, 2 and 4 expunged through ``source``: A (QRESYNC) must hear VANISHED."""
    a, b = connect(name="A"), connect(name="B")
    enable(a)
    name = boxes.make(a, 5)
    a.select(name)
    b.select(name)
    view = View.load(a)
    uids = [u or 0 for u in view.uids]
    seen, _ = expunge_via(source, a, b, name, boxes, uids)
    assert not kinds(seen, "EXPUNGE") and sorted(vanished(seen, earlier=False)) == [
        uids[1],
        uids[3],
    ], f"{quote}; {source} of UIDs {uids[1]}, {uids[3]} gave {kinds(seen, 'EXPUNGE', 'VANISHED')}"
    assert not vanished(seen, earlier=True), "expunges happening now must not carry (EARLIER)"
    view.apply(seen)
    assert view.uids == [uids[0], uids[2], uids[4]] and not view.problems, (
        f"applying {kinds(seen, 'EXPUNGE', 'VANISHED')} leaves UIDs {view.uids}"
    )


@pytest.mark.rfc("7162", "3.2.10", "MUST")
@pytest.mark.requires("QRESYNC")
@pytest.mark.parametrize("source", EXPUNGE_SOURCES)
def test_vanished_replaces_expunge(connect, boxes, source):
    check_vanished(
        connect,
        boxes,
        source,
        "RFC 7162 §3.2.10: once QRESYNC is enabled 'the server MUST use the VANISHED response "
        "without the EARLIER tag instead of the EXPUNGE response' (EXPUNGE, UID EXPUNGE and "
        "messages expunged in other connections alike)",
    )


@pytest.mark.rfc("6851", "4.4", "SHOULD")
@pytest.mark.requires("QRESYNC", "MOVE")
def test_move_reports_vanished(connect, boxes):
    check_vanished(
        connect,
        boxes,
        "MOVE",
        "RFC 6851 §4.4: the server SHOULD send VANISHED rather than EXPUNGE for UID EXPUNGE, "
        "and 'the same requirement applies to MOVE'",
    )


def new_highest(reply, before: int, what: str, quote: str) -> None:
    code = reply.code if reply.code is not None and reply.code.name == "HIGHESTMODSEQ" else None
    assert reply.ok and code is not None and number(code.args[0]) > before, (
        f"{quote}: 'If at least one message got expunged, the server MUST send the updated "
        "per-mailbox modification sequence using the HIGHESTMODSEQ response code ... in the "
        f"tagged OK response' (above {before}); {what} got {reply.summary()}"
    )


def deleted_two(connect, boxes):
    """A (QRESYNC enabled) with messages 2 and 4 of five \\Deleted; their UIDs; the highest
    mod-sequence before anything is expunged; the mailbox's name."""
    a = connect(name="A")
    enable(a)
    name = boxes.make(a, 5)
    a.select(name)
    uids = [u or 0 for u in View.load(a).uids]
    assert a.command("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    values = a.command("FETCH", b"1:*", b"(MODSEQ)").fetches().values()
    return a, uids, max(number(f["MODSEQ"]) for f in values), name


@pytest.mark.rfc("7162", "3.2.7", "MUST")
@pytest.mark.requires("QRESYNC")
@pytest.mark.parametrize(
    "command",
    [
        "EXPUNGE",
        pytest.param("UID EXPUNGE", marks=pytest.mark.requires("UIDPLUS")),
    ],
)
def test_expunge_reports_new_highestmodseq(connect, boxes, command):
    a, uids, before, _name = deleted_two(connect, boxes)
    if command == "EXPUNGE":
        reply = a.command("EXPUNGE")
    else:
        reply = a.command("UID", b"EXPUNGE", f"{uids[1]},{uids[3]}".encode())
    new_highest(reply, before, command, "RFC 7162 §3.2.7 (EXPUNGE), §3.2.9 (UID EXPUNGE)")


@pytest.mark.rfc("7162", "3.2.8", "MUST")
@pytest.mark.requires("QRESYNC")
def test_close_sends_no_highestmodseq_but_increments_it(connect, boxes):
    """CLOSE expunges silently: unlike EXPUNGE, its OK must not carry HIGHESTMODSEQ (the client
    could not tell which expunges it covers), yet the mailbox's mod-sequence must go up."""
    a, uids, before, name = deleted_two(connect, boxes)
    reply = a.command("CLOSE")
    assert reply.ok, f"CLOSE failed: {reply.summary()}"
    assert reply.code is None or reply.code.name != "HIGHESTMODSEQ", (
        "RFC 7162 §3.2.8: 'The server MUST NOT send the updated per-mailbox modification "
        "sequence using the HIGHESTMODSEQ response code ... in the tagged OK response, as this "
        f"might cause loss of synchronization on the client'; CLOSE got {reply.summary()}"
    )
    reopened = a.command("EXAMINE", mb(name))
    assert reopened.ok, f"EXAMINE failed: {reopened.summary()}"
    after = select_code(reopened, "HIGHESTMODSEQ")
    assert after > before, (
        "RFC 7162 §3.2.8: the server 'MUST increment the per-mailbox mod-sequence if at least "
        f"one message was permanently removed' by CLOSE; HIGHESTMODSEQ was {before} before "
        f"CLOSE expunged two messages and is {after} after"
    )
    remaining = [u or 0 for u in View.load(a).uids]
    assert remaining == [uids[0], uids[2], uids[4]], (
        f"CLOSE must expunge the \\Deleted messages (UIDs {uids[1]}, {uids[3]}); left {remaining}"
    )


@pytest.mark.rfc("7162", "3.2.11", "MUST")
@pytest.mark.requires("QRESYNC")
@pytest.mark.parametrize("verb", ["SELECT", "EXAMINE"])
def test_closed_code_when_switching_mailbox(connect, boxes, verb):
    a = connect(name="A")
    enable(a)
    first, second = boxes.make(a, 3, hint="first"), boxes.make(a, 1, hint="second")
    a.select(first)
    reply = a.command(verb, mb(second))
    assert reply.ok, f"{verb} failed: {reply.summary()}"
    marks = [u for u in reply.untagged if u.code is not None and u.code.name == "CLOSED"]
    assert marks, (
        "'A server implementing the extension ... MUST return the CLOSED response code when the "
        f"currently selected mailbox is closed implicitly using the SELECT/EXAMINE command on "
        f"another mailbox'; {verb} sent {[str(u) for u in reply.untagged]}"
    )
    after = reply.untagged[reply.untagged.index(marks[0]) :]
    assert [u.number for u in after if u.kind == "EXISTS"] == [1], (
        "'all subsequent responses relate to the newly opened mailbox': the new mailbox's "
        f"EXISTS must follow [CLOSED]: {[str(u) for u in reply.untagged]}"
    )


@pytest.mark.rfc("7162", "3.2.4", "MUST")
@pytest.mark.requires("QRESYNC")
@pytest.mark.parametrize("source", ["own-store", "other-session"])
def test_untagged_fetch_carries_uid_and_modseq(connect, boxes, source):
    a, b = connect(name="A"), connect(name="B")
    enable(a)
    name = boxes.make(a, 3)
    a.select(name)
    b.select(name)
    if source == "own-store":
        seen = a.command("STORE", b"2", b"+FLAGS", b"(\\Seen)").untagged
    else:
        assert b.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Seen)").ok
        seen = poll(a, lambda s: any(u.kind == "FETCH" for u in s))
    fetches = [u for u in seen if u.kind == "FETCH"]
    assert fetches and all("UID" in u.items and "MODSEQ" in u.items for u in fetches), (
        "once CONDSTORE is enabled a QRESYNC server 'MUST automatically include both UID and "
        f"mod-sequence data in all subsequent untagged FETCH responses': {kinds(seen, 'FETCH')}"
    )
