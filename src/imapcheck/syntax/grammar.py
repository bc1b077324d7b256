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
from functools import cache
from typing import Any, ClassVar

from abnf import ParseError
from abnf.grammars import rfc3629
from abnf.grammars.misc import load_grammar_rules
from abnf.parser import Rule

from imapcheck.syntax import rules as R

# nesting the parser handles on the caller's stack; deeper input runs on a big-stack thread
SHALLOW_DEPTH = 32
MAX_DEPTH = 256  # deeper than any real response (Dovecot caps MIME nesting at 100)

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
    """Result of :func:`parse`: ``ok``, or why not (``too_deep``, ``range_error``)."""

    __slots__ = ("ok", "range_error", "too_deep")

    def __init__(self, ok: bool, *, too_deep: bool = False, range_error: str = "") -> None:
        self.ok = ok
        self.too_deep = too_deep
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
    utf8 = [(name, rfc3629.Rule(name)) for name in ("UTF8-char", "UTF8-2", "UTF8-3", "UTF8-4")]

    @load_grammar_rules([(name, source(name)) for name in imported] + utf8)
    class ExtensionRule(Rule):
        """IMAP4rev2, IMAP4rev1 and extension responses."""

        grammar: ClassVar[list[str] | str] = texts

    for generic, excluded, _ in R.EXCLUSIONS:
        ExtensionRule(generic).exclude_rule(ExtensionRule(excluded))
    return ExtensionRule


def parse(grammar: type[Rule], rule: str, text: str, depth: int) -> ParseOutcome:
    """Parse ``text`` (already compacted, nesting ``depth``) with ``rule`` of ``grammar``."""
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
            if int(node.value) > limit:
                bits = 32 if limit == _U32 else 63
                rfc = "3501" if bits == 32 else "9051"
                return (
                    f"{node.name} {node.value} exceeds the {bits}-bit range RFC {rfc} §9 gives it"
                )
            continue
        stack.extend(node.children)
    return ""
