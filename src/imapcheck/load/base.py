"""What both load clients share: where to connect, results, errors, timing and the session gauge.

Nothing here imports Locust: the clients report each command through a plain callback
(:data:`RequestHook`), and the Locust users turn that into ``request`` events.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from imapcheck.target import client_ssl_context, parse_server

# name, response time (ms), bytes received, bytes sent, exception or None
RequestHook = Callable[[str, float, int, int, "LoadError | None"], None]

TLS_MODES = ("plain", "starttls", "implicit")
PUSH_HEADER = "X-Imapcheck-Sent"  # wall-clock time a writer sent the message (APPEND)

# Parts of server text that differ between otherwise identical failures (Dovecot's timings,
# timestamps): removed so that Locust groups one cause into one row.
_NOISE = re.compile(
    rb"\s*\(\d+\.\d+(?: \+ \d+\.\d+)* (?:secs|s)\)|\s*\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]"
)


class LoadError(Exception):
    """A command or connection failed; the message is what Locust shows as the failure."""

    def __repr__(self) -> str:  # Locust's failure table shows repr(): keep it readable
        return str(self)


class CommandFailed(LoadError):
    """The server answered NO or BAD; the session is still usable."""


class ConnectionLost(LoadError):
    """The connection is gone or in an unknown state (closed, timeout, TLS error)."""


@dataclass(frozen=True)
class Endpoint:
    """Where the load goes and how: host, port, TLS mode, timeout, certificate checks."""

    host: str
    port: int
    tls: str = "plain"
    timeout: float = 10.0
    ca_file: str | None = None
    insecure: bool = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        tls: str | None = None,
        timeout: float = 10.0,
        ca_file: str | None = None,
        insecure: bool = False,
    ) -> Endpoint:
        """``imap://host:port`` (plain), ``imaps://host:port`` (implicit TLS) or ``host:port``."""
        host, port = parse_server(url)
        implicit = url.strip().lower().startswith("imaps://") or port == 993
        mode = tls or ("implicit" if implicit else "plain")
        if mode not in TLS_MODES:
            raise ValueError(f"TLS mode {mode!r}: choose one of {', '.join(TLS_MODES)}")
        if port is None:
            port = 993 if mode == "implicit" else 143
        return cls(host, port, mode, timeout, ca_file, insecure)

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        return client_ssl_context(self.ca_file, self.insecure)


@dataclass
class MailboxInfo:
    """What SELECT/EXAMINE said about a mailbox."""

    name: str
    exists: int = 0
    uidvalidity: int = 0
    uidnext: int = 0
    highestmodseq: int | None = None


class Fetched(NamedTuple):
    """One message of a FETCH answer: its UID and the literal payloads it carried."""

    uid: int | None
    data: tuple[bytes, ...] = ()


@dataclass
class IdleResult:
    """How an IDLE ended: the EXISTS count pushed (None if none) and when it arrived."""

    exists: int | None = None
    arrived: float | None = None  # time.time() when the EXISTS was read
    untagged: list[bytes] = field(default_factory=list)


class SessionGauge:
    """Open IMAP sessions in this process (for the concurrent-sessions metric)."""

    def __init__(self) -> None:
        self.open = 0
        self.peak = 0

    def opened(self) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)

    def closed(self) -> None:
        self.open = max(0, self.open - 1)


SESSIONS = SessionGauge()


def clean_text(text: bytes) -> str:
    """Server text for a failure message: one line, without per-request noise."""
    return _NOISE.sub(b"", text.strip()).decode("utf-8", "replace")[:300]


def push_sent_at(header_block: bytes) -> float | None:
    """The send time a writer put in :data:`PUSH_HEADER`, or None."""
    key = PUSH_HEADER.encode().lower() + b":"
    for line in header_block.split(b"\n"):
        if line.lower().startswith(key):
            try:
                return float(line[len(key) :].strip())
            except ValueError:
                return None
    return None


class Meter:
    """Times commands and reports them through the hook; counts bytes in and out."""

    def __init__(self, on_request: RequestHook | None) -> None:
        self.on_request = on_request
        self.bytes_in = 0
        self.bytes_out = 0

    def report(
        self, name: str, elapsed_ms: float, bytes_in: int, bytes_out: int, error: LoadError | None
    ) -> None:
        if self.on_request is not None:
            self.on_request(name, elapsed_ms, bytes_in, bytes_out, error)

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Report the enclosed block as one request named ``name``."""
        started, in0, out0 = time.perf_counter(), self.bytes_in, self.bytes_out
        try:
            yield
        except LoadError as exc:
            elapsed = (time.perf_counter() - started) * 1000.0
            self.report(name, elapsed, self.bytes_in - in0, self.bytes_out - out0, exc)
            raise
        elapsed = (time.perf_counter() - started) * 1000.0
        self.report(name, elapsed, self.bytes_in - in0, self.bytes_out - out0, None)


_WORD = re.compile(r'"(?:\\.|[^"\\])*"|[^\s\[()]+(?:\[[^\]]*\](?:<[\d.]+>)?)?')


def item_words(items: str) -> list[str]:
    """FETCH items or search keys as words (a section with its brackets is one word)."""
    return _WORD.findall(items)


def command_shape(items: str) -> str:
    """A command's shape for metrics: keywords kept; numbers, sets and strings dropped."""
    text = items.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    words = [
        word.upper() for word in _WORD.findall(text) if not (word[0] in '"{*$' or word[0].isdigit())
    ]
    return " ".join(words)
