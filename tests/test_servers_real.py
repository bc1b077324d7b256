"""Cyrus, Courier and Mailutils unpacked from Debian's packages: start, log in, store, stop.

Each server is installed on demand (as root: its libraries too). A server is skipped, with
the reason, only when its packages cannot be had here (not Debian, no apt lists, not root
and libraries missing); once installed, any failure to start or to serve is a failure.
"""

from __future__ import annotations

import imaplib
import re
import secrets
import socket
import ssl
from collections.abc import Iterator

import pytest

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import packages, registry
from imapcheck.servers.common import RunningServer

NAMES = ["cyrus", "courier", "mailutils"]
VERSIONS = {"cyrus": "3.6", "courier": "5.0", "mailutils": "3.15"}


def _installed_or_skip(name: str) -> None:
    try:
        registry.install(name, say=lambda _line: None)
    except ServerUnavailable as exc:
        pytest.skip(f"{name} cannot be installed here: {exc}")


@pytest.fixture(scope="module", params=NAMES)
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    _installed_or_skip(request.param)
    started = registry.start(request.param, auto_install=False)
    yield started
    started.stop()


def _context(server: RunningServer) -> ssl.SSLContext:
    """Trusts only the server's own certificate, and checks the name 'localhost' against it."""
    return ssl.create_default_context(cafile=str(server.root / "cert.pem"))


def _starttls_login(server: RunningServer, index: int = 0) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.plain_port, timeout=10)
    client.starttls(_context(server))
    account = server.accounts[index]
    client.login(account.user, account.password)
    return client


def test_greets_on_both_ports_and_says_its_version(server):
    with socket.create_connection((server.host, server.plain_port), timeout=10) as sock:
        assert sock.recv(4096).startswith(b"* OK")
    raw = socket.create_connection((server.host, server.tls_port), timeout=10)
    with _context(server).wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.recv(4096).startswith(b"* OK")
    assert server.host == "127.0.0.1"
    upstream = server.version.split(" ")[0]
    assert upstream.split(".")[:2] == VERSIONS[server.name].split("."), server.version
    assert re.fullmatch(r"[\d.]+ \(Debian \S+\)", server.version), server.version


def test_plain_port_offers_starttls(server):
    client = imaplib.IMAP4(server.host, server.plain_port, timeout=10)
    try:
        assert "STARTTLS" in client.capabilities
    finally:
        client.shutdown()


def test_generated_accounts_log_in_and_wrong_passwords_do_not(server):
    assert len(server.accounts) == 2
    assert server.accounts[0].user != server.accounts[1].user
    client = _starttls_login(server)
    assert client.state == "AUTH"
    client.logout()
    other = imaplib.IMAP4(server.host, server.plain_port, timeout=10)
    other.starttls(_context(server))
    with pytest.raises(imaplib.IMAP4.error):
        other.login(server.accounts[0].user, server.accounts[0].password + "x")
    other.shutdown()


def test_append_then_fetch_returns_the_same_bytes(server):
    marker = secrets.token_hex(8)
    message = (
        f"From: a@example.org\r\nTo: b@example.org\r\nSubject: round trip {marker}\r\n"
        f"Message-ID: <{marker}@example.org>\r\n\r\nbody {marker}\r\nsecond line\r\n"
    ).encode()
    client = _starttls_login(server)
    try:
        typ, _ = client.append("INBOX", None, None, message)
        assert typ == "OK"
        typ, _ = client.select("INBOX")
        assert typ == "OK"
        typ, found = client.search(None, "HEADER", "Message-ID", f"<{marker}@example.org>")
        numbers = found[0].split()
        assert typ == "OK" and len(numbers) == 1, found
        typ, fetched = client.fetch(numbers[0].decode(), "(BODY.PEEK[])")
        assert typ == "OK"
        assert isinstance(fetched[0], tuple) and fetched[0][1] == message
    finally:
        client.logout()


def test_second_account_has_its_own_inbox_over_implicit_tls(server):
    marker = secrets.token_hex(8)
    first = _starttls_login(server)
    first.append("INBOX", None, None, f"Subject: {marker}\r\n\r\nfirst only\r\n".encode())
    first.logout()
    second = imaplib.IMAP4_SSL("localhost", server.tls_port, ssl_context=_context(server))
    try:
        second.login(server.accounts[1].user, server.accounts[1].password)
        typ, _ = second.select("INBOX")
        assert typ == "OK"
        typ, found = second.search(None, "SUBJECT", marker)
        assert typ == "OK" and found == [b""], found
    finally:
        second.logout()


def test_an_added_account_logs_in_and_joins_the_users_file(server):
    account = server.add_user(f"added{secrets.token_hex(3)}")
    client = imaplib.IMAP4(server.host, server.plain_port, timeout=10)
    try:
        assert client.login(account.user, account.password)[0] == "OK"
        assert client.select("INBOX")[0] == "OK"
    finally:
        client.logout()
    lines = (server.root / "users").read_text().splitlines()
    assert lines == [f"{a.user},{a.password}" for a in server.accounts]
    assert lines[-1] == f"{account.user},{account.password}"


def test_log_says_something_after_logins(server):
    assert server.log_path.parent == server.root
    if server.name != "cyrus":  # Cyrus logs only to syslog
        assert server.log_tail().strip()


@pytest.mark.parametrize("name", NAMES)
def test_stop_ends_every_process_and_removes_the_directory(name, monkeypatch):
    monkeypatch.delenv("IMAPCHECK_KEEP_SERVER", raising=False)
    _installed_or_skip(name)
    started = registry.start(name, auto_install=False, users=1, user_prefix="stopper")
    assert isinstance(started, packages.UnpackedServer)
    assert [a.user.split("@")[0] for a in started.accounts] == ["stopper1"]
    client = imaplib.IMAP4(started.host, started.plain_port, timeout=10)
    client.login(started.accounts[0].user, started.accounts[0].password)  # a live session
    groups = started.groups()
    assert started.running() and groups
    started.stop()
    client.shutdown()
    assert not any(packages.group_members(group) for group in groups)
    assert not started.root.exists()
    with pytest.raises(OSError):
        socket.create_connection((started.host, started.plain_port), timeout=2).close()
