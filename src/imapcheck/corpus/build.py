"""Builders of test messages with exact CRLF bytes: plain, multipart, large, hostile shapes.

Everything is deterministic (same arguments, same bytes). Entities (:func:`mime_part`,
:func:`mime_multipart`, :func:`mime_message`, :func:`attachment`) nest into each other and
into :func:`build_multipart`.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.header import Header
from email.utils import format_datetime

CRLF = b"\r\n"
DEFAULT_FROM = "Alice Example <alice@example.org>"
DEFAULT_TO = "Bob Example <bob@example.net>"
DEFAULT_DATE = "Mon, 06 Jan 2020 10:00:00 +0000"

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
_FILLER = b"The quick brown fox jumps over the lazy dog while imapcheck counts octets. " * 2


def crlf(text: str | bytes) -> bytes:
    """UTF-8 bytes with every line end (LF, CR or CRLF) turned into CRLF."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return CRLF.join(raw.splitlines()) + (CRLF if raw.endswith((b"\n", b"\r")) else b"")


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def _header_value(value: str) -> str:
    """Non-ASCII values become RFC 2047 encoded words (headers stay 7-bit)."""
    return value if value.isascii() else Header(value, "utf-8").encode(linesep="\r\n")


def header_block(headers: Headers) -> bytes:
    """``Name: value`` lines, each ending in CRLF (values may carry their own folding)."""
    return b"".join(f"{k}: {_header_value(v)}".encode() + CRLF for k, v in _pairs(headers))


def _date(date: str | datetime) -> str:
    return date if isinstance(date, str) else format_datetime(date)


def _message_id(*seeds: str) -> str:
    digest = hashlib.sha256("\0".join(seeds).encode()).hexdigest()[:20]
    return f"<{digest}@imapcheck.invalid>"


def _envelope_headers(
    subject: str, from_: str, to: str, date: str | datetime, message_id: str | None
) -> list[tuple[str, str]]:
    date_text = _date(date)
    return [
        ("From", from_),
        ("To", to),
        ("Subject", subject),
        ("Date", date_text),
        ("Message-ID", message_id or _message_id(subject, from_, to, date_text)),
        ("MIME-Version", "1.0"),
    ]


def filler(count: int) -> bytes:
    """Exactly ``count`` octets of text lines, each ending in CRLF (``count`` 0 or >= 2)."""
    if count == 1 or count < 0:
        raise ValueError("filler needs 0 or at least 2 octets")
    out = bytearray()
    while count > 0:
        take = min(count, 78)
        if count - take == 1:
            take -= 1
        out += _FILLER[: take - 2] + CRLF
        count -= take
    return bytes(out)


def pad(body: bytes, count: int) -> bytes:
    """``body`` grown by exactly ``count`` octets, still ending in CRLF."""
    if count == 1:
        if not body.endswith(CRLF):
            raise ValueError("cannot pad by one octet")
        return body[:-2] + b"." + CRLF
    return body + filler(count)


def build_plain(
    subject: str = "imapcheck test message",
    body: str | bytes = "Hello.\r\n",
    *,
    from_: str = DEFAULT_FROM,
    to: str = DEFAULT_TO,
    date: str | datetime = DEFAULT_DATE,
    size: int | None = None,
    extra_headers: Headers = (),
    message_id: str | None = None,
) -> bytes:
    """A single-part text/plain message. Non-ASCII text is sent as UTF-8 with 8bit encoding.

    ``size`` pads the body with text lines so that the message is exactly ``size`` octets.
    """
    content = crlf(body)
    if content and not content.endswith(CRLF):
        content += CRLF
    eight_bit = not content.isascii()
    headers = _envelope_headers(subject, from_, to, date, message_id)
    headers += [
        ("Content-Type", f"text/plain; charset={'utf-8' if eight_bit else 'us-ascii'}"),
        ("Content-Transfer-Encoding", "8bit" if eight_bit else "7bit"),
        *_pairs(extra_headers),
    ]
    head = header_block(headers) + CRLF
    if size is not None:
        missing = size - len(head) - len(content)
        if missing < 0 or (missing == 1 and not content):
            raise ValueError(f"a message of {size} octets is too small for these headers")
        content = pad(content, missing)
    return head + content


# --- entities ----------------------------------------------------------------------------------


def mime_part(
    body: str | bytes,
    content_type: str = "text/plain; charset=us-ascii",
    *,
    encoding: str | None = None,
    headers: Headers = (),
) -> bytes:
    """A body part: Content-Type (and Content-Transfer-Encoding) plus ``headers``, then body."""
    fields = [("Content-Type", content_type)]
    if encoding:
        fields.append(("Content-Transfer-Encoding", encoding))
    return header_block(fields + _pairs(headers)) + CRLF + crlf(body)


def attachment(
    data: bytes,
    filename: str,
    content_type: str = "application/octet-stream",
    *,
    headers: Headers = (),
) -> bytes:
    """A base64 attachment (76-character lines) with name and Content-Disposition."""
    encoded = base64.encodebytes(data).replace(b"\n", CRLF)
    return mime_part(
        encoded,
        f'{content_type}; name="{filename}"',
        encoding="base64",
        headers=[("Content-Disposition", f'attachment; filename="{filename}"'), *_pairs(headers)],
    )


