"""The load clients, seeding and bandwidth measurement against a real Dovecot (no Locust here:
importing Locust would patch this process's sockets)."""

from __future__ import annotations

import argparse
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from imapcheck.load import accounts as accounts_mod
from imapcheck.load import bandwidth, seed
from imapcheck.load.base import (
    CommandFailed,
    ConnectionLost,
    Endpoint,
    LoadError,
    command_shape,
    push_sent_at,
)
from imapcheck.load.client import FastClient
from imapcheck.load.framing import BatchFramer
from imapcheck.load.iclient import ImapClientClient
from imapcheck.load.messages import make_message
from imapcheck.servers import dovecot
from imapcheck.wire.reader import ResponseReader

CLIENTS = [FastClient, ImapClientClient]


@pytest.fixture(scope="module")
def server() -> Iterator[dovecot.DovecotServer]:
    running = dovecot.start(users=3, user_prefix="loadc")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def seeded(server: dovecot.DovecotServer) -> accounts_mod.Account:
    """The first account, with 12 generated messages (some with attachments) in INBOX."""
    account = server.accounts[0]
    plan = {"INBOX": [make_message(random.Random(i), i) for i in range(12)], "Trash": []}
    result = seed.seed_account(Endpoint(server.host, server.plain_port), account, plan)
    assert not result.error
    return accounts_mod.Account(account.user, account.password)


