"""Compare a server's ENVELOPE / BODY / BODYSTRUCTURE with the expected one.

The server's value comes as wire tokens (as :mod:`imapcheck.wire.tokens` produces them): atoms
as ``str``, strings as ``bytes``, NIL as ``None``, lists as ``list``; numbers as ``str`` or
``int``. Each function returns human-readable differences, empty when the server is right.

Case-insensitive where RFC 3501 / MIME are (type, subtype, encoding, parameter names, charset
values, disposition type, language tags, host names); exact elsewhere. Tolerated because the
RFCs leave them open: NIL for an empty envelope string (§7.4.2 note), whitespace runs in
envelope strings, a missing ``charset`` on text parts (RFC 2046 §4.1.2 default US-ASCII), and
one line fewer for a part whose last line has no CRLF (what "text lines" means is not defined).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from imapcheck.corpus.envelope import FIELDS, Address, Addresses, Envelope
from imapcheck.corpus.expect import Params, Part

_ADDRESS_FIELDS = {"from_", "sender", "reply_to", "to", "cc", "bcc"}
_NO = object()  # a token of the wrong kind (a list where a string belongs)


def render(token: object, limit: int = 160) -> str:
    """A token in IMAP notation, for messages."""
    if token is None:
        out = "NIL"
    elif isinstance(token, bytes):
        out = '"' + token.decode("utf-8", "replace").replace('"', '\\"') + '"'
    elif isinstance(token, list | tuple):
        out = "(" + " ".join(render(t, limit) for t in token) + ")"
    else:
        out = str(token)
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _bytes(token: object) -> object:
    """bytes, None for NIL, or ``_NO`` for a token that is not a string."""
    if token is None or (isinstance(token, str) and token.upper() == "NIL"):
        return None
    if isinstance(token, bytes):
        return token
    if isinstance(token, str | int):
        return str(token).encode("utf-8", "surrogateescape")
    return _NO


def _int(token: object) -> int | None:
    if isinstance(token, int):
        return token
    if isinstance(token, str | bytes) and token.isdigit():
        return int(token)
    return None


def _enc(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8", "surrogateescape")


def _squash(value: bytes) -> bytes:
    return b" ".join(value.split())


def _string(
    out: list[str],
    where: str,
    expected: str | None,
    token: object,
    *,
    fold: bool = False,
    empty_is_nil: bool = False,
    squash: bool = False,
) -> None:
    actual, wanted = _bytes(token), _enc(expected)
    if actual is _NO:
        out.append(f"{where}: string {render(wanted)} expected, server sent {render(token)}")
        return
    got = actual if isinstance(actual, bytes) else None
    if empty_is_nil:
        got, wanted = got or None, wanted or None
    if squash:
        got = None if got is None else _squash(got)
        wanted = None if wanted is None else _squash(wanted)
    if fold:
        got = None if got is None else got.lower()
        wanted = None if wanted is None else wanted.lower()
    if got != wanted:
        out.append(f"{where}: {render(_enc(expected))} expected, server said {render(token)}")


# --- ENVELOPE ----------------------------------------------------------------------------------


def compare_envelope(expected: Envelope, actual: object, where: str = "envelope") -> list[str]:
    """Differences between the expected ENVELOPE and the server's tokens."""
    if not isinstance(actual, list) or len(actual) != 10:
        return [f"{where}: a list of 10 members expected, server sent {render(actual)}"]
    out: list[str] = []
    for name, token in zip(FIELDS, actual, strict=True):
        label = f"{where} {name.rstrip('_')}"
        value = getattr(expected, name)
        if name in _ADDRESS_FIELDS:
            _addresses(out, label, value, token)
        else:
            _string(out, label, value, token, empty_is_nil=True, squash=True)
    return out


