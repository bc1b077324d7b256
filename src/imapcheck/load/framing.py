"""Batch framing for the load client: every complete response in the buffer in one pass.

The same contract as :class:`imapcheck.wire.reader.ResponseReader` (literal-aware, bounded by
``max_line`` and ``max_literal``, yields its :class:`~imapcheck.wire.reader.Frame`), tuned for
throughput: one scan per received chunk with a moving offset, no per-frame method calls, so a
FETCH of many messages costs little more than the bytes themselves.
"""

from __future__ import annotations

from imapcheck.errors import LimitExceeded
from imapcheck.wire.reader import DEFAULT_MAX_LINE, DEFAULT_MAX_LITERAL, Frame, literal_size

_COMPACT = 1 << 16  # literals larger than this are gathered in chunks, joined once


class BatchFramer:
    """Incremental, bounded framer: ``feed`` bytes, ``frames()`` returns what is complete."""

    __slots__ = (
        "_buf",
        "_chunked",
        "_chunks",
        "_literals",
        "_need",
        "_parts",
        "_pos",
        "max_line",
        "max_literal",
    )

    def __init__(
        self, max_line: int = DEFAULT_MAX_LINE, max_literal: int = DEFAULT_MAX_LITERAL
    ) -> None:
        self.max_line = max_line
        self.max_literal = max_literal
        self._buf = b""  # bytes, so that a line is one slice (one copy)
        self._pos = 0
        self._chunks: list[bytes] = []  # received while a large literal is incomplete
        self._chunked = 0
        self._parts: list[bytes] = []  # text parts of a response still waiting for a literal
        self._literals: list[bytes] = []
        self._need = -1  # literal bytes still expected, -1 when reading text

    def feed(self, data: bytes) -> None:
        if self._pos >= len(self._buf) and not self._chunks:
            self._buf, self._pos = data, 0
        elif self._need > _COMPACT:
            self._chunks.append(data)  # joined once the literal is complete
            self._chunked += len(data)
        else:
            self._buf, self._pos = self._buf[self._pos :] + data, 0

    def _join(self) -> None:
        if self._chunks:
            self._buf = b"".join([self._buf[self._pos :], *self._chunks])
            self._pos = 0
            self._chunks.clear()
            self._chunked = 0

    def pending(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        parts = sum(map(len, self._parts)) + sum(map(len, self._literals))
        return len(self._buf) - self._pos + self._chunked + parts

    def frames(self) -> list[Frame]:
        """Every frame completed by the bytes fed so far (possibly none)."""
        out: list[Frame] = []
        if self._chunks:
            if len(self._buf) - self._pos + self._chunked < self._need:
                return out
            self._join()
        buf, pos, find = self._buf, self._pos, self._buf.find
        size = len(buf)
        while True:
            if self._need >= 0:
                if size - pos < self._need:
                    break
                self._literals.append(buf[pos : pos + self._need])
                pos += self._need
                self._need = -1
            end = find(b"\n", pos)
            if end < 0:
                if size - pos > self.max_line:
                    raise LimitExceeded(
                        f"server line exceeds {self.max_line} bytes without a line end"
                    )
                break
            if end - pos >= self.max_line:
                raise LimitExceeded(f"server line of {end + 1 - pos} bytes exceeds {self.max_line}")
            line = buf[pos : end + 1]
            pos = end + 1
            if line.endswith(b"}\r\n"):
                announced = literal_size(line)
                if announced is not None:
                    if announced > self.max_literal:
                        raise LimitExceeded(
                            f"server announced a literal of {announced} bytes, "
                            f"more than {self.max_literal}"
                        )
                    self._parts.append(line)
                    self._need = announced
                    continue
            if self._parts:
                self._parts.append(line)
                out.append(Frame(tuple(self._parts), tuple(self._literals)))
                self._parts.clear()
                self._literals.clear()
            else:
                out.append(Frame((line,)))
        self._pos = pos
        return out
