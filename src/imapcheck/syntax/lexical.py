"""Byte-level checks, the token scanner, and compaction of text for the ABNF parser.

Everything here is linear in the input and iterative, so hostile lines (megabytes long,
thousands of parentheses deep) cost little and never recurse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imapcheck.wire.reader import Frame

Token = tuple[str, int, int]  # kind ("SP" "(" ")" "Q" "W" "L" "CRLF"), start, end in frame.raw

_TOKEN = re.compile(
    rb'(?P<SP> )|(?P<LP>\()|(?P<RP>\))|(?P<Q>"(?:[^"\\]|\\.)*")|(?P<W>[^ ()"]+)|(?P<BAD>")'
)
_KINDS = {"SP": "SP", "LP": "(", "RP": ")", "Q": "Q", "W": "W"}
# RFC 3501 §9: ATOM-CHAR is any CHAR except atom-specials: ( ) { SP CTL % * " \ ]
# ("}" is an ATOM-CHAR); a tag is 1*<any ASTRING-CHAR except "+">, ASTRING-CHAR adding "]"
ATOM_CHARS = rb"\x21\x23\x24\x26\x27\x2b-\x5b\x5e-\x7a\x7c-\x7e"
TAG_CHARS = rb"\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e"
_TAG = re.compile(rb"[" + TAG_CHARS + rb"]+\Z")
_LABEL = re.compile(rb"[A-Za-z_.-][A-Za-z0-9_.:-]*\Z")  # RFC 4466 §3 tagged-ext-label
_NUMBER = re.compile(rb"[0-9]+\Z")
_SEQUENCE = re.compile(rb"[0-9*$]+(?::[0-9*]+)?(?:,[0-9*]+(?::[0-9*]+)?)+\Z")
_PRINTABLE = re.compile(rb"[\x21-\x7e]+\Z")
_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_LITERAL_HEADER = re.compile(rb"\{([0-9]{1,20})\+?\}\r\n\Z")
_ZERO_LED = re.compile(rb"[ (\[.:,<*]0[0-9]")
# RFC 9051 §9 QUOTED-CHAR: TEXT-CHAR but '"' and '\', an escaped '"' or '\', or UTF-8
_QUOTED_CONTENT = re.compile(rb'(?:[\x01-\x09\x0b\x0c\x0e-\x21\x23-\x5b\x5d-\x7f]|\\["\\])*\Z')

# quoted strings the grammar looks into (RFC 3501 §9 media-text, media-message, date-time,
# RFC 5258 §6 list-select-base-opt-quoted, one-character delimiters); all others reach the
# parser as "x", which every rule that takes a string accepts
_MEANINGFUL = re.compile(
    rb'"(?:.{0,2}|TEXT|MESSAGE|RFC822|GLOBAL|SUBSCRIBED'
    rb"|[ 0-9]?[0-9]-[A-Za-z]{3}-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4})\"\Z",
    re.IGNORECASE | re.DOTALL,
)
LONG_WORD = 256
RUN = 24  # longer runs of SP-separated words are shortened
_SHAPE = re.compile(r"[A-Za-z]+")
_DIGITS = re.compile(r"[0-9]+")
SEQUENCE_ITEMS = 8


class LexicalError(ValueError):
    """The bytes do not even tokenize as IMAP (the message is the reason)."""


@dataclass(frozen=True)
class Compacted:
    """Text for the ABNF parser: same grammatical shape as the response, bounded size."""

    text: str
    depth: int


def framing_problem(frame: Frame) -> str:
    """Line ends, NUL bytes, literal sizes: problems no grammar forgives (RFC 3501 §2.2, §9)."""
    if not frame.lines or len(frame.literals) != len(frame.lines) - 1:
        return "not a response: its lines and literals do not fit together"
    last = len(frame.lines) - 1
    for index, line in enumerate(frame.lines):
        if not line.endswith(b"\n"):
            return "line does not end with CRLF (RFC 3501 §2.2: every line ends with CRLF)"
        if not line.endswith(b"\r\n"):
            return "line ends with a bare LF, not CRLF (RFC 3501 §2.2)"
        body = line[:-2]
        if b"\r" in body:
            return "bare CR inside a line (RFC 3501 §9: CR appears only in CRLF)"
        if b"\x00" in body:
            return "NUL byte in a response line (RFC 3501 §9: CHAR8 and TEXT-CHAR exclude NUL)"
        if index < last and _literal_size(line) != len(frame.literals[index]):
            return "literal carries a different number of octets than its header announces"
        if index < last and b"\x00" in frame.literals[index] and not is_literal8(line):
            return (
                "NUL byte in a literal (RFC 3501 §9: literal is *CHAR8, which excludes NUL; "
                "RFC 3516 §4.3 requires literal8 ~{n} for such data)"
            )
    return ""


def _literal_size(line: bytes) -> int:
    match = _LITERAL_HEADER.search(line)
    return int(match.group(1)) if match else -1


def is_literal8(line: bytes) -> bool:
    """Whether ``line`` ends with a ``~{n}`` header."""
    start = line.rfind(b"{")
    return start > 0 and line[start - 1 : start] == b"~"


def kind_of(first_line: bytes) -> str:
    """greeting-independent kind: continuation, untagged, tagged, or unknown."""
    if first_line.startswith(b"+"):
        return "continuation"
    if first_line.startswith(b"*"):
        return "untagged"
    tag = first_line.split(b" ", 1)[0]
    return "tagged" if _TAG.match(tag) else "unknown"


def keyword_of(first_line: bytes) -> tuple[bytes, bytes]:
    """(number or b"", keyword) of an untagged response: ``* [number SP] keyword ...``."""
    words = first_line[2:].rstrip(b"\r\n").split(b" ", 2)
    head = words[0].split(b"(", 1)[0]
    if len(words) > 1 and head and head[:1].isdigit():
        return head, words[1].split(b"(", 1)[0][:64]
    return b"", head[:64]


def zero_padded(lines: tuple[bytes, ...] | list[bytes]) -> bool:
    """Whether a number outside quoted strings has a leading zero (``07``, ``1.02``, ``<00>``).

    imap-codec 0.1.0 reads those even where RFC 3501 §9 requires ``nz-number = digit-nz
    *DIGIT``; the ABNF knows where ``number`` (which allows them) is meant instead.
    """
    return any(_ZERO_LED.search(_QUOTED.sub(b'""', line)) for line in lines)


def is_label(word: bytes) -> bool:
    """Whether ``word`` can name an extension response (RFC 4466 §3 tagged-ext-label)."""
    return bool(_LABEL.match(word))


def is_number(word: bytes) -> bool:
    return bool(_NUMBER.match(word))


def tokens(frame: Frame) -> list[Token]:
    """Tokens of the whole frame, positions in ``frame.raw``; literals are one token each."""
    out: list[Token] = []
    offset = 0
    last = len(frame.lines) - 1
    for index, line in enumerate(frame.lines):
        if index < last:
            end = line.rfind(b"{")
            if end > 0 and line[end - 1 : end] == b"~":
                end -= 1
        else:
            end = len(line) - 2
        _scan(line, end, offset, out)
        if index < last:
            size = len(frame.literals[index])
            out.append(("L", offset + end, offset + len(line) + size))
            offset += len(line) + size
        else:
            out.append(("CRLF", offset + end, offset + len(line)))
    return out


def tokens_of(data: bytes) -> list[Token]:
    """Tokens of ``data``: part of one line, without literals or its CRLF."""
    out: list[Token] = []
    _scan(data, len(data), 0, out)
    return out


def _scan(line: bytes, end: int, offset: int, out: list[Token]) -> None:
    append = out.append
    for match in _TOKEN.finditer(line, 0, end):
        kind = match.lastgroup
        if kind == "BAD":
            raise LexicalError(f"unterminated quoted string at byte {offset + match.start()}")
        append((_KINDS[kind], offset + match.start(), offset + match.end()))  # type: ignore[index]


def depth_of(toks: list[Token]) -> int:
    depth = deepest = 0
    for kind, _, _ in toks:
        if kind == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == ")":
            depth -= 1
    return deepest


def quoted_problem(content: bytes) -> str:
    """Why ``content`` (between the quotes) is no RFC 9051 quoted string, or ''."""
    if _QUOTED_CONTENT.match(content):
        return ""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "quoted string is not valid UTF-8 (RFC 9051 §9 QUOTED-CHAR; RFC 3501 allows ASCII)"
    ascii_only = "".join(c for c in text if c < "\x80").encode()
    if not _QUOTED_CONTENT.match(ascii_only):
        return 'quoted string has a control byte or a "\\" not before \'"\' or "\\" (RFC 3501 §9)'
    return ""


def compact(raw: bytes, toks: list[Token]) -> Compacted:
    """The tokens as text, with literal payloads emptied and long runs shortened.

    An emptied literal keeps its header, as ``{0}``: the reader enforced the octet count.
    A quoted string whose content no rule looks into becomes ``"x"`` (after its content is
    checked); every number becomes the representative of its class (``0``, ``01``, 32-bit,
    63-bit, larger), which is all the grammar can tell apart. A run of more than ``RUN``
    SP-separated words (SEARCH results, capability or flag lists, ACL pairs) keeps its head,
    then one word of each other shape, and the parity of its length. Long words keep their
    head and one of each other byte; long sequence sets, a few items of each shape. So equal
    shapes give equal text, parse results can be cached, and the text stays short.
    """
    items = [(kind, raw[start:end]) for kind, start, end in toks]
    parts: list[str] = []
    index, count = 0, len(items)
    while index < count:
        kind, value = items[index]
        if kind != "W":
            parts.append(_piece(kind, value))
            index += 1
            continue
        run = [_piece(kind, value)]
        while index + 2 < count and items[index + 1][0] == "SP" and items[index + 2][0] == "W":
            index += 2
            run.append(_piece("W", items[index][1]))
        parts.append(" ".join(_short_run(run) if len(run) > RUN else run))
        index += 1
    return Compacted("".join(parts), depth_of(toks))


def _short_run(run: list[str]) -> list[str]:
    """The head of ``run``, one word of each other shape, and the parity of its length."""
    kept = run[: RUN // 2]
    seen = {_shape(word) for word in kept}
    for word in run[RUN // 2 :]:
        shape = _shape(word)
        if shape not in seen:
            seen.add(shape)
            kept.append(word)
    if (len(run) - len(kept)) % 2:
        kept.append(run[-1])
    return kept


def _shape(word: str) -> str:
    """What the grammar can tell of a word: its letter/digit pattern and its other bytes."""
    if word.isdigit() or word.upper() in ("IMAP4REV1", "IMAP4REV2", "NIL"):
        return word.upper()  # numbers are canonical already
    return _SHAPE.sub("a", _DIGITS.sub("0", word))


def _piece(kind: str, value: bytes) -> str:
    if kind == "Q" and not _MEANINGFUL.match(value):
        problem = quoted_problem(value[1:-1])
        if problem:
            raise LexicalError(problem)
        return '"x"'
    if kind == "L":
        header = value[: value.index(b"}") + 1]
        plus = "+" if header.endswith(b"+}") else ""
        return ("~{0" if header.startswith(b"~") else "{0") + plus + "}\r\n"
    if kind == "W" and _NUMBER.match(value):
        return canonical(value).decode()
    if kind == "W" and _SEQUENCE.match(value):
        items = [b":".join(map(canonical, item.split(b":"))) for item in value.split(b",")]
        return ",".join(_keep_shapes(items, SEQUENCE_ITEMS))
    if kind == "W" and len(value) > LONG_WORD:
        others = dict.fromkeys(
            b for b in value[32:] if not (0x30 <= b <= 0x39 or b | 0x20 in range(0x61, 0x7B))
        )
        return (value[:32] + bytes(others)).decode("latin-1")
    return value.decode("latin-1")


def _keep_shapes(items: list[bytes], head: int) -> list[str]:
    """The first ``head`` items, then only items unlike all kept so far."""
    kept = items[:head]
    seen = set(kept)
    for item in items[head:]:
        if item not in seen:
            seen.add(item)
            kept.append(item)
    return [item.decode("latin-1") for item in kept]


def canonical(number: bytes) -> bytes:
    """The representative of ``number``'s class; ``*`` and ``$`` stand for themselves."""
    if not number.isdigit():
        return number
    if number.strip(b"0") == b"":
        return b"0" if len(number) == 1 else b"00"
    if number[:1] == b"0":
        return b"01"
    if len(number) < 10 or (len(number) == 10 and int(number) <= 0xFFFFFFFF):
        return b"1"
    if len(number) < 19 or (len(number) == 19 and int(number) < 1 << 63):
        return b"4294967296"
    return b"9223372036854775808"