def _addresses(out: list[str], where: str, expected: Addresses | None, token: object) -> None:
    if token is None or token == []:
        if expected is not None:
            out.append(f"{where}: {render(_tokens(expected))} expected, server said NIL")
        return
    if not isinstance(token, list) or expected is None or len(token) != len(expected):
        wanted = "NIL" if expected is None else render(_tokens(expected))
        out.append(f"{where}: {wanted} expected, server said {render(token)}")
        return
    for index, (address, got) in enumerate(zip(expected, token, strict=True), 1):
        if not isinstance(got, list) or len(got) != 4:
            out.append(f"{where} #{index}: an address expected, server sent {render(got)}")
            continue
        before = len(out)
        _string(out, where, address.name, got[0], empty_is_nil=True)
        _string(out, where, address.adl, got[1], fold=True)
        _string(out, where, address.mailbox, got[2])
        _string(out, where, address.host, got[3], fold=True)
        if len(out) > before:
            del out[before:]
            out.append(
                f"{where} #{index}: {render(_tokens([address])[0])} expected, "
                f"server said {render(got)}"
            )


def _tokens(addresses: Addresses | list[Address]) -> list[list[bytes | None]]:
    return [[_enc(part) for part in address] for address in addresses]


# --- BODY / BODYSTRUCTURE ----------------------------------------------------------------------


def compare_bodystructure(expected: Part, actual: object, *, extension: bool) -> list[str]:
    """Differences between the expected body structure and the server's tokens.

    ``extension``: the server answered BODYSTRUCTURE (extension data is compared; a trailing
    field the server left out counts as a difference only when its value is not NIL); with
    False it answered BODY, which must not carry extension data at all.
    """
    out: list[str] = []
    _body(out, expected, actual, extension)
    return out


def _body(out: list[str], part: Part, token: object, extension: bool) -> None:
    where = f"part {part.section}"
    if not isinstance(token, list) or not token:
        out.append(f"{where}: a body structure expected, server sent {render(token)}")
        return
    if part.multipart:
        _multipart(out, part, token, extension, where)
        return
    if isinstance(token[0], list):
        out.append(f"{where}: {part.mime_type} expected, server sent a multipart")
        return
    if len(token) < 7:
        out.append(f"{where}: at least 7 fields expected, server sent {render(token)}")
        return
    before = len(out)
    _string(out, f"{where}: type", part.type, token[0], fold=True)
    _string(out, f"{where}: subtype", part.subtype, token[1], fold=True)
    if len(out) > before:
        return  # a different type: the remaining fields cannot be matched up
    _params(out, f"{where}: parameters", part.params, token[2], text=part.type == "text")
    _string(out, f"{where}: id", part.id, token[3])
    _string(out, f"{where}: description", part.description, token[4])
    _string(out, f"{where}: encoding", part.encoding, token[5], fold=True)
    _number(out, f"{where}: size", part.size, token[6])
    index = 7
    if part.body is not None and part.envelope is not None:
        if len(token) < 10:
            out.append(f"{where}: envelope, body and lines expected, server sent {render(token)}")
            return
        out.extend(compare_envelope(part.envelope, token[7], f"{where} envelope"))
        _body(out, part.body, token[8], extension)
        index = 10
    elif part.type == "text":
        index = 8
    if part.lines is not None:
        _lines(out, where, part, token[index - 1] if len(token) >= index else None)
    _extension(
        out,
        where,
        token[index:],
        extension,
        [
            ("md5", part.md5, lambda w, e, t: _string(out, w, e, t)),
            ("disposition", part.disposition, lambda w, e, t: _disposition(out, w, e, t)),
            ("language", part.language, lambda w, e, t: _language(out, w, e, t)),
            ("location", part.location, lambda w, e, t: _string(out, w, e, t)),
        ],
    )


def _multipart(
    out: list[str], part: Part, token: list[object], extension: bool, where: str
) -> None:
    if not isinstance(token[0], list):
        out.append(f"{where}: {part.mime_type} expected, server sent {render(token[:2])}")
        return
    count = next((i for i, t in enumerate(token) if not isinstance(t, list)), len(token))
    children = token[:count]
    if len(children) != len(part.parts):
        out.append(f"{where}: {len(part.parts)} parts expected, server sent {len(children)}")
    for child, got in zip(part.parts, children, strict=False):
        _body(out, child, got, extension)
    rest = token[len(children) :]
    if not rest:
        out.append(f"{where}: multipart subtype {part.subtype!r} expected, server sent none")
        return
    _string(out, f"{where}: subtype", part.subtype, rest[0], fold=True)
    _extension(
        out,
        where,
        rest[1:],
        extension,
        [
            ("parameters", part.params, lambda w, e, t: _params(out, w, e, t, text=False)),
            ("disposition", part.disposition, lambda w, e, t: _disposition(out, w, e, t)),
            ("language", part.language, lambda w, e, t: _language(out, w, e, t)),
            ("location", part.location, lambda w, e, t: _string(out, w, e, t)),
        ],
    )


