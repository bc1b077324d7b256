"""LITERAL+ and LITERAL- (RFC 7888): non-synchronizing literals ``{n+}`` are taken without a
continuation request; under LITERAL- only up to 4096 octets, beyond that BAD [TOOBIG]."""

from __future__ import annotations

import time

import pytest
from helpers_ext import mb, message

from imapcheck.errors import ConnectionClosed
from imapcheck.wire.encode import Literal, render_line
from imapcheck.wire.utf7 import encode_mailbox


def body_of(session, name: str) -> list[bytes]:
    session.select(encode_mailbox(name), readonly=True)
    reply = session.command("FETCH", b"1:*", b"(BODY.PEEK[])")
    return [items.get("BODY[]") for _, items in sorted(reply.fetches().items())]


def no_continuation(reply, what: str) -> None:
    assert not reply.continuations, (
        f"{what}: a non-synchronizing literal is sent without waiting, so the server must not "
        f"ask for it with a continuation request (RFC 7888 §3); it sent "
        f"{[bytes(f.first_line) for f in reply.continuations]}"
    )


@pytest.mark.rfc("7888", "3", "MUST")
@pytest.mark.requires("LITERAL+")
@pytest.mark.parametrize("size", [40, 10_000], ids=["small", "beyond-4096"])
def test_append_with_nonsync_literal(imap, box, size):
    raw = message(1, "literal-plus", b"x" * size + b"\r\n")
    reply = imap.command("APPEND", mb(box), Literal(raw, non_sync=True))
    assert reply.ok, f"APPEND with a {len(raw)}-octet {{n+}} literal failed: {reply.summary()}"
    no_continuation(reply, "APPEND")
    assert body_of(imap, box) == [raw], "the appended message differs from the literal sent"


@pytest.mark.rfc("7888", "3", "MUST")
@pytest.mark.requires("LITERAL+")
def test_literal_bytes_that_look_like_syntax_are_data(imap, box):
    raw = b"Subject: tricky\r\n\r\na1 NOOP\r\n{5}\r\n{12+}\r\n)\r\n"
    reply = imap.command("APPEND", mb(box), Literal(raw, non_sync=True))
    assert reply.ok, f"APPEND failed: {reply.summary()}"
    assert body_of(imap, box) == [raw], (
        "octets inside a non-synchronizing literal are data, not commands or literal headers"
    )


@pytest.mark.rfc("7888", "3", "MUST")
@pytest.mark.requires("LITERAL+")
def test_several_nonsync_literals_in_one_command(imap, box, sandbox):
    new = sandbox.name("renamed by literal")
    reply = imap.command(
        "RENAME",
        Literal(encode_mailbox(box).encode(), non_sync=True),
        Literal(encode_mailbox(new).encode(), non_sync=True),
    )
    assert reply.ok, f"RENAME with two {{n+}} literals failed: {reply.summary()}"
    no_continuation(reply, "RENAME")
    listed = imap.command("LIST", b'""', mb(new))
    gone = imap.command("LIST", b'""', mb(box))
    assert listed.of("LIST") and not gone.of("LIST"), (
        f"after RENAME via literals, {new!r} must exist and {box!r} must not"
    )
    imap.command("RENAME", mb(new), mb(box))


@pytest.mark.rfc("7888", "3", "MUST")
@pytest.mark.requires("LITERAL+")
def test_pipelined_appends_with_nonsync_literals(imap, box):
    raws = [message(n, "pipelined") for n in (1, 2, 3)]
    tags = [imap.send("APPEND", mb(box), Literal(raw, non_sync=True)) for raw in raws]
    replies = imap.wait_all(tags)
    assert all(r.ok for r in replies), f"pipelined APPENDs: {[r.summary() for r in replies]}"
    assert body_of(imap, box) == raws, "pipelined {n+} APPENDs must store each message, in order"


@pytest.mark.rfc("7888", "3", "MUST")
@pytest.mark.parametrize(
    "capability",
    [
        pytest.param("LITERAL+", marks=pytest.mark.requires("LITERAL+")),
        pytest.param("LITERAL-", marks=pytest.mark.requires("LITERAL-")),
    ],
)
def test_login_with_nonsync_literals(connect, target, capability):
    session = connect(login=False)
    if capability not in session.capabilities:
        pytest.skip(f"server does not advertise {capability} before login")
    user = target.user
    session.transcript.add_secret(user.password)
    reply = session.command(
        "LOGIN",
        Literal(user.user.encode(), non_sync=True),
        Literal(user.password.encode(), non_sync=True),
    )
    assert reply.ok, f"LOGIN with {{n+}} literals failed: {reply.summary()}"
    no_continuation(reply, "LOGIN")
    assert session.command("LIST", b'""', b'""').ok, "the session is not authenticated after LOGIN"


@pytest.mark.rfc("7888", "5", "MUST")
@pytest.mark.requires("LITERAL-")
def test_literal_minus_accepts_4096_octets(imap, box):
    raw = message(1, "literal-minus")
    raw += b"y" * (4096 - len(raw) - 2) + b"\r\n"
    reply = imap.command("APPEND", mb(box), Literal(raw, non_sync=True))
    assert reply.ok, (
        f"APPEND with a 4096-octet {{n+}} literal under LITERAL- failed: {reply.summary()}"
    )
    no_continuation(reply, "APPEND")
    assert body_of(imap, box) == [raw]


@pytest.mark.rfc("7888", "5", "MUST")
@pytest.mark.requires("LITERAL-")
def test_literal_minus_refuses_larger_with_toobig(connect, server_info, box):
    if server_info.has("LITERAL+"):
        pytest.skip("the server also advertises LITERAL+, which has no such limit")
    session = connect()
    tag = "big1"
    session.send_raw(render_line(tag, "APPEND", [mb(box), b"{5000+}"]), expect_tag=tag)
    try:
        reply = session.wait(tag, deadline=time.monotonic() + session.timeout)
    except ConnectionClosed:
        # the other choice RFC 7888 §4 allows: an untagged BYE, then the connection closes
        assert any(u.kind == "BYE" for u in session.unsolicited), (
            "under LITERAL- a non-synchronizing literal over 4096 octets is refused with a "
            "tagged BAD (TOOBIG) or an untagged BYE (RFC 7888 §5); the server closed the "
            "connection without either"
        )
        return
    assert reply.status == "BAD" and reply.code_named("TOOBIG") is not None, (
        "RFC 7888 §5: 'If responding to an APPEND command, the tagged BAD response MUST "
        f"contain the TOOBIG response code'; got {reply.summary()}"
    )
    session.close()