def extension_problem(raw: bytes, toks: list[Token], start: int = 0) -> str:
    """Why tokens from ``start`` are not well-formed extension data (RFC 4466 §3), or ''.

    Extension data is atoms, numbers, strings and literals, in balanced parentheses,
    separated by single spaces (``tagged-ext-val``); flags (``\\Seen``) count as atoms here.
    """
    depth = 0
    previous = "SP"
    for kind, begin, end in toks[start:]:
        value = raw[begin:end]
        if kind == "SP" and previous in ("SP", "("):
            return f"unexpected space at byte {begin} (RFC 4466 §3: items are separated by one SP)"
        if kind in (")", "CRLF") and previous == "SP":
            return f"space before {'end of line' if kind == 'CRLF' else ')'} at byte {begin}"
        if kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
            if depth < 0:
                return f"unbalanced ')' at byte {begin}"
        elif kind == "W" and not _PRINTABLE.match(value):
            bad = next(b for b in value if not 0x20 < b < 0x7F)
            return (
                f"byte 0x{bad:02x} in an atom at byte {begin} "
                "(RFC 3501 §9 ATOM-CHAR: 7-bit, no controls)"
            )
        elif kind == "Q":
            problem = quoted_problem(value[1:-1])
            if problem:
                return problem
        previous = kind
    return "unbalanced '(': a list is not closed" if depth else ""
