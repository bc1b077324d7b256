"""Helpers for imapcheck's own tests: tiny misbehaving servers on loopback."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

Handler = Callable[[socket.socket], None]


class LoopbackServer:
    """A one-purpose TCP server on 127.0.0.1 running ``handler`` for each connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.handler(conn)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.close()
        self._thread.join(timeout=2)


@pytest.fixture
def loopback_server() -> Iterator[Callable[[Handler], LoopbackServer]]:
    """Factory: ``loopback_server(handler)`` starts a server; all are closed after the test."""
    servers: list[LoopbackServer] = []

    def start(handler: Handler) -> LoopbackServer:
        server = LoopbackServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
