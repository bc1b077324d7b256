"""Hypothesis strategies for every IMAP command, walked out of the grammar the validator uses.

The rules come from :func:`imapcheck.syntax.commands.command_grammar` (RFC 9051, the
validator's IMAP4rev1 and extension rules, and the command rules of IMAP4rev1 and the
extensions); :class:`~imapcheck.syntax.generate.GrammarStrategies` walks them. Overrides give
meaning where the ABNF has none (:func:`command_overrides`): literals with exact octet counts
(synchronizing, or ``{n+}`` under LITERAL+), mailbox names under the run prefix only, sequence
numbers in range, real calendar dates, advertised SASL mechanisms, and a pause where IDLE and
AUTHENTICATE wait for the server's ``+``.

>>> ctx = CommandContext(root="imapcheck-1", messages=3, capabilities=frozenset({"LITERAL+"}))
>>> commands(ctx, "selected").example()  # doctest: +SKIP
Generated(rule='fetch', pieces=(b'FETCH 2:* (FLAGS BODY.PEEK[1.TEXT]<0.7>)',))
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from abnf import _parser_python as nodes
from hypothesis import strategies as st

from imapcheck.syntax.commands import STATE_RULES, command_grammar
from imapcheck.syntax.generate import PAUSE, Generated, GrammarStrategies, Override, Pieces
from imapcheck.wire.encode import Literal, is_astring_atom, is_quotable, quoted
from imapcheck.wire.utf7 import encode_mailbox

DEFAULT_MESSAGE = b"From: fuzz@example.org\r\nSubject: fuzz\r\n\r\nfuzz\r\n"
KNOWN_ENABLE = ("CONDSTORE", "QRESYNC", "UTF8=ACCEPT", "IMAP4rev2", "METADATA")


@dataclass(frozen=True)
class CommandContext:
    """What the command strategies need to know to stay meaningful and safe.

    Every mailbox a generated command names is ``root`` itself or below it: ``mailboxes``
    (existing ones, decoded) or a fresh name under ``root``. Sequence numbers and UIDs stay
    within ``1..max(messages, uid_next)``.
    """

    root: str
    delimiter: str = "/"
    mailboxes: tuple[str, ...] = ()
    messages: int = 0
    uid_next: int = 1
    capabilities: frozenset[str] = frozenset()
    append_messages: tuple[bytes, ...] = (DEFAULT_MESSAGE,)
    literal_max: int = 64
    max_repeat: int = 4
    max_recursion: int = 3
    extra_overrides: tuple[tuple[str, Override], ...] = ()
    extra_drops: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities


def _literal(ctx: CommandContext, data: st.SearchStrategy[bytes], binary: bool = False) -> Any:
    non_sync = st.booleans() if ctx.has("LITERAL+") else st.just(False)
    return st.builds(lambda d, n: (Literal(d, n, binary),), data, non_sync)


def _astring(ctx: CommandContext, text: str) -> st.SearchStrategy[Pieces]:
    """``text`` as an atom, a quoted string or a literal, whichever forms it allows."""
    data = text.encode("utf-8")
    forms: list[st.SearchStrategy[Pieces]] = []
    if is_astring_atom(data):
        forms.append(st.just((data,)))
    if is_quotable(data):
        forms.append(st.just((quoted(data),)))
    forms.append(_literal(ctx, st.just(data)))
    return st.one_of(forms)


_NAME_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="*%"
)


def _mailbox(ctx: CommandContext) -> Override:
    def build(_: GrammarStrategies) -> st.SearchStrategy[Pieces]:
        alphabet = _NAME_CHARS.filter(lambda c: c != ctx.delimiter)
        fresh = st.text(alphabet, min_size=1, max_size=12).map(
            lambda s: f"{ctx.root}{ctx.delimiter}{s}"
        )
        names = st.one_of(st.sampled_from(ctx.mailboxes), fresh) if ctx.mailboxes else fresh
        return names.flatmap(lambda n: _astring(ctx, encode_mailbox(n)))

    return build


def _seq_number(ctx: CommandContext) -> Override:
    top = max(ctx.messages, ctx.uid_next - 1, 1)
    number = st.integers(1, top).map(lambda n: (str(n).encode(),))
    return lambda _: st.one_of(number, st.just((b"*",)))


def _number(low: int, high: int, width: int = 0) -> Override:
    return lambda _: st.integers(low, high).map(lambda n: (str(n).zfill(width).encode(),))


def _time(_: GrammarStrategies) -> st.SearchStrategy[Pieces]:
    parts = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
    return parts.map(lambda t: (b"%02d:%02d:%02d" % t,))


def _zone(_: GrammarStrategies) -> st.SearchStrategy[Pieces]:
    parts = st.tuples(st.sampled_from(b"+-"), st.integers(0, 14), st.sampled_from((0, 30, 45)))
    return parts.map(lambda z: (bytes([z[0]]) + b"%02d%02d" % z[1:],))


def _day_fixed(_: GrammarStrategies) -> st.SearchStrategy[Pieces]:
    # RFC 3501 §9 date-day-fixed = (SP DIGIT) / 2DIGIT
    day = st.integers(1, 28)
    return day.flatmap(lambda d: st.sampled_from([(b"%02d" % d,), (b"%2d" % d,)]))


_VENDOR = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in '(){%*"\\].')


def _nothing(_: GrammarStrategies) -> st.SearchStrategy[Pieces]:
    return st.just(())


# optional syntax of extensions, left out unless the server advertises them
_GATED: dict[str, dict[str, Override]] = {
    "CONDSTORE": {
        "fetch-modifiers": _nothing,
        "store-modifiers": _nothing,
        "select-params": _nothing,
        "search-modsequence": lambda _: st.just((b"ALL",)),
    },
    "ESEARCH": {"search-return-opts": _nothing},
    "CREATE-SPECIAL-USE": {"create-params": _nothing},
}
# alternatives of extensions (by their first keyword), left out unless advertised
_DROPPED: dict[str, dict[str, set[str]]] = {
    "CONDSTORE": {"fetch-att": {"MODSEQ"}, "status-att": {"HIGHESTMODSEQ"}},
    "STATUS=SIZE": {"status-att": {"SIZE"}},
    "IMAP4REV2": {"status-att": {"DELETED"}},
    "WITHIN": {"search-key": {"OLDER", "YOUNGER"}},
    "BINARY": {"fetch-att": {"BINARY", "BINARY.SIZE"}},
    "PREVIEW": {"fetch-att": {"PREVIEW"}},
    "SAVEDATE": {"fetch-att": {"SAVEDATE"}},
}
# whole commands and the capability that makes each one valid
REQUIRES = {
    "STARTTLS": "STARTTLS",
    "UNSELECT": "UNSELECT",
    "id": "ID",
    "enable": "ENABLE",
    "idle": "IDLE",
    "namespace-command": "NAMESPACE",
    "move": "MOVE",
    "sort": "SORT",
    "thread": "THREAD=",
    "getquota": "QUOTA",
    "getquotaroot": "QUOTA",
    "compress": "COMPRESS=DEFLATE",
}


# commands a mangled copy of which still cannot write outside the selected sandbox mailbox
# (no mailbox it names is written to) nor change the connection's layer (STARTTLS, COMPRESS)
MUTATION_SAFE = (
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "id",
    "login",
    "authenticate",
    "list",
    "lsub",
    "status",
    "examine",
    "namespace-command",
    "enable",
    "getquota",
    "getquotaroot",
    "idle",
    "CHECK",
    "CLOSE",
    "UNSELECT",
    "EXPUNGE",
    "fetch",
    "store",
    "search",
    "sort",
    "thread",
    "uid",
)
MUTATION_DROPS = (("uid", ("COPY", "MOVE")),)  # UID COPY/MOVE name a destination


def supported(ctx: CommandContext, name: str) -> bool:
    """Whether the command alternative ``name`` is valid for a server with ``ctx``'s caps."""
    if name == "login" and ctx.has("LOGINDISABLED"):
        return False
    needed = REQUIRES.get(name)
    if needed is None:
        return True
    if needed.endswith("="):
        return any(c.startswith(needed) for c in ctx.capabilities)
    return ctx.has(needed)


