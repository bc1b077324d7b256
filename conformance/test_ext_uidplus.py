"""RFC 4315 UIDPLUS: APPENDUID and COPYUID name the UIDs really assigned (FETCH confirms), and
UID EXPUNGE removes exactly the listed messages that carry \\Deleted."""

from __future__ import annotations

import pytest
from helpers_sessions import boxes, lend, observe, observer_session, session_pool
from helpers_sync import View, contents, has, kinds, mb, message, number, poll, status, uid_list

from imapcheck.wire.encode import Literal

__all__ = ["boxes", "lend", "observe", "observer_session", "session_pool"]  # fixtures


def appenduid(reply, what: str) -> tuple[int, str]:
    code = reply.code_named("APPENDUID")
    assert code is not None and len(code.args) == 2, (
        f"RFC 4315 §3: servers that advertise UIDPLUS 'SHOULD return' APPENDUID; {what} got "
        f"{reply.summary()}"
    )
    return number(code.args[0]), str(code.args[1])


@pytest.mark.rfc("4315", "3", "SHOULD")
@pytest.mark.requires("UIDPLUS")
def test_append_returns_appenduid(lend, boxes):
    a = lend("A")
    name = boxes.make(a, 0)
    reply = a.command("APPEND", mb(name), Literal(message(1)))
    assert reply.ok, f"APPEND failed: {reply.summary()}"
    appenduid(reply, "APPEND")


@pytest.mark.rfc("4315", "3", "MUST")
@pytest.mark.requires("UIDPLUS")
@pytest.mark.parametrize("where", ["not-selected", "selected-elsewhere", "selected-here"])
def test_appenduid_names_the_new_message(observe, lend, boxes, where):
    a, b = lend("A"), lend("B")
    name = boxes.make(a, 2)
    if where == "selected-elsewhere":
        b.select(name)
    elif where == "selected-here":
        a.select(name)
    reply = a.command("APPEND", mb(name), Literal(message(7, tag="appended")))
    assert reply.ok, f"APPEND failed: {reply.summary()}"
    validity, uid = appenduid(reply, "APPEND")
    assert uid.isdigit(), (
        "'the UID set form of the APPENDUID response code MUST NOT be used if only a single "
        f"message was appended'; got [APPENDUID {validity} {uid}]"
    )
    assert validity == status(b, name, "UIDVALIDITY")["UIDVALIDITY"], (
        f"APPENDUID is 'Followed by the UIDVALIDITY of the destination mailbox': {validity}"
    )
    stored = {m.uid: m.subject for m in observe.look(name)}
    assert stored.get(int(uid)) == "appended 7" and int(uid) == max(stored), (
        f"APPENDUID says UID {uid}; the mailbox holds {stored} (the new message must have "
        "that UID, the highest: 'UIDs are assigned in strictly ascending order')"
    )


@pytest.mark.rfc("4315", "3", "MUST")
@pytest.mark.requires("UIDPLUS", "MULTIAPPEND")
def test_multiappend_appenduid_lists_uids_in_order(observe, lend, boxes):
    a = lend("A")
    name = boxes.make(a, 1)
    plus = "LITERAL+" in a.capabilities
    bodies = [Literal(message(n, tag="multi"), non_sync=plus) for n in (3, 1, 2)]
    reply = a.command("APPEND", mb(name), *bodies)
    assert reply.ok, f"MULTIAPPEND failed: {reply.summary()}"
    _, uids = appenduid(reply, "MULTIAPPEND")
    assert "*" not in uids, f"'This UID set may not contain ... the symbol \"*\"': {uids}"
    listed = uid_list(uids)
    stored = {m.uid: m.subject for m in observe.look(name)}
    got = [stored.get(u) for u in listed]
    assert got == ["multi 3", "multi 1", "multi 2"], (
        "APPENDUID of a MULTIAPPEND is 'a UID set containing the UIDs assigned to the appended "
        f"messages, in the order they were transmitted'; [{uids}] names {got}"
    )


