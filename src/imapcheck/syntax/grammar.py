"""The ABNF judges: RFC 9051's grammar as the ``abnf`` package ships it, and ours on top of it.

``rfc9051()`` is ``abnf.grammars.rfc9051.Rule``. ``extensions()`` is a ``Rule`` subclass built the
way ``rfc9051.py`` itself is built (``load_grammar_rules`` over a list of rule texts): the rules
of :mod:`imapcheck.syntax.rules`, every RFC 9051 rule that (transitively) refers to one of them
copied so that it refers to ours, and all other RFC 9051 rules imported unchanged.

Both grammars are built on first use (about a second each) and cached.

:func:`parse` runs one rule on text. The parser is a backtracking one, recursive and quadratic
in the length of a repetition, so callers hand it compacted text (see :mod:`.lexical`) and
this module bounds the nesting depth, running deeply nested input on a thread with a larger
stack. Number ranges, which the ABNF states only in comments (RFC 3501 §9: ``number`` is
32-bit, RFC 9051 §9 / RFC 7162 §7: ``number64`` and mod-sequences are 63-bit), are checked on
the parse tree.
"""

from __future__ import annotations

import re
import sys
import threading
from functools import cache, lru_cache
from typing import Any, ClassVar

from abnf import ParseError
from abnf.grammars import rfc3629
from abnf.grammars.misc import load_grammar_rules
from abnf.parser import Rule

from imapcheck.syntax import rules as R

# nesting the parser handles on the caller's stack; deeper input runs on a big-stack thread
SHALLOW_DEPTH = 32
MAX_DEPTH = 256  # deeper than any real response (Dovecot caps MIME nesting at 100)
# the parser is quadratic in repetitions: longer compacted text is not parsed (about 0.5 s)
MAX_TEXT = 8192
CACHED_TEXT = 2048

