"""Hypothesis strategies out of an ``abnf`` grammar: walk a rule's parser tree, draw from it.

:class:`GrammarStrategies` turns any rule into a strategy by walking its parser tree
(Concatenation, Alternation, Repetition, Option, Literal, Rule references). What ABNF leaves
open is bounded: each cycle of rules may be re-entered ``max_recursion`` times (beyond that
only alternatives that terminate are drawn), and a repetition adds at most ``max_repeat`` to
its minimum. *Overrides* replace rules that need meaning rather than syntax, everywhere
(``"mailbox"``) or inside one parent rule only (``"append-data/literal"``); *aliases* swap a
rule for a narrower one.

Drawn values are :data:`Pieces`: bytes, :class:`~imapcheck.wire.encode.Literal` (sent after a
continuation unless non-synchronizing) and :data:`PAUSE` (wait for a ``+`` before going on).
Generation needs the pure-Python ``abnf`` backend (the Rust one does not expose its trees).
"""

from __future__ import annotations

import string as _string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from abnf import _parser_python as nodes
from hypothesis import strategies as st

from imapcheck.wire.encode import Literal


class Pause:
    """Where the client stops and waits for a ``+`` continuation request."""

    def __repr__(self) -> str:
        return "PAUSE"


PAUSE = Pause()
Piece = Union[bytes, Literal, Pause]  # noqa: UP007 (a runtime alias)
Pieces = tuple[Piece, ...]
Override = Callable[["GrammarStrategies"], st.SearchStrategy[Pieces]]
INFINITE = 1 << 30


def join(parts: Iterable[Pieces]) -> Pieces:
    """Concatenate piece tuples, merging adjacent bytes."""
    out: list[Piece] = []
    for part in parts:
        for piece in part:
            if isinstance(piece, bytes) and out and isinstance(out[-1], bytes):
                out[-1] += piece
            elif not (isinstance(piece, bytes) and not piece):
                out.append(piece)
    return tuple(out)


def segments(tag: bytes | str, pieces: Pieces) -> list[bytes]:
    """What to write for ``tag SP pieces CRLF``; wait for ``+`` after every segment but the last."""
    head = tag.encode() if isinstance(tag, str) else tag
    out: list[bytes] = []
    current = bytearray(head + b" ")
    for piece in pieces:
        if isinstance(piece, Literal):
            current += piece.header()
            if piece.non_sync:
                current += piece.data
            else:
                out.append(bytes(current))
                current = bytearray(piece.data)
        elif isinstance(piece, Pause):
            out.append(bytes(current))
            current = bytearray()
        else:
            current += piece
    out.append(bytes(current + b"\r\n"))
    return out


@dataclass(frozen=True)
class Generated:
    """One generated command without its tag: the grammar alternative it came from, and pieces."""

    rule: str
    pieces: Pieces

    @property
    def name(self) -> str:
        """The command name, upper case ("FETCH", "UID STORE")."""
        first = self.pieces[0] if self.pieces and isinstance(self.pieces[0], bytes) else b""
        words = first.split(b"\r\n")[0].split(b" ")
        count = 2 if words[0].upper() == b"UID" and len(words) > 1 else 1
        return " ".join(w.decode("latin-1") for w in words[:count]).upper()

    def segments(self, tag: str) -> list[bytes]:
        return segments(tag, self.pieces)

    def wire(self, tag: str) -> bytes:
        """All bytes of the command, as if every continuation had been granted."""
        return b"".join(self.segments(tag))

    def __str__(self) -> str:
        text = self.wire("TAG").decode("latin-1")
        return text if len(text) < 500 else f"{text[:500]}... ({len(text)} bytes)"