def gapped(lend, boxes, count: int = 5):
    """A with ``count`` messages selected, after expunging one more before them (UID != seq)."""
    a = lend("A")
    name = boxes.make(a, count + 1)
    a.select(name)
    assert a.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("EXPUNGE").ok
    return name, a, contents(a)


def check_copyuid(observe, reply, dest: str, copied) -> None:
    code = reply.code_named("COPYUID")
    assert code is not None and len(code.args) == 3, (
        f"RFC 4315 §3: COPYUID 'is returned in a tagged OK response to the COPY command': "
        f"{reply.summary()}"
    )
    assert "*" not in str(code.args[1]) + str(code.args[2]), f"'*' in [{code}]"
    validity = observe.status(dest, "UIDVALIDITY")["UIDVALIDITY"]
    assert number(code.args[0]) == validity, f"[{code}] lacks dest UIDVALIDITY {validity}"
    sources, targets = uid_list(code.args[1]), uid_list(code.args[2])
    assert sorted(sources) == sorted(m.uid for m in copied) and len(targets) == len(sources), (
        "'Neither of the UID sets may contain extraneous UIDs': the copied UIDs are "
        f"{[m.uid for m in copied]}, [{code}] names {sources} -> {targets}"
    )
    arrived = {m.uid: m.subject for m in observe.look(dest)}
    subject = {m.uid: m.subject for m in copied}
    pairs = {s: (subject[s], arrived.get(t)) for s, t in zip(sources, targets, strict=True)}
    assert all(a == b for a, b in pairs.values()), (
        "'the destination UID set corresponds to the source UID set and is in the same order'; "
        f"(source subject, subject at the destination UID) per source UID: {pairs}"
    )


@pytest.mark.rfc("4315", "3", "MUST")
@pytest.mark.requires("UIDPLUS")
@pytest.mark.parametrize(
    ("seqset", "picked"),
    [
        ("1", [1]),
        ("2:4", [2, 3, 4]),
        ("1,3,5", [1, 3, 5]),
        ("*", [5]),
        ("4:2", [2, 3, 4]),
    ],
)
def test_copyuid_maps_source_to_destination(observe, lend, boxes, seqset, picked):
    _name, a, stored = gapped(lend, boxes)
    dest = boxes.make(a, 1, hint="copy-dest", tag="old")
    reply = a.command("COPY", seqset.encode(), mb(dest))
    assert reply.ok, f"COPY {seqset} failed: {reply.summary()}"
    check_copyuid(observe, reply, dest, [stored[p - 1] for p in picked])


@pytest.mark.rfc("4315", "3", "MUST")
@pytest.mark.requires("UIDPLUS")
def test_uid_copy_copyuid(observe, lend, boxes):
    _name, a, stored = gapped(lend, boxes)
    dest = boxes.make(a, 0, hint="copy-dest")
    chosen = [stored[4], stored[1]]
    uids = f"{chosen[0].uid},{chosen[1].uid}".encode()
    reply = a.command("UID", b"COPY", uids, mb(dest))
    assert reply.ok, f"UID COPY {uids.decode()} failed: {reply.summary()}"
    check_copyuid(observe, reply, dest, chosen)


@pytest.mark.rfc("4315", "3", "MUST")
@pytest.mark.requires("UIDPLUS")
def test_uid_copy_of_nothing_has_no_copyuid(observe, lend, boxes):
    _name, a, stored = gapped(lend, boxes)
    dest = boxes.make(a, 0, hint="copy-dest")
    missing = stored[-1].uid + 100
    reply = a.command("UID", b"COPY", f"{missing}:{missing + 5}".encode(), mb(dest))
    assert reply.ok, f"UID COPY of absent UIDs must succeed doing nothing: {reply.summary()}"
    assert reply.code_named("COPYUID") is None, (
        "nothing was copied, so a COPYUID would name 'extraneous UIDs': "
        f"[{reply.code_named('COPYUID')}]"
    )
    assert not observe.look(dest), "UID COPY of absent UIDs copied something"


