"""Is this server output grammatical?

Judges, fastest first; the first that accepts decides (``Verdict.source``):

1. ``imap-codec`` (Rust, strict): RFC 3501 / 9051 core and many extensions.
2. ``rfc9051``: the ``abnf`` package's RFC 9051 grammar.
3. ``extensions``: RFC 9051 plus our ABNF for RFC 3501-only forms and extension responses
   (:mod:`imapcheck.syntax.rules`). A FETCH the codec rejects is split so that the codec still
   judges its core items (:mod:`imapcheck.syntax.fetch`).
4. ``unknown-extension``: an untagged response, FETCH item or response code nobody here
   knows, accepted when lexically well-formed: RFC 3501 §7 ("the client MUST be prepared to
   accept any response at all times") and §7.1 (unknown response codes SHOULD be ignored).

A known keyword, code or item that none of them accepts is a violation, and the reason cites
the construct's RFC section. Line ends, NUL bytes and absurd nesting are checked first.

One choice a strict reading leaves open: ``A1 OK\\r\\n`` (no SP, no text) is rejected. RFC 3501
§9 requires ``SP 1*TEXT-CHAR`` after OK; RFC 9051 §9 made the text optional but kept the SP, so
``A1 OK \\r\\n`` is accepted (as RFC 9051). Dovecot always sends text, and the bare ``a107 OK``
of RFC 4551's examples abbreviates; a client that tolerates the missing SP does so as a
courtesy, not because the grammar allows it. Likewise ``+\\r\\n`` is rejected (continue-req
needs the SP). A code with nothing after it, ``* OK [ALERT]\\r\\n``, is accepted: both RFCs'
grammars read it as text, and imap-codec accepts it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from imapcheck.syntax import citations, codec, fetch, grammar, lexical, status
from imapcheck.wire.reader import Frame

UNJUDGED = "imapcheck could not judge this response (a checker error, not the server's)"
_RULE = {
    "continuation": "continue-req",
    "tagged": "response-tagged",
    "untagged": "response-data",
    "greeting": "greeting",
}
_GREETING = re.compile(rb"\* (?:OK|PREAUTH|BYE)[ \r]", re.IGNORECASE)
_STATUS_WORD = re.compile(rb"[^ ]+ (?:OK|NO|BAD|BYE|PREAUTH) ", re.IGNORECASE)
_BARE_STATUS = re.compile(rb"[^ ]+ (OK|NO|BAD|BYE|PREAUTH)\r\n\Z", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """The judgement on one server response."""

    ok: bool
    kind: str  # greeting | continuation | tagged | untagged | unknown
    source: str  # imap-codec | rfc9051 | extensions | unknown-extension | "" on failure
    reason: str = ""  # on failure: what is wrong, citing the construct's RFC section


def check_greeting(frame: Frame) -> Verdict:
    """RFC 3501 §7.1 / §9 greeting: ``* OK|PREAUTH|BYE resp-text``."""
    try:
        return _check_greeting(frame)
    except Exception as exc:  # a checker bug must not break the session reading the server
        return _unjudged("greeting", exc)


def check_response(frame: Frame, *, expect_continuation_ok: bool = True) -> Verdict:
    """Judge any server response after the greeting."""
    try:
        return _check_response(frame, expect_continuation_ok)
    except Exception as exc:  # a checker bug must not break the session reading the server
        kind = lexical.kind_of(frame.lines[0]) if frame.lines else "unknown"
        return _unjudged(kind, exc)


def _unjudged(kind: str, exc: Exception) -> Verdict:
    return Verdict(False, kind, "", f"{UNJUDGED}: {type(exc).__name__}: {exc}"[:300])


def _check_greeting(frame: Frame) -> Verdict:
    problem = lexical.framing_problem(frame)
    if problem:
        return Verdict(False, "greeting", "", problem)
    if not _GREETING.match(frame.first_line):
        section, form = citations.GREETING
        return Verdict(
            False, "greeting", "", f"greeting is not OK, PREAUTH or BYE ({section}: {form})"
        )
    message = codec.decode(frame.raw, greeting=True)
    if message is not None:
        return _after_codec(frame, "greeting", message)
    return _by_grammar(frame, "greeting", "")


def _check_response(frame: Frame, expect_continuation_ok: bool) -> Verdict:
    problem = lexical.framing_problem(frame)
    if problem:
        kind = lexical.kind_of(frame.lines[0]) if frame.lines else "unknown"
        return Verdict(False, kind, "", problem)
    first = frame.first_line
    kind = lexical.kind_of(first)
    if kind == "continuation" and not expect_continuation_ok:
        return Verdict(
            False,
            kind,
            "",
            "continuation request while no command was waiting for one (RFC 3501 §7.5)",
        )
    if kind == "unknown":
        shown = first.split(b" ", 1)[0][:40].decode("latin-1")
        return Verdict(
            False,
            kind,
            "",
            f"response starts with neither '*', '+' nor a tag: {shown!r} "
            '(RFC 3501 §9 tag = 1*<any ASTRING-CHAR except "+">)',
        )
    message = codec.decode(frame.raw)
    if message is not None:
        return _after_codec(frame, kind, message)
    keyword = ""
    if kind == "untagged":
        if first[1:2] != b" ":
            return Verdict(
                False, kind, "", "'*' must be followed by SP (RFC 3501 §9 response-data)"
            )
        number, word = lexical.keyword_of(first)
        keyword = word.upper().decode("latin-1")
        if keyword == "FETCH" and number:
            judged = fetch.judge(frame)
            return Verdict(judged.ok, kind, judged.source, judged.reason)
        if keyword not in citations.UNTAGGED:
            return _unknown_untagged(frame, number, word)
    return _by_grammar(frame, kind, keyword)


def _after_codec(frame: Frame, kind: str, message: object) -> Verdict:
    """The codec accepted: check what it reads leniently (codes, capability lists, zeros)."""
    first = frame.first_line
    line = status.split(first)  # in a status response only the code holds numbers
    numbers = frame.lines if line is None else [b" " + line.code] if line.code else []
    if lexical.zero_padded(numbers):
        return _by_grammar(frame, kind, _keyword(frame) if kind == "untagged" else "")
    source = "imap-codec"
    if status.has_code(first) and codec.code_is_other(message):
        problem, needed = status.code_problem(first, len(frame.lines) == 1)
        if problem:
            return Verdict(False, kind, "", problem)
        source = needed or "extensions"  # the codec read it as generic: our rules judged it
    problem = status.capability_problem(first)
    if problem:
        return Verdict(False, kind, "", problem)
    return Verdict(True, kind, source)


def _keyword(frame: Frame) -> str:
    return lexical.keyword_of(frame.first_line)[1].upper().decode("latin-1")


def _unknown_untagged(frame: Frame, number: bytes, word: bytes) -> Verdict:
    """RFC 3501 §7: tolerate a response we do not know if it is well-formed data."""
    shown = word[:40].decode("latin-1")
    if number and not lexical.is_number(number):
        return Verdict(
            False,
            "untagged",
            "",
            f"{number[:20].decode('latin-1')!r} is not a number (RFC 3501 §9 number = 1*DIGIT)",
        )
    if not word:
        return Verdict(
            False,
            "untagged",
            "",
            "'*' must be followed by one SP and a response keyword (RFC 3501 §7)",
        )
    if not lexical.is_label(word):
        return Verdict(
            False,
            "untagged",
            "",
            f"untagged response keyword {shown!r} is not an atom (RFC 3501 §7; RFC 4466 §3 "
            "tagged-ext-label)",
        )
    try:
        toks = lexical.tokens(frame)
    except lexical.LexicalError as exc:
        return Verdict(False, "untagged", "", f"untagged {shown} response: {exc}")
    depth = lexical.depth_of(toks)
    if depth > grammar.MAX_DEPTH:
        return Verdict(False, "untagged", "", grammar.too_deep(depth))
    start = 4 if number else 2  # the keyword's token: "*" SP [number SP] keyword
    problem = lexical.extension_problem(frame.raw, toks, start)
    if problem:
        return Verdict(False, "untagged", "", f"untagged {shown} response: {problem}")
    return Verdict(True, "untagged", "unknown-extension")


def _by_grammar(frame: Frame, kind: str, keyword: str) -> Verdict:
    compacted = _compacted(frame)
    if isinstance(compacted, str):
        return Verdict(False, kind, "", compacted)
    text, depth = compacted
    stages = [("extensions", grammar.extensions())]
    if keyword not in citations.NOT_IN_RFC9051:
        stages.insert(0, ("rfc9051", grammar.rfc9051()))
    for source, rules in stages:
        outcome = grammar.parse(rules, _RULE[kind], text, depth)
        why = grammar.unparsed(outcome, text, depth)
        if why:
            return Verdict(False, kind, "", f"{keyword or kind} response: {why}")
        if not outcome.ok:
            continue
        # RFC 9051's generic search-ret-data-ext would take "MIN 0": ours does not
        strict = keyword != "ESEARCH" or source != "rfc9051"
        if not strict and not grammar.parse(grammar.extensions(), _RULE[kind], text, depth).ok:
            break
        problem, needed = status.code_problem(frame.first_line, len(frame.lines) == 1)
        if not problem:
            problem = status.capability_problem(frame.first_line)
        if problem:
            return Verdict(False, kind, "", problem)
        if needed == "unknown-extension" or (needed and source == "rfc9051"):
            source = needed
        return Verdict(True, kind, source)
    return Verdict(False, kind, "", _reason(frame, kind, keyword))


def _compacted(frame: Frame) -> tuple[str, int] | str:
    """Text for the parser and its nesting depth, or why the bytes are already wrong."""
    single = len(frame.lines) == 1
    line = status.split(frame.first_line) if single else None
    if line is not None:
        return status.compact(line)
    problem, _ = status.code_problem(frame.first_line, single)
    if problem:
        return problem
    try:
        toks = lexical.tokens(frame)
        compacted = lexical.compact(frame.raw, toks)
    except lexical.LexicalError as exc:
        return str(exc)
    return compacted.text, compacted.depth


def _reason(frame: Frame, kind: str, keyword: str) -> str:
    """One line: which construct the response fails, and where the RFC defines it."""
    first = frame.first_line
    bare = _BARE_STATUS.match(first)
    if bare:
        name = bare.group(1).decode().upper()
        return (
            f"{name} response without SP and text (RFC 3501 §9 resp-text requires them; "
            "RFC 9051 §9 allows empty text but still requires the SP)"
        )
    if _STATUS_WORD.match(first) and len(frame.lines) == 1:
        line = status.split(first)
        problem = status.text_problem(line.rest[:-2]) if line is not None else ""
        if problem:
            return problem
    if kind == "tagged":
        parts = first.rstrip(b"\r\n").split(b" ", 2)
        if len(parts) < 2 or parts[1].upper() not in (b"OK", b"NO", b"BAD"):
            got = parts[1][:20].decode("latin-1") if len(parts) > 1 else ""
            return (
                f"tagged response status must be OK, NO or BAD, got {got!r} ({citations.TAGGED[0]})"
            )
        section, form = citations.TAGGED
    elif kind == "continuation":
        section, form = citations.CONTINUATION
        if not first.startswith(b"+ "):
            return f"'+' must be followed by SP ({section}: {form})"
    elif kind == "greeting":
        section, form = citations.GREETING
    else:
        section, form = citations.UNTAGGED[keyword]
        return f"{keyword} response does not match {section}: {form}"
    return f"{kind} response does not match {section}: {form}"


class Validator:
    """Checks responses like the module functions, and counts which judge decided each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def check_greeting(self, frame: Frame) -> Verdict:
        return self._count(check_greeting(frame))

    def check_response(self, frame: Frame, *, expect_continuation_ok: bool = True) -> Verdict:
        verdict = check_response(frame, expect_continuation_ok=expect_continuation_ok)
        return self._count(verdict)

    def _count(self, verdict: Verdict) -> Verdict:
        self.counts[verdict.source or "failed"] += 1
        return verdict
