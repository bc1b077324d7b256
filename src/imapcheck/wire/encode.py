"""Render command arguments: atom, quoted string or literal (sync, LITERAL+, literal8).

RFC 3501 §4 and §9: an ``astring`` may be sent as an atom (``ASTRING-CHAR+``), a quoted string
(7-bit, no CR, LF or NUL) or a literal (any octets but NUL). RFC 7888 adds the non-synchronizing
literal ``{n+}``, RFC 3516 the ``~{n}`` literal8 that may carry NUL.

:func:`render_command` turns a command into the segments to write: after every segment but the
last, the client waits for the server's ``+`` continuation before sending the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
_ATOM_SPECIALS = frozenset(b'(){ %*"\\]')
_RESP_SPECIALS = 0x5D  # "]": allowed in ASTRING-CHAR


@dataclass(frozen=True)
class Literal:
    """A literal argument.

    ``non_sync`` renders ``{n+}`` (LITERAL+ / LITERAL-, RFC 7888): no continuation is awaited.
    ``binary`` renders the literal8 form ``~{n}`` (BINARY, RFC 3516).
    """

    data: bytes
    non_sync: bool = False
    binary: bool = False

    def header(self) -> bytes:
        """The literal header including its CRLF, e.g. ``b"~{5+}\\r\\n"``."""
        prefix = b"~" if self.binary else b""
        plus = b"+" if self.non_sync else b""
        return b"%s{%d%s}\r\n" % (prefix, len(self.data), plus)


Arg = bytes | str | Literal


def _bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _atom_char(c: int) -> bool:
    return 0x20 < c < 0x7F and c not in _ATOM_SPECIALS


def is_atom(value: bytes | str) -> bool:
    """True if ``value`` is ``1*ATOM-CHAR``: 7-bit, no CTL, no SP, no atom-specials."""
    data = _bytes(value)
    return bool(data) and all(_atom_char(c) for c in data)


def is_astring_atom(value: bytes | str) -> bool:
    """True if ``value`` is ``1*ASTRING-CHAR``: atom characters plus ``]``."""
    data = _bytes(value)
    return bool(data) and all(c == _RESP_SPECIALS or _atom_char(c) for c in data)


def is_quotable(value: bytes | str) -> bool:
    """True if ``value`` fits in a quoted string: 7-bit, no NUL, CR or LF."""
    return all(0 < c < 0x80 and c not in (0x0A, 0x0D) for c in _bytes(value))


def quoted(value: bytes | str) -> bytes:
    """A quoted string with ``\\`` and ``"`` escaped.

    Raises ValueError if ``value`` holds CR, LF, NUL or an 8-bit octet (it needs a literal).
    """
    data = _bytes(value)
    if not is_quotable(data):
        raise ValueError("value holds CR, LF, NUL or 8-bit octets; it needs a literal")
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def string(value: bytes | str, *, literal_plus: bool = False) -> bytes | Literal:
    """A ``string``: quoted if possible, else a literal (``{n+}`` when ``literal_plus``)."""
    data = _bytes(value)
    if is_quotable(data):
        return quoted(data)
    return Literal(data, non_sync=literal_plus)


def astring(value: bytes | str, *, literal_plus: bool = False) -> bytes | Literal:
    """An ``astring``: atom if possible, else quoted, else a literal."""
    data = _bytes(value)
    if is_astring_atom(data):
        return data
    return string(data, literal_plus=literal_plus)


def render_command(tag: str, name: str, args: Sequence[Arg]) -> list[bytes]:
    """Segments to write for ``tag name args...``.

    A synchronizing literal ends its segment with the header ``{n}\\r\\n``; its data starts the
    next segment. Non-synchronizing literals stay inline. The last segment ends with CRLF.
    ``bytes`` and ``str`` (as UTF-8) arguments are written verbatim.
    """
    segments: list[bytes] = []
    current = bytearray(_bytes(tag) + b" " + _bytes(name))
    for arg in args:
        current += b" "
        if isinstance(arg, Literal):
            current += arg.header()
            if not arg.non_sync:
                segments.append(bytes(current))
                current = bytearray()
            current += arg.data
        else:
            current += _bytes(arg)
    current += b"\r\n"
    segments.append(bytes(current))
    return segments


def render_line(tag: str, name: str, args: Sequence[Arg]) -> bytes:
    """The whole command as one byte string (all segments joined)."""
    return b"".join(render_command(tag, name, args))
