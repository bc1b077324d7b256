"""COMPRESS=DEFLATE (RFC 4978): after COMPRESS DEFLATE both directions are raw DEFLATE and the
session keeps working; refused COMPRESS commands start no compression."""

from __future__ import annotations

import pytest
from helpers_ext import deflate_pair, mb, setup_session

from imapcheck.wire.encode import Literal
from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("COMPRESS=DEFLATE")
BIG = b"Subject: compressed\r\n\r\n" + b"a very compressible line of message text\r\n" * 1500


def compressed(session):
    reply = session.command("COMPRESS", b"DEFLATE")
    assert reply.ok, f"COMPRESS DEFLATE failed: {reply.summary()}"
    session.install_transform(*deflate_pair())
    return reply


@pytest.fixture
def plain_box(target, sandbox, request):
    """A mailbox made and removed outside the compressed session."""
    with setup_session(target, "setup-compress") as session:
        name = sandbox.create(session, request.node.name)
    yield name
    with setup_session(target, "teardown-compress") as session:
        sandbox.remove(session, name)


def exercise(session, name: str) -> None:
    """NOOP, APPEND with a literal, SELECT, FETCH of a large literal, LIST: all compressed."""
    assert session.command("NOOP").ok, "NOOP failed after COMPRESS"
    reply = session.command("APPEND", mb(name), Literal(BIG))
    assert reply.ok, f"APPEND of {len(BIG)} octets failed under compression: {reply.summary()}"
    session.select(encode_mailbox(name), readonly=True)
    fetched = session.command("FETCH", b"1", b"(BODY.PEEK[])").fetches().get(1, {})
    assert fetched.get("BODY[]") == BIG, "the message read back under compression differs"
    assert session.command("LIST", b'""', mb(name)).of("LIST"), "LIST under compression failed"


@pytest.mark.rfc("4978", "3", "MUST")
def test_session_keeps_working_after_compress(imap, plain_box):
    compressed(imap)
    exercise(imap, plain_box)
    reply = imap.logout()
    assert reply is not None and reply.ok and reply.of("BYE"), (
        f"LOGOUT under compression must still give BYE and OK, got {reply and reply.summary()}"
    )


@pytest.mark.rfc("4978", "3", "MUST")
def test_compress_under_implicit_tls(connect, tls_target, plain_box):
    session = connect(target_=tls_target, tls="implicit")
    compressed(session)
    exercise(session, plain_box)


@pytest.mark.rfc("4978", "3", "MUST")
def test_second_compress_is_refused(imap):
    compressed(imap)
    again = imap.command("COMPRESS", b"DEFLATE")
    assert not again.ok, (
        f"COMPRESS while COMPRESS is already active must not succeed (RFC 4978 §3), got "
        f"{again.summary()}"
    )
    assert imap.command("NOOP").ok, "the session broke after a refused second COMPRESS"


@pytest.mark.rfc("4978", "3", "SHOULD")
def test_second_compress_is_bad(imap):
    compressed(imap)
    again = imap.command("COMPRESS", b"DEFLATE")
    assert again.status == "BAD", (
        "'BAD Command unknown, invalid or unknown argument, or COMPRESS already active'; NO is "
        f"for compression active via another layer (RFC 4978 §3), got {again.summary()}"
    )


@pytest.mark.rfc("4978", "3", "MUST")
def test_unknown_mechanism_starts_no_compression(imap):
    reply = imap.command("COMPRESS", b"X-IMAPCHECK")
    assert not reply.ok, f"COMPRESS of an unknown mechanism succeeded: {reply.summary()}"
    after = imap.command("NOOP")
    assert after.ok, (
        "if the server issues a BAD or NO response, it MUST NOT turn on compression (§3); the "
        f"uncompressed NOOP that followed got {after.summary()}"
    )


@pytest.mark.rfc("4978", "3", "SHOULD")
def test_unknown_mechanism_is_bad(imap):
    reply = imap.command("COMPRESS", b"X-IMAPCHECK")
    assert reply.status == "BAD", (
        f"an unknown argument to COMPRESS is 'BAD ... unknown argument' (RFC 4978 §3), got "
        f"{reply.summary()}"
    )
