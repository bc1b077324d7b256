"""Byte-level MIME splitting: header fields, parameters and the entity tree with exact offsets.

Offsets refer to the message after :func:`normalize` (IMAP's view: every line ends in CRLF).
Per RFC 2046 §5.1.1 the CRLF before a boundary delimiter belongs to the delimiter, so a body
part's content ends just before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

CRLF = b"\r\n"
WSP = b" \t"
MAX_DEPTH = 500
_BARE_LF = re.compile(rb"(?<!\r)\n")
_TSPECIALS = set(b'()<>@,;:\\"/[]?=')


def normalize(data: bytes) -> bytes:
    """The message as IMAP sees it: bare LF becomes CRLF (octet counts assume CRLF)."""
    return _BARE_LF.sub(CRLF, data) if b"\n" in data else data


def text(value: bytes) -> str:
    """Header bytes as ``str``, losslessly (UTF-8, other octets kept as surrogates)."""
    return value.decode("utf-8", "surrogateescape")


def unfold(value: bytes) -> bytes:
    """RFC 5322 §2.2.3 unfolding (drop each CRLF), then strip surrounding whitespace."""
    return value.replace(CRLF, b"").replace(b"\n", b"").strip(WSP)


@dataclass(frozen=True)
class Field:
    """One header field: ``raw`` is every octet of it, folding and final CRLF included."""

    name: str
    raw: bytes

    @property
    def value(self) -> bytes:
        """The field body, unfolded, without surrounding whitespace."""
        colon = self.raw.find(b":")
        return unfold(self.raw[colon + 1 :]) if colon >= 0 else b""


def split_header(data: bytes, start: int, end: int) -> tuple[list[Field], int]:
    """Header fields of the entity in ``data[start:end]`` and where its body starts.

    The body starts after the first empty line; without one, everything is header and the body
    is empty (``end``). A malformed line without a colon is kept as a field with an empty name.
    """
    fields: list[Field] = []
    pos = start
    current = -1
    while pos < end:
        nl = data.find(b"\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        if data[pos:line_end] in (CRLF, b"\n"):
            _close(data, fields, current, pos)
            return fields, line_end
        if data[pos] not in WSP or current < 0:
            _close(data, fields, current, pos)
            current = pos
        pos = line_end
    _close(data, fields, current, end)
    return fields, end


def _close(data: bytes, fields: list[Field], start: int, end: int) -> None:
    if start < 0:
        return
    raw = data[start:end]
    colon = raw.find(b":")
    name = raw[:colon].rstrip(WSP).decode("ascii", "replace") if colon > 0 else ""
    fields.append(Field(name, raw))


def first(fields: Iterable[Field], name: str) -> Field | None:
    """The first field called ``name`` (case-insensitive)."""
    name = name.lower()
    return next((f for f in fields if f.name.lower() == name), None)


# --- RFC 2045 structured values: "type/subtype; a=b; c="d"" ------------------------------------


def _skip_cfws(value: bytes, pos: int) -> int:
    while pos < len(value):
        if value[pos] in b" \t\r\n":
            pos += 1
        elif value[pos : pos + 1] == b"(":
            depth = 0
            while pos < len(value):
                char = value[pos : pos + 1]
                if char == b"\\":
                    pos += 1
                elif char == b"(":
                    depth += 1
                elif char == b")":
                    depth -= 1
                    if depth == 0:
                        break
                pos += 1
            pos += 1
        else:
            break
    return pos


def _token(value: bytes, pos: int) -> tuple[bytes, int]:
    start = pos
    while pos < len(value) and value[pos] > 32 and value[pos] not in _TSPECIALS:
        pos += 1
    return value[start:pos], pos


def _quoted(value: bytes, pos: int) -> tuple[bytes, int]:
    """A quoted string starting at ``value[pos] == '"'``: its content, unescaped."""
    out = bytearray()
    pos += 1
    while pos < len(value):
        char = value[pos]
        if char == 0x5C and pos + 1 < len(value):
            out.append(value[pos + 1])
            pos += 2
            continue
        if char == 0x22:
            return bytes(out), pos + 1
        if char not in b"\r\n":
            out.append(char)
        pos += 1
    return bytes(out), pos


def _params(value: bytes, pos: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    while True:
        pos = _skip_cfws(value, pos)
        if pos >= len(value) or value[pos : pos + 1] != b";":
            return out
        pos = _skip_cfws(value, pos + 1)
        name, pos = _token(value, pos)
        pos = _skip_cfws(value, pos)
        if not name or value[pos : pos + 1] != b"=":
            return out
        pos = _skip_cfws(value, pos + 1)
        if value[pos : pos + 1] == b'"':
            val, pos = _quoted(value, pos)
        else:
            val, pos = _token(value, pos)
        out.append((text(name), text(val)))


def parse_value(value: bytes, with_subtype: bool) -> tuple[str, str, list[tuple[str, str]]] | None:
    """``type[/subtype] *(; attr=value)``, type lower-cased; None when malformed."""
    pos = _skip_cfws(value, 0)
    kind, pos = _token(value, pos)
    sub = b""
    if with_subtype:
        pos = _skip_cfws(value, pos)
        if value[pos : pos + 1] != b"/":
            return None
        sub, pos = _token(value, _skip_cfws(value, pos + 1))
        if not sub:
            return None
    if not kind:
        return None
    return text(kind).lower(), text(sub).lower(), _params(value, pos)


def split_list(value: bytes) -> list[str]:
    """A comma-separated list of tokens, comments removed (Content-Language)."""
    items = (_token(item, _skip_cfws(item, 0))[0] for item in value.split(b","))
    return [text(item) for item in items if item]


# --- the entity tree ---------------------------------------------------------------------------


@dataclass
class Entity:
    """One MIME entity: header at ``data[start:body_start]``, content at ``[body_start:end]``."""

    start: int
    body_start: int
    end: int
    fields: list[Field]
    type: str = "text"
    subtype: str = "plain"
    params: list[tuple[str, str]] = field(default_factory=list)
    children: list[Entity] = field(default_factory=list)
    message: Entity | None = None  # the encapsulated message of a message/rfc822 part

    @property
    def is_multipart(self) -> bool:
        return self.type == "multipart" and self.boundary is not None

    @property
    def boundary(self) -> str | None:
        return next((v for k, v in self.params if k.lower() == "boundary" and v), None)

    def header(self, name: str) -> Field | None:
        return first(self.fields, name)


def parse(
    data: bytes,
    start: int = 0,
    end: int | None = None,
    *,
    default: tuple[str, str] = ("text", "plain"),
    depth: int = 0,
) -> Entity:
    """Parse the entity (or whole message) in ``data[start:end]``; ``data`` must be normalized."""
    if depth > MAX_DEPTH:
        raise ValueError(f"MIME nesting deeper than {MAX_DEPTH} levels")
    end = len(data) if end is None else end
    fields, body_start = split_header(data, start, end)
    entity = Entity(start, body_start, end, fields, *default)
    header = entity.header("Content-Type")
    parsed = parse_value(header.value, True) if header is not None else None
    if parsed is not None:
        entity.type, entity.subtype, entity.params = parsed
    elif default == ("text", "plain"):
        entity.params = [("charset", "us-ascii")]
    boundary = entity.boundary
    if entity.type == "multipart" and boundary is not None:
        child_default = ("message", "rfc822") if entity.subtype == "digest" else ("text", "plain")
        for part_start, part_end in split_parts(data, body_start, end, boundary.encode()):
            entity.children.append(
                parse(data, part_start, part_end, default=child_default, depth=depth + 1)
            )
    elif (entity.type, entity.subtype) == ("message", "rfc822") and _identity_encoded(entity):
        entity.message = parse(data, body_start, end, depth=depth + 1)
    return entity


def _identity_encoded(entity: Entity) -> bool:
    cte = entity.header("Content-Transfer-Encoding")
    return cte is None or cte.value.lower() in (b"7bit", b"8bit", b"binary", b"")


def split_parts(data: bytes, start: int, end: int, boundary: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each body part between the delimiters ``--boundary`` in the range."""
    part_start = -1
    for line_start, line_end, close in _delimiters(data, start, end, b"--" + boundary):
        if part_start >= 0:
            yield part_start, max(part_start, line_start - 2)
        if close:
            return
        part_start = line_end
    if part_start >= 0:  # no close delimiter: the last part runs to the end
        yield part_start, end


def _delimiters(data: bytes, start: int, end: int, delim: bytes) -> Iterator[tuple[int, int, bool]]:
    pos = start
    while pos < end:
        hit = data.find(delim, pos, end)
        if hit < 0:
            return
        nl = data.find(b"\n", hit, end)
        line_end = end if nl < 0 else nl + 1
        if hit == start or data[hit - 2 : hit] == CRLF:
            rest = data[hit + len(delim) : line_end].rstrip(b"\r\n")
            if rest.startswith(b"--"):
                yield hit, line_end, True
            elif not rest.strip(WSP):
                yield hit, line_end, False
        pos = line_end
