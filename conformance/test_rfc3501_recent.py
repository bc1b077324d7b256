"""RFC 3501 §2.3.2, §6.3.2, §7.3.2: \\Recent across sessions, SELECT, EXAMINE and STATUS."""

from __future__ import annotations

import pytest

from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

MESSAGE = b"From: a@example.org\r\nSubject: recent\r\n\r\nhello\r\n"


def mb(name: str):
    return astring(encode_mailbox(name))


def fill(session, name: str, count: int) -> None:
    for _ in range(count):
        reply = session.command("APPEND", mb(name), Literal(MESSAGE))
        assert reply.ok, f"APPEND to {name!r} failed: {reply.summary()}"


def recent_count(reply) -> int | None:
    numbers = [u.number for u in reply.of("RECENT")]
    return numbers[-1] if numbers else None


def recent_flags(session) -> list[bool]:
    """For each message in order: does FETCH FLAGS include \\Recent?"""
    fetched = session.command("FETCH", b"1:*", b"FLAGS").fetches()
    return [
        any(str(f).lower() == "\\recent" for f in fetched[seq]["FLAGS"]) for seq in sorted(fetched)
    ]


def status_recent(session, name: str) -> int:
    reply = session.command("STATUS", mb(name), b"(RECENT)")
    assert reply.ok, f"STATUS failed: {reply.summary()}"
    return int(str(reply.of("STATUS")[0].items["RECENT"]))


@pytest.mark.rfc("3501", "6.3.11", "MUST")
def test_appended_messages_are_recent_for_first_session(connect, imap, box):
    fill(imap, box, 2)
    first = connect()
    reply = first.command("SELECT", mb(box))
    assert recent_count(reply) == 2, (
        f"APPEND sets the Recent flag ('In either case, the Recent flag is also set'): the first "
        f"SELECT must report 2 RECENT; got {recent_count(reply)}"
    )
    assert recent_flags(first) == [True, True], (
        "the first session to see new messages must see \\Recent in their FLAGS"
    )


@pytest.mark.rfc("3501", "2.3.2", "MUST")
def test_select_clears_recent_for_later_sessions(connect, imap, box):
    fill(imap, box, 2)
    assert recent_count(connect().command("SELECT", mb(box))) == 2
    later = connect()
    reply = later.command("SELECT", mb(box))
    assert recent_count(reply) == 0 and recent_flags(later) == [False, False], (
        "'if the session is read-write, subsequent sessions will not see \\Recent set for this "
        f"message': a second SELECT reported {recent_count(reply)} RECENT, flags "
        f"{recent_flags(later)}"
    )


@pytest.mark.rfc("3501", "6.3.2", "MUST")
def test_examine_keeps_recent(connect, imap, box):
    fill(imap, box, 2)
    looker = connect()
    reply = looker.command("EXAMINE", mb(box))
    assert recent_count(reply) == 2, "EXAMINE must report the 2 recent messages"
    assert recent_flags(looker) == [True, True], "EXAMINE shows \\Recent in the messages' FLAGS"
    later = connect().command("SELECT", mb(box))
    assert recent_count(later) == 2, (
        "'EXAMINE MUST NOT cause messages to lose the \\Recent flag': a SELECT after the EXAMINE "
        f"reported {recent_count(later)} RECENT instead of 2"
    )


@pytest.mark.rfc("3501", "6.3.10", "MUST")
def test_status_recent_agrees_with_select(connect, imap, box):
    fill(imap, box, 3)
    before = status_recent(imap, box)
    reply = connect().command("SELECT", mb(box))
    assert before == recent_count(reply) == 3, (
        f"STATUS RECENT ({before}) must agree with the RECENT of the next SELECT "
        f"({recent_count(reply)}); 3 messages were appended"
    )
    after = status_recent(connect(), box)
    assert after == 0, (
        "after a read-write SELECT took the \\Recent flags, other sessions see none: STATUS RECENT "
        f"must be 0, got {after}"
    )


@pytest.mark.rfc("3501", "2.3.2", "MUST")
@pytest.mark.parametrize("store", [b"+FLAGS", b"FLAGS"])
def test_client_cannot_set_recent(connect, imap, box, store):
    fill(imap, box, 1)
    connect().select(box)  # takes \Recent away
    session = connect()
    session.select(box)
    reply = session.command("STORE", b"1", store, b"(\\Recent)")
    flags = recent_flags(session)
    assert flags == [False], (
        "'\\Recent can not be used as an argument in a STORE or APPEND command, and thus can not "
        f"be changed at all'; after STORE {store.decode()} (\\Recent) ({reply.summary()}) the "
        "message shows \\Recent"
    )


@pytest.mark.rfc("3501", "6.4.6", "MUST")
def test_store_flags_keeps_recent(connect, imap, box):
    fill(imap, box, 1)
    session = connect()
    session.select(box)
    assert recent_flags(session) == [True], "the first SELECT must see the message as recent"
    reply = session.command("STORE", b"1", b"FLAGS", b"(\\Seen)")
    assert reply.ok, f"STORE FLAGS failed: {reply.summary()}"
    assert recent_flags(session) == [True], (
        "STORE FLAGS replaces 'the flags for the message (other than \\Recent)'; \\Recent was lost"
    )


@pytest.mark.rfc("3501", "7.3.2", "SHOULD")
def test_new_arrival_reported_recent(connect, imap, box):
    fill(imap, box, 1)
    watcher = connect()
    watcher.select(box)
    fill(imap, box, 1)
    poll = watcher.command("NOOP")
    assert [u.number for u in poll.of("EXISTS")][-1:] == [2], "NOOP must report 2 EXISTS"
    assert recent_count(poll) == 2, (
        f"RECENT is sent 'if the size of the mailbox changes (e.g., new messages)'; NOOP reported "
        f"{recent_count(poll)} (the selecting session has 1 old + 1 new recent message)"
    )
    assert recent_flags(watcher) == [True, True], "the newly arrived message must be \\Recent"
