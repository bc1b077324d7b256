"""RFC 2180 §3, RFC 3501 §3.4, §6.3.4, §6.3.5: DELETE or RENAME of a mailbox that another
session has selected. RFC 2180 allows refusing, ghosting or disconnecting; these tests accept
each of those outcomes and fail anything else (an unannounced disconnect, wrong data)."""

from __future__ import annotations

import pytest
from helpers_sessions import boxes, lend, session_pool
from helpers_sync import mb, status

from imapcheck.errors import ConnectionClosed
from imapcheck.wire.encode import Literal

__all__ = ["boxes", "lend", "session_pool"]  # fixtures


@pytest.fixture
def watched(lend, boxes):
    """B has a three-message mailbox selected; C (nothing selected) will act on it."""
    b, c = lend("B"), lend("C")
    name = boxes.make(c, 3)
    b.select(name)
    return name, b, c


def listed(session, name: str) -> bool:
    reply = session.command("LIST", b'""', mb(name))
    return bool(reply.of("LIST"))


def outcome(session) -> str:
    """What B gets when it next reads message 2: data, a refusal, or a (BYE-announced) end."""
    try:
        reply = session.command("FETCH", b"2", b"(BODY.PEEK[TEXT])")
        if reply.ok:
            return "data:" + repr(reply.fetches().get(2, {}).get("BODY[TEXT]"))
        follow = session.command("NOOP")
        return f"refused:{reply.status}:{follow.status}"
    except ConnectionClosed:
        return "bye" if session.saw_bye() else "closed"


def check_outcome(session, action: str) -> None:
    got = outcome(session)
    assert got != "closed", (
        "RFC 3501 §3.4: 'A server MUST NOT unilaterally close the connection without sending an "
        f"untagged BYE response that contains the reason'; after another session's {action}, "
        "the server closed this session's connection without BYE (RFC 2180 §3.3 allows "
        "disconnecting only 'by sending a untagged BYE response')"
    )
    if got.startswith("data:"):
        assert got in ("data:b'body 2\\r\\n'", "data:None"), (
            f"after another session's {action} this session kept reading; message 2 must still "
            f"be its own text (RFC 2180 §3.2, §3.4), got {got[5:]}"
        )
    elif got.startswith("refused:"):
        assert got.endswith(":OK"), f"the session became unusable after {action}: {got}"


@pytest.mark.rfc("2180", "3.2", "MAY")
@pytest.mark.rfc("3501", "6.3.4", "MUST")
def test_deleted_mailbox_gone_for_new_sessions(lend, watched):
    name, _b, c = watched
    reply = c.command("DELETE", mb(name))
    if not reply.ok:
        assert reply.status == "NO", f"DELETE got {reply.summary()}"
        assert status(c, name, "MESSAGES") == {"MESSAGES": 3}, "a refused DELETE lost messages"
        return  # RFC 2180 §3.1: the server MAY refuse
    fresh = lend("D")
    gone = fresh.command("STATUS", mb(name), b"(MESSAGES)")
    assert gone.status == "NO" and not listed(fresh, name), (
        "'The DELETE command permanently removes the mailbox with the given name'; RFC 2180 §3.2: "
        "for clients that did not have it selected 'the ghosted mailbox would not be available'; "
        f"a new session's STATUS got {gone.summary()}, LIST shows it: {listed(fresh, name)}"
    )


@pytest.mark.rfc("2180", "3", "MAY")
@pytest.mark.rfc("3501", "3.4", "MUST")
def test_session_on_deleted_mailbox(watched):
    name, b, c = watched
    reply = c.command("DELETE", mb(name))
    assert reply.status in ("OK", "NO"), f"DELETE got {reply.summary()}"
    check_outcome(b, "DELETE of its selected mailbox")


@pytest.mark.rfc("2180", "3.4", "MAY")
@pytest.mark.rfc("3501", "6.3.5", "MUST")
def test_renamed_mailbox_moves_for_new_sessions(lend, boxes, watched):
    name, _b, c = watched
    new = boxes.name("renamed")
    reply = c.command("RENAME", mb(name), mb(new))
    if not reply.ok:
        assert reply.status == "NO", f"RENAME got {reply.summary()}"
        return  # RFC 2180 §3.1
    fresh = lend("D")
    old = fresh.command("STATUS", mb(name), b"(MESSAGES)")
    assert old.status == "NO", (
        f"after RENAME the old name must be gone ('changes the name of a mailbox'); STATUS of it "
        f"got {old.summary()}"
    )
    assert status(fresh, new, "MESSAGES") == {"MESSAGES": 3}, (
        "the renamed mailbox must hold its three messages under the new name"
    )


@pytest.mark.rfc("2180", "3", "MAY")
@pytest.mark.rfc("3501", "3.4", "MUST")
def test_session_on_renamed_mailbox(boxes, watched):
    name, b, c = watched
    reply = c.command("RENAME", mb(name), mb(boxes.name("renamed")))
    assert reply.status in ("OK", "NO"), f"RENAME got {reply.summary()}"
    check_outcome(b, "RENAME of its selected mailbox")


@pytest.mark.rfc("3501", "6.3.11", "MUST")
def test_append_to_old_name_after_rename(lend, boxes, watched):
    name, _b, c = watched
    assert c.command("RENAME", mb(name), mb(boxes.name("renamed"))).ok, "RENAME failed"
    fresh = lend("D")
    reply = fresh.command("APPEND", mb(name), Literal(b"Subject: late\r\n\r\nlate\r\n"))
    assert reply.status == "NO", (
        "APPEND to the old name of a renamed mailbox: 'If the destination mailbox does not exist, "
        f"a server MUST return an error'; got {reply.summary()}"
    )
    assert not listed(fresh, name), (
        "the server 'MUST NOT automatically create the mailbox', but the old name exists again"
    )
