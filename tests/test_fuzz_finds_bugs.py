"""The stateful fuzzer finds a server bug and shrinks it to a few steps.

A tiny proxy on loopback sits in front of the embedded Dovecot and silently drops one kind of
flag update: it strips ``\\Flagged`` from every STORE command. Nothing else changes, every
reply is still OK and grammatical; only a check of state can notice.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from imapcheck.fuzzmachine import MachineEnv, machine

_STORE = re.compile(rb"^\S+ (?:UID )?STORE ", re.IGNORECASE)
_FLAGGED = re.compile(rb"\s*\\Flagged", re.IGNORECASE)


def drop_flagged(line: bytes) -> bytes:
    """The proxy's one bug: STORE never carries \\Flagged to the server."""
    if not _STORE.match(line):
        return line
    return _FLAGGED.sub(b"", line).replace(b"( ", b"(")


def pump(source: socket.socket, sink: socket.socket, rewrite=None) -> None:
    buffer = b""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            if rewrite is None:
                sink.sendall(data)
                continue
            buffer += data
            *lines, buffer = buffer.split(b"\r\n")
            if lines:
                sink.sendall(b"".join(rewrite(line) + b"\r\n" for line in lines))
    for end in (source, sink):
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)


def test_proxy_rewrites_only_store():
    assert drop_flagged(b"a1 STORE 1 +FLAGS (\\Seen \\Flagged)") == b"a1 STORE 1 +FLAGS (\\Seen)"
    assert drop_flagged(b"a1 UID STORE 4 FLAGS (\\Flagged)") == b"a1 UID STORE 4 FLAGS ()"
    assert (
        drop_flagged(b"a1 STORE 2 -FLAGS.SILENT (\\flagged $x)") == b"a1 STORE 2 -FLAGS.SILENT ($x)"
    )
    assert drop_flagged(b"a1 APPEND box (\\Flagged) {3}") == b"a1 APPEND box (\\Flagged) {3}"


@pytest.mark.slow
def test_model_finds_and_shrinks_dropped_flag_updates(
    target, sandbox, embedded_server, loopback_server
):
    if embedded_server is None:
        pytest.skip("needs the embedded Dovecot behind the proxy")

    def handler(client: socket.socket) -> None:
        with socket.create_connection((target.host, embedded_server.plain_port), 10) as upstream:
            back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
            back.start()
            pump(client, upstream, drop_flagged)
            back.join(timeout=5)

    proxy = loopback_server(handler)
    env = MachineEnv(target.with_port(proxy.port, "plain"), sandbox)
    found = settings(
        max_examples=1000,
        stateful_step_count=10,
        deadline=None,
        database=None,
        derandomize=True,
        report_multiple_bugs=False,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow],
    )
    printed: list[str] = []
    try:
        with with_reporter(printed.append), pytest.raises(AssertionError) as caught:
            run_state_machine_as_test(machine(env), settings=found)
    finally:
        env.close()

    report = "\n".join(printed + list(getattr(caught.value, "__notes__", [])))
    steps = [
        line.strip()
        for line in report.splitlines()
        if line.strip().startswith("state.")
        and not line.strip().startswith(("state.teardown", "state.server_agrees"))
    ]
    assert "flagged" in str(caught.value).lower(), f"another failure was found:\n{caught.value}"
    assert 1 <= len(steps) <= 6, f"not shrunk to a handful of steps ({len(steps)}):\n{report}"
    assert any("store" in step for step in steps), steps
    assert "C: s1." in report, "the failure carries the sessions' transcripts"
