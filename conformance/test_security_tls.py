"""Security: implicit TLS, STARTTLS, command injection, plaintext passwords.

RFC 3501 §6.2.1 and §6.2.3, RFC 9051 §6.2.1, RFC 2595 §3.1, RFC 8314 §3.2. STARTTLS checks need
the server's cleartext port (``--tls starttls`` or ``auto``); against a target reached only over
implicit TLS they are skipped, and say so.
"""

from __future__ import annotations

import secrets
import socket
import ssl
import time

import pytest

from imapcheck.errors import LoginFailed
from imapcheck.pytest_plugin import SESSIONS_KEY
from imapcheck.target import Target
from imapcheck.transcript import Transcript
from imapcheck.wire.encode import quoted

WRONG_STATE = ("BAD", "NO")
MAX_RAW = 1 << 20  # bytes read from a raw socket before giving up


# -- raw connections (for what the session layer would never do) -------------------------------


def read_through_tag(sock: socket.socket, tag: bytes, timeout: float, log: Transcript) -> bytes:
    """Read until a line starting with ``tag`` + SP ends; returns everything read.

    Raises TimeoutError, or ConnectionError when the server closes first.
    """
    data = b""
    deadline = time.monotonic() + timeout
    while not _has_tagged_line(data, tag):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or len(data) > MAX_RAW:
            raise TimeoutError(f"no '{tag.decode()}' completion within {timeout:g}s")
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        log.record("S", chunk)
        data += chunk
    return data


def _has_tagged_line(data: bytes, tag: bytes) -> bool:
    lines = data.split(b"\r\n")
    return any(line.startswith(tag + b" ") for line in lines[:-1])


def tagged_line(data: bytes, tag: bytes) -> bytes:
    return next(line for line in data.split(b"\r\n") if line.startswith(tag + b" "))


def plain_socket(target: Target, log: Transcript) -> socket.socket:
    """A cleartext connection to the target, its greeting read (and logged)."""
    sock = socket.create_connection((target.host, target.port), target.timeout)
    data = b""
    deadline = time.monotonic() + target.timeout
    while b"\r\n" not in data and time.monotonic() < deadline and len(data) < MAX_RAW:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    log.record("S", data)
    return sock


def open_tls(target: Target, context: ssl.SSLContext, log: Transcript) -> ssl.SSLSocket:
    """A TLS connection made the target's way: implicit TLS, or STARTTLS on the plain port."""
    if target.tls_mode == "implicit":
        sock = socket.create_connection((target.host, target.port), target.timeout)
    else:
        sock = plain_socket(target, log)
        log.record("C", b"t0 STARTTLS\r\n")
        sock.sendall(b"t0 STARTTLS\r\n")
        reply = tagged_line(read_through_tag(sock, b"t0", target.timeout, log), b"t0")
        if not reply.startswith(b"t0 OK"):
            sock.close()
            pytest.skip(f"STARTTLS refused: {reply.decode(errors='replace')}")
    try:
        return context.wrap_socket(sock, server_hostname=target.host)
    except BaseException:
        sock.close()
        raise


def no_tls_target(target: Target) -> Target | None:
    """The target when it has a cleartext port to test STARTTLS on, else None."""
    return None if target.tls_mode == "implicit" else target


def attach(request: pytest.FixtureRequest, log: Transcript) -> None:
    """Attach a raw transcript to the test's report like a session's."""
    request.node.stash.setdefault(SESSIONS_KEY, []).append(log)


