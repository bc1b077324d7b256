"""Interpret framed responses: untagged data, status responses, tagged completions."""

from __future__ import annotations

from dataclasses import dataclass, field

from imapcheck.wire.reader import Frame
from imapcheck.wire.tokens import Token, pairs, tokenize

STATUS_WORDS = frozenset({"OK", "NO", "BAD", "PREAUTH", "BYE"})


@dataclass(frozen=True)
class ResponseCode:
    """A bracketed response code: ``[UIDNEXT 4]`` -> name "UIDNEXT", args ["4"]."""

    name: str
    args: list[Token]
    raw: str

    def __str__(self) -> str:
        return self.raw


def _split_status(frame: Frame, offset: int) -> tuple[ResponseCode | None, str]:
    """Parse ``[code] text`` starting at ``offset`` of the first line."""
    line = frame.lines[0]
    rest = line[offset:].rstrip(b"\r\n")
    if rest.startswith(b"["):
        # the code ends at the first "]" outside a quoted string ("[" may occur in keywords)
        quoted, end = False, -1
        for index, byte in enumerate(rest):
            if byte == 0x22 and (index == 0 or rest[index - 1] != 0x5C):
                quoted = not quoted
            elif byte == 0x5D and not quoted:
                end = index
                break
        if end > 0:
            raw = rest[1:end].decode("utf-8", "replace")
            code_tokens = tokenize(Frame((rest[1:end] + b"\r\n",)))
            name = str(code_tokens[0]).upper() if code_tokens and code_tokens[0] else ""
            code = ResponseCode(name, code_tokens[1:], raw)
            return code, rest[end + 1 :].lstrip(b" ").decode("utf-8", "replace")
    return None, rest.decode("utf-8", "replace")


@dataclass
class Untagged:
    """``* ...`` data. ``kind`` is the upper-cased keyword (EXISTS, FETCH, OK, LIST, ...)."""

    kind: str
    number: int | None
    tokens: list[Token]
    frame: Frame
    code: ResponseCode | None = None
    text: str = ""

    @property
    def items(self) -> dict[str, Token]:
        """FETCH attributes (or STATUS items) as a dict keyed by upper-cased name."""
        if self.kind == "FETCH" and self.tokens and isinstance(self.tokens[0], list):
            return pairs(self.tokens[0])
        if self.kind == "STATUS" and len(self.tokens) > 1 and isinstance(self.tokens[1], list):
            return pairs(self.tokens[1])
        return {}

    def __str__(self) -> str:
        return self.frame.raw.decode("utf-8", "replace").rstrip("\r\n")


def parse_untagged(frame: Frame) -> Untagged:
    tokens = tokenize(frame, start=2)
    first = tokens[0] if tokens else ""
    if isinstance(first, str) and first.isdigit() and len(tokens) > 1:
        kind = str(tokens[1]).upper() if isinstance(tokens[1], str) else ""
        return Untagged(kind, int(first), tokens[2:], frame)
    kind = first.upper() if isinstance(first, str) else ""
    if kind in STATUS_WORDS:
        offset = 2 + len(kind) + 1
        code, text = _split_status(frame, offset)
        return Untagged(kind, None, tokens[1:], frame, code, text)
    return Untagged(kind, None, tokens[1:], frame)


@dataclass
class Reply:
    """The outcome of one command: its tagged completion and what came before it."""

    tag: str
    command: str  # the command line as sent, secrets redacted
    status: str  # OK / NO / BAD, or "" if the connection ended first
    code: ResponseCode | None
    text: str
    untagged: list[Untagged] = field(default_factory=list)
    continuations: list[Frame] = field(default_factory=list)
    frame: Frame | None = None

    @property
    def ok(self) -> bool:
        return self.status == "OK"

    def of(self, kind: str) -> list[Untagged]:
        """Untagged responses of one kind (``reply.of("EXISTS")``)."""
        kind = kind.upper()
        return [u for u in self.untagged if u.kind == kind]

    def codes(self) -> list[ResponseCode]:
        """Every response code: those in untagged status responses, then the tagged one."""
        found = [u.code for u in self.untagged if u.code is not None]
        if self.code is not None:
            found.append(self.code)
        return found

    def code_named(self, name: str) -> ResponseCode | None:
        for code in self.codes():
            if code.name == name.upper():
                return code
        return None

    def fetches(self) -> dict[int, dict[str, Token]]:
        """FETCH responses merged by sequence number (a server may split them)."""
        merged: dict[int, dict[str, Token]] = {}
        for untagged in self.of("FETCH"):
            if untagged.number is not None:
                merged.setdefault(untagged.number, {}).update(untagged.items)
        return merged

    def summary(self) -> str:
        code = f"[{self.code.raw}] " if self.code else ""
        return f"{self.status} {code}{self.text}".strip() or "no completion"


def parse_tagged(frame: Frame, command: str = "") -> Reply | None:
    """A tagged completion, or None if the frame is not ``tag OK|NO|BAD ...``."""
    line = frame.lines[0]
    space = line.find(b" ")
    if space <= 0:
        return None
    second = line.find(b" ", space + 1)
    word_end = second if second > 0 else len(line.rstrip(b"\r\n"))
    status = line[space + 1 : word_end].upper()
    if status not in (b"OK", b"NO", b"BAD"):
        return None
    tag = line[:space].decode("utf-8", "replace")
    code, text = _split_status(frame, word_end + 1) if second > 0 else (None, "")
    return Reply(tag, command, status.decode(), code, text, frame=frame)