class GrammarStrategies:
    """Strategies for the rules of one ``abnf`` grammar class."""

    def __init__(
        self,
        grammar: type[nodes.Rule],
        *,
        overrides: Mapping[str, Override] | None = None,
        aliases: Mapping[str, str] | None = None,
        drop: Mapping[str, Iterable[str]] | None = None,
        max_repeat: int = 4,
        max_recursion: int = 3,
        vary_case: bool = True,
    ) -> None:
        self.grammar = grammar
        # "rule" applies everywhere, "parent/rule" only inside parent's definition
        self.overrides = {k.lower(): v for k, v in (overrides or {}).items()}
        self.aliases = {k.lower(): v.lower() for k, v in (aliases or {}).items()}
        # rule -> keywords (or rule names) of alternatives not drawn ("fetch-att" -> {"MODSEQ"})
        self.drop = {k.lower(): {w.upper() for w in v} for k, v in (drop or {}).items()}
        self.max_repeat = max_repeat
        self.max_recursion = max_recursion
        self.vary_case = vary_case
        self._built: dict[tuple[str, int], st.SearchStrategy[Pieces]] = {}
        self._overridden: dict[str, st.SearchStrategy[Pieces]] = {}
        self._definitions: dict[str, Any] = {}
        self._rules: dict[str, nodes.Rule] = {}
        self._scc: dict[str, int] = {}
        self._recursive: set[str] = set()
        self._mincost: dict[str, int] = {}
        self._cycles = 0

    # -- public -----------------------------------------------------------------------------

    def rule(self, name: str) -> st.SearchStrategy[Pieces]:
        """Pieces matching rule ``name``."""
        key = self._resolve(name)
        self._analyse(key)
        if key in self.overrides:
            return self._override(key)
        return self._rule(key, self.max_recursion)

    def node(self, node: Any, owner: str) -> st.SearchStrategy[Pieces]:
        """Pieces for one node of ``owner``'s definition (e.g. one alternative of it)."""
        self._analyse(self._resolve(owner))
        return self._node(node, self._resolve(owner), self.max_recursion)

    def text(self, name: str) -> st.SearchStrategy[bytes]:
        """Bytes matching rule ``name`` (literals rendered inline, pauses dropped)."""
        return self.rule(name).map(_flat)

    # -- analysis: rule graph, its cycles, and how deep each cycle must go to end -----------

    def _resolve(self, name: str) -> str:
        key = name.lower()
        return self.aliases.get(key, key)

    def _definition(self, key: str) -> Any:
        if key not in self._definitions:
            # core rules (ALPHA, SP...) belong to the base class: reach them through references
            rule = self._rules.get(key) or self.grammar(key)
            self._definitions[key] = rule.definition
        return self._definitions[key]

    def _refs(self, node: Any) -> Iterable[str]:
        if isinstance(node, nodes.Rule):
            key = self._resolve(node.name)
            if key == node.name.lower():
                self._rules.setdefault(key, node)
            yield key
        elif isinstance(node, nodes.Alternation | nodes.Concatenation):
            for child in node.parsers:
                yield from self._refs(child)
        elif isinstance(node, nodes.Repetition):
            yield from self._refs(node.element)
        elif isinstance(node, nodes.Option):
            yield from self._refs(node.alternation)
        elif not isinstance(node, nodes.Literal | nodes.Prose):
            raise TypeError(
                f"cannot walk {type(node).__name__}: generation needs the pure-Python abnf "
                "backend (set ABNF_NO_RUST=1)"
            )

    def _analyse(self, root: str) -> None:
        if root in self._scc:
            return
        graph: dict[str, set[str]] = {}
        todo = [root]
        while todo:
            key = todo.pop()
            if key in graph or key in self._scc:
                continue
            graph[key] = set()
            if key in self.overrides:
                continue
            graph[key] = {r for r in self._refs(self._definition(key))}
            todo.extend(graph[key])
        self._tarjan(graph)
        changed = True
        for key in graph:
            if key in self._recursive:
                self._mincost[key] = INFINITE
        while changed:
            changed = False
            for key in graph:
                if key in self._recursive:
                    cost = self._cost(self._definition(key), key)
                    if cost < self._mincost[key]:
                        self._mincost[key], changed = cost, True

    def _tarjan(self, graph: dict[str, set[str]]) -> None:
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []

        def visit(key: str) -> None:
            index[key] = low[key] = len(index)
            stack.append(key)
            for ref in graph.get(key, ()):
                if ref in self._scc:
                    continue
                if ref not in index:
                    visit(ref)
                    low[key] = min(low[key], low[ref])
                elif ref in stack:
                    low[key] = min(low[key], index[ref])
            if low[key] == index[key]:
                members = []
                while True:
                    member = stack.pop()
                    members.append(member)
                    if member == key:
                        break
                self._cycles += 1
                for member in members:
                    self._scc[member] = self._cycles
                if len(members) > 1 or key in graph.get(key, ()):
                    self._recursive.update(members)

        for key in graph:
            if key not in index and key not in self._scc:
                visit(key)

    def _same_cycle(self, owner: str, key: str) -> bool:
        return key in self._recursive and self._scc.get(key) == self._scc.get(owner)

    def _cost(self, node: Any, owner: str) -> int:
        """Re-entries of ``owner``'s cycle needed before ``node`` can end."""
        if isinstance(node, nodes.Rule):
            key = self._resolve(node.name)
            if self._override_key(owner, key) or not self._same_cycle(owner, key):
                return 0
            return min(INFINITE, 1 + self._mincost.get(key, INFINITE))
        if isinstance(node, nodes.Concatenation):
            return max((self._cost(c, owner) for c in node.parsers), default=0)
        if isinstance(node, nodes.Alternation):
            return min((self._cost(c, owner) for c in node.parsers), default=INFINITE)
        if isinstance(node, nodes.Repetition):
            return 0 if node.repeat.min == 0 else self._cost(node.element, owner)
        if isinstance(node, nodes.Option | nodes.Literal):
            return 0
        return INFINITE  # Prose: nothing to generate

    # -- building ---------------------------------------------------------------------------

    def _override_key(self, owner: str, key: str) -> str | None:
        for candidate in (f"{owner}/{key}", key):
            if candidate in self.overrides:
                return candidate
        return None

    def _override(self, key: str) -> st.SearchStrategy[Pieces]:
        if key not in self._overridden:
            self._overridden[key] = st.deferred(lambda: self.overrides[key](self))
        return self._overridden[key]

    def _rule(self, key: str, budget: int) -> st.SearchStrategy[Pieces]:
        memo = (key, budget)
        if memo not in self._built:
            self._built[memo] = st.deferred(lambda: self._node(self._definition(key), key, budget))
        return self._built[memo]

    def _node(self, node: Any, owner: str, budget: int) -> st.SearchStrategy[Pieces]:
        if self._cost(node, owner) > budget:
            return st.nothing()  # cannot end within the budget (or at all)
        if isinstance(node, nodes.Rule):
            key = self._resolve(node.name)
            self._analyse(key)
            override = self._override_key(owner, key)
            if override:
                return self._override(override)
            inner = budget - 1 if self._same_cycle(owner, key) else self.max_recursion
            return self._rule(key, inner)
        if isinstance(node, nodes.Concatenation):
            parts = [self._node(c, owner, budget) for c in node.parsers]
            return st.tuples(*parts).map(join)
        if isinstance(node, nodes.Alternation):
            dropped = self.drop.get(owner, set())
            choices = [
                c
                for c in node.parsers
                if self._cost(c, owner) <= budget and not (dropped and _keywords(c) <= dropped)
            ]
            return st.one_of([self._node(c, owner, budget) for c in choices])
        if isinstance(node, nodes.Repetition):
            low, high = node.repeat.min, node.repeat.max
            if self._cost(node.element, owner) > budget:
                return st.just(())
            top = low + self.max_repeat if high is None else min(high, low + self.max_repeat)
            element = self._node(node.element, owner, budget)
            return st.lists(element, min_size=low, max_size=top).map(join)
        if isinstance(node, nodes.Option):
            if self._cost(node.alternation, owner) > budget:
                return st.just(())
            return st.one_of(st.just(()), self._node(node.alternation, owner, budget))
        if isinstance(node, nodes.Literal):
            return self._literal(node)
        raise TypeError(f"cannot generate {node!r} in rule {owner!r}")

    def _literal(self, node: Any) -> st.SearchStrategy[Pieces]:
        value = node.value
        if isinstance(value, tuple):
            low, high = ord(value[0]), ord(value[1])
            return st.integers(low, high).map(lambda c: (bytes([c]),))
        data = value.encode("latin-1")
        letters = [i for i, c in enumerate(data) if chr(c) in _string.ascii_letters]
        if node.case_sensitive or not letters or not self.vary_case:
            return st.just((data,))
        # IMAP keywords are case-insensitive (RFC 3501 §9): vary it, shrinking to as written
        masks = st.integers(0, (1 << len(letters)) - 1)
        varied = masks.map(lambda mask: (_case(data, letters, mask),))
        return st.one_of(st.just((data,)), varied)


def _keywords(node: Any) -> set[str]:
    """The keywords an alternative starts with ({"OLDER", "YOUNGER"}), the name of the rule
    it is ({"COPY"}), or {""}."""
    if isinstance(node, nodes.Rule):
        return {node.name.upper()}
    if isinstance(node, nodes.Literal) and isinstance(node.value, str):
        return {node.value.upper()}
    if isinstance(node, nodes.Concatenation) and node.parsers:
        return _keywords(node.parsers[0])
    if isinstance(node, nodes.Alternation):
        return set().union(*(_keywords(c) for c in node.parsers))
    return {""}


def _case(data: bytes, letters: list[int], mask: int) -> bytes:
    out = bytearray(data)
    for bit, position in enumerate(letters):
        if mask >> bit & 1:
            out[position] ^= 0x20
    return bytes(out)


def _flat(pieces: Pieces) -> bytes:
    out = bytearray()
    for piece in pieces:
        if isinstance(piece, Literal):
            out += piece.header() + piece.data
        elif isinstance(piece, bytes):
            out += piece
    return bytes(out)
