"""Session against the embedded Dovecot: literals, pipelining, TLS, IDLE, timeouts, secrets."""

from __future__ import annotations

import socket
import time

import pytest

from imapcheck.errors import ConnectError, ImapTimeout
from imapcheck.session import Session
from imapcheck.target import Credentials, Target
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

MESSAGE = b"From: a@example.org\r\nSubject: literal\r\n\r\nline one\r\nline two\r\n"


def test_sync_literal_append_and_literal_fetch(connect, mailbox):
    session = connect()
    reply = session.command("APPEND", astring(encode_mailbox(mailbox)), Literal(MESSAGE))
    assert reply.ok, reply.summary()
    assert len(reply.continuations) == 1, "a synchronizing literal waits for one '+'"
    session.select(mailbox)
    fetched = session.command("FETCH", b"1", b"BODY.PEEK[]").fetches()
    assert fetched[1]["BODY[]"] == MESSAGE


def test_non_sync_literal_needs_no_continuation(connect, mailbox, server_info):
    if not server_info.has("LITERAL+"):
        pytest.skip("server does not advertise LITERAL+")
    session = connect()
    reply = session.command(
        "APPEND", astring(encode_mailbox(mailbox)), Literal(MESSAGE, non_sync=True)
    )
    assert reply.ok and not reply.continuations


def test_ten_pipelined_commands(imap):
    tags = [imap.send("NOOP") for _ in range(10)]
    assert len(set(tags)) == 10
    replies = imap.wait_all(tags)
    assert [r.tag for r in replies] == tags and all(r.ok for r in replies)


def test_starttls_then_capabilities_asked_again(connect):
    session = connect(login=False, tls="starttls")
    assert session.tls_active
    assert "STARTTLS" not in session.capabilities
    assert "IMAP4REV1" in session.capabilities
    session.login()
    assert session.state == "authenticated"


def test_implicit_tls(connect, tls_target):
    session = connect(target_=tls_target)
    assert session.tls_active and session.state == "authenticated"


def test_certificate_verified_by_default(tls_target):
    untrusted = Target(tls_target.host, tls_target.port, "implicit", tls_target.accounts)
    with pytest.raises(ConnectError, match="not trusted"):
        Session(untrusted).connect()
    insecure = Target(
        tls_target.host, tls_target.port, "implicit", tls_target.accounts, insecure=True
    )
    with Session(insecure) as session:
        session.connect()
        assert session.tls_active


def test_idle_push_of_new_message(connect, mailbox):
    idler = connect()
    idler.select(mailbox)
    tag = idler.idle_start()
    writer = connect()
    assert writer.command("APPEND", astring(encode_mailbox(mailbox)), Literal(MESSAGE)).ok
    seen = idler.read_untagged(lambda u: u.kind == "EXISTS", timeout=10)
    assert seen[-1].number == 1
    assert idler.idle_done(tag).ok


def test_password_redacted_in_transcript(connect, target):
    session = connect()
    text = session.transcript.render()
    assert target.user.password not in text
    assert "LOGIN" in text and "<redacted>" in text


def test_authenticate_plain_redacted(connect, target):
    session = connect(login=False)
    reply = session.authenticate_plain()
    assert reply.ok, reply.summary()
    assert target.user.password not in session.transcript.render()


def test_silent_server_times_out(loopback_server):
    server = loopback_server(lambda conn: conn.recv(1))  # accepts, never greets
    target = Target("127.0.0.1", server.port, "plain", (Credentials("u", "p"),), timeout=0.5)
    start = time.monotonic()
    with pytest.raises(ImapTimeout, match="greeting"):
        Session(target).connect()
    assert time.monotonic() - start < 1.5


def test_unreachable_and_unresolvable():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    refused = Target("127.0.0.1", port, "plain", timeout=2)
    with pytest.raises(ConnectError, match="refused"):
        Session(refused).connect()
    nowhere = Target("no-such-host.invalid", 143, "plain", timeout=2)
    with pytest.raises(ConnectError, match="cannot resolve"):
        Session(nowhere).connect()
