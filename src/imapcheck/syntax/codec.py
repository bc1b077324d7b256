"""imap-codec (Rust, strict) as the first and fastest judge."""

from __future__ import annotations

from typing import Any

import imap_codec


def decode(raw: bytes, *, greeting: bool = False) -> Any:
    """imap-codec's reading of ``raw`` as exactly one response (or greeting), or None."""
    codec: Any = imap_codec.GreetingCodec if greeting else imap_codec.ResponseCodec
    try:
        remaining, message = codec.decode(raw)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # DecodeFailed / DecodeIncomplete / DecodeLiteralFound, or a panic
        return None
    return message if remaining == b"" else None


def accepts(raw: bytes) -> bool:
    """Whether imap-codec reads ``raw`` as exactly one response."""
    return decode(raw) is not None


def code_is_other(message: Any) -> bool:
    """Whether the codec read the status response's code only as the generic ``Other``."""
    try:
        found = message.as_dict()
    except Exception:
        return True
    while isinstance(found, dict):
        if "code" in found:
            code = found["code"]
            return isinstance(code, dict) and "Other" in code
        if "body" in found:
            found = found["body"]
        elif len(found) == 1:
            found = next(iter(found.values()))
        else:
            return False
    return False
