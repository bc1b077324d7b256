"""Baseline for the load benchmark: the command mix on raw non-blocking sockets.

One thread, one selector, no framing beyond finding the tagged completion: the least work a
Python client can do per command. With ``--gevent`` the same loop runs on gevent's sockets, the
way everything in a Locust worker does. ``python benchmarks/load_rawloop.py --help``.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import sys
import time
from dataclasses import dataclass, field

# (metric name, command template); {uid} cycles over the seeded messages
MIX = [
    ("NOOP", "NOOP"),
    ("UID FETCH UID FLAGS", "UID FETCH 1:* (UID FLAGS)"),
    ("UID FETCH BODY.PEEK[HEADER]", "UID FETCH {uid} (BODY.PEEK[HEADER])"),
    ("UID SEARCH UNSEEN", "UID SEARCH UNSEEN"),
    ("UID STORE +FLAGS.SILENT", "UID STORE {uid} +FLAGS.SILENT (\\Seen)"),
    ("UID FETCH BODY.PEEK[]", "UID FETCH {uid} (BODY.PEEK[])"),
    ("UID STORE -FLAGS.SILENT", "UID STORE {uid} -FLAGS.SILENT (\\Seen)"),
    ("STATUS", "STATUS Archive (MESSAGES UNSEEN)"),
]
MESSAGES = 50  # UIDs 1..MESSAGES exist in every INBOX


def command_line(step: int) -> str:
    return MIX[step % len(MIX)][1].format(uid=step % MESSAGES + 1)


@dataclass
class Conn:
    sock: socket.socket
    tag: bytes = b""
    sent_at: float = 0.0
    step: int = 0
    buf: bytearray = field(default_factory=bytearray)


def _blocking(sock: socket.socket, line: bytes, tag: bytes) -> bytes:
    sock.sendall(line)
    data = bytearray()
    while not (data.startswith(tag + b" ") or b"\r\n" + tag + b" " in data) or not data.endswith(
        b"\r\n"
    ):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        data += chunk
    return bytes(data)


def open_session(host: str, port: int, user: str, password: str) -> Conn:
    sock = socket.create_connection((host, port), 10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.recv(4096)
    reply = _blocking(sock, f'L LOGIN "{user}" "{password}"\r\n'.encode(), b"L")
    if b"L OK" not in reply:
        raise ConnectionError(f"login failed: {reply[-200:]!r}")
    _blocking(sock, b"S SELECT INBOX\r\n", b"S")
    sock.setblocking(False)
    return Conn(sock)


def run(
    host: str, port: int, accounts: list[tuple[str, str]], sessions: int, seconds: float
) -> dict[str, float]:
    """Drive ``sessions`` connections for ``seconds``; returns rate, CPU and latency."""
    conns = [open_session(host, port, *accounts[i % len(accounts)]) for i in range(sessions)]
    sel = selectors.DefaultSelector()
    latencies: list[float] = []
    counter = 0

    def send_next(conn: Conn) -> None:
        nonlocal counter
        counter += 1
        conn.tag = b"T%d" % counter
        conn.buf.clear()
        conn.sent_at = time.perf_counter()
        conn.sock.sendall(conn.tag + b" " + command_line(conn.step).encode() + b"\r\n")
        conn.step += 1

    for index, conn in enumerate(conns):
        conn.step = index * 3  # sessions start at different points of the mix
        sel.register(conn.sock, selectors.EVENT_READ, conn)
    cpu0, start = time.process_time(), time.perf_counter()
    deadline = start + seconds
    for conn in conns:
        send_next(conn)
    while time.perf_counter() < deadline:
        for key, _ in sel.select(timeout=0.5):
            conn = key.data
            chunk = conn.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            conn.buf += chunk
            tag = conn.tag
            done = conn.buf.startswith(tag + b" ") or b"\r\n" + tag + b" " in conn.buf
            if done and conn.buf.endswith(b"\r\n"):
                latencies.append((time.perf_counter() - conn.sent_at) * 1000.0)
                send_next(conn)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    for conn in conns:
        conn.sock.close()
    latencies.sort()
    count = len(latencies)
    return {
        "commands": count,
        "seconds": elapsed,
        "commands_per_s": count / elapsed,
        "cpu_s": cpu,
        "cpu_us_per_command": cpu / count * 1e6 if count else 0.0,
        "p50_ms": latencies[count // 2] if count else 0.0,
        "p95_ms": latencies[int(count * 0.95)] if count else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users-file", required=True, help="CSV user,password")
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--gevent",
        action="store_true",
        help="patch sockets with gevent first, as a Locust worker does",
    )
    args = parser.parse_args(argv)
    if args.gevent:
        from gevent import monkey

        monkey.patch_all()
    with open(args.users_file, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    accounts = [tuple(line.split(",", 1)) for line in lines if line and "," in line]
    accounts = [a for a in accounts if a[0] != "user"]
    result = run(args.host, args.port, accounts, args.sessions, args.seconds)  # type: ignore[arg-type]
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
