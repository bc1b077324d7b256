"""Every byte of a session both ways, with timestamps, secrets redacted, bounded in size."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

REDACTED = b"<redacted>"
LITERAL_SHOWN = 2048  # bytes of one literal printed in full; longer ones are elided


@dataclass(frozen=True)
class Entry:
    when: float  # seconds since the transcript began
    direction: str  # "C" (client to server), "S" (server to client) or "#" (a note)
    data: bytes


@dataclass
class Transcript:
    """The wire record of one connection.

    Secrets registered with :meth:`add_secret` are replaced before anything is stored, so they
    never reach a report. Storage is bounded: past ``max_bytes`` the middle is dropped and a note
    says how much.
    """

    name: str = "session"
    max_bytes: int = 2 << 20
    entries: list[Entry] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    wall_start: float = field(default_factory=time.time)
    dropped: int = 0
    _secrets: list[bytes] = field(default_factory=list, repr=False)
    _size: int = 0

    def add_secret(self, secret: bytes | str) -> None:
        """Redact ``secret`` from now on: raw, and escaped as inside a quoted string."""
        value = secret.encode() if isinstance(secret, str) else secret
        escaped = value.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        for form in {value, escaped}:
            if len(form) >= 3 and form not in self._secrets:
                self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)

    def redact(self, data: bytes) -> bytes:
        for secret in self._secrets:
            if secret in data:
                data = data.replace(secret, REDACTED)
        return data

    def record(self, direction: str, data: bytes) -> None:
        data = self.redact(data)
        if self._size + len(data) > self.max_bytes:
            self.dropped += len(data)
            return
        self._size += len(data)
        self.entries.append(Entry(time.monotonic() - self.started, direction, data))

    def note(self, text: str) -> None:
        self.record("#", text.encode())

    def render(self, *, timestamps: bool = False) -> str:
        """The transcript as ``C: ...`` / ``S: ...`` lines."""
        out: list[str] = []
        for entry in self.entries:
            prefix = f"[{entry.when:8.3f}] " if timestamps else ""
            for line in _display_lines(entry.data):
                out.append(f"{prefix}{entry.direction}: {line}")
        if self.dropped:
            out.append(f"#: ... {self.dropped} more bytes not recorded (transcript limit)")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.render()


def _display_lines(data: bytes) -> list[str]:
    """Split on CRLF and show bytes readably: control and 8-bit bytes as escapes."""
    if len(data) > LITERAL_SHOWN * 2:
        elided = len(data) - 2 * LITERAL_SHOWN
        data = data[:LITERAL_SHOWN] + b"...<%d bytes elided>..." % elided + data[-LITERAL_SHOWN:]
    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [_printable(line) for line in lines] or [""]


def _printable(line: bytes) -> str:
    text = line.decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
