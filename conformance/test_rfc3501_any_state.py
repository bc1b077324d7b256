"""RFC 3501 §6.1: CAPABILITY, NOOP and LOGOUT are valid in every state."""

from __future__ import annotations

import pytest

from imapcheck.errors import ConnectionClosed
from imapcheck.session import Session
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

STATES = ("not authenticated", "authenticated", "selected")


def in_state(connect, state: str) -> Session:
    session = connect(login=state != "not authenticated")
    if state == "selected":
        session.select("INBOX", readonly=True)
    return session


@pytest.mark.rfc("3501", "6.1.1", "MUST")
@pytest.mark.parametrize("state", STATES)
def test_capability_lists_imap4rev1_in_every_state(connect, state):
    session = in_state(connect, state)
    reply = session.command("CAPABILITY")
    assert reply.ok, f"CAPABILITY in {state} state must succeed; server said {reply.summary()}"
    lines = reply.of("CAPABILITY")
    assert len(lines) == 1, (
        f"CAPABILITY must return one untagged CAPABILITY response, got {len(lines)}"
    )
    words = {str(w).upper() for w in lines[0].tokens}
    assert "IMAP4REV1" in words, f"the capability list must include IMAP4rev1, got {sorted(words)}"


@pytest.mark.rfc("3501", "6.1.1", "MUST")
def test_auth_plain_offered_on_tls(connect, tls_target):
    """Servers MUST implement AUTH=PLAIN; once TLS protects the session it is offered."""
    session = connect(login=False, target_=tls_target)
    assert session.tls_active
    caps = session.capability()
    assert "AUTH=PLAIN" in caps, f"AUTH=PLAIN not advertised over TLS; capabilities: {sorted(caps)}"


@pytest.mark.rfc("3501", "6.1.2", "MUST")
@pytest.mark.parametrize("state", STATES)
def test_noop_succeeds_in_every_state(connect, state):
    session = in_state(connect, state)
    reply = session.command("NOOP")
    assert reply.ok, f"NOOP in {state} state must return OK; server said {reply.summary()}"
    assert session.state == (
        "not authenticated"
        if state == STATES[0]
        else "selected"
        if state == "selected"
        else "authenticated"
    )


@pytest.mark.rfc("3501", "5.2", "MUST")
def test_noop_reports_new_message_as_exists(connect, mailbox):
    """A NOOP poll in the selected state reports a message another session appended."""
    watcher = connect()
    reply = watcher.select(mailbox)
    before = reply.of("EXISTS")
    assert before and before[-1].number == 0, "SELECT of a new mailbox must report 0 EXISTS"
    writer = connect()
    appended = writer.command(
        "APPEND",
        astring(encode_mailbox(mailbox)),
        Literal(b"Subject: poll\r\n\r\nhello\r\n"),
    )
    assert appended.ok, appended.summary()
    poll = watcher.command("NOOP")
    exists = [u.number for u in poll.of("EXISTS")]
    assert exists and exists[-1] == 1, (
        "after another session appended one message, NOOP must report '* 1 EXISTS'; "
        f"got EXISTS {exists}"
    )


@pytest.mark.rfc("3501", "6.1.3", "MUST")
@pytest.mark.parametrize("state", STATES)
def test_logout_sends_bye_before_tagged_ok(connect, state):
    session = in_state(connect, state)
    reply = session.command("LOGOUT")
    assert reply.ok, f"LOGOUT must complete with OK; server said {reply.summary()}"
    # reply.untagged holds exactly what arrived before the tagged completion
    assert reply.of("BYE"), "LOGOUT must send an untagged BYE before the tagged OK"
    assert session.state == "logout"


@pytest.mark.rfc("3501", "6.1.3", "MUST")
def test_connection_closed_after_logout(connect):
    session = connect()
    reply = session.command("LOGOUT")
    assert reply.ok
    with pytest.raises(ConnectionClosed):
        session.command("NOOP", timeout=5)
