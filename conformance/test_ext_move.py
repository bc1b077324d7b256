"""RFC 6851 MOVE and UID MOVE: messages leave the source (reported as expunges) and arrive in
the destination with their flags, COPYUID maps the UIDs, TRYCREATE for a missing destination."""

from __future__ import annotations

import pytest
from helpers_sessions import boxes, lend, observe, observer_session, session_pool
from helpers_sync import View, contents, has, kinds, mb, number, poll, uid_list

__all__ = ["boxes", "lend", "observe", "observer_session", "session_pool"]  # fixtures

FLAGS = [b"(\\Seen)", b"(\\Flagged $Keep)", b"", b"(\\Answered \\Draft)"]


@pytest.fixture
def move(lend, boxes):
    """Session A with a four-message source selected (varied flags) and an empty destination."""
    a = lend("A")
    source = boxes.make(a, 4, flags=FLAGS, hint="move-source")
    dest = boxes.make(a, 0, hint="move-dest")
    a.select(source)
    return source, dest, a


def subjects(stored) -> list[str]:
    return [m.subject for m in stored]


@pytest.mark.rfc("6851", "3.3", "MUST")
@pytest.mark.requires("MOVE")
@pytest.mark.parametrize(
    ("seqset", "moved"),
    [
        ("1", [1]),
        ("2:3", [2, 3]),
        ("1,4", [1, 4]),
        ("*", [4]),
        ("1:*", [1, 2, 3, 4]),
    ],
)
def test_move_takes_messages_out_of_source(observe, move, seqset, moved):
    source, dest, a = move
    view = View.load(a)
    before = contents(a)
    reply = a.command("MOVE", seqset.encode(), mb(dest))
    assert reply.ok, f"MOVE {seqset} failed: {reply.summary()}"
    view.apply(reply.untagged)
    kept = [m for pos, m in enumerate(before, 1) if pos not in moved]
    assert view.uids == [m.uid for m in kept] and not view.problems, (
        "'the original message is removed from the source mailbox' and the client is told: the "
        f"expunges MOVE {seqset} reported ({kinds(reply.untagged, 'EXPUNGE', 'VANISHED')}) leave "
        f"UIDs {view.uids}, expected {[m.uid for m in kept]} ({view.problems})"
    )
    assert subjects(observe.look(source)) == subjects(kept), "the source holds the wrong messages"
    arrived = subjects(observe.look(dest))
    assert arrived == [before[pos - 1].subject for pos in moved], (
        f"'a new message is created in the target mailbox': MOVE {seqset} left {arrived} there"
    )


@pytest.mark.rfc("6851", "3.3", "MUST")
@pytest.mark.requires("MOVE")
def test_move_never_sets_deleted(observe, move):
    source, dest, a = move
    reply = a.command("MOVE", b"1:2", mb(dest))
    assert reply.ok, f"MOVE failed: {reply.summary()}"
    stored = [str(u) for u in reply.of("FETCH") if "\\deleted" in str(u).lower()]
    assert not stored, (
        "'response codes for a STORE MUST NOT be generated and the \\Deleted flag MUST NOT be "
        f"set for any message'; MOVE sent {stored}"
    )
    flags = [sorted(m.flags) for m in observe.look(dest) + observe.look(source)]
    assert not any("\\deleted" in f for f in flags), f"a message carries \\Deleted: {flags}"


@pytest.mark.rfc("3501", "6.4.7", "SHOULD")
@pytest.mark.requires("MOVE")
def test_move_preserves_flags_and_date(observe, move):
    _source, dest, a = move
    before = contents(a)
    assert a.command("MOVE", b"1:4", mb(dest)).ok
    after = observe.look(dest)
    want = [(m.subject, m.flags, m.date) for m in before]
    got = [(m.subject, m.flags, m.date) for m in after]
    assert got == want, (
        "MOVE behaves like COPY, and for COPY 'The flags and internal date of the message(s) "
        f"SHOULD be preserved'; before {want}, after {got}"
    )


@pytest.mark.rfc("6851", "4.3", "SHOULD")
@pytest.mark.requires("MOVE", "UIDPLUS")
@pytest.mark.parametrize("command", ["MOVE", "UID MOVE"])
def test_move_reports_copyuid(lend, move, command):
    _source, dest, a = move
    before = contents(a)
    wanted = [before[1], before[3]]
    if command == "MOVE":
        reply = a.command("MOVE", b"2,4", mb(dest))
    else:
        uids = ",".join(str(m.uid) for m in wanted).encode()
        reply = a.command("UID", b"MOVE", uids, mb(dest))
    assert reply.ok, f"{command} failed: {reply.summary()}"
    code = reply.code_named("COPYUID")
    assert code is not None and len(code.args) == 3, (
        "'Servers that support UIDPLUS SHOULD send COPYUID in response to a UID MOVE command' "
        f"(in an untagged OK or the tagged OK); got {[str(c) for c in reply.codes()]}"
    )
    check = lend("C")
    validity = check.command("EXAMINE", mb(dest)).code_named("UIDVALIDITY")
    assert validity is not None and number(code.args[0]) == number(validity.args[0]), (
        f"COPYUID must carry the destination's UIDVALIDITY {validity}: [{code}]"
    )
    sources, targets = uid_list(code.args[1]), uid_list(code.args[2])
    assert sorted(sources) == sorted(m.uid for m in wanted), (
        f"COPYUID source set {sources} must name exactly the moved UIDs {[m.uid for m in wanted]}"
    )
    arrived = {m.uid: m.subject for m in contents(check)}
    by_uid = {m.uid: m.subject for m in before}
    mapping = {s: arrived.get(t) for s, t in zip(sources, targets, strict=False)}
    assert len(targets) == len(sources) and all(by_uid[s] == mapping[s] for s in sources), (
        f"[{code}] maps source to destination UIDs; in the destination those UIDs hold "
        f"{mapping}, the sources were {by_uid}"
    )


