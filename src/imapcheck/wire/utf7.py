"""IMAP modified UTF-7 for mailbox names (RFC 3501 §5.1.3).

Printable US-ASCII other than ``&`` stands for itself, ``&`` is written ``&-``, every other
character goes UTF-16 (big endian, surrogate pairs beyond the BMP) into modified BASE64 (``,``
for ``/``, no ``=`` padding) between ``&`` and ``-``. The decoder accepts only the one canonical
form, so it can also judge what a server sends.
"""

from __future__ import annotations

import base64
import binascii

_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")


def _printable(char: str) -> bool:
    return 0x20 <= ord(char) <= 0x7E


def _b64(chars: str) -> str:
    data = chars.encode("utf-16-be")
    return base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",")


def encode_mailbox(name: str) -> str:
    """Encode ``name`` in modified UTF-7. ValueError if it holds a lone surrogate."""
    out: list[str] = []
    run: list[str] = []
    for char in name:
        if _printable(char):
            if run:
                out.append("&" + _b64("".join(run)) + "-")
                run.clear()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    if run:
        out.append("&" + _b64("".join(run)) + "-")
    return "".join(out)


def _decode_run(chunk: str) -> str:
    """Decode the modified BASE64 between ``&`` and ``-`` (non-empty), strictly."""
    if not set(chunk) <= _B64_CHARS:
        bad = next(c for c in chunk if c not in _B64_CHARS)
        raise ValueError(f"{bad!r} is not a modified BASE64 character")
    if len(chunk) % 4 == 1:
        raise ValueError(f"bad BASE64 length in &{chunk}-")
    standard = chunk.replace(",", "/")
    try:
        data = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"bad BASE64 in &{chunk}-: {exc}") from None
    if len(data) % 2:
        raise ValueError(f"&{chunk}- decodes to an odd number of UTF-16 octets")
    expected = base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",")
    if expected != chunk:
        raise ValueError(f"&{chunk}- has non-zero padding bits")
    try:
        text = data.decode("utf-16-be")
    except UnicodeDecodeError:
        raise ValueError(f"&{chunk}- holds a lone UTF-16 surrogate") from None
    for char in text:
        if _printable(char):
            raise ValueError(f"&{chunk}- encodes the printable ASCII character {char!r}")
    return text


def decode_mailbox(name: str) -> str:
    """Decode a modified UTF-7 mailbox name. ValueError unless it is the canonical form."""
    out: list[str] = []
    pos = 0
    previous_run_end = -1  # index just after the "-" of the last non-empty encoded run
    while pos < len(name):
        char = name[pos]
        if char != "&":
            if not _printable(char):
                raise ValueError(f"{char!r} at {pos} must be encoded in modified BASE64")
            out.append(char)
            pos += 1
            continue
        end = name.find("-", pos + 1)
        if end < 0:
            raise ValueError(f"unterminated '&' at {pos}")
        chunk = name[pos + 1 : end]
        if not chunk:
            out.append("&")
        else:
            if pos == previous_run_end:
                raise ValueError(f"null shift at {pos}: two adjacent encoded runs")
            out.append(_decode_run(chunk))
            previous_run_end = end + 1
        pos = end + 1
    return "".join(out)


def is_valid_mailbox_utf7(name: str) -> bool:
    """True if ``name`` is canonical modified UTF-7."""
    try:
        decode_mailbox(name)
    except ValueError:
        return False
    return True