def _base64(_: GrammarStrategies) -> st.SearchStrategy[Pieces]:
    # RFC 4648 encoding of real octets (the ABNF also admits non-canonical padding bits)
    return st.binary(max_size=48).map(lambda b: (base64.b64encode(b),))


def command_overrides(ctx: CommandContext) -> dict[str, Override]:
    """The rules that need meaning, not just syntax (see the module docstring)."""
    chars = st.binary(min_size=0, max_size=ctx.literal_max).map(lambda b: b.replace(b"\0", b"."))
    octets = st.binary(min_size=0, max_size=ctx.literal_max)
    message = st.sampled_from(ctx.append_messages)
    mechanisms = sorted(c[5:] for c in ctx.capabilities if c.startswith("AUTH="))
    pause = st.just((b"\r\n", PAUSE))
    overrides: dict[str, Override] = {
        # RFC 3501 §4.3: a literal is {count}CRLF and exactly count octets (CHAR8: no NUL)
        "literal": lambda _: _literal(ctx, chars),
        "literal8": lambda _: _literal(ctx, octets, binary=True),
        "append-data/literal": lambda _: _literal(ctx, message),
        "append-data/literal8": lambda _: _literal(ctx, message, binary=True),
        "mailbox": _mailbox(ctx),
        "seq-number": _seq_number(ctx),
        # calendar values (the ABNF allows day 99 and 25:61:61)
        "date-day": _number(1, 28),
        "date-day-fixed": _day_fixed,
        "date-year": _number(1971, 2037),
        "time": _time,
        "zone": _zone,
        # IDLE's DONE and AUTHENTICATE's responses follow a "+" from the server
        "idle/crlf": lambda _: pause,
        "authenticate/crlf": lambda _: pause,
        "base64": _base64,
        # RFC 9051 §9 writes 1*UTF8-CHAR, which admits CTL and SP inside what is an atom
        "name-component": lambda _: st.text(_VENDOR, min_size=1, max_size=8).map(
            lambda t: (t.encode(),)
        ),
        "auth-type": lambda g: st.one_of(
            [st.sampled_from(mechanisms).map(lambda m: (m.encode(),))] * bool(mechanisms)
            + [g.rule("atom")]
        ),
        "enable/capability": lambda g: st.one_of(
            st.sampled_from(KNOWN_ENABLE).map(lambda c: (c.encode(),)), g.rule("capability")
        ),
    }
    if not ctx.has("BINARY"):
        overrides["append-data"] = overrides["append-data/literal"]
    for capability, gated in _GATED.items():
        if not ctx.has(capability):
            overrides.update(gated)
    overrides.update(ctx.extra_overrides)
    return overrides


