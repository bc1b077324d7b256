"""Tokenise a framed server response into Python values.

Atoms (and numbers) become ``str``, quoted strings and literals become ``bytes``, NIL becomes
``None`` and parenthesised lists become ``list``. A fetch attribute with a section keeps its
brackets and partial suffix in one atom: ``BODY[HEADER.FIELDS (DATE)]<0>``.

The tokenizer is lenient on purpose (grammar checks belong to syntax/): an unbalanced list is
closed at the end of the response, and a stray byte becomes a one-character atom.
"""

from __future__ import annotations

from collections.abc import Iterator

from imapcheck.wire.reader import Frame

Token = str | bytes | None | list["Token"]

_ATOM_END = b' ()"{\r\n'
MAX_DEPTH = 256
_SECTIONED = frozenset({b"", b"BODY", b"BODY.PEEK", b"BINARY", b"BINARY.PEEK", b"BINARY.SIZE"})


def _segments(frame: Frame) -> Iterator[tuple[bytes, bytes | None]]:
    """Yield (text, literal following it or None)."""
    for index, line in enumerate(frame.lines):
        literal = frame.literals[index] if index < len(frame.literals) else None
        if literal is not None:
            # drop the "{n}\r\n" header, the literal value replaces it
            line = line[: line.rfind(b"{")]
            if line.endswith(b"~"):
                line = line[:-1]
        elif line.endswith(b"\r\n"):
            line = line[:-2]
        elif line.endswith(b"\n"):
            line = line[:-1]
        yield line, literal


def tokenize(frame: Frame, start: int = 0) -> list[Token]:
    """All tokens of a response; ``start`` skips that many bytes of the first line."""
    root: list[Token] = []
    stack: list[list[Token]] = [root]
    for seg_index, (text, literal) in enumerate(_segments(frame)):
        pos = start if seg_index == 0 else 0
        while pos < len(text):
            char = text[pos : pos + 1]
            if char == b" ":
                pos += 1
            elif char == b"(":
                child: list[Token] = []
                stack[-1].append(child)
                if len(stack) < MAX_DEPTH:
                    stack.append(child)
                pos += 1
            elif char == b")":
                if len(stack) > 1:
                    stack.pop()
                pos += 1
            elif char == b'"':
                value, pos = _quoted(text, pos)
                stack[-1].append(value)
            else:
                value_atom, pos = _atom(text, pos)
                stack[-1].append(None if value_atom.upper() == "NIL" else value_atom)
        if literal is not None:
            stack[-1].append(literal)
    return root


def _quoted(text: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == 0x5C and pos + 1 < len(text):  # backslash
            out.append(text[pos + 1])
            pos += 2
        elif char == 0x22:
            return bytes(out), pos + 1
        else:
            out.append(char)
            pos += 1
    return bytes(out), pos


def _atom(text: bytes, pos: int) -> tuple[str, int]:
    begin = pos
    depth = 0
    while pos < len(text):
        char = text[pos : pos + 1]
        if char == b"[" and not depth and text[begin:pos].upper() in _SECTIONED:
            depth = 1  # a section (BODY[...]) or a bracketed code; "[" in a keyword is plain
        elif char == b"]":
            depth = 0
        elif depth == 0 and char in _ATOM_END:
            break
        pos += 1
    if pos == begin:  # a lone special character the grammar does not expect
        pos += 1
    return text[begin:pos].decode("utf-8", "replace"), pos


def as_int(token: Token) -> int | None:
    """A number token as int, or None when it is not one."""
    if isinstance(token, str) and token.isdigit():
        return int(token)
    return None


def as_text(token: Token) -> str | None:
    """An atom, string or literal as text (UTF-8 with replacement), None for NIL."""
    if token is None:
        return None
    if isinstance(token, bytes):
        return token.decode("utf-8", "replace")
    if isinstance(token, str):
        return token
    raise TypeError(f"expected a string, got a list: {token!r}")


def pairs(tokens: list[Token]) -> dict[str, Token]:
    """``(NAME value NAME value)`` as a dict with upper-cased names (FETCH, STATUS)."""
    out: dict[str, Token] = {}
    for index in range(0, len(tokens) - 1, 2):
        name = tokens[index]
        if isinstance(name, str):
            out[name.upper()] = tokens[index + 1]
    return out
