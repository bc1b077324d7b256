"""Status responses (RFC 3501 §7.1): their response code, and their text for the parser.

Literally, RFC 3501's ``resp-text = ["[" resp-text-code "]" SP] text`` also reads ``[UIDNEXT
abc] x`` as plain text, since ``text`` may contain "[". Clients read a leading "[" as a
response code (RFC 3501 §7.1), so this module does too: the code must then be well-formed,
a known code must have the arguments its RFC gives it, and an unknown one the generic
``atom [SP 1*<any TEXT-CHAR except "]">]`` (which clients SHOULD ignore, RFC 3501 §7.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imapcheck.syntax import citations, grammar, lexical
from imapcheck.syntax.rules import KNOWN_CODE_NAMES

_HEAD = re.compile(rb"(?:[^ \r\n]+ (?:OK|NO|BAD|BYE|PREAUTH)|\+) ", re.IGNORECASE)
_ATOM = re.compile(rb"[" + lexical.ATOM_CHARS + rb"]+")
_CODE_ARGS = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x5c\x5e-\x7f]+\Z")  # TEXT-CHAR except "]"
_TEXT = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x7f]*\Z")
_CAPABILITY = re.compile(rb"CAPABILITY((?: [^ \]\r\n]+)*)", re.IGNORECASE)
_VERSION = re.compile(rb" IMAP4rev[12](?= |\Z)", re.IGNORECASE)
_KNOWN = frozenset(KNOWN_CODE_NAMES)
SHORT_TEXT = 64


@dataclass(frozen=True)
class StatusLine:
    """A one-line status response cut at its code: ``head [code] rest``."""

    head: bytes  # "A1 OK " / "* BYE " / "+ "
    code: bytes | None  # between the brackets; None without a code
    rest: bytes  # what follows: " text\r\n", "\r\n", or (without a code) "text\r\n"

    @property
    def code_name(self) -> str:
        match = _ATOM.match(self.code or b"")
        return match.group().upper().decode() if match else ""


def split(first_line: bytes) -> StatusLine | None:
    """Cut a status response, or None if the line is not one (or its code is unclosed)."""
    match = _HEAD.match(first_line)
    if match is None:
        return None
    head, rest = first_line[: match.end()], first_line[match.end() :]
    if not rest.startswith(b"["):
        return StatusLine(head, None, rest)
    end = rest.find(b"]")
    if end < 0:
        return None
    return StatusLine(head, rest[1:end], rest[end + 1 :])


def code_problem(first_line: bytes, single_line: bool) -> tuple[str, str]:
    """(why the response code is wrong or '', the judge its form needed).

    The judge is "" without a code (or one RFC 9051 defines), "extensions" for a code our
    rules define, "unknown-extension" for a code nobody here knows.
    """
    match = _HEAD.match(first_line)
    if match is None or first_line[match.end() : match.end() + 1] != b"[":
        return "", ""
    line = split(first_line)
    if line is None:
        if not single_line:
            return "", ""  # the code continues in a literal: the grammar judged it
        return "response code opened with '[' is not closed by ']' (RFC 3501 §7.1 / §9)", ""
    if line.rest[:1] not in (b" ", b"\r"):
        return "response code must be followed by SP and text (RFC 3501 §9 resp-text)", ""
    assert line.code is not None
    name = line.code_name
    if not name:
        return "response code does not start with an atom (RFC 3501 §7.1 / §9)", ""
    if name not in _KNOWN:
        args = line.code[len(name) :]
        if args and not (args[:1] == b" " and _CODE_ARGS.match(args[1:])):
            return (
                f"unknown response code {name}: arguments must be SP and "
                '1*<TEXT-CHAR except "]"> (RFC 3501 §9 resp-text-code)',
                "",
            )
        return "", "unknown-extension"
    needed = "" if name in citations.RFC9051_CODES else "extensions"
    return known_code_problem(name, line.code), needed


def known_code_problem(name: str, code: bytes) -> str:
    """Check a known code against its RFC's rule (strict, unlike the generic form)."""
    section, form = citations.CODES[name]
    try:
        toks = lexical.tokens_of(code)
        text = lexical.compact(code, toks)
    except lexical.LexicalError as exc:
        return f"response code {name}: {exc}"
    outcome = grammar.parse(grammar.extensions(), "resp-text-code", text.text, text.depth)
    if outcome.ok:
        return _capability_problem(code) if name == "CAPABILITY" else ""
    why = grammar.unparsed(outcome, text.text, text.depth)
    if why:
        return f"response code {name}: {why}"
    shown = code[:80].decode("latin-1")
    if not form:
        return f"response code {name} takes no arguments ({section}), got [{shown}]"
    return f"response code [{shown}] does not match {section}: {form}"


def has_code(first_line: bytes) -> bool:
    """Whether ``first_line`` is a status response whose text starts with "["."""
    match = _HEAD.match(first_line)
    return match is not None and first_line[match.end() : match.end() + 1] == b"["


def capability_problem(first_line: bytes) -> str:
    """RFC 3501 §7.2.1 / RFC 9051 §7.2.2: a capability list names the IMAP version."""
    if first_line[:13].upper() == b"* CAPABILITY ":
        return _capability_problem(first_line[2:])
    match = _HEAD.match(first_line)
    if match and first_line[match.end() : match.end() + 12].upper() == b"[CAPABILITY ":
        return _capability_problem(first_line[match.end() + 1 :])
    return ""


def _capability_problem(line: bytes) -> str:
    match = _CAPABILITY.match(line)
    if match is None or _VERSION.search(match.group(1)):
        return ""
    return (
        "capability list lacks IMAP4rev1 (RFC 3501 §7.2.1 / §9 capability-data) "
        "and IMAP4rev2 (RFC 9051 §9)"
    )


def compact(line: StatusLine) -> tuple[str, int] | str:
    """(text for the parser, nesting depth), or a reason if the text itself is bad."""
    depth = 0
    code = ""
    if line.code is not None:
        name = line.code_name
        if name in _KNOWN:
            try:
                compacted = lexical.compact(line.code, lexical.tokens_of(line.code))
            except lexical.LexicalError as exc:
                return f"response code {name}: {exc}"
            code, depth = compacted.text, compacted.depth
        else:
            args = line.code[len(name) :]
            code = name + (args[:2] + b"x" if len(args) > SHORT_TEXT else args).decode("latin-1")
        code = f"[{code}]"
    text = line.rest[:-2]
    if len(text) > SHORT_TEXT:
        problem = text_problem(text)
        if problem:
            return problem
        text = text[:2] + b"x" * 8
    return line.head.decode("latin-1") + code + text.decode("latin-1") + "\r\n", depth


def text_problem(text: bytes) -> str:
    """Why ``text`` is neither RFC 3501 text (7-bit) nor RFC 9051 text (UTF-8), or ''."""
    if _TEXT.match(text):
        return ""
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return "response text is not valid UTF-8 (RFC 9051 §9 text; RFC 3501 allows 7-bit only)"
    return ""
