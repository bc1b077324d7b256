"""Is this server output grammatical?

Three judges, fastest first:

1. ``imap-codec`` (Rust, strict): RFC 3501/9051 core and many extensions.
2. The ``abnf`` package's RFC 9051 grammar, extended in :mod:`imapcheck.syntax.grammar` with
   IMAP4rev1 and extension responses (CONDSTORE/QRESYNC, ID, QUOTA, SORT/THREAD, METADATA).
3. For an untagged response whose keyword none of them knows: RFC 3501 §7 and RFC 4466 §2.1
   let servers send extension data clients must tolerate, so it passes if it is lexically
   well-formed (atoms, strings, literals, balanced parentheses).

A known keyword that fails 1 and 2 is a violation. Literal octet counts were already enforced
by the reader; here each literal's payload is replaced by an empty one before the ABNF sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import imap_codec
from abnf import ParseError

from imapcheck.syntax.grammar import ExtendedRule
from imapcheck.wire.reader import Frame

MAX_ABNF_TEXT = 64 * 1024  # longer lines are judged lexically (the ABNF parser backtracks)

KNOWN_UNTAGGED = frozenset(
    {
        "OK",
        "NO",
        "BAD",
        "BYE",
        "PREAUTH",
        "CAPABILITY",
        "FLAGS",
        "LIST",
        "LSUB",
        "STATUS",
        "SEARCH",
        "ESEARCH",
        "EXISTS",
        "RECENT",
        "EXPUNGE",
        "FETCH",
        "NAMESPACE",
        "ENABLED",
        "ID",
        "QUOTA",
        "QUOTAROOT",
        "SORT",
        "THREAD",
        "VANISHED",
        "METADATA",
    }
)
# where each construct is defined, for readable reasons
_SECTION = {
    "FETCH": "RFC 3501 §7.4.2 / §9 msg-att",
    "LIST": "RFC 3501 §7.2.2 / §9 mailbox-list",
    "LSUB": "RFC 3501 §7.2.3 / §9 mailbox-list",
    "STATUS": "RFC 3501 §7.2.4 / §9 status-att",
    "SEARCH": "RFC 3501 §7.2.5 / §9 mailbox-data",
    "FLAGS": "RFC 3501 §7.2.6 / §9 flag-list",
    "EXISTS": "RFC 3501 §7.3.1",
    "RECENT": "RFC 3501 §7.3.2",
    "EXPUNGE": "RFC 3501 §7.4.1",
    "CAPABILITY": "RFC 3501 §7.2.1 / §9 capability-data",
    "ESEARCH": "RFC 4731 §3.1",
    "NAMESPACE": "RFC 2342 §5",
    "ENABLED": "RFC 5161 §4",
    "ID": "RFC 2971 §4",
    "QUOTA": "RFC 2087 §5.1",
    "QUOTAROOT": "RFC 2087 §5.2",
    "SORT": "RFC 5256 §4",
    "THREAD": "RFC 5256 §4",
    "VANISHED": "RFC 7162 §3.2.10",
    "METADATA": "RFC 5464 §4.4",
}
_STATUS_SECTION = "RFC 3501 §7.1 / §9 resp-cond-state"
_TAG = re.compile(rb"^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c\x7e\x2d]+$")
_ATOM_BYTES = re.compile(rb"[^\x00-\x20\x7f(){%*\"\\]+")


@dataclass(frozen=True)
class Verdict:
    """The judgement on one frame."""

    ok: bool
    kind: str  # greeting | continuation | tagged | untagged
    source: str  # imap-codec | rfc9051+ | unknown-extension | "" on failure
    reason: str = ""


@lru_cache(maxsize=16)
def _rule(name: str) -> ExtendedRule:
    return ExtendedRule(name)


def _abnf_text(frame: Frame) -> str:
    """The frame with every literal emptied, as one str (bytes map 1:1 via latin-1)."""
    parts = []
    for index, line in enumerate(frame.lines):
        if index < len(frame.literals):
            head = line[: line.rfind(b"{")]
            parts.append(head + b"{0}\r\n")
        else:
            parts.append(line)
    return b"".join(parts).decode("latin-1")


def _abnf_accepts(rule: str, frame: Frame) -> bool | None:
    """True/False, or None when the text is too large or too deep to judge this way."""
    text = _abnf_text(frame)
    if len(text) > MAX_ABNF_TEXT:
        return None
    try:
        _rule(rule).parse_all(text)
        return True
    except ParseError:
        return False
    except RecursionError:
        return None


def _codec_accepts(codec: Any, raw: bytes) -> bool:
    try:
        remaining, _ = codec.decode(raw)
    except imap_codec.DecodeError:
        return False
    return remaining == b""


def check_greeting(frame: Frame) -> Verdict:
    """RFC 3501 §7.1 / §9 greeting: ``* OK|PREAUTH|BYE resp-text``."""
    structural = _structural(frame)
    if structural:
        return Verdict(False, "greeting", "", structural)
    if _codec_accepts(imap_codec.GreetingCodec, frame.raw):
        return Verdict(True, "greeting", "imap-codec")
    if _abnf_accepts("greeting", frame):
        return Verdict(True, "greeting", "rfc9051+")
    return Verdict(
        False,
        "greeting",
        "",
        "greeting does not match RFC 3501 §9 greeting "
        '("*" SP (resp-cond-auth / resp-cond-bye) CRLF)',
    )


def check_response(frame: Frame, *, expect_continuation_ok: bool = True) -> Verdict:
    """Judge any server response after the greeting."""
    first = frame.first_line
    kind = (
        "continuation"
        if first.startswith(b"+")
        else ("untagged" if first.startswith(b"*") else "tagged")
    )
    if kind == "continuation" and not expect_continuation_ok:
        return Verdict(False, kind, "", "continuation request where none was expected")
    structural = _structural(frame)
    if structural:
        return Verdict(False, kind, "", structural)
    if _codec_accepts(imap_codec.ResponseCodec, frame.raw):
        return Verdict(True, kind, "imap-codec")
    rule = {"continuation": "continue-req", "untagged": "response-data"}.get(
        kind, "response-tagged"
    )
    accepted = _abnf_accepts(rule, frame)
    if accepted is None and kind == "untagged":
        accepted = _abnf_accepts("response-fatal", frame) or None
    if accepted:
        return Verdict(True, kind, "rfc9051+")
    if kind == "untagged":
        if _abnf_accepts("response-fatal", frame):
            return Verdict(True, kind, "rfc9051+")
        keyword = _untagged_keyword(first)
        if keyword not in KNOWN_UNTAGGED:
            problem = _lexical_problem(frame)
            if problem is None:
                return Verdict(True, kind, "unknown-extension")
            return Verdict(False, kind, "", f"untagged {keyword or '?'} response: {problem}")
        where = _SECTION.get(keyword, _STATUS_SECTION)
        why = "too long or too deeply nested to parse" if accepted is None else "does not match"
        return Verdict(False, kind, "", f"{keyword} response {why} {where}")
    if kind == "tagged":
        return Verdict(False, kind, "", _tagged_problem(first))
    return Verdict(
        False,
        kind,
        "",
        'continuation does not match RFC 3501 §9 continue-req ("+" SP (resp-text / base64) CRLF)',
    )


def _structural(frame: Frame) -> str:
    """Problems that no grammar forgives: line ends and NUL bytes."""
    for line in frame.lines:
        if not line.endswith(b"\r\n"):
            return "line does not end with CRLF (RFC 3501 §2.2: lines end with CRLF)"
        if b"\r" in line[:-2] or b"\n" in line[:-2]:
            return "bare CR or LF inside a line (RFC 3501 §9: CHAR8 excludes CR and LF in text)"
        if b"\x00" in line:
            return "NUL byte in a response line (RFC 3501 §9: NUL is never allowed)"
    return ""


def _untagged_keyword(first: bytes) -> str:
    words = first[2:].split(b" ", 2)
    if words and words[0].isdigit() and len(words) > 1:
        word = words[1]
    else:
        word = words[0] if words else b""
    return word.rstrip(b"\r\n")[:40].upper().decode("latin-1", "replace")


def _tagged_problem(first: bytes) -> str:
    parts = first.rstrip(b"\r\n").split(b" ", 2)
    if not _TAG.match(parts[0]):
        return f'invalid tag {parts[0][:40]!r} (RFC 3501 §9 tag: 1*<ASTRING-CHAR except "+">)'
    if len(parts) < 2 or parts[1].upper() not in (b"OK", b"NO", b"BAD"):
        return "tagged response is not OK, NO or BAD (RFC 3501 §7.1 / §9 response-tagged)"
    return "tagged status response does not match RFC 3501 §9 resp-text"


def _lexical_problem(frame: Frame) -> str | None:
    """Tokens and parentheses of extension data (RFC 4466 §2.1 tagged-ext-val)."""
    depth = 0
    for index, line in enumerate(frame.lines):
        text = line[:-2]
        if index < len(frame.literals):
            text = text[: text.rfind(b"{")]
        pos = 2 if index == 0 else 0
        while pos < len(text):
            byte = text[pos : pos + 1]
            if byte == b" ":
                pos += 1
            elif byte == b"(":
                depth += 1
                pos += 1
            elif byte == b")":
                depth -= 1
                if depth < 0:
                    return "unbalanced ')'"
                pos += 1
            elif byte == b'"':
                end = _quoted_end(text, pos)
                if end < 0:
                    return "unterminated quoted string"
                pos = end
            elif byte == b"[" or byte == b"]":
                pos += 1
            else:
                match = _ATOM_BYTES.match(text, pos)
                if not match:
                    return f"byte {text[pos]:#04x} is not allowed here"
                if any(b > 0x7E for b in match.group()):
                    return "8-bit bytes in an atom"
                pos = match.end()
    return "unbalanced '('" if depth else None


def _quoted_end(text: bytes, pos: int) -> int:
    pos += 1
    while pos < len(text):
        if text[pos] == 0x5C:
            pos += 2
        elif text[pos] == 0x22:
            return pos + 1
        else:
            pos += 1
    return -1