DELETED = (1, 2, 4, 5)  # positions (of six) flagged \Deleted
EXPUNGE_CASES = {  # listed positions -> positions removed
    "deleted-subset": ((2, 5), (2, 5)),
    "with-undeleted": ((2, 3), (2,)),
    "range": ((1, 2, 3), (1, 2)),
    "only-undeleted": ((3, 6), ()),
    "all": ((1, 2, 3, 4, 5, 6), DELETED),
}


@pytest.mark.rfc("4315", "2.1", "MUST")
@pytest.mark.requires("UIDPLUS")
@pytest.mark.parametrize("case", list(EXPUNGE_CASES))
def test_uid_expunge_removes_only_listed(observe, lend, boxes, case):
    listed, removed = EXPUNGE_CASES[case]
    a = lend("A")
    name = boxes.make(a, 6)
    a.select(name)
    view = View.load(a)
    uids = list(view.uids)
    flagged = ",".join(map(str, DELETED)).encode()
    assert a.command("STORE", flagged, b"+FLAGS.SILENT", b"(\\Deleted)").ok
    arg = f"{uids[0]}:{uids[2]}" if case == "range" else ",".join(str(uids[p - 1]) for p in listed)
    reply = a.command("UID", b"EXPUNGE", arg.encode())
    assert reply.ok, f"UID EXPUNGE {arg} failed: {reply.summary()}"
    view.apply(reply.untagged)
    kept = [u for p, u in enumerate(uids, 1) if p not in removed]
    stored = observe.look(name)
    assert [m.uid for m in stored] == kept, (
        "'permanently removes all messages that both have the \\Deleted flag set and have a UID "
        f"that is included in the specified sequence set'; UID EXPUNGE {arg} with \\Deleted on "
        f"UIDs {[uids[p - 1] for p in DELETED]} left {[m.uid for m in stored]}, expected {kept}"
    )
    assert view.uids == kept and not view.problems, (
        f"the EXPUNGE responses {kinds(reply.untagged, 'EXPUNGE', 'VANISHED')} leave this "
        f"session with UIDs {view.uids} ({view.problems})"
    )
    deleted_left = [m.uid for m in stored if "\\deleted" in m.flags]
    assert deleted_left == [u for p, u in enumerate(uids, 1) if p in DELETED and u in kept], (
        f"messages not expunged must keep \\Deleted: {deleted_left}"
    )


@pytest.mark.rfc("4315", "2.1", "MUST")
@pytest.mark.requires("UIDPLUS")
def test_uid_expunge_seen_by_other_session(observe, lend, boxes):
    a, b = lend("A"), lend("B")
    name = boxes.make(a, 4)
    a.select(name)
    b.select(name)
    view = View.load(b)
    uids = list(view.uids)
    assert a.command("STORE", b"1:4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("UID", b"EXPUNGE", str(uids[2]).encode()).ok
    seen = poll(b, has("EXPUNGE"))
    view.apply(seen)
    expected = [uids[0], uids[1], uids[3]]
    assert view.uids == expected == [m.uid for m in observe.look(name)], (
        f"UID EXPUNGE {uids[2]} elsewhere (all four \\Deleted) must remove only that one; this "
        f"session got {kinds(seen, 'EXPUNGE')} and has {view.uids}, expected {expected}"
    )


@pytest.mark.rfc("3501", "6.3.2", "MUST")
@pytest.mark.requires("UIDPLUS")
def test_uid_expunge_in_read_only_mailbox(observe, lend, boxes):
    a = lend("A")
    name = boxes.make(a, 2, flags=b"(\\Deleted)")
    assert a.command("EXAMINE", mb(name)).ok
    reply = a.command("UID", b"EXPUNGE", b"1:*")
    assert not kinds(reply.untagged, "EXPUNGE", "VANISHED"), (
        f"UID EXPUNGE in a read-only mailbox reported expunges: {reply.untagged}"
    )
    assert len(observe.look(name)) == 2, (
        "EXAMINE: 'No changes to the permanent state of the mailbox ... are permitted', but UID "
        f"EXPUNGE ({reply.summary()}) removed messages"
    )