def insecure_context() -> ssl.SSLContext:
    """For checks about IMAP over TLS, not about the certificate (checked on its own)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# -- implicit TLS -------------------------------------------------------------------------------


@pytest.mark.rfc("8314", "3.2", "MUST")
def test_implicit_tls_greeting_arrives_over_tls(connect, tls_target):
    if tls_target.tls_mode != "implicit":
        pytest.skip("the target has no implicit TLS port (give --server HOST:993)")
    session = connect(login=False, target_=tls_target)
    assert session.tls_active, "the session on the implicit TLS port must run inside TLS"
    assert session.greeting is not None and session.greeting.kind in ("OK", "PREAUTH"), (
        "on an implicit TLS port the TLS handshake comes first and the IMAP greeting follows "
        f"inside TLS; got {session.greeting}"
    )
    assert session.command("NOOP").ok, "IMAP must work normally inside implicit TLS"


@pytest.mark.rfc("9051", "6.2.1", "MUST")
def test_starttls_on_implicit_tls_port_is_bad(connect, tls_target):
    if tls_target.tls_mode != "implicit":
        pytest.skip("the target has no implicit TLS port (give --server HOST:993)")
    session = connect(login=False, target_=tls_target)
    reply = session.command("STARTTLS")
    assert reply.status == "BAD", (
        "'The server MUST always respond with a tagged BAD response when the STARTTLS command "
        f"is received on an Implicit TLS port'; server said {reply.summary()}"
    )
    assert session.command("NOOP").ok, "the TLS session must stay usable after the BAD"


# -- STARTTLS -----------------------------------------------------------------------------------


def _starttls_session(connect, target: Target):
    if no_tls_target(target) is None:
        pytest.skip("the target is reached over implicit TLS only; STARTTLS needs its plain port")
    session = connect(login=False, tls="plain")
    before = set(session.capabilities) or set(session.capability())
    if "STARTTLS" not in before:
        pytest.skip("the server does not advertise STARTTLS on its plain port")
    return session, before


@pytest.mark.rfc("3501", "6.2.1", "MUST")
def test_starttls_then_capability_asked_again_in_non_authenticated_state(connect, target):
    session, before = _starttls_session(connect, target)
    session.starttls()  # STARTTLS, the handshake, then CAPABILITY again
    shown = session.transcript.render()
    after_tls = shown.split("TLS established", 1)[-1]
    assert "CAPABILITY" in after_tls, (
        "after STARTTLS the client discards the capabilities it knew and asks again"
    )
    assert "IMAP4REV1" in session.capabilities, (
        "CAPABILITY over TLS must list IMAP4rev1 (RFC 3501 §6.1.1); "
        f"got {sorted(session.capabilities)}"
    )
    select = session.command("SELECT", b"INBOX")
    assert select.status in WRONG_STATE, (
        "'The server remains in the non-authenticated state' after STARTTLS: SELECT must be "
        f"refused before LOGIN; server said {select.summary()} (capabilities before: "
        f"{sorted(before)})"
    )


@pytest.mark.rfc("9051", "6.2.1", "SHOULD")
def test_starttls_not_advertised_again_after_starttls(connect, target):
    session, _ = _starttls_session(connect, target)
    session.starttls()
    assert "STARTTLS" not in session.capabilities, (
        "the server 'SHOULD NOT advertise the STARTTLS capability, after a successful STARTTLS "
        f"command'; CAPABILITY over TLS says {sorted(session.capabilities)}"
    )


@pytest.mark.rfc("3501", "6.2.1", "MUST")
def test_second_starttls_is_refused(connect, target):
    session, _ = _starttls_session(connect, target)
    session.starttls()
    reply = session.command("STARTTLS")
    assert reply.status in WRONG_STATE, (
        "TLS is already active: a second STARTTLS (TLS inside TLS) must be refused with BAD "
        f"(or NO); server said {reply.summary()}"
    )
    assert session.command("NOOP").ok, "the TLS session must stay usable after the refusal"


@pytest.mark.rfc("3501", "6.2", "MUST")
def test_starttls_after_login_is_refused(imap):
    reply = imap.command("STARTTLS")
    assert reply.status in WRONG_STATE, (
        "STARTTLS is only valid in the not authenticated state (RFC 3501 §6.2, §6.2.1); after "
        f"login it must be refused with BAD or NO; server said {reply.summary()}"
    )
    assert imap.command("NOOP").ok, "the session must stay usable after the refusal"
    examine = imap.command("EXAMINE", b"INBOX")
    assert examine.ok, (
        f"a refused STARTTLS must not change the session's state; EXAMINE said {examine.summary()}"
    )


@pytest.mark.rfc("9051", "6.2.1", "MUST")
def test_command_pipelined_after_starttls_is_not_executed_under_tls(request, target, server_info):
    """CVE-2011-0411 class: plaintext injected behind STARTTLS must not run once TLS is up."""
    if no_tls_target(target) is None:
        pytest.skip("the target is reached over implicit TLS only; STARTTLS needs its plain port")
    log = Transcript("raw-starttls")
    attach(request, log)
    sock = plain_socket(target, log)
    try:
        after = _inject_after_starttls(sock, target, log)
    finally:
        sock.close()
    if after is None:
        return  # the handshake failed or the server closed: nothing ran under TLS
    lines = after.split(b"\r\n")
    ran = [line for line in lines if line.startswith((b"b ", b"* CAPABILITY"))]
    assert not ran, (
        "a command sent in cleartext in the same packet right after STARTTLS was executed "
        "after the TLS handshake (STARTTLS command injection, CVE-2011-0411 class): the server "
        "must discard such data or take it as the start of the handshake; over TLS it sent "
        f"{[line.decode(errors='replace') for line in ran]}"
    )


def _inject_after_starttls(sock: socket.socket, target: Target, log: Transcript) -> bytes | None:
    """STARTTLS with a command behind it in one write, the handshake, then NOOP under TLS.

    Returns what the server sent under TLS up to the NOOP's completion, or None when the
    handshake failed or the server closed the connection.
    """
    log.record("C", b"c0 CAPABILITY\r\n")
    sock.sendall(b"c0 CAPABILITY\r\n")
    if b"STARTTLS" not in read_through_tag(sock, b"c0", target.timeout, log).upper():
        pytest.skip("the server does not advertise STARTTLS on its plain port")
    injected = b"a STARTTLS\r\nb CAPABILITY\r\n"  # one write: one TCP segment
    log.record("C", injected)
    sock.sendall(injected)
    reply = tagged_line(read_through_tag(sock, b"a", target.timeout, log), b"a")
    if not reply.startswith(b"a OK"):
        pytest.skip(f"STARTTLS refused: {reply.decode(errors='replace')}")
    try:
        tls = insecure_context().wrap_socket(sock, server_hostname=target.host)
    except (ssl.SSLError, OSError) as exc:
        # RFC 9051 §6.2.1, option 1: the extra data was taken as the start of the handshake
        log.note(f"TLS handshake failed ({exc}): the injected command did not run")
        return None
    with tls:
        log.note(f"TLS established: {tls.version()}")
        log.record("C", b"c NOOP\r\n")
        tls.sendall(b"c NOOP\r\n")
        try:
            return read_through_tag(tls, b"c", target.timeout, log)
        except (ConnectionError, ssl.SSLError):
            return None


# -- passwords in cleartext ---------------------------------------------------------------------


@pytest.mark.rfc("3501", "6.2.3", "SHOULD")
def test_no_plaintext_passwords_on_unencrypted_connection(connect, target):
    """A server SHOULD refuse LOGIN before TLS (and advertise LOGINDISABLED).

    Probed with a made-up user and password: the real password never goes out in cleartext.
    """
    if no_tls_target(target) is None:
        pytest.skip("the target is reached over implicit TLS only; no cleartext port to check")
    session = connect(login=False, tls="plain")
    capabilities = set(session.capabilities) or set(session.capability())
    if "LOGINDISABLED" in capabilities:
        with pytest.raises(LoginFailed, match="LOGINDISABLED"):
            session.login()
        assert " LOGIN " not in session.transcript.render(), (
            "imapcheck must not send LOGIN when LOGINDISABLED is advertised (RFC 3501 §6.2.3)"
        )
        return
    user, password = f"imapcheck-probe-{secrets.token_hex(4)}", secrets.token_hex(8)
    reply = session.command("LOGIN", quoted(user), quoted(password))
    code = reply.code.name if reply.code else ""
    refused = reply.status == "BAD" or code == "PRIVACYREQUIRED"
    plain_sasl = sorted(c for c in capabilities if c in ("AUTH=PLAIN", "AUTH=LOGIN"))
    assert refused, (
        f"security finding: {target.address} accepts passwords in cleartext: it advertises no "
        f"LOGINDISABLED{', offers ' + ' '.join(plain_sasl) if plain_sasl else ''} and judged "
        f"the credentials of a LOGIN sent without TLS ({reply.summary()}). RFC 3501 §6.2.3: "
        "'Server sites SHOULD NOT use any configuration which permits the LOGIN command without "
        "such a protection mechanism against password snooping'; refuse LOGIN and plaintext "
        "SASL mechanisms until STARTTLS (e.g. Dovecot: disable_plaintext_auth = yes)"
    )