def command_aliases(ctx: CommandContext) -> dict[str, str]:
    """Rules swapped for narrower ones the server's capabilities call for."""
    aliases = {}
    if not (ctx.has("UTF8=ACCEPT") or ctx.has("IMAP4REV2")):
        aliases["QUOTED-CHAR"] = "quoted-char-rev1"  # RFC 3501 §9: quoted strings are 7-bit
    if not ctx.has("MULTIAPPEND"):
        aliases["append"] = "append-rev1"
    if not ctx.has("SEARCHRES"):
        aliases["seq-last-command"] = "seq-number"
    if not ctx.has("LIST-EXTENDED"):
        aliases["list"] = "list-rev1"
    return aliases


def command_drops(ctx: CommandContext) -> dict[str, set[str]]:
    """Alternatives of extensions the server does not advertise."""
    drops: dict[str, set[str]] = {}
    for capability, rules in _DROPPED.items():
        if not ctx.has(capability):
            for rule, words in rules.items():
                drops.setdefault(rule, set()).update(words)
    for rule, extra in ctx.extra_drops:
        drops.setdefault(rule, set()).update(extra)
    return drops


@cache
def command_strategies(ctx: CommandContext) -> GrammarStrategies:
    return GrammarStrategies(
        command_grammar(),
        overrides=command_overrides(ctx),
        aliases=command_aliases(ctx),
        drop=command_drops(ctx),
        max_repeat=ctx.max_repeat,
        max_recursion=ctx.max_recursion,
    )


def command_alternatives(state: str) -> list[tuple[str, str, Any]]:
    """(name, parent rule, grammar node) of each command valid in ``state``.

    The name is the rule's ("fetch", "uid") or, for a bare keyword, the keyword ("NOOP").
    """
    grammar = command_grammar()
    found = []
    for parent in STATE_RULES[state]:
        definition: Any = grammar(parent).definition
        for child in definition.parsers:
            name = child.name if isinstance(child, nodes.Rule) else child.value.upper()
            found.append((name, parent, child))
    return found


def commands(
    ctx: CommandContext, state: str, *, exclude: Sequence[str] = (), only: Sequence[str] = ()
) -> st.SearchStrategy[Generated]:
    """Any command valid in ``state`` ("not authenticated", "authenticated", "selected").

    ``exclude`` and ``only`` take names as :func:`command_alternatives` gives them; commands
    of extensions the server does not advertise (:data:`REQUIRES`) are left out.
    """
    strategies = command_strategies(ctx)
    skip = {e.lower() for e in exclude}
    keep = {o.lower() for o in only}
    chosen = []
    for name, parent, node in command_alternatives(state):
        if name.lower() in skip or (keep and name.lower() not in keep):
            continue
        if not supported(ctx, name):
            continue
        # builds(): a failing example then reads Generated(rule='fetch', pieces=(...))
        chosen.append(st.builds(Generated, st.just(name), strategies.node(node, parent)))
    if not chosen:
        raise ValueError(f"no command left to generate in state {state!r}")
    return st.one_of(chosen)
