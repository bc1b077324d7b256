"""RFC 3501 §2.3.1, §7.4.1: UIDs, UIDNEXT, UIDVALIDITY, sequence numbers and EXPUNGE renumbering."""

from __future__ import annotations

import itertools

import pytest

from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox


def mb(name: str):
    return astring(encode_mailbox(name))


def message(n: int) -> bytes:
    """Message n: its size identifies it (RFC822.SIZE grows with n)."""
    return b"From: a@example.org\r\nSubject: model\r\n\r\n" + b"x" * n + b"\r\n"


def fill(session, name: str, numbers) -> None:
    for n in numbers:
        reply = session.command("APPEND", mb(name), Literal(message(n)))
        assert reply.ok, f"APPEND to {name!r} failed: {reply.summary()}"


def uid_map(session) -> dict[int, tuple[int, int]]:
    """{sequence number: (UID, RFC822.SIZE)} of the selected mailbox."""
    reply = session.command("FETCH", b"1:*", b"(UID RFC822.SIZE)")
    assert reply.ok, f"FETCH 1:* failed: {reply.summary()}"
    return {
        seq: (int(str(f["UID"])), int(str(f["RFC822.SIZE"])))
        for seq, f in sorted(reply.fetches().items())
    }


def status(session, name: str) -> dict[str, int]:
    reply = session.command("STATUS", mb(name), b"(MESSAGES UIDNEXT UIDVALIDITY)")
    assert reply.ok, f"STATUS {name!r} failed: {reply.summary()}"
    return {k: int(str(v)) for k, v in reply.of("STATUS")[0].items.items()}