Check = Callable[[str, Any, object], None]


def _extension(
    out: list[str],
    where: str,
    rest: list[object],
    extension: bool,
    fields: list[tuple[str, object, Check]],
) -> None:
    if not extension:
        if rest:
            out.append(f"{where}: BODY must not carry extension data, server sent {render(rest)}")
        return
    for index, (name, value, check) in enumerate(fields):
        if index < len(rest):
            check(f"{where}: {name}", value, rest[index])
        elif value:
            out.append(f"{where}: {name} expected, server left out the extension field")
    if len(rest) > len(fields):
        out.append(
            f"{where}: extension data not defined by RFC 3501: {render(rest[len(fields) :])}"
        )


def _number(out: list[str], where: str, expected: int, token: object) -> None:
    actual = _int(token)
    if actual != expected:
        out.append(f"{where} {expected} expected, server said {render(token)}")


def _lines(out: list[str], where: str, part: Part, token: object) -> None:
    actual, expected = _int(token), part.lines
    assert expected is not None
    if actual == expected or (part.open_end and actual == expected - 1):
        return
    extra = (
        f" (or {expected - 1}, not counting the last line without CRLF)" if part.open_end else ""
    )
    out.append(f"{where}: lines {expected}{extra} expected, server said {render(token)}")


def _pairs(token: object) -> dict[str, bytes] | None:
    if token is None or token == []:
        return {}
    if not isinstance(token, list) or len(token) % 2:
        return None
    out: dict[str, bytes] = {}
    for key, value in zip(token[::2], token[1::2], strict=True):
        key_bytes, value_bytes = _bytes(key), _bytes(value)
        if not isinstance(key_bytes, bytes) or not isinstance(value_bytes, bytes):
            return None
        out[key_bytes.decode("utf-8", "replace").lower()] = value_bytes
    return out


def _params(out: list[str], where: str, expected: object, token: object, *, text: bool) -> None:
    got = _pairs(token)
    if got is None:
        out.append(f"{where}: attribute/value pairs expected, server sent {render(token)}")
        return
    assert isinstance(expected, Params)
    wanted = {k: v.encode("utf-8", "surrogateescape") for k, v in expected.items()}
    if text:  # RFC 2046 §4.1.2: no charset means US-ASCII
        for side in (got, wanted):
            side.setdefault("charset", b"us-ascii")
    for key in sorted(set(got) | set(wanted)):
        value, mine = got.get(key), wanted.get(key)
        same = (
            (value or b"").lower() == (mine or b"").lower() if key == "charset" else value == mine
        )
        if value is None or mine is None or not same:
            out.append(f"{where}: {key}={render(mine)} expected, server said {key}={render(value)}")


def _disposition(out: list[str], where: str, expected: object, token: object) -> None:
    if expected is None or token is None:
        if expected is not None or token is not None:
            shown = "NIL" if expected is None else repr(expected[0])  # type: ignore[index]
            out.append(f"{where}: {shown} expected, server said {render(token)}")
        return
    assert isinstance(expected, tuple)
    if not isinstance(token, list) or len(token) != 2:
        out.append(f"{where}: (type params) expected, server sent {render(token)}")
        return
    _string(out, f"{where} type", expected[0], token[0], fold=True)
    _params(out, f"{where} parameters", expected[1], token[1], text=False)


def _language(out: list[str], where: str, expected: object, token: object) -> None:
    items = token if isinstance(token, list) else [token]
    got = [_bytes(t) for t in items]
    tags = None if token is None else [g.lower() for g in got if isinstance(g, bytes)]
    mine = None if expected is None else [t.lower().encode() for t in expected]  # type: ignore[attr-defined]
    if tags != mine:
        out.append(f"{where}: {render(mine)} expected, server said {render(token)}")