class Calls:
    """Records what a client reports (name, ms, bytes in, bytes out, error)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, float, int, int, LoadError | None]] = []

    def __call__(self, *item: Any) -> None:
        self.items.append(item)  # type: ignore[arg-type]

    @property
    def names(self) -> list[str]:
        return [item[0] for item in self.items]


def endpoint(server: dovecot.DovecotServer, tls: str = "plain", timeout: float = 5.0) -> Endpoint:
    port = server.tls_port if tls == "implicit" else server.plain_port
    return Endpoint(server.host, port, tls, timeout, ca_file=str(server.root / "cert.pem"))


@pytest.mark.parametrize("client_class", CLIENTS)
def test_every_command_is_reported_with_its_bytes(client_class, server, seeded) -> None:
    calls = Calls()
    client = client_class(endpoint(server), calls)
    client.connect()
    client.login(seeded.user, seeded.password)
    box = client.select("INBOX")
    uids = client.uid_search("ALL")
    fetched = client.uid_fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER])")
    client.logout()
    assert box.exists == 12 and uids == list(range(1, 13))
    assert [m.uid for m in fetched] == uids
    assert all(m.data and m.data[0].startswith(b"From:") for m in fetched)
    assert calls.names == [
        "connect",
        "LOGIN",
        "SELECT",
        "UID SEARCH ALL",
        "UID FETCH UID FLAGS BODY.PEEK[HEADER]",
        "LOGOUT",
    ]
    assert all(error is None and ms >= 0 for _n, ms, _i, _o, error in calls.items)
    assert sum(item[2] for item in calls.items) == client.meter.bytes_in
    assert sum(item[3] for item in calls.items) == client.meter.bytes_out
    headers = sum(len(m.data[0]) for m in fetched)
    assert calls.items[4][2] > headers  # the FETCH entry counted every header byte


@pytest.mark.parametrize("client_class", CLIENTS)
@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_tls_handshake_is_its_own_entry(client_class, tls, server, seeded) -> None:
    calls = Calls()
    client = client_class(endpoint(server, tls), calls)
    client.connect()
    client.login(seeded.user, seeded.password)
    client.logout()
    assert "TLS handshake" in calls.names and "connect" in calls.names
    assert calls.names.index("connect") < calls.names.index("LOGIN")


@pytest.mark.parametrize("client_class", CLIENTS)
def test_refused_command_is_a_failure_with_the_server_text(client_class, server, seeded) -> None:
    calls = Calls()
    client = client_class(endpoint(server), calls)
    client.connect()
    client.login(seeded.user, seeded.password)
    with pytest.raises(CommandFailed, match=r"(?i)mailbox doesn't exist"):
        client.select("no-such-mailbox")
    name, _ms, _in, _out, error = calls.items[-1]
    assert name == "SELECT" and isinstance(error, CommandFailed)
    assert "secs" not in str(error)  # Dovecot's timing is removed: one row per cause
    client.noop()  # the session is still usable
    client.logout()


def test_wrong_password_is_a_login_failure() -> None:
    # its own server: Dovecot then delays every login from this address for a while
    fresh = dovecot.start(users=1, user_prefix="loadp")
    calls = Calls()
    client = FastClient(endpoint(fresh, timeout=20), calls)
    try:
        client.connect()
        with pytest.raises(
            CommandFailed, match=r"^NO \[AUTHENTICATIONFAILED\] Authentication failed"
        ):
            client.login(fresh.accounts[0].user, "wrong")
    finally:
        fresh.stop()
    assert calls.names[-1] == "LOGIN"
    client.close()


@pytest.mark.parametrize("client_class", CLIENTS)
def test_refused_connection(client_class) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    calls = Calls()
    with pytest.raises(
        ConnectionLost, match=r"cannot connect to 127\.0\.0\.1:\d+: connection refused"
    ):
        client_class(Endpoint("127.0.0.1", port), calls).connect()
    assert calls.names == ["connect"] and isinstance(calls.items[0][4], ConnectionLost)


def test_silent_server_times_out_cleanly(loopback_server) -> None:
    def greet_then_silence(conn: socket.socket) -> None:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1] hello\r\n")
        conn.recv(1000)
        time.sleep(2)

    silent = loopback_server(greet_then_silence)
    calls = Calls()
    client = FastClient(Endpoint("127.0.0.1", silent.port, timeout=0.3), calls)
    client.connect()
    started = time.monotonic()
    with pytest.raises(ConnectionLost, match=r"timeout: no answer to LOGIN within 0\.3s"):
        client.login("u", "p")
    assert time.monotonic() - started < 1.5
    assert not client.connected


def test_idle_sees_a_push_from_another_session(server) -> None:
    account = server.accounts[1]
    idler = FastClient(endpoint(server))
    idler.connect()
    idler.login(account.user, account.password)
    idler.select("INBOX")
    writer = FastClient(endpoint(server))
    writer.connect()
    writer.login(account.user, account.password)
    sent = time.time()

    def deliver() -> None:
        time.sleep(0.3)
        writer.append("INBOX", make_message(random.Random(1), 1, sent_at=sent))

    thread = threading.Thread(target=deliver)
    thread.start()
    pushed = idler.idle(8.0)
    thread.join()
    assert pushed.exists is not None and pushed.arrived is not None
    new = idler.uid_fetch(f"{pushed.exists}:*", "(UID BODY.PEEK[HEADER])")
    assert push_sent_at(new[-1].data[0]) == pytest.approx(sent, abs=1e-5)
    assert pushed.arrived >= sent
    for client in (idler, writer):
        client.logout()


def test_seed_tops_up_and_is_idempotent(server) -> None:
    args = argparse.Namespace(
        server=f"imap://{server.host}:{server.plain_port}",
        users_file=None,
        user="loadc%d",
        password="",
        accounts=1,
        first_account=3,
        messages=4,
        folder_messages=2,
        folders="Archive",
        tls=None,
        ca_file=None,
        insecure=False,
        timeout=10.0,
        generated=True,
        seed=5,
        parallel=2,
    )
    target = server.accounts[2]
    args.password = target.password
    assert seed.run(args) == 0
    assert seed.run(args) == 0  # nothing missing the second time
    client = FastClient(endpoint(server))
    client.connect()
    client.login(target.user, target.password)
    assert client.select("INBOX").exists == 4
    assert client.select("Archive").exists == 2
    assert "Trash" in client.list_mailboxes()
    client.logout()


def test_selective_fetch_uses_a_fraction_of_full_download(server, seeded) -> None:
    result = bandwidth.compare(endpoint(server), seeded)
    assert result.messages == 12
    assert result.full_download.bytes_in > result.mailbox_bytes  # every message came whole
    assert 0 < result.ratio < 0.5, result.describe()


def test_accounts_from_pattern_csv_and_passwd_file(tmp_path) -> None:
    assert accounts_mod.from_pattern("user%d", "pw%d", 2, first=5) == [
        accounts_mod.Account("user5", "pw5"),
        accounts_mod.Account("user6", "pw6"),
    ]
    csv = tmp_path / "users.csv"
    csv.write_text('user,password\nalice,a,b\nbob,"x,y"\n')
    assert [(a.user, a.password) for a in accounts_mod.from_file(csv)] == [
        ("alice", "a"),
        ("bob", "x,y"),
    ]
    passwd = tmp_path / "users"
    passwd.write_text("carol:{PLAIN}c1::::::\n")
    assert accounts_mod.from_file(passwd)[0].password == "c1"
    passwd.write_text("dave:{SHA512-CRYPT}$6$abc::::::\n")
    with pytest.raises(accounts_mod.AccountError, match="hashed"):
        accounts_mod.from_file(passwd)


def test_command_shapes_drop_values() -> None:
    assert command_shape("(UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])") == (
        "UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]"
    )
    assert command_shape('TEXT "quarterly report"') == "TEXT"
    assert command_shape("UID 1:100 UNSEEN") == "UID UNSEEN"


def test_batch_framer_frames_like_the_wire_reader() -> None:
    rng = random.Random(3)
    body = rng.randbytes(200_000)
    stream = (
        b"* 1 FETCH (UID 4 FLAGS ())\r\n* 2 FETCH (BODY[] {%d}\r\n" % len(body)
        + body
        + b" UID 5)\r\n* 3 FETCH (BODY[1] ~{3}\r\nab\n BODY[2] {0}\r\n)\r\nA1 OK done\r\n"
    )
    reader, framer = ResponseReader(), BatchFramer()
    expected, got = [], []
    for start in range(0, len(stream), 7000):
        chunk = stream[start : start + 7000]
        reader.feed(chunk)
        framer.feed(chunk)
        expected += reader.frames()
        got += framer.frames()
    assert [(f.lines, f.literals) for f in got] == [(f.lines, f.literals) for f in expected]
    assert framer.pending() == 0 and len(got) == 4


def test_batch_framer_is_bounded() -> None:
    framer = BatchFramer(max_line=100, max_literal=1000)
    framer.feed(b"* 1 FETCH (BODY[] {5000}\r\n")
    with pytest.raises(Exception, match="literal of 5000 bytes"):
        framer.frames()
    framer = BatchFramer(max_line=100)
    framer.feed(b"* " + b"x" * 200)
    with pytest.raises(Exception, match="exceeds 100 bytes"):
        framer.frames()
