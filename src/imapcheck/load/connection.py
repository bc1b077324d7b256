"""One IMAP connection for load: sockets, TLS, and the command engine (send, frame, time).

:class:`Connection` sends a command and reads to its tagged completion with a bounded batch
framer; each command is timed and reported through the meter with the bytes it moved.
Under Locust the sockets are gevent's, so thousands of connections share one process.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import struct
import sys
import time
from collections import deque
from collections.abc import Sequence
from typing import NoReturn

from imapcheck.errors import LimitExceeded
from imapcheck.load.base import (
    SESSIONS,
    CommandFailed,
    ConnectionLost,
    Endpoint,
    LoadError,
    Meter,
    RequestHook,
    SessionGauge,
    clean_text,
)
from imapcheck.load.framing import BatchFramer
from imapcheck.wire.reader import Frame

MAX_UNTAGGED_BYTES = 64 << 20  # data kept for one command
_RECV = 65536
_TIMESPEC = struct.Struct("@qq")  # struct timespec on 64-bit Linux
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else 0)
_CAPS = re.compile(rb"\[CAPABILITY ([^\]]*)\]", re.IGNORECASE)


class Connection:
    """Connect, TLS, send commands and read their answers; failures raise :class:`LoadError`
    after they were reported."""

    def __init__(
        self,
        endpoint: Endpoint,
        on_request: RequestHook | None = None,
        *,
        gauge: SessionGauge = SESSIONS,
    ) -> None:
        self.endpoint = endpoint
        self.meter = Meter(on_request)
        self.gauge = gauge
        self.capabilities: frozenset[bytes] = frozenset()
        self.busy = False  # inside a command: a stopped user closes instead of LOGOUT
        self._sock: socket.socket | None = None
        self._sock_timeout = 0.0
        self._kernel_time = False
        self._received_at = 0.0
        self._reset_framing()
        self._tag = 0
        self._bye = b""

    def _reset_framing(self) -> None:
        self._framer = BatchFramer()
        self._queue: deque[Frame] = deque()

    # -- connection --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        """TCP connect and greeting ("connect"), TLS as the endpoint says ("TLS handshake")."""
        ep, meter = self.endpoint, self.meter
        self.close()
        self._reset_framing()
        started = time.perf_counter()
        in0 = meter.bytes_in
        try:
            sock = socket.create_connection((ep.host, ep.port), ep.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError:
            self._fail_connect(
                started, f"cannot connect to {ep.address}: no answer in {ep.timeout:g}s"
            )
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            self._fail_connect(started, f"cannot connect to {ep.address}: {reason}")
        self._sock = sock
        self._sock_timeout = ep.timeout
        self._kernel_time = ep.tls == "plain" and _kernel_timestamps(sock)
        self.gauge.opened()
        handshake = 0.0
        if ep.tls == "implicit":
            handshake = self._handshake()
        try:
            frame = self._next_frame(time.monotonic() + ep.timeout, "the greeting")
            assert frame is not None
            greeting = frame.lines[0]
        except LoadError as exc:
            meter.report("connect", ms_since(started) - handshake, meter.bytes_in - in0, 0, exc)
            raise
        if not greeting.startswith(b"* OK"):
            error = ConnectionLost(f"no usable greeting: {clean_text(greeting[:200])}")
            meter.report("connect", ms_since(started) - handshake, meter.bytes_in - in0, 0, error)
            self.close()
            raise error
        meter.report("connect", ms_since(started) - handshake, meter.bytes_in - in0, 0, None)
        self._note_caps(greeting)
        if ep.tls == "starttls":
            self.command("STARTTLS", b"STARTTLS")
            self._reset_framing()
            self._handshake()
            self.capabilities = frozenset()
        if not self.capabilities:
            self.command("CAPABILITY", b"CAPABILITY")

    def _fail_connect(self, started: float, message: str) -> NoReturn:
        error = ConnectionLost(message)
        self.meter.report("connect", ms_since(started), 0, 0, error)
        raise error

    def _handshake(self) -> float:
        """TLS handshake on the open socket, reported on its own; returns its duration (ms)."""
        assert self._sock is not None
        started = time.perf_counter()
        ep = self.endpoint
        try:
            sock = ep.ssl_context().wrap_socket(
                self._sock, server_hostname=ep.host, do_handshake_on_connect=False
            )
            self._sock = sock
            sock.settimeout(ep.timeout)
            sock.do_handshake()
        except ssl.SSLCertVerificationError as exc:
            self._lost_tls(started, f"TLS certificate not trusted: {exc.verify_message}")
        except (OSError, ssl.SSLError) as exc:
            self._lost_tls(started, f"TLS handshake failed: {exc}")
        elapsed = ms_since(started)
        self.meter.report("TLS handshake", elapsed, 0, 0, None)
        return elapsed

    def _lost_tls(self, started: float, message: str) -> NoReturn:
        self.close()
        error = ConnectionLost(message)
        self.meter.report("TLS handshake", ms_since(started), 0, 0, error)
        raise error

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
            self.gauge.closed()
        self.busy = False

    def logout(self) -> None:
        if self._sock is None:
            return
        with contextlib.suppress(LoadError):  # reported already; the socket closes anyway
            self.command("LOGOUT", b"LOGOUT")
        self.close()

    # -- the engine --------------------------------------------------------------------------

    def command(
        self, name: str, verb: bytes, *args: bytes | tuple[bytes]
    ) -> tuple[list[Frame], Frame]:
        """Send one command, read to its tagged completion; report it as ``name``."""
        meter = self.meter
        started, in0, out0 = time.perf_counter(), meter.bytes_in, meter.bytes_out
        tag = self._next_tag()
        try:
            segments = self._render(tag, verb, args)
            self.busy = True
            sent = time.time()
            for index, segment in enumerate(segments):
                self._send(segment)
                if index < len(segments) - 1 and not self._await_continuation(tag, name):
                    break
            untagged, tagged = self._read_until(tag, name)
            self.busy = False
            line = tagged.lines[0]
            if line[len(tag) + 1 : len(tag) + 4].upper() != b"OK ":
                raise CommandFailed(clean_text(line[len(tag) + 1 :]))
        except LoadError as exc:
            meter.report(name, ms_since(started), meter.bytes_in - in0, meter.bytes_out - out0, exc)
            raise
        elapsed = ms_since(started)
        if self._kernel_time and self._received_at >= sent:
            # the response time ends when the kernel received the last bytes
            elapsed = min(elapsed, (self._received_at - sent) * 1000.0)
        meter.report(name, elapsed, meter.bytes_in - in0, meter.bytes_out - out0, None)
        if b"[CAPABILITY " in line[:40].upper():
            self._note_caps(line)
        elif verb == b"CAPABILITY":
            for frame in untagged:
                if frame.lines[0][:13].upper() == b"* CAPABILITY ":
                    self.capabilities = frozenset(frame.lines[0][13:].upper().split())
        return untagged, tagged

    def _render(self, tag: bytes, verb: bytes, args: Sequence[bytes | tuple[bytes]]) -> list[bytes]:
        """The command line; a synchronizing literal splits it into segments."""
        plus = b"LITERAL+" in self.capabilities
        segments: list[bytes] = []
        current = tag + b" " + verb
        for arg in args:
            if isinstance(arg, tuple):
                data = arg[0]
                if plus:
                    current += b" {%d+}\r\n" % len(data) + data
                else:
                    segments.append(current + b" {%d}\r\n" % len(data))
                    current = data
            else:
                current += b" " + arg
        segments.append(current + b"\r\n")
        return segments

    def _next_tag(self) -> bytes:
        self._tag += 1
        return b"A%d" % self._tag

    def _send(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ConnectionLost("not connected")
        try:
            if self._sock_timeout < self.endpoint.timeout:
                self._sock_timeout = self.endpoint.timeout
                sock.settimeout(self._sock_timeout)
            sock.sendall(data)
        except TimeoutError:
            self.close()
            raise ConnectionLost(f"send timed out after {self.endpoint.timeout:g}s") from None
        except OSError as exc:
            self.close()
            raise ConnectionLost(f"connection lost while sending: {exc.strerror or exc}") from None
        self.meter.bytes_out += len(data)

    def _await_continuation(self, tag: bytes, what: str) -> bool:
        """Read to a "+" (True) or to the command's completion (False, or CommandFailed)."""
        deadline = time.monotonic() + self.endpoint.timeout
        while True:
            frame = self._next_frame(deadline, what)
            assert frame is not None
            line = frame.lines[0]
            if line.startswith(b"+"):
                return True
            if line.startswith(tag + b" "):
                if line[len(tag) + 1 : len(tag) + 4].upper() != b"OK ":
                    raise CommandFailed(clean_text(line[len(tag) + 1 :]))
                return False

    def _read_until(self, tag: bytes, what: str) -> tuple[list[Frame], Frame]:
        """Frames up to the tagged completion (bounded in total size and time)."""
        prefix = tag + b" "
        untagged: list[Frame] = []
        queue = self._queue
        deadline = 0.0
        limit = self.meter.bytes_in + MAX_UNTAGGED_BYTES
        while True:
            while queue:
                frame = queue.popleft()
                line = frame.lines[0]
                if line.startswith(prefix):
                    return untagged, frame
                if line.startswith(b"* BYE"):
                    self._bye = line
                untagged.append(frame)
            if self.meter.bytes_in > limit:
                self.close()
                raise ConnectionLost(f"more than {MAX_UNTAGGED_BYTES} bytes of data for {what}")
            if not deadline:
                deadline = time.monotonic() + self.endpoint.timeout
            self._fill(deadline, what)

    def _next_frame(self, deadline: float, what: str, *, timeout_ok: bool = False) -> Frame | None:
        while not self._queue:
            if not self._fill(deadline, what, timeout_ok=timeout_ok):
                return None
        return self._queue.popleft()

    def _fill(self, deadline: float, what: str, *, timeout_ok: bool = False) -> bool:
        """Receive once and frame; False when the deadline passed (only with timeout_ok)."""
        sock = self._sock
        if sock is None:
            raise ConnectionLost("not connected")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if timeout_ok:
                return False
            self.close()
            raise ConnectionLost(f"timeout: no answer to {what} within {self.endpoint.timeout:g}s")
        try:
            # a receive never outlives the deadline by more than a second; settimeout is
            # called only when that bound (or a shortened timeout) needs it
            current, full = self._sock_timeout, self.endpoint.timeout
            if current > remaining + 1.0 or (current < full and remaining > current + 1.0):
                self._sock_timeout = min(remaining, full)
                sock.settimeout(self._sock_timeout)
            if self._kernel_time:
                data, ancillary, _flags, _addr = sock.recvmsg(_RECV, 64)
                for level, kind, payload in ancillary:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
                        self._received_at = seconds + nanoseconds * 1e-9
            else:
                data = sock.recv(_RECV)
        except TimeoutError:
            return True  # the deadline check above decides
        except OSError as exc:
            self.close()
            raise ConnectionLost(f"connection lost during {what}: {exc.strerror or exc}") from None
        if not data:
            bye = clean_text(self._bye[5:]) if self._bye else ""
            self.close()
            raise ConnectionLost(
                f"server closed the connection during {what}" + (f": {bye}" if bye else "")
            )
        self.meter.bytes_in += len(data)
        framer = self._framer
        framer.feed(data)
        try:
            self._queue.extend(framer.frames())
        except LimitExceeded as exc:
            self.close()
            raise ConnectionLost(f"{exc} (in the answer to {what})") from None
        return True

    def _note_caps(self, line: bytes) -> None:
        match = _CAPS.search(line)
        if match:
            self.capabilities = frozenset(match.group(1).upper().split())


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _kernel_timestamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp received data (Linux SO_TIMESTAMPNS, plain TCP only): the
    reported response time then ends when the answer arrived, not when a busy client process
    got round to reading it."""
    if not SO_TIMESTAMPNS or _TIMESPEC.size != 16:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True