def apply_expunges(uids: list[int], reply) -> list[int]:
    """Replay EXPUNGE responses on ``uids``; returns the UIDs removed, in order."""
    removed = []
    for item in reply.untagged:
        if item.kind == "EXPUNGE":
            seq = item.number or 0
            assert 1 <= seq <= len(uids), (
                f"'* {seq} EXPUNGE' names no message: only {len(uids)} remain after the previous "
                "EXPUNGE responses (each one decrements the following sequence numbers, §7.4.1)"
            )
            removed.append(uids.pop(seq - 1))
    return removed


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
def test_uids_strictly_ascending_with_sequence(imap, box):
    fill(imap, box, range(1, 6))
    imap.select(box)
    found = uid_map(imap)
    assert list(found) == [1, 2, 3, 4, 5], f"FETCH 1:* must return sequence numbers 1..5: {found}"
    uids = [uid for uid, _ in found.values()]
    assert all(a < b for a, b in itertools.pairwise(uids)), (
        f"sequence numbers 'MUST be ordered by ascending unique identifier'; UIDs are {uids}"
    )
    sizes = [size for _, size in found.values()]
    assert sizes == sorted(sizes), "messages must appear in the order they were appended"


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
def test_uids_same_in_another_session(imap, connect, box):
    fill(imap, box, range(1, 4))
    first = imap.command("EXAMINE", mb(box)).code_named("UIDVALIDITY")
    mine = uid_map(imap)
    other = connect()
    second = other.command("EXAMINE", mb(box)).code_named("UIDVALIDITY")
    theirs = uid_map(other)
    assert first is not None and second is not None, "EXAMINE must send OK [UIDVALIDITY n]"
    if str(first) != str(second):
        assert int(str(second.args[0])) > int(str(first.args[0])), (
            "if unique identifiers fail to persist 'the unique identifier validity value MUST be "
            f"greater than the one used in the earlier session'; it went {first} -> {second}"
        )
        return
    assert theirs == mine, (
        "with the same UIDVALIDITY the 'mailbox name, UIDVALIDITY, and UID must refer to a single "
        f"immutable message': one session sees {mine}, another {theirs}"
    )


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
def test_uids_unchanged_by_expunge(imap, box):
    fill(imap, box, range(1, 5))
    imap.select(box)
    before = uid_map(imap)
    assert imap.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert imap.command("EXPUNGE").ok
    after = uid_map(imap)
    expected = [v for seq, v in before.items() if seq != 2]
    assert list(after.values()) == expected, (
        "'The unique identifier of a message MUST NOT change during the session': after expunging "
        f"message 2 the rest must keep their UIDs {expected}; got {list(after.values())}"
    )


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
def test_new_message_gets_higher_uid_than_expunged(imap, box):
    fill(imap, box, [1, 2])
    imap.select(box)
    highest = max(uid for uid, _ in uid_map(imap).values())
    assert imap.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert imap.command("EXPUNGE").ok
    fill(imap, box, [3])
    newest = imap.command("FETCH", b"*", b"UID").fetches()
    uid = int(str(next(iter(newest.values()))["UID"]))
    assert uid > highest, (
        "'as each message is added to the mailbox it is assigned a higher UID than the message(s) "
        f"which were added previously' (even expunged ones): new UID {uid}, earlier {highest}"
    )


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
def test_uidnext_unchanged_without_new_messages(imap, connect, box):
    fill(imap, box, [1, 2])
    before = status(imap, box)
    other = connect()
    other.select(box)
    assert other.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted \\Seen)").ok
    assert other.command("EXPUNGE").ok
    after = status(imap, box)
    assert after["UIDNEXT"] == before["UIDNEXT"], (
        "'the next unique identifier value MUST NOT change unless new messages are added': "
        f"flag changes and an EXPUNGE moved it from {before['UIDNEXT']} to {after['UIDNEXT']}"
    )


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
def test_uidnext_grows_with_each_new_message(imap, box):
    fill(imap, box, [1])
    first = status(imap, box)["UIDNEXT"]
    fill(imap, box, [2])
    second = status(imap, box)["UIDNEXT"]
    imap.select(box)
    newest = int(str(imap.command("FETCH", b"*", b"UID").fetches()[2]["UID"]))
    assert second > first, f"UIDNEXT must change when a message is added ({first} -> {second})"
    assert first <= newest < second, (
        f"a message arriving after UIDNEXT {first} was read gets a UID >= it and < the new "
        f"UIDNEXT {second}; it got {newest}"
    )
    assert imap.command("STORE", b"*", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert imap.command("EXPUNGE").ok
    assert status(imap, box)["UIDNEXT"] >= second, (
        "UIDNEXT must change 'even if those new messages are subsequently expunged'"
    )


@pytest.mark.rfc("3501", "2.3.1.1", "SHOULD")
def test_uidvalidity_stable_across_sessions(imap, connect, box):
    fill(imap, box, [1])
    first = status(imap, box)["UIDVALIDITY"]
    imap.select(box)
    imap.command("CLOSE")
    later = status(connect(), box)["UIDVALIDITY"]
    assert first == later, (
        "unique identifiers 'SHOULD NOT change between sessions' (UIDVALIDITY would have to "
        f"change with them): UIDVALIDITY went {first} -> {later}"
    )


@pytest.mark.rfc("3501", "6.3.3", "MUST")
@pytest.mark.parametrize("how", ["delete", "rename"])
def test_recreated_name_does_not_reuse_uids(imap, box, sandbox, how):
    fill(imap, box, [1, 2, 3])
    old = status(imap, box)
    moved = sandbox.name("moved-away")
    gone = (
        imap.command("DELETE", mb(box))
        if how == "delete"
        else imap.command("RENAME", mb(box), mb(moved))
    )
    assert gone.ok, f"{how} failed: {gone.summary()}"
    assert imap.command("CREATE", mb(box)).ok
    fill(imap, box, [4])
    new = status(imap, box)
    imap.select(box)
    uid = int(str(imap.command("FETCH", b"1", b"UID").fetches()[1]["UID"]))
    assert new["UIDVALIDITY"] != old["UIDVALIDITY"] or uid >= old["UIDNEXT"], (
        f"after {how} and re-CREATE of the same name, its UIDs 'MUST be greater than any "
        "unique identifiers used in the previous incarnation ... UNLESS the new incarnation has a "
        f"different unique identifier validity value': UIDVALIDITY {old['UIDVALIDITY']} both "
        f"times and the new message got UID {uid} below the old UIDNEXT {old['UIDNEXT']}"
    )
    if how == "rename":
        imap.command("CLOSE")
        sandbox.remove(imap, moved)


@pytest.mark.rfc("3501", "2.3.1.2", "MUST")
def test_new_message_gets_next_sequence_number(imap, connect, box):
    fill(imap, box, [1, 2])
    imap.select(box)
    fill(connect(), box, [3])
    poll = imap.command("NOOP")
    assert [u.number for u in poll.of("EXISTS")][-1:] == [3], (
        f"'a new message ... is assigned a message sequence number that is 1 higher': NOOP must "
        f"report 3 EXISTS; got {[str(u) for u in poll.untagged]}"
    )
    found = uid_map(imap)
    assert found[3][1] == len(message(3)), "message 3 must be the one just appended"


# deleted sequence numbers out of 5 messages
PATTERNS = [[1, 3], [5], [2, 3, 4], [1, 2, 3, 4, 5], [1, 5]]


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("deleted", PATTERNS, ids=lambda d: "+".join(map(str, d)))
def test_expunge_responses_renumber(imap, box, deleted):
    fill(imap, box, range(1, 6))
    imap.select(box)
    uids = [uid for uid, _ in uid_map(imap).values()]
    seqs = ",".join(map(str, deleted)).encode()
    assert imap.command("STORE", seqs, b"+FLAGS.SILENT", b"(\\Deleted)").ok
    reply = imap.command("EXPUNGE")
    assert reply.ok, f"EXPUNGE failed: {reply.summary()}"
    remaining = list(uids)
    removed = apply_expunges(remaining, reply)
    expected = {uids[i - 1] for i in deleted}
    assert sorted(removed) == sorted(expected), (
        f"replaying the EXPUNGE responses {[str(u) for u in reply.of('EXPUNGE')]} with the "
        f"decrement rule removes UIDs {removed}, but messages {deleted} (UIDs {sorted(expected)}) "
        "had \\Deleted"
    )
    now = [uid for uid, _ in uid_map(imap).values()] if remaining else []
    assert now == remaining, f"after EXPUNGE the mailbox must hold UIDs {remaining}; got {now}"


@pytest.mark.rfc("3501", "7.4.1", "MUST")
def test_other_session_sees_consistent_expunges(imap, connect, box):
    fill(imap, box, range(1, 6))
    imap.select(box)
    uids = [uid for uid, _ in uid_map(imap).values()]
    other = connect()
    other.select(box)
    assert other.command("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert other.command("EXPUNGE").ok
    poll = imap.command("NOOP")
    remaining = list(uids)
    removed = apply_expunges(remaining, poll)
    assert sorted(removed) == [uids[1], uids[3]], (
        f"the observing session must learn of exactly messages 2 and 4 being expunged; its "
        f"EXPUNGE responses {[str(u) for u in poll.of('EXPUNGE')]} remove UIDs {removed}"
    )
    assert [uid for uid, _ in uid_map(imap).values()] == remaining


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize(
    "command",
    [
        ("FETCH", b"1:*", b"(UID FLAGS)"),
        ("STORE", b"1", b"+FLAGS", b"(\\Flagged)"),
        ("SEARCH", b"ALL"),
    ],
    ids=["FETCH", "STORE", "SEARCH"],
)
def test_no_expunge_while_responding_to(imap, connect, box, command):
    fill(imap, box, range(1, 4))
    imap.select(box)
    other = connect()
    other.select(box)
    assert other.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert other.command("EXPUNGE").ok
    reply = imap.command(*command)
    assert not reply.of("EXPUNGE"), (
        f"'An EXPUNGE response MUST NOT be sent ... while responding to a FETCH, STORE, or SEARCH "
        f"command'; {command[0]} got {[str(u) for u in reply.of('EXPUNGE')]}"
    )
    poll = imap.command("NOOP")
    assert [u.number for u in poll.of("EXPUNGE")] == [2], (
        "the pending expunge must be reported at the next NOOP as '* 2 EXPUNGE'"
    )