_U32 = (1 << 32) - 1
_U63 = (1 << 63) - 1
_NUMBER_LIMITS = {
    "number": _U32,
    "nz-number": _U32,
    "number64": _U63,
    "nz-number64": _U63,
    "mod-sequence-value": _U63,
    "mod-sequence-valzer": _U63,
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_TERMINALS = re.compile(r'"[^"]*"|%[xdb][0-9A-Fa-f.-]+|<[^>]*>')
_deep_lock = threading.Lock()


class ParseOutcome:
    """Result of :func:`parse`: ``ok``, or why not (``too_deep``, ``too_long``, ``range_error``)."""

    __slots__ = ("ok", "range_error", "too_deep", "too_long")

    def __init__(
        self, ok: bool, *, too_deep: bool = False, too_long: bool = False, range_error: str = ""
    ) -> None:
        self.ok = ok
        self.too_deep = too_deep
        self.too_long = too_long
        self.range_error = range_error


def _split(line: str) -> tuple[str, str]:
    name, _, body = line.partition("=")
    return name.strip().rstrip("/").strip(), body


def _references(body: str) -> set[str]:
    return {name.lower() for name in _NAME.findall(_TERMINALS.sub(" ", body))}


def _extension_grammar() -> tuple[list[str], list[str]]:
    """Rule texts for the extension grammar, and the RFC 9051 names to import."""
    from abnf.grammars import rfc9051

    base = {_split(line)[0].lower(): line for line in rfc9051.Rule.grammar}
    ours = {_split(line)[0].lower() for line in R.GRAMMAR}
    # RFC 9051 rules that refer, directly or not, to a rule we redefine: copy them
    copied: set[str] = set()
    changed = set(ours)
    while True:
        more = {
            name
            for name, line in base.items()
            if name not in changed and _references(_split(line)[1]) & changed
        }
        if not more:
            break
        copied |= more
        changed |= more
    exclusions = [
        f"{name} = " + " / ".join(f'"{word}"' for word in words) for _, name, words in R.EXCLUSIONS
    ]
    texts = R.GRAMMAR + [base[name] for name in sorted(copied)] + exclusions
    imported = sorted(set(base) - ours - copied)
    return texts, imported


@cache
def rfc9051() -> type[Rule]:
    """RFC 9051's grammar as the ``abnf`` package ships it."""
    from abnf.grammars import rfc9051 as module

    return module.Rule


@cache
def extensions() -> type[Rule]:
    """RFC 9051 plus RFC 3501 and the extensions of :mod:`imapcheck.syntax.rules`."""
    source = rfc9051()
    texts, imported = _extension_grammar()
    imports: list[tuple[str, Any]] = [(name, source(name)) for name in imported]
    imports += [(name, rfc3629.Rule(name)) for name in ("UTF8-char", "UTF8-2", "UTF8-3", "UTF8-4")]

    @load_grammar_rules(imports)
    class ExtensionRule(Rule):
        """IMAP4rev2, IMAP4rev1 and extension responses."""

        grammar: ClassVar[list[str] | str] = texts

    for generic, excluded, _ in R.EXCLUSIONS:
        ExtensionRule(generic).exclude_rule(ExtensionRule(excluded))
    return ExtensionRule


def parse(grammar: type[Rule], rule: str, text: str, depth: int) -> ParseOutcome:
    """Parse ``text`` (already compacted, nesting ``depth``) with ``rule`` of ``grammar``.

    Results for short texts are cached: compaction maps equal shapes to equal text.
    """
    if len(text) > MAX_TEXT:
        return ParseOutcome(False, too_long=True)
    if len(text) <= CACHED_TEXT:
        return _parse_cached(grammar, rule, text, depth)
    return _parse(grammar, rule, text, depth)


def clear_cache() -> None:
    _parse_cached.cache_clear()


def cache_hits() -> int:
    return _parse_cached.cache_info().hits


@lru_cache(maxsize=2048)
def _parse_cached(grammar: type[Rule], rule: str, text: str, depth: int) -> ParseOutcome:
    return _parse(grammar, rule, text, depth)


def _parse(grammar: type[Rule], rule: str, text: str, depth: int) -> ParseOutcome:
    if depth > MAX_DEPTH:
        return ParseOutcome(False, too_deep=True)
    target = grammar(rule)
    try:
        tree = _parse_deep(target, text) if depth > SHALLOW_DEPTH else target.parse_all(text)
    except ParseError as exc:
        return ParseOutcome(False, too_deep=isinstance(exc.__cause__, RecursionError))
    except RecursionError:
        return ParseOutcome(False, too_deep=True)
    problem = _range_problem(tree)
    return ParseOutcome(not problem, range_error=problem)


def too_deep(depth: int) -> str:
    """Reason for input nested beyond ``MAX_DEPTH``."""
    return (
        f"parentheses nested {depth} deep: deeper than any real response "
        f"(checked up to {MAX_DEPTH})"
    )


def unparsed(outcome: ParseOutcome, text: str, depth: int) -> str:
    """Why ``outcome`` is a failure without a parse, or ''."""
    if outcome.too_deep:
        return too_deep(depth)
    if outcome.too_long:
        return (
            f"imap-codec rejects it, and at {len(text)} bytes (literals emptied, runs "
            f"shortened) it is too long for the ABNF check (up to {MAX_TEXT})"
        )
    return outcome.range_error


def _parse_deep(target: Rule, text: str) -> Any:
    """Run the recursive parser on a thread with room for ``MAX_DEPTH`` levels."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["tree"] = target.parse_all(text)
        except BaseException as exc:  # re-raised on the caller's thread
            box["error"] = exc

    with _deep_lock:
        old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
        sys.setrecursionlimit(max(old_limit, 40_000))
        threading.stack_size(256 << 20)
        try:
            worker = threading.Thread(target=run, name="imapcheck-abnf-deep")
            worker.start()
            worker.join()
        finally:
            threading.stack_size(old_stack)
            sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]
    return box["tree"]


def _range_problem(tree: Any) -> str:
    """The first number above its ABNF comment's range, as a reason, or ''."""
    stack = [tree]
    while stack:
        node = stack.pop()
        limit = _NUMBER_LIMITS.get(node.name)
        if limit is not None:
            if node.name == "mod-sequence-value" and not node.value.strip("0"):
                return "a mod-sequence-value of 0 (RFC 7162 §7: it is a positive number)"
            if len(node.value) > 19 or int(node.value) > limit:
                bits, rfc = (32, "3501") if limit == _U32 else (63, "9051")
                return f"a {node.name} beyond the {bits}-bit range RFC {rfc} §9 gives it"
            continue
        stack.extend(node.children)
    return ""
