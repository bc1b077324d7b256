"""Malformed commands: mutations of generated valid ones, and inputs from known bug classes.

Each mutation takes the exact bytes of a command and breaks one thing a parser relies on:
a bit, the end of the line, balance of parentheses or quotes, a literal's octet count, NUL and
8-bit octets where RFC 3501 §9 forbids them, line length, sequence-set size, nesting depth,
bare CR or LF. Mailbox names that are not valid modified UTF-7 (RFC 3501 §5.1.3) come from the
command grammar with the ``mailbox`` rule overridden (:func:`bad_mailboxes`), still under the
run prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import strategies as st

from imapcheck.syntax.generate import Generated, GrammarStrategies, Pieces

MUTATIONS = (
    "flip",
    "truncate",
    "unbalance",
    "literal_count",
    "nul",
    "eight_bit",
    "long_line",
    "huge_sequence",
    "deep_nesting",
    "bare_cr_lf",
)
LONG_LINES = (1000, 8192, 65_535, 65_537, 200_000)  # around common limits (RFC 2683 §3.2.1.5)
DEPTHS = (64, 101, 1000, 10_000)  # Dovecot caps MIME nesting at 100; parsers recurse
_LITERAL = re.compile(rb"(~?)\{(\d+)(\+?)\}\r\n")
_SEQUENCE = re.compile(rb"(?<= )[0-9*$][0-9*$:,]*(?= |\r\n)")
_WORD = re.compile(rb"[^ ()\"\r\n{}]+")


@dataclass(frozen=True)
class Mutant:
    """A malformed input: which mutation, what it was made from, and the bytes."""

    kind: str
    data: bytes
    origin: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {_short(self.data)} (from {_short(self.origin.encode('latin-1'))})"

    def __repr__(self) -> str:
        return f"Mutant({self.kind!r}, {_short(self.data)})"


def _short(data: bytes, limit: int = 300) -> str:
    if len(data) <= limit:
        return repr(data)
    return f"{data[: limit // 2]!r}...<{len(data) - limit} bytes>...{data[-limit // 2 :]!r}"


def mutants(valid: st.SearchStrategy[Generated], tag: str = "m1") -> st.SearchStrategy[Mutant]:
    """Generated commands, each broken by one mutation from :data:`MUTATIONS`."""

    def broken(pair: tuple[Generated, str]) -> st.SearchStrategy[Mutant]:
        command, kind = pair
        return mutate(command.wire(tag), kind).map(lambda data: Mutant(kind, data, str(command)))

    return st.tuples(valid, st.sampled_from(MUTATIONS)).flatmap(broken)


def mutate(data: bytes, kind: str) -> st.SearchStrategy[bytes]:
    """One mutation of ``data`` (a whole command, tag and CRLF included)."""
    body = data[:-2] if data.endswith(b"\r\n") else data
    at = st.integers(0, len(body))
    if kind == "flip":
        return st.tuples(st.integers(0, len(body) - 1), st.integers(0, 7)).map(
            lambda p: body[: p[0]] + bytes([body[p[0]] ^ 1 << p[1]]) + body[p[0] + 1 :] + b"\r\n"
        )
    if kind == "truncate":
        return st.integers(1, max(1, len(data) - 1)).map(lambda n: data[:n])
    if kind == "unbalance":
        return st.tuples(at, st.sampled_from([b"(", b")", b'"', b"((", b'"\\'])).map(
            lambda p: body[: p[0]] + p[1] + body[p[0] :] + b"\r\n"
        )
    if kind == "literal_count":
        return _literal_count(data)
    if kind == "nul":
        return _insert(body, at, st.sampled_from([b"\0", b"\0\0", b'"\0"']))
    if kind == "eight_bit":
        return _in_word(
            body, st.binary(min_size=1, max_size=4).map(lambda b: bytes(c | 0x80 for c in b))
        )
    if kind == "long_line":
        return _insert(body, at, st.sampled_from(LONG_LINES).map(lambda n: b"A" * n))
    if kind == "huge_sequence":
        return _huge_sequence(data)
    if kind == "deep_nesting":
        nests = st.sampled_from(DEPTHS).flatmap(
            lambda n: st.sampled_from([b"(" * n + b")" * n, b"(" * n, b"(ALL " * n + b")" * n])
        )
        return _insert(body, at, nests.map(lambda b: b" " + b))
    if kind == "bare_cr_lf":
        return _insert(body, at, st.sampled_from([b"\r", b"\n", b"\r\r\n", b"\n\r"]))
    raise ValueError(f"unknown mutation {kind!r}")


def _insert(
    body: bytes, at: st.SearchStrategy[int], what: st.SearchStrategy[bytes]
) -> st.SearchStrategy[bytes]:
    return st.tuples(at, what).map(lambda p: body[: p[0]] + p[1] + body[p[0] :] + b"\r\n")


def _in_word(body: bytes, what: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """``what`` inserted inside an atom-like word (8-bit octets where only 7-bit may go)."""
    spans = [m.span() for m in _WORD.finditer(body)] or [(0, len(body))]
    where = st.sampled_from(spans).flatmap(lambda s: st.integers(s[0], s[1]))
    return _insert(body, where, what)


def _literal_count(data: bytes) -> st.SearchStrategy[bytes]:
    headers = list(_LITERAL.finditer(data))
    if not headers:  # no literal to break: announce one that never fully arrives
        return st.integers(1, 64).map(lambda n: data[:-2] + b" {%d}\r\n" % n + b"x" * (n // 2))
    counts = st.one_of(
        st.integers(0, 70_000), st.sampled_from([2**31, 2**32, 2**32 + 1, 2**63, 10**20])
    )

    def rewrite(choice: tuple[int, int]) -> bytes:
        match = headers[choice[0] % len(headers)]
        tilde, _, plus = match.groups()
        header = tilde + b"{%d%s}\r\n" % (choice[1], plus)
        return data[: match.start()] + header + data[match.end() :]

    return st.tuples(st.integers(0, len(headers) - 1), counts).map(rewrite)


def _huge_sequence(data: bytes) -> st.SearchStrategy[bytes]:
    found = _SEQUENCE.search(data)
    sets = st.sampled_from(
        [
            b",".join(b"%d" % n for n in range(1, 40_000, 2)),
            b"1:4294967295",
            b"4294967296",
            b"0",
            b"0:*",
            b"18446744073709551616",
            b",".join([b"1:*"] * 5000),
            b"*:*," * 3000 + b"1",
        ]
    )
    if found is None:
        return sets.map(lambda s: data[:-2] + b" " + s + b"\r\n")
    return sets.map(lambda s: data[: found.start()] + s + data[found.end() :])


# -- mailbox names that are not modified UTF-7 (RFC 3501 §5.1.3) ------------------------------

BAD_UTF7 = (
    "&",  # "&" must be written "&-"
    "&Jjo",  # unterminated shift
    "&Jjo!-",  # "!" is not modified BASE64
    "&AGE-",  # shifts printable US-ASCII ("a"), which must be sent as itself
    "&-&-&",
    "&2D0-",  # a lone high surrogate (U+D83D)
    "&AAA-",  # U+0000
    "&ZeVnLIqe",  # valid base64, no closing "-"
    "&/////w-",  # not UTF-16
    "&A-",  # too few bits
)


def bad_mailbox_override(root: str, delimiter: str) -> object:
    """A ``mailbox`` override: names under ``root`` with broken modified UTF-7."""

    def build(_: GrammarStrategies) -> st.SearchStrategy[Pieces]:
        names = st.tuples(st.sampled_from(BAD_UTF7), st.sampled_from(["", "x", "box-"])).map(
            lambda p: f"{root}{delimiter}{p[1]}{p[0]}".encode()
        )
        return names.flatmap(
            lambda n: (
                st.sampled_from([(n,), (b'"' + n + b'"',)]) if b'"' not in n else st.just((n,))
            )
        )

    return build
