"""Frame server output into responses: one line plus the literals embedded in it.

The reader is push-based (``feed`` bytes, then take ``frames``) so that the same code serves a
blocking socket, gevent and tests. It is bounded: a line longer than ``max_line`` or a literal
announced larger than ``max_literal`` raises :class:`LimitExceeded` at once, before the bytes
arrive, and so does a response (all its lines and literals) larger than ``max_frame``, so a
hostile server can never make the client buffer without limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from imapcheck.errors import LimitExceeded

DEFAULT_MAX_LINE = 1 << 20  # 1 MiB of text in one line (RFC 2683 §3.2.1.5 suggests 8000+)
DEFAULT_MAX_LITERAL = 64 << 20  # 64 MiB in one literal
DEFAULT_MAX_FRAME = 256 << 20  # 256 MiB in one response, literals included

# "{123}\r\n", "{123+}\r\n" (LITERAL+ is client-side only, tolerated here) and "~{123}\r\n"
_LITERAL_HEADER = re.compile(rb"~?\{(\d+)(\+?)\}\r\n\Z")
_MAX_SIZE_DIGITS = 20  # 2**64 has 20 digits


@dataclass(frozen=True)
class Frame:
    """One complete server response.

    ``lines`` are the text parts: every part but the last ends with a literal header
    ``{n}\\r\\n``, the last ends with CRLF. ``literals`` are the literal payloads, one after each
    part but the last. ``raw`` is exactly what the server sent.
    """

    lines: tuple[bytes, ...]
    literals: tuple[bytes, ...] = ()

    @property
    def raw(self) -> bytes:
        out = bytearray(self.lines[0])
        for literal, line in zip(self.literals, self.lines[1:], strict=True):
            out += literal
            out += line
        return bytes(out)

    @property
    def first_line(self) -> bytes:
        return self.lines[0]

    def __len__(self) -> int:
        return sum(map(len, self.lines)) + sum(map(len, self.literals))


@dataclass
class ResponseReader:
    """Incremental, bounded framer of server output."""

    max_line: int = DEFAULT_MAX_LINE
    max_literal: int = DEFAULT_MAX_LITERAL
    max_frame: int = DEFAULT_MAX_FRAME
    _buffer: bytearray = field(default_factory=bytearray)
    _lines: list[bytes] = field(default_factory=list)
    _literals: list[bytes] = field(default_factory=list)
    _literal_needed: int = -1  # bytes of literal payload still expected, -1 when reading text
    _scan_from: int = 0
    _frame_size: int = 0  # bytes of the current response so far (lines and literals)

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def pending(self) -> int:
        """Bytes buffered but not yet part of a complete frame."""
        return len(self._buffer) + sum(map(len, self._lines)) + sum(map(len, self._literals))

    def take_pending(self) -> bytes:
        """Remove and return the input not yet framed; only between frames (else ValueError).

        For a change of layer (a compression layer starting after a command's completion):
        what the server sent after that completion belongs to the new layer.
        """
        if self._lines or self._literals or self._literal_needed >= 0:
            raise ValueError("a response is partly read; its bytes cannot be taken")
        data = bytes(self._buffer)
        self._buffer.clear()
        self._scan_from = 0
        return data

    def next_frame(self) -> Frame | None:
        """Return the next complete frame, or None when more bytes are needed."""
        while True:
            if self._literal_needed >= 0:
                if len(self._buffer) < self._literal_needed:
                    return None
                self._literals.append(bytes(self._buffer[: self._literal_needed]))
                del self._buffer[: self._literal_needed]
                self._literal_needed = -1
                self._scan_from = 0
                continue
            end = self._buffer.find(b"\n", self._scan_from)
            if end < 0:
                self._scan_from = len(self._buffer)
                if len(self._buffer) > self.max_line:
                    raise LimitExceeded(
                        f"server line exceeds {self.max_line} bytes without a line end"
                    )
                return None
            line = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            self._scan_from = 0
            if len(line) > self.max_line:
                raise LimitExceeded(f"server line of {len(line)} bytes exceeds {self.max_line}")
            self._lines.append(line)
            self._frame_size += len(line)
            size = literal_size(line)
            if size is not None:
                if size > self.max_literal:
                    raise LimitExceeded(
                        f"server announced a literal of {size} bytes, more than {self.max_literal}"
                    )
                self._frame_size += size
                self._literal_needed = size
            if self._frame_size > self.max_frame:
                raise LimitExceeded(f"server response exceeds {self.max_frame} bytes")
            if size is not None:
                continue
            frame = Frame(tuple(self._lines), tuple(self._literals))
            self._lines.clear()
            self._literals.clear()
            self._frame_size = 0
            return frame

    def frames(self) -> list[Frame]:
        """All complete frames buffered so far."""
        out = []
        while (frame := self.next_frame()) is not None:
            out.append(frame)
        return out


def literal_size(line: bytes) -> int | None:
    """Size announced by a literal header at the end of ``line``, or None.

    Raises LimitExceeded for a size beyond 64 bits (more than 20 significant digits).
    """
    if not line.endswith(b"}\r\n"):
        return None
    start = line.rfind(b"{")
    if start < 0:
        return None
    if start > 0 and line[start - 1 : start] == b"~":
        start -= 1
    match = _LITERAL_HEADER.match(line, start)
    if not match:
        return None
    digits = match.group(1).lstrip(b"0") or b"0"
    if len(digits) > _MAX_SIZE_DIGITS:
        raise LimitExceeded(f"server announced a literal size of {len(digits)} digits")
    return int(digits)