def _boundary(parts: list[bytes], salt: str = "") -> str:
    seed = hashlib.sha256(b"".join(parts) + salt.encode()).hexdigest()
    for start in range(0, 40):
        boundary = f"=_imapcheck_{seed[start : start + 16]}"
        if not any(boundary.encode() in part for part in parts):
            return boundary
    raise ValueError("no boundary free of the content")


def multipart_body(parts: Iterable[bytes], boundary: str) -> bytes:
    """Delimiters and parts; each part's own final CRLF stays part of its content."""
    delimiter = b"--" + boundary.encode()
    out = bytearray()
    for part in parts:
        out += delimiter + CRLF + part + CRLF
    return bytes(out + delimiter + b"--" + CRLF)


def mime_multipart(
    parts: Iterable[bytes],
    subtype: str = "mixed",
    *,
    boundary: str | None = None,
    headers: Headers = (),
) -> bytes:
    """A multipart entity (usable as a part of another multipart)."""
    items = list(parts)
    boundary = boundary or _boundary(items, subtype)
    head = header_block(
        [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"'), *_pairs(headers)]
    )
    return head + CRLF + multipart_body(items, boundary)


def mime_message(message: bytes, *, headers: Headers = ()) -> bytes:
    """A message/rfc822 entity encapsulating ``message``."""
    return header_block([("Content-Type", "message/rfc822"), *_pairs(headers)]) + CRLF + message


def build_multipart(
    *parts: bytes,
    subtype: str = "mixed",
    subject: str = "imapcheck multipart",
    from_: str = DEFAULT_FROM,
    to: str = DEFAULT_TO,
    date: str | datetime = DEFAULT_DATE,
    boundary: str | None = None,
    extra_headers: Headers = (),
    message_id: str | None = None,
) -> bytes:
    """A multipart message of the given entities (see :func:`mime_part` and friends)."""
    head = header_block(
        _envelope_headers(subject, from_, to, date, message_id) + _pairs(extra_headers)
    )
    return head + mime_multipart(list(parts), subtype, boundary=boundary)


# --- large and hostile shapes ------------------------------------------------------------------


def build_large(size_bytes: int, *, seed: int = 0) -> bytes:
    """A multipart/mixed message of exactly ``size_bytes`` octets: a text part and a base64
    attachment of pseudo-random data that holds most of the size."""
    boundary = "=_imapcheck_large_part_boundary"  # '_' never occurs in base64 or the filler
    text = b"This message carries a large attachment.\r\n"

    def make(lines: int, padding: int) -> bytes:
        data = random.Random(seed).randbytes(57 * lines)
        parts = [mime_part(pad(text, padding)), attachment(data, "large.bin")]
        head = header_block(
            _envelope_headers(
                f"imapcheck large message ({size_bytes} octets)",
                DEFAULT_FROM,
                DEFAULT_TO,
                DEFAULT_DATE,
                None,
            )
        )
        return head + mime_multipart(parts, boundary=boundary)

    skeleton = len(make(1, 0)) - 78  # a base64 line: 76 characters and CRLF
    room = size_bytes - skeleton
    if room < 78 + 2:
        raise ValueError(f"build_large needs at least {skeleton + 80} octets")
    lines = (room - 2) // 78
    message = make(lines, room - 78 * lines)
    assert len(message) == size_bytes, (len(message), size_bytes)
    return message


def build_many_addresses(n: int, *, subject: str = "imapcheck many recipients") -> bytes:
    """A message whose To holds ``n`` addresses (alternately bare and with a quoted display
    name containing a comma), one per folded line; Cc holds a group of three."""
    addresses = [
        f"user{i}@example.org" if i % 2 else f'"Recipient, No. {i}" <user{i}@example.org>'
        for i in range(1, n + 1)
    ]
    to = ",\r\n ".join(addresses)
    cc = 'team: "Carol C." <carol@example.com>, dave@example.com, <erin@example.com>;'
    return build_plain(
        subject,
        f"A message to {n} recipients.\r\n",
        to=to,
        extra_headers=[("Cc", cc)],
        message_id=_message_id(subject, str(n)),
    )


def build_nested_mime(depth: int, *, kind: str = "multipart") -> bytes:
    """``depth`` levels of nesting (hostile-input seeds).

    ``kind`` "multipart": multipart/mixed inside multipart/mixed, each level with a text part;
    "message": a message/rfc822 whose body is a message/rfc822 ... ``depth`` times, then text.
    """
    if kind not in ("multipart", "message"):
        raise ValueError("kind is 'multipart' or 'message'")
    if depth < 1:
        raise ValueError("depth must be at least 1")
    subject = f"imapcheck {kind} nested {depth} deep"
    if kind == "message":
        message = build_plain(f"level {depth}", f"Text at level {depth}.\r\n")
        for level in range(depth - 1, -1, -1):
            title = f"level {level}" if level else subject
            head = header_block(
                _envelope_headers(title, DEFAULT_FROM, DEFAULT_TO, DEFAULT_DATE, None)
            )
            message = head + mime_message(message)
        return message
    inner = mime_part(f"Innermost text at depth {depth}.\r\n")
    for level in range(depth, 0, -1):
        note = mime_part(f"Text at level {level}.\r\n")
        inner = mime_multipart([note, inner], boundary=f"=_level_{level:06d}_")
    head = header_block(_envelope_headers(subject, DEFAULT_FROM, DEFAULT_TO, DEFAULT_DATE, None))
    return head + inner
