"""Server bugs the fuzzers have found, so they can search past them.

A fuzzer that meets a known bug counts it instead of failing, and goes on looking for new
ones; the bug stays visible through its plain reproduction in ``fuzz/test_found.py`` (which
fails where the bug is present, and belongs in that server's baseline). Each bug says which
server it was seen on (matched against the greeting) and what it explains: a SEARCH result,
a non-grammatical response line, the outcome of a command, or a crash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from imapcheck.syntax.generate import Generated
from imapcheck.wire.encode import Literal

# search keys Dovecot's simplifier merges with their like: sizes, dates, flags, keywords
MERGED = ("LARGER", "SMALLER", "BEFORE", "SINCE", "ON", "FLAG", "KEYWORD")
_UNSET = {"UNSEEN", "UNANSWERED", "UNFLAGGED", "UNDELETED", "UNDRAFT"}


@dataclass(frozen=True)
class KnownBug:
    server: str  # lower-case text of the greeting that identifies the server
    name: str
    test: str  # its reproduction in fuzz/test_found.py
    search: Callable[[list[tuple]], bool] | None = None  # a search program it gets wrong
    response: Callable[[str], bool] | None = None  # a response line it makes non-grammatical
    rejected: Callable[[Generated, str], bool] | None = None  # (command, status) it disturbs
    crash: Callable[[Generated], bool] | None = None  # a command it makes the server die on


def _push_not(key: tuple, negated: bool = False) -> tuple:
    """``key`` with every NOT pushed down to the leaves (De Morgan), ANDs and ORs flattened."""
    kind = key[0]
    if kind == "NOT":
        return _push_not(key[1], not negated)
    if kind in ("OR", "AND"):
        group = ("AND" if negated else "OR") if kind == "OR" else ("OR" if negated else "AND")
        flat: list[tuple] = []
        for part in (_push_not(k, negated) for k in key[1:]):
            flat.extend(part[1:] if part[0] == group else [part])
        return flat[0] if len(flat) == 1 else (group, *flat)  # "(LARGER 768)" is LARGER 768
    return ("NOT", key) if negated else key


def _leaf(key: tuple, negated: bool) -> tuple[str, bool]:
    """(kind, negated) of a search key: UNSEEN is a negated flag, UNKEYWORD a negated keyword."""
    if key[0] == "FLAG":
        return "FLAG", negated != (key[1] in _UNSET)
    if key[0] in ("KEYWORD", "UNKEYWORD"):
        return "KEYWORD", negated != (key[0] == "UNKEYWORD")
    return key[0], negated


def _merged_negated(key: tuple) -> bool:
    """A group holding two keys of one mergeable kind, at least one of them negated."""
    if key[0] not in ("OR", "AND"):
        return False
    leaves = [_leaf(k[1], True) if k[0] == "NOT" else _leaf(k, False) for k in key[1:]]
    for kind in MERGED:
        same = [negated for name, negated in leaves if name == kind]
        if len(same) > 1 and any(same):
            return True
    return any(_merged_negated(k) for k in key[1:])


def negated_range_merge(program: list[tuple]) -> bool:
    """Dovecot 2.3.19: its search simplifier merges keys of one kind (sizes, dates, flags) and
    gets it wrong when a NOT is involved: ``NOT OR LARGER 192 LARGER 768`` acts as ``NOT
    LARGER 768``, ``NOT BEFORE d1 NOT BEFORE d2`` as ``NOT BEFORE d1``, ``OR UNANSWERED
    UNSEEN`` as ``NOT OR ANSWERED SEEN``."""
    return _merged_negated(_push_not(("AND", *program)))


def has_non_sync_literal(command: Generated, status: str) -> bool:
    """Dovecot 2.3.19: after a BAD found before a ``{n+}`` literal it reads the literal's
    octets as new commands (RFC 2088 §3: they belong to the command)."""
    return status == "BAD" and any(isinstance(p, Literal) and p.non_sync for p in command.pieces)


def copy_star_then_beyond(command: Generated) -> bool:
    """Dovecot 2.3.19: COPY or MOVE of a set that holds ``*`` and a number past the last
    message (``COPY *,6 box`` or ``COPY 6,* box`` with 5 messages) panics the imap process
    (view_lookup_uid). Matched loosely: a set with ``*`` and a comma."""
    head = command.pieces[0] if command.pieces and isinstance(command.pieces[0], bytes) else b""
    match = re.match(rb"(?i)(?:UID )?(?:COPY|MOVE) (\S+)", head)
    return match is not None and b"*" in match.group(1) and b"," in match.group(1)


KNOWN_BUGS = [
    KnownBug(
        "dovecot",
        "SEARCH: NOT with merged size, date or flag keys",
        "test_found.py::test_negated_range_keys, test_negated_flag_keys",
        search=negated_range_merge,
    ),
    KnownBug(
        "dovecot",
        "COPY/MOVE *,n past the last message: imap process panics",
        "test_found.py::test_copy_star_then_beyond_the_end",
        crash=copy_star_then_beyond,
    ),
    KnownBug(
        "dovecot",
        "THREAD: '* THREAD ' (trailing space) when nothing matches",
        "test_found.py::test_thread_without_matches",
        response=lambda line: line == "* THREAD ",
    ),
    KnownBug(
        "dovecot",
        "LITERAL+: octets of a {n+} literal run as commands after a BAD",
        "test_found.py::test_non_sync_literal_after_bad",
        rejected=has_non_sync_literal,
    ),
]


def known_bugs(greeting: str) -> list[KnownBug]:
    """The known bugs of the server that sent ``greeting``."""
    text = greeting.lower()
    return [bug for bug in KNOWN_BUGS if bug.server in text]
