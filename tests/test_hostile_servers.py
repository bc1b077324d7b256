"""Hostile IMAP servers on loopback, and what one Session makes of each.

``FakeImap`` answers just enough IMAP for the suite to log in, probe and use its sandbox
(CAPABILITY, LOGIN, LIST, STATUS, CREATE, DELETE, SELECT, APPEND, LOGOUT); a behaviour from
``HOSTILE`` replaces either the greeting (the whole run must end with one clear line) or the
answer to NOOP (only the tests using NOOP may fail). test_hostile_suite.py runs the conformance
suite against the same servers.
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import time
from collections.abc import Callable

import pytest

from imapcheck import session as session_module
from imapcheck.errors import (
    ConnectError,
    ConnectionClosed,
    ImapTimeout,
    LimitExceeded,
    LoginFailed,
    ProtocolError,
)
from imapcheck.servers.common import make_self_signed_cert
from imapcheck.session import Session
from imapcheck.target import Credentials, Target

TIMEOUT = 1.0
CAPABILITIES = b"IMAP4rev1 LITERAL+"
USER, PASSWORD = "hostile", "hostile-password"
CHUNK = 1 << 16
MAX_COMMAND = 1 << 20
_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r\n$")
_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


# -- misbehaviours: (socket, tag of the command) -> None --------------------------------------


def garbage_greeting(conn: socket.socket, tag: bytes) -> None:
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    _drain(conn)


def silent(conn: socket.socket, tag: bytes) -> None:
    _drain(conn)


def one_byte_per_second(conn: socket.socket, tag: bytes) -> None:
    for byte in b"* OK [CAPABILITY IMAP4rev1] slow server ready\r\n":
        conn.sendall(bytes([byte]))
        time.sleep(1)  # the point of this server


def plaintext_on_tls_port(conn: socket.socket, tag: bytes) -> None:
    conn.recv(4096)  # the ClientHello
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1] this port speaks no TLS\r\n")
    _drain(conn)


def endless_line(conn: socket.socket, tag: bytes) -> None:
    conn.sendall(b"* OK ")
    while True:
        conn.sendall(b"x" * CHUNK)


def huge_literal(conn: socket.socket, tag: bytes) -> None:
    conn.sendall(b"* 1 FETCH (BODY[] {4294967296}\r\n")
    for _ in range(4096):  # up to 256 MiB, then give up
        conn.sendall(b"y" * CHUNK)


def close_mid_literal(conn: socket.socket, tag: bytes) -> None:
    conn.sendall(b"* 1 FETCH (BODY[] {100}\r\nonly a third of it")
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def untagged_flood(conn: socket.socket, tag: bytes) -> None:
    burst = b"* 1 EXISTS\r\n* OK [UNSEEN 1] more\r\n" * 2000
    while True:
        conn.sendall(burst)


def wrong_tags(conn: socket.socket, tag: bytes) -> None:
    conn.sendall(b"zz" + tag[::-1] + b" OK NOOP completed\r\n")


def nul_and_bad_utf8(conn: socket.socket, tag: bytes) -> None:
    conn.sendall(b"* OK \x00 hidden \xff\xfe text\r\n" + tag + b" OK done \xc3\x28\r\n")


GREETING = "greeting"
ON_NOOP = "noop"
HOSTILE: dict[str, tuple[str, Callable[[socket.socket, bytes], None]]] = {
    "garbage-greeting": (GREETING, garbage_greeting),
    "silent": (GREETING, silent),
    "one-byte-per-second": (GREETING, one_byte_per_second),
    "tls-handshake-failure": (GREETING, plaintext_on_tls_port),
    "endless-line": (ON_NOOP, endless_line),
    "4gb-literal": (ON_NOOP, huge_literal),
    "close-mid-literal": (ON_NOOP, close_mid_literal),
    "untagged-flood": (ON_NOOP, untagged_flood),
    "wrong-tags": (ON_NOOP, wrong_tags),
    "nul-invalid-utf8": (ON_NOOP, nul_and_bad_utf8),
}


def _drain(conn: socket.socket) -> None:
    """Read and ignore until the client goes away."""
    conn.settimeout(60)
    while conn.recv(4096):
        pass


# -- the rest of the server: just enough IMAP -------------------------------------------------


class FakeImap:
    """Shared mailbox list; one ``handle`` per connection (LoopbackServer runs each in a thread)."""

    def __init__(self, behaviour: str | None = None, *, greeting_caps: bytes = CAPABILITIES):
        self.when, self.misbehave = HOSTILE[behaviour] if behaviour else ("", None)
        self.greeting_caps = greeting_caps
        self.mailboxes: dict[str, int] = {"INBOX": 0}
        self.received: list[bytes] = []

    def handle(self, conn: socket.socket) -> None:
        try:
            self._serve(conn)
        finally:
            conn.close()  # like a real server: after LOGOUT, a misbehaviour or the client's end

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(60)
        if self.when == GREETING and self.misbehave:
            self.misbehave(conn, b"")
            return
        conn.sendall(b"* OK [CAPABILITY " + self.greeting_caps + b"] fake ready\r\n")
        buffer = bytearray()
        while (command := _read_command(conn, buffer)) is not None:
            self.received.append(command)
            words = command.split(b" ", 2)
            tag, verb = words[0], (words[1].upper().rstrip(b"\r\n") if len(words) > 1 else b"")
            if verb == b"NOOP" and self.when == ON_NOOP and self.misbehave:
                self.misbehave(conn, tag)
                continue
            conn.sendall(self.answer(tag, verb, _arguments(command)[2:]))
            if verb == b"LOGOUT":
                return

    def answer(self, tag: bytes, verb: bytes, args: list[bytes]) -> bytes:
        ok = tag + b" OK " + verb + b" completed\r\n"
        if verb == b"CAPABILITY":
            return b"* CAPABILITY " + CAPABILITIES + b"\r\n" + ok
        if verb in (b"NOOP", b"CHECK", b"CLOSE", b"UNSELECT", b"SUBSCRIBE"):
            return ok
        if verb == b"LOGIN":
            if args[:2] == [USER.encode(), PASSWORD.encode()]:
                return tag + b" OK [CAPABILITY " + CAPABILITIES + b"] logged in\r\n"
            return tag + b" NO [AUTHENTICATIONFAILED] wrong\r\n"
        if verb == b"LOGOUT":
            return b"* BYE fake server logging out\r\n" + ok
        if verb == b"LIST" and len(args) > 1:
            return self._list(args[1].decode(errors="replace")) + ok
        if verb == b"STATUS":
            return b"* STATUS INBOX (MESSAGES 0)\r\n" + ok
        if verb in (b"CREATE", b"DELETE", b"APPEND") and args:
            name = args[0].decode(errors="replace")
            if verb == b"CREATE":
                self.mailboxes.setdefault(name, 0)
            elif verb == b"DELETE":
                self.mailboxes.pop(name, None)
            else:
                self.mailboxes[name] = self.mailboxes.get(name, 0) + 1
            return ok
        if verb in (b"SELECT", b"EXAMINE") and args:
            count = self.mailboxes.get(args[0].decode(errors="replace"), 0)
            return (
                b"* %d EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Deleted)\r\n" % count
                + b"* OK [UIDVALIDITY 1] ok\r\n"
                + tag
                + b" OK [READ-WRITE] selected\r\n"
            )
        return tag + b" BAD unknown command\r\n"

    def _list(self, pattern: str) -> bytes:
        if pattern == "":
            return b'* LIST (\\Noselect) "/" ""\r\n'
        regex = re.escape(pattern).replace(r"\*", ".*").replace("%", "[^/]*")
        found = [n for n in sorted(self.mailboxes) if re.fullmatch(regex, n)]
        return b"".join(b'* LIST () "/" "%s"\r\n' % n.encode() for n in found)


def _read_command(conn: socket.socket, buffer: bytearray) -> bytes | None:
    """One client command with its literals (answering '+' to synchronizing ones)."""
    command = bytearray()
    while len(command) < MAX_COMMAND:
        end = buffer.find(b"\r\n")
        if end < 0:
            data = conn.recv(CHUNK)
            if not data:
                return None
            buffer += data
            continue
        line = bytes(buffer[: end + 2])
        del buffer[: end + 2]
        command += line
        literal = _LITERAL.search(line)
        if literal is None:
            return bytes(command)
        if not literal.group(2):
            conn.sendall(b"+ go ahead\r\n")
        size = int(literal.group(1))
        while len(buffer) < size:
            data = conn.recv(CHUNK)
            if not data:
                return None
            buffer += data
        command += buffer[:size]
        del buffer[:size]
    return None


def _arguments(command: bytes) -> list[bytes]:
    """Tag, verb and arguments (quoted strings unquoted, literals inlined), roughly."""
    flat = _LITERAL.sub(b" ", command.replace(b"}\r\n", b"} \r\n")).replace(b"\r\n", b" ")
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _TOKEN.finditer(flat)]


# -- one session against each -------------------------------------------------------------------


def _target(port: int, tls: str = "plain") -> Target:
    return Target("127.0.0.1", port, tls, (Credentials(USER, PASSWORD),), timeout=TIMEOUT)


def _bounded(started: float) -> None:
    elapsed = time.monotonic() - started
    assert elapsed < 2 * TIMEOUT, f"took {elapsed:.1f}s, more than twice the timeout"


@pytest.mark.parametrize(
    ("behaviour", "error", "words"),
    [
        ("garbage-greeting", ProtocolError, "no IMAP greeting"),
        ("silent", ImapTimeout, "to the greeting within 1s"),
        ("one-byte-per-second", ImapTimeout, "bytes of an unfinished response arrived"),
    ],
)
def test_bad_greeting_fails_connect_within_timeout(loopback_server, behaviour, error, words):
    server = loopback_server(FakeImap(behaviour).handle)
    started = time.monotonic()
    with Session(_target(server.port)) as session, pytest.raises(error, match=words):
        session.connect()
    _bounded(started)


def test_plaintext_answer_to_tls_handshake_is_a_connect_error(loopback_server):
    server = loopback_server(FakeImap("tls-handshake-failure").handle)
    started = time.monotonic()
    with Session(_target(server.port, "implicit")) as session:
        with pytest.raises(ConnectError, match=r"TLS handshake with 127.0.0.1:.* failed"):
            session.connect()
        assert not session.connected
    _bounded(started)


@pytest.mark.parametrize(
    ("behaviour", "error", "words"),
    [
        ("endless-line", LimitExceeded, "without a line end .*NOOP"),
        ("4gb-literal", LimitExceeded, "literal of 4294967296 bytes"),
        ("close-mid-literal", ConnectionClosed, "in the middle of a response"),
        ("untagged-flood", ImapTimeout, "untagged responses arrived, but no completion"),
        ("wrong-tags", ImapTimeout, "completion.* with a tag never sent, last: 'zz"),
    ],
)
def test_hostile_answer_to_noop_fails_the_command(loopback_server, behaviour, error, words):
    server = loopback_server(FakeImap(behaviour).handle)
    with Session(_target(server.port)) as session:
        session.connect()
        session.login()
        started = time.monotonic()
        with pytest.raises(error, match=words):
            session.command("NOOP")
        _bounded(started)
        started = time.monotonic()
        session.logout()  # a session that timed out or broke is closed, not waited on again
        _bounded(started)
        assert not session.connected


def test_nul_and_invalid_utf8_are_grammar_violations(loopback_server):
    server = loopback_server(FakeImap("nul-invalid-utf8").handle)
    with Session(_target(server.port)) as session:
        session.connect()
        session.login()
        reply = session.command("NOOP")
        assert reply.ok and "\\xff\\xfe" in str(session.transcript)
        reasons = " ".join(v.reason for v in session.violations)
        assert "NUL" in reasons and len(session.violations) == 2


def test_flood_of_tiny_responses_stops_at_the_buffer_limit(loopback_server, monkeypatch):
    monkeypatch.setattr(session_module, "MAX_UNTAGGED_BYTES", 4 << 20)
    server = loopback_server(FakeImap("untagged-flood").handle)
    with Session(_target(server.port, "plain"), timeout=30, validate=False) as session:
        session.connect()
        session.login()
        with pytest.raises(LimitExceeded, match=r"untagged responses to one command.*floods"):
            session.command("NOOP")
        assert not session.connected


def test_violations_kept_are_bounded(loopback_server):
    def garbage_lines(conn: socket.socket, tag: bytes) -> None:
        conn.sendall(b"junk without a tag\r\n" * 1000 + tag + b" OK done\r\n")

    fake = FakeImap()
    fake.when, fake.misbehave = ON_NOOP, garbage_lines
    server = loopback_server(fake.handle)
    with Session(_target(server.port)) as session:
        session.connect()
        session.login()
        assert session.command("NOOP").ok
        assert len(session.violations) == session_module.MAX_VIOLATIONS
        assert session.violations_dropped == 2 * 1000 - session_module.MAX_VIOLATIONS  # 2 each


def test_logindisabled_means_no_login_is_sent(loopback_server):
    fake = FakeImap(greeting_caps=CAPABILITIES + b" STARTTLS LOGINDISABLED")
    server = loopback_server(fake.handle)
    with Session(_target(server.port)) as session:
        session.connect()
        with pytest.raises(LoginFailed, match="LOGINDISABLED"):
            session.login()
        assert session.command("NOOP").ok
    assert not [c for c in fake.received if b" LOGIN " in c.upper()]
    assert PASSWORD not in str(session.transcript)


def test_starttls_answered_with_garbage_is_a_connect_error(loopback_server):
    def starttls_then_garbage(conn: socket.socket) -> None:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
        tag = conn.recv(4096).split(b" ", 1)[0]
        conn.sendall(tag + b" OK begin TLS negotiation\r\n")
        conn.recv(4096)  # the ClientHello
        conn.sendall(b"\x00\x01garbage instead of a ServerHello\r\n")
        _drain(conn)

    server = loopback_server(starttls_then_garbage)
    started = time.monotonic()
    with Session(_target(server.port, "starttls")) as session:
        with pytest.raises(ConnectError, match=r"TLS handshake with .* failed"):
            session.connect()
        assert not session.connected
    _bounded(started)


def test_connection_reset_mid_handshake_is_a_connect_error(loopback_server):
    def reset_after_hello(conn: socket.socket) -> None:
        conn.recv(4096)  # the ClientHello
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # RST

    server = loopback_server(reset_after_hello)
    with Session(_target(server.port, "implicit")) as session, pytest.raises(ConnectError):
        session.connect()


def _starttls_server(loopback_server, tmp_path, tls: str, *, before: list[bytes]):
    """A server that answers each line in ``before`` in turn (``TAG`` stands for the
    command's tag), then STARTTLS, then speaks FakeImap inside TLS. Returns its Target."""
    make_self_signed_cert(tmp_path / "cert.pem", tmp_path / "key.pem")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    def serve(conn: socket.socket) -> None:
        conn.sendall(before[0])
        for answer in [*before[1:], b"TAG OK begin TLS negotiation\r\n"]:
            tag = conn.recv(4096).split(b" ", 1)[0]
            conn.sendall(answer.replace(b"TAG", tag))
        with context.wrap_socket(conn, server_side=True) as secured:
            FakeImap()._serve(secured)

    server = loopback_server(serve)
    return Target(
        "127.0.0.1", server.port, tls, (Credentials(USER, PASSWORD),),
        ca_file=str(tmp_path / "cert.pem"), timeout=TIMEOUT,
    )  # fmt: skip


def test_capabilities_from_before_starttls_are_discarded(loopback_server, tmp_path):
    """A man in the middle may add capabilities before STARTTLS: none of them may survive."""
    greeting = b"* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=X-INJECTED] ready\r\n"
    target = _starttls_server(loopback_server, tmp_path, "starttls", before=[greeting])
    with Session(target) as session:
        session.connect()
        assert session.tls_active and "AUTH=X-INJECTED" not in session.capabilities
        assert session.capabilities == {"IMAP4REV1", "LITERAL+"}
        session.login()


def test_auto_tls_asks_for_capabilities_the_greeting_does_not_list(loopback_server, tmp_path):
    """A greeting without [CAPABILITY] (RFC 3501 §7.1.1 makes it optional): --tls auto must
    ask CAPABILITY and use STARTTLS when offered, rather than log in in the clear."""
    capability = b"* CAPABILITY IMAP4rev1 STARTTLS\r\nTAG OK done\r\n"
    target = _starttls_server(
        loopback_server, tmp_path, "auto", before=[b"* OK ready\r\n", capability]
    )
    with Session(target) as session:
        session.connect()
        assert session.tls_active, session.transcript.render()
        session.login()
    entries = session.transcript.entries
    tls_at = next(i for i, e in enumerate(entries) if e.data.startswith(b"TLS established"))
    login_at = next(i for i, e in enumerate(entries) if b"LOGIN" in e.data and e.direction == "C")
    assert login_at > tls_at, "LOGIN was sent before TLS was established"
