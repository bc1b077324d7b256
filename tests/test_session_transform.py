"""Session.install_transform (a compression layer after a command) and ResponseReader.take_pending,
against a loopback server that starts raw DEFLATE right after its tagged OK."""

from __future__ import annotations

import socket
import zlib

import pytest

from imapcheck.errors import ProtocolError
from imapcheck.session import Session
from imapcheck.target import Credentials, Target
from imapcheck.wire.reader import ResponseReader


def deflater():
    out = zlib.compressobj(6, zlib.DEFLATED, -15)
    return lambda data: out.compress(data) + out.flush(zlib.Z_SYNC_FLUSH)


def compressing_server(conn: socket.socket, *, garbage: bool = False) -> None:
    """Greets, answers COMPRESS with OK followed at once (same write) by a compressed untagged
    response, then echoes every compressed command line as a compressed tagged OK."""
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] ready\r\n")
    line = b""
    while not line.endswith(b"\r\n"):
        line += conn.recv(4096)
    tag = line.split(b" ", 1)[0]
    compress, inflate = deflater(), zlib.decompressobj(-15)
    early = b"not deflate at all" if garbage else compress(b"* 3 EXISTS\r\n")
    conn.sendall(tag + b" OK DEFLATE active\r\n" + early)
    pending = b""
    while data := conn.recv(4096):
        pending += inflate.decompress(data)
        while b"\r\n" in pending:
            command, pending = pending.split(b"\r\n", 1)
            conn.sendall(compress(command.split(b" ", 1)[0] + b" OK " + command + b"\r\n"))


def session_on(server) -> Session:
    target = Target("127.0.0.1", server.port, "plain", (Credentials("u", "p"),), timeout=2)
    session = Session(target, validate=False)
    session.connect()
    return session


def test_reader_take_pending_between_frames() -> None:
    reader = ResponseReader()
    reader.feed(b"a1 OK done\r\n\x01\x02 rest")
    assert reader.next_frame() is not None
    assert reader.take_pending() == b"\x01\x02 rest"
    assert reader.pending() == 0


def test_reader_take_pending_refuses_mid_frame() -> None:
    reader = ResponseReader()
    reader.feed(b"* 1 FETCH (BODY[] {10}\r\nabc")
    assert reader.next_frame() is None
    with pytest.raises(ValueError):
        reader.take_pending()


def test_transform_decodes_data_sent_with_the_ok(loopback_server) -> None:
    session = session_on(loopback_server(compressing_server))
    assert session.command("COMPRESS", b"DEFLATE").ok
    session.install_transform(deflater(), zlib.decompressobj(-15).decompress)
    reply = session.command("NOOP")
    assert reply.ok and "NOOP" in reply.text
    assert [u.number for u in reply.of("EXISTS")] == [3], "the data sent with the OK was lost"
    assert session.bytes_out > 0 and "NOOP" in session.transcript.render()
    session.close()


def test_transform_that_cannot_decode_is_a_protocol_error(loopback_server) -> None:
    server = loopback_server(lambda conn: compressing_server(conn, garbage=True))
    session = session_on(server)
    assert session.command("COMPRESS", b"DEFLATE").ok
    with pytest.raises(ProtocolError, match="cannot decode"):
        session.install_transform(deflater(), zlib.decompressobj(-15).decompress)
    assert not session.connected