@pytest.mark.rfc("6851", "3.2", "MUST")
@pytest.mark.requires("MOVE")
def test_uid_move_addresses_uids(observe, move):
    source, dest, a = move
    assert a.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("EXPUNGE").ok  # now sequence numbers and UIDs differ
    before = contents(a)
    target = before[1]  # sequence number 2
    reply = a.command("UID", b"MOVE", str(target.uid).encode(), mb(dest))
    assert reply.ok, f"UID MOVE {target.uid} failed: {reply.summary()}"
    assert subjects(observe.look(dest)) == [target.subject], (
        f"UID MOVE {target.uid} must move the message with that UID ({target.subject!r})"
    )
    left = subjects(observe.look(source))
    assert left == [before[0].subject, before[2].subject], f"the source holds {left}"


@pytest.mark.rfc("3501", "6.4.8", "MUST")
@pytest.mark.requires("MOVE")
def test_uid_move_of_missing_uid_does_nothing(observe, move):
    source, dest, a = move
    top = max(m.uid for m in contents(a))
    reply = a.command("UID", b"MOVE", str(top + 50).encode(), mb(dest))
    assert reply.ok, (
        "'A non-existent unique identifier is ignored without any error message generated'; "
        f"UID MOVE {top + 50} got {reply.summary()}"
    )
    assert not kinds(reply.untagged, "EXPUNGE", "VANISHED"), "nothing may be expunged"
    assert len(observe.look(source)) == 4 and not observe.look(dest), "messages moved"


@pytest.mark.rfc("3501", "6.4.7", "MUST")
@pytest.mark.requires("MOVE")
@pytest.mark.parametrize("command", ["MOVE", "UID MOVE"])
def test_move_to_missing_mailbox_trycreate(observe, boxes, move, command):
    source, _dest, a = move
    missing = boxes.name("missing")
    if command == "MOVE":
        reply = a.command("MOVE", b"1:2", mb(missing))
    else:
        reply = a.command("UID", b"MOVE", b"1:*", mb(missing))
    assert reply.status == "NO" and reply.code_named("TRYCREATE") is not None, (
        "for a destination that does not exist 'the server MUST send the response code "
        f'"[TRYCREATE]" as the prefix of the text of the tagged NO response\'; got '
        f"{reply.summary()}"
    )
    assert not kinds(reply.untagged, "EXPUNGE", "VANISHED"), "a failed MOVE expunged messages"
    assert [sorted(m.flags) for m in observe.look(source)] == [
        ["\\seen"],
        ["$keep", "\\flagged"],
        [],
        ["\\answered", "\\draft"],
    ], "a failed MOVE changed the source"
    listed = a.command("LIST", b'""', mb(missing)).of("LIST")
    assert not listed, "MOVE must not create the destination ('SHOULD NOT automatically create')"


@pytest.mark.rfc("3501", "5.2", "MUST")
@pytest.mark.requires("MOVE")
def test_move_seen_by_other_sessions(observe, lend, move):
    source, dest, a = move
    b, c = lend("B"), lend("C")
    b.select(source)
    c.select(dest)
    view = View.load(b)
    assert a.command("MOVE", b"2", mb(dest)).ok
    seen = poll(b, has("EXPUNGE"))
    view.apply(seen)
    assert view.uids == [m.uid for m in observe.look(source)] and not view.problems, (
        f"a session on the source must learn of the move as an expunge; it got "
        f"{kinds(seen, 'EXPUNGE')} ({view.problems})"
    )
    arrived = poll(c, has("EXISTS", 1))
    assert kinds(arrived, "EXISTS") == ["* 1 EXISTS"], (
        f"a session on the destination must learn of the arrival: {kinds(arrived, 'EXISTS')}"
    )


@pytest.mark.rfc("3501", "6.3.2", "MUST")
@pytest.mark.requires("MOVE")
def test_move_out_of_read_only_mailbox_keeps_source(observe, move):
    source, dest, a = move
    assert a.command("EXAMINE", mb(source)).ok
    reply = a.command("MOVE", b"1", mb(dest))
    left = len(observe.look(source))
    assert left == 4, (
        "EXAMINE opens the mailbox read-only: 'No changes to the permanent state of the mailbox "
        f"... are permitted', yet MOVE ({reply.summary()}, "
        f"{kinds(reply.untagged, 'EXPUNGE', 'VANISHED')}) removed a message: {left} of 4 left"
    )


@pytest.mark.rfc("6851", "3.3", "SHOULD")
@pytest.mark.requires("MOVE")
def test_move_out_of_read_only_mailbox_no_duplicate(observe, move):
    source, dest, a = move
    assert a.command("EXAMINE", mb(source)).ok
    reply = a.command("MOVE", b"1", mb(dest))
    both = len(observe.look(source)) == 4 and len(observe.look(dest)) == 1
    assert not both, (
        "a MOVE that cannot expunge the source must not copy either: 'The server SHOULD NOT "
        "leave any message in both mailboxes ... This is true even if the server returns a "
        f"tagged NO'; got {reply.summary()} and the message is now in both mailboxes"
    )
