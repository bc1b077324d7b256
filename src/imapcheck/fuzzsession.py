"""A Session that sends generated and malformed commands, and judges how the server copes.

:meth:`FuzzSession.run` sends a :class:`~imapcheck.syntax.generate.Generated` command segment by
segment, waiting for each ``+`` the way RFC 3501 §7.5 requires before a synchronizing literal
(or after IDLE and AUTHENTICATE), and cancels an AUTHENTICATE the server keeps asking about with
``*`` (RFC 3501 §6.2.2). :meth:`FuzzSession.probe` sends arbitrary bytes the way a client that
believes them to be a command would, completes whatever they leave open, and finds out with a
NOOP whether the server is still answering.
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass, field

from imapcheck.errors import ConnectionClosed, ImapcheckError, ImapTimeout, LimitExceeded
from imapcheck.session import Session
from imapcheck.syntax.generate import Generated
from imapcheck.syntax.lexical import TAG_CHARS
from imapcheck.wire.response import Reply

_LITERAL_AT_END = re.compile(rb"~?\{(\d{1,12})(\+?)\}\r\n\Z")
_TAG = re.compile(rb"[" + TAG_CHARS + rb"]+")
UNKNOWN_TAG = "response with an unknown or no tag"
ANSWER_WAIT = 2.0  # seconds to wait for a word on the input before asking with a NOOP
FILL_LIMIT = 1 << 20  # octets we will send to complete a literal a mutation left short


@dataclass
class Probe:
    """What happened to one malformed input."""

    data: bytes
    answered: bool = False  # the server said something about the input (tagged, BAD, BYE)
    noop: Reply | None = None  # the NOOP sent afterwards, if it completed
    bye: bool = False
    closed: bool = False
    hang: str = ""  # what we waited for in vain
    skipped: str = ""  # why no verdict is possible (a literal too large to complete)
    notes: list[str] = field(default_factory=list)


def split_input(data: bytes) -> tuple[list[bytes], int, bool]:
    """Split ``data`` where a client would wait for ``+`` (after each synchronizing literal).

    Returns the segments, the octets the last literal still lacks, and whether the input
    leaves a line open (no final CRLF).
    """
    pieces: list[bytes] = []
    start = pos = missing = 0
    open_line = False
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            open_line = open_line or pos < len(data)
            break
        line_end = end + 2
        match = _LITERAL_AT_END.search(data, pos, line_end)
        if match is None:
            pos, open_line = line_end, False
            continue
        if not match.group(2):
            pieces.append(data[start:line_end])
            start = line_end
        pos, open_line = line_end + int(match.group(1)), True
        if pos > len(data):
            missing = pos - len(data)
            break
    pieces.append(data[start:])
    return pieces, missing, open_line


def completion(data: bytes) -> bytes | None:
    """What a client appends so that ``data`` ends as a complete command: the octets a last
    literal lacks and a CRLF, as often as that opens a literal again (``{0+}`` + CRLF).
    None when a literal lacks more than FILL_LIMIT octets."""
    tail = b""
    for _ in range(8):
        _, missing, open_line = split_input(data + tail)
        if missing > FILL_LIMIT:
            return None
        if not (missing or open_line):
            break
        tail += b"." * missing + b"\r\n"
    return tail


class FuzzSession(Session):
    """Session plus the ways of sending that fuzzing needs."""

    @property
    def commands_sent(self) -> int:
        """Commands this session sent (tags it used)."""
        return self._tag_counter

    def run(self, command: Generated, *, timeout: float | None = None) -> Reply:
        """Send a generated command and read to its completion."""
        tag = self.next_tag()
        deadline = time.monotonic() + (timeout or self.timeout)
        parts = command.segments(tag)
        shown = parts[0][:200].decode("latin-1").rstrip("\r\n")
        self._pending[tag] = shown
        for index, part in enumerate(parts):
            self._send(part)
            last = index == len(parts) - 1
            if not last and not self._await_continuation(tag, deadline, shown):
                break  # completed (NO/BAD) instead of granting the continuation
        while tag not in self._done:
            frame = self._read_frame(deadline, shown)
            if frame.first_line.startswith(b"+") and command.rule == "authenticate":
                self._check(frame)
                self._send(b"*\r\n")  # RFC 3501 §6.2.2: the client cancels with "*"
                continue
            self._dispatch(frame)
        reply = self._done.pop(tag)
        if command.name == "STARTTLS" and reply.ok:
            self._start_tls()
            self.capabilities.clear()
            self.capability()
        elif command.name == "COMPRESS" and reply.ok:
            self.start_deflate()
        return reply

    def start_deflate(self) -> None:
        """RFC 4978 §3: raw DEFLATE both ways from here on, flushed after every write."""
        out = zlib.compressobj(wbits=-15)
        into = zlib.decompressobj(wbits=-15)
        self.install_transform(
            lambda data: out.compress(data) + out.flush(zlib.Z_SYNC_FLUSH), into.decompress
        )

    def probe(self, data: bytes, *, timeout: float | None = None) -> Probe:
        """Send ``data`` as a client would, complete it, then NOOP. Never raises for the server."""
        result = Probe(data)
        deadline = time.monotonic() + (timeout or self.timeout)
        match = _TAG.match(data)
        tag = match.group().decode("latin-1") if match else ""
        if tag and tag not in self._pending:
            self._pending[tag] = data[:200].decode("latin-1").split("\r\n")[0]
        tail = completion(data)
        parts = split_input(data if tail is None else data + tail)[0]
        try:
            for index, part in enumerate(parts):
                self._send(part)
                if index < len(parts) - 1 and not self._granted(tag, deadline, result):
                    break  # refused: a client sends none of the rest
            else:
                if tail is None:  # the server agreed to a literal too large to send
                    result.skipped = "the server waits for a literal larger than we send"
                    return result
            self._first_answer(tag, min(deadline, time.monotonic() + ANSWER_WAIT), result)
            if self._sock is None:
                raise ConnectionClosed("closed after answering")
            result.noop = self._noop_after(deadline, result)
            result.answered = result.answered or bool(tag and tag in self._done)
        except ImapTimeout as exc:
            result.hang = str(exc)
        except (ConnectionClosed, LimitExceeded) as exc:
            result.closed = True
            result.notes.append(str(exc))
        except ImapcheckError as exc:
            result.notes.append(str(exc))
        result.bye = result.bye or self.state == "logout" or self.saw_bye()
        if tag:
            self._done.pop(tag, None)
            self._pending.pop(tag, None)
        return result

    def _first_answer(self, tag: str, deadline: float, result: Probe) -> None:
        """Read until the server says something about the input, or ``deadline``.

        Writing the NOOP before the server has finished with the input could meet a closed
        socket, and the TCP reset that follows would destroy a BYE not read yet.
        """
        try:
            while not (result.answered or (tag and tag in self._done)):
                frame = self._read_frame(deadline, "an answer to the input")
                line = frame.first_line
                if line.startswith(b"+"):
                    self._check(frame)
                    result.notes.append("the input left the server asking for more; sent '*'")
                    self._send(b"*\r\n")  # cancels SASL (RFC 3501 §6.2.2); ends IDLE
                    continue
                self._dispatch(frame)
                if not line.startswith(b"* ") or line[2:5] in (b"BAD", b"BYE", b"NO "):
                    result.answered = True
        except ImapTimeout:
            result.notes.append(f"no answer to the input within {ANSWER_WAIT:g}s; sent NOOP")

    def _noop_after(self, deadline: float, result: Probe) -> Reply:
        """NOOP until it completes; a ``+`` means the input left the server asking for more
        (a SASL exchange, IDLE): answer ``*`` and ask again, a bounded number of times."""
        for _attempt in range(4):
            noop = self.next_tag()
            self._pending[noop] = "NOOP"
            self._send(f"{noop} NOOP\r\n".encode())
            while noop not in self._done:
                frame = self._read_frame(deadline, "NOOP after the input")
                if frame.first_line.startswith(b"+"):
                    self._check(frame)
                    result.notes.append("the server asked for more; sent '*'")
                    self._send(b"*\r\n")  # cancels SASL (RFC 3501 §6.2.2); ends IDLE
                    self._pending.pop(noop, None)
                    break
                self._dispatch(frame)
            else:
                return self._done.pop(noop)
        raise ImapTimeout("the server kept asking for continuation data")

    def _granted(self, tag: str, deadline: float, result: Probe) -> bool:
        """Wait for ``+``; False if the server answered otherwise (tagged, BYE).

        An untagged BAD may be about an earlier line of the input (a bare LF before the
        command): the ``+`` can still follow, so it is awaited a little longer.
        """
        try:
            while True:
                frame = self._read_frame(deadline, "a continuation (or a refusal)")
                line = frame.first_line
                if line.startswith(b"+"):
                    self._check(frame)
                    return True
                self._dispatch(frame)
                if not line.startswith(b"* ") or line[2:5] == b"BYE":  # tagged, or the end
                    result.answered = True
                    return False
                if line[2:5] == b"BAD":
                    result.answered = True
                    deadline = min(deadline, time.monotonic() + ANSWER_WAIT)
        except ImapTimeout:
            if result.answered:
                return False  # refused with an untagged BAD, and nothing more
            raise

    def send_with_starttls(self, extra: bytes) -> Reply:
        """STARTTLS with ``extra`` bytes written in the same packet, then the TLS handshake.

        RFC 3501 §6.2.1 / RFC 2595 §3.1: what the client sent before the handshake must not be
        acted on after it (the STARTTLS command injection class of bugs).
        """
        tag = self.next_tag()
        self._pending[tag] = "STARTTLS"
        self._send(f"{tag} STARTTLS\r\n".encode() + extra)
        reply = self.wait(tag)
        if reply.ok:
            self._start_tls()
        return reply
