"""Shared pieces of the multi-session and extension modules: messages, views, polling."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from imapcheck.errors import ImapcheckError, ImapTimeout
from imapcheck.session import Session
from imapcheck.wire.encode import Arg, Literal, astring
from imapcheck.wire.response import Reply, Untagged
from imapcheck.wire.seqset import SequenceSet
from imapcheck.wire.tokens import Token
from imapcheck.wire.utf7 import encode_mailbox

POLL_SECONDS = 3.0  # how long another session's change may take to show up


def mb(name: str) -> bytes | Literal:
    """A mailbox name as it goes on the wire."""
    return astring(encode_mailbox(name))


def message(n: int, tag: str = "sync") -> bytes:
    """A small message whose Subject names it: ``<tag> <n>``."""
    return (
        b"From: sender@example.org\r\nTo: rcpt@example.org\r\n"
        b"Subject: %s %d\r\nMessage-ID: <%s-%d@imapcheck.example>\r\n\r\nbody %d\r\n"
        % (tag.encode(), n, tag.encode(), n, n)
    )


def flagset(tokens: Token) -> frozenset[str]:
    """A FLAGS list as lower-case names, without \\Recent (session state, not message state)."""
    if not isinstance(tokens, list):
        return frozenset()
    return frozenset(str(f).lower() for f in tokens if f is not None) - {"\\recent"}


def number(token: Token) -> int:
    """A numeric atom (or a one-element list such as MODSEQ's ``(7)``) as int."""
    if isinstance(token, list) and token:
        token = token[0]
    return int(token.decode() if isinstance(token, bytes) else str(token))


def uid_list(text: Token) -> list[int]:
    """A uid-set in its written order (``304,319:320`` -> [304, 319, 320])."""
    raw = text.decode() if isinstance(text, bytes) else str(text)
    parsed = SequenceSet.parse(raw)
    return [n for low, high in parsed.ranges for n in range(int(low), int(high) + 1)]


def append_messages(
    session: Session,
    name: str,
    count: int,
    *,
    tag: str = "sync",
    flags: bytes | Sequence[bytes] = b"",
    start: int = 1,
) -> Reply:
    """APPEND ``count`` messages in one command (MULTIAPPEND) or one by one.

    ``flags`` is one flag list for all, or one per message.
    """
    numbers = range(start, start + count)
    lists = [flags] * count if isinstance(flags, bytes) else list(flags)
    plus = "LITERAL+" in session.capabilities
    pieces = [[f] if f else [] for f in lists]
    if "MULTIAPPEND" in session.capabilities:
        args: list[Arg] = [mb(name)]
        for piece, n in zip(pieces, numbers, strict=True):
            args += [*piece, Literal(message(n, tag), non_sync=plus)]
        reply = session.command("APPEND", *args)
    else:
        for piece, n in zip(pieces, numbers, strict=True):
            reply = session.command("APPEND", mb(name), *piece, Literal(message(n, tag), plus))
            if not reply.ok:
                break
    if not reply.ok:
        raise ImapcheckError(f"set-up APPEND to {name!r} failed: {reply.summary()}")
    return reply


# -- what a client sees -------------------------------------------------------------------


@dataclass
class View:
    """A client's picture of the selected mailbox, kept current from untagged data alone.

    ``problems`` collects what a careful client could not reconcile (RFC 3501 §5.2, §7.4.1).
    """

    uids: list[int | None]
    flags: list[frozenset[str] | None]
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session) -> View:
        """Fetch UID and FLAGS of every message (the session has a mailbox selected)."""
        reply = session.command("FETCH", b"1:*", b"(UID FLAGS)")
        fetched = reply.fetches()
        count = max(fetched) if fetched else 0
        view = cls([None] * count, [None] * count)
        view.apply(reply.untagged)
        return view

    @property
    def count(self) -> int:
        return len(self.uids)

    def apply(self, untagged: Iterable[Untagged]) -> View:
        for item in untagged:
            if item.kind == "EXISTS" and item.number is not None:
                if item.number < self.count:
                    self.problems.append(
                        f"'{item}' reduces the count from {self.count}: 'it is NOT permitted to "
                        "send an EXISTS response that would reduce the number of messages'"
                    )
                    continue
                grow = item.number - self.count
                self.uids += [None] * grow
                self.flags += [None] * grow
            elif item.kind == "EXPUNGE" and item.number is not None:
                if not 1 <= item.number <= self.count:
                    self.problems.append(f"'{item}' names no message (count {self.count})")
                    continue
                del self.uids[item.number - 1]
                del self.flags[item.number - 1]
            elif item.kind == "VANISHED" and item.tokens and not isinstance(item.tokens[0], list):
                for uid in uid_list(item.tokens[0]):
                    if uid in self.uids:
                        index = self.uids.index(uid)
                        del self.uids[index]
                        del self.flags[index]
            elif item.kind == "FETCH" and item.number is not None:
                self._fetch(item)
        return self

    def _fetch(self, item: Untagged) -> None:
        seq = item.number or 0
        if not 1 <= seq <= self.count:
            self.problems.append(f"'{item}' names no message (count {self.count})")
            return
        attrs = item.items
        if "UID" in attrs:
            uid = number(attrs["UID"])
            known = self.uids[seq - 1]
            if known is not None and known != uid:
                self.problems.append(
                    f"'{item}': message {seq} has UID {known} in this session's view; "
                    "sequence numbers and UIDs are out of step"
                )
            self.uids[seq - 1] = uid
        if "FLAGS" in attrs:
            self.flags[seq - 1] = flagset(attrs["FLAGS"])

    def fill_uids(self, session: Session) -> None:
        """FETCH the UIDs this view does not know yet (new messages), checking the rest."""
        if self.count:
            self.apply(session.command("FETCH", b"1:*", b"(UID)").untagged)


@dataclass(frozen=True)
class Truth:
    """The mailbox as a fresh session sees it: UIDs and flags in sequence order."""

    uids: list[int]
    flags: list[frozenset[str]]

    @property
    def by_uid(self) -> dict[int, frozenset[str]]:
        return dict(zip(self.uids, self.flags, strict=True))


@dataclass(frozen=True)
class Stored:
    """One message as a fresh session reads it."""

    uid: int
    subject: str
    flags: frozenset[str]
    date: str


SUBJECT = "BODY[HEADER.FIELDS (SUBJECT)]"


def contents(session: Session) -> list[Stored]:
    """Every message of the selected mailbox, in sequence order."""
    reply = session.command(
        "FETCH", b"1:*", b"(UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])"
    )
    found = []
    for _, items in sorted(reply.fetches().items()):
        header = items.get(SUBJECT)
        text = header.decode("utf-8", "replace") if isinstance(header, bytes) else ""
        subject = text.partition(":")[2].strip()
        date = items.get("INTERNALDATE")
        found.append(
            Stored(
                number(items["UID"]),
                subject,
                flagset(items.get("FLAGS")),
                date.decode() if isinstance(date, bytes) else str(date),
            )
        )
    return found


# -- waiting for another session's change -------------------------------------------------


def poll(
    session: Session,
    until: Callable[[list[Untagged]], bool],
    *,
    command: str = "NOOP",
    timeout: float = POLL_SECONDS,
) -> list[Untagged]:
    """Send ``command`` (NOOP or CHECK) until the untagged data gathered satisfies ``until``.

    Between rounds it waits on the socket (never sleeps), up to ``timeout`` in all. Returns
    everything gathered, also when the deadline passes unsatisfied (the caller asserts).
    """
    deadline = time.monotonic() + timeout
    seen: list[Untagged] = []
    step = 0.01
    while True:
        reply = session.command(command)
        assert reply.ok, f"{command} failed: {reply.summary()}"
        seen.extend(reply.untagged)
        left = deadline - time.monotonic()
        if until(seen) or left <= 0:
            return seen
        with contextlib.suppress(ImapTimeout):
            early = session.read_untagged(lambda _: True, timeout=min(step, left))
            stray = [str(u) for u in early if u.kind == "EXPUNGE"]
            assert not stray, (
                "RFC 3501 §7.4.1: 'An EXPUNGE response MUST NOT be sent when no command is in "
                f"progress'; the server sent {stray} between commands"
            )
            seen.extend(early)
        step = min(step * 2, 0.2)


def has(kind: str, number: int | None = None) -> Callable[[list[Untagged]], bool]:
    """A poll condition: an untagged ``kind`` (with ``number``) has arrived."""
    return lambda seen: any(u.kind == kind and (number is None or u.number == number) for u in seen)


def kinds(untagged: Iterable[Untagged], *names: str) -> list[str]:
    """The untagged responses of the given kinds, as text (for messages)."""
    return [str(u) for u in untagged if u.kind in names]


def status(session: Session, name: str, *items: str) -> dict[str, int]:
    """STATUS ``items`` of a mailbox as ints."""
    reply = session.command("STATUS", mb(name), ("(" + " ".join(items) + ")").encode())
    assert reply.ok, f"STATUS {name!r} failed: {reply.summary()}"
    found: dict[str, int] = {}
    for entry in reply.of("STATUS"):
        found.update({k: number(v) for k, v in entry.items.items()})
    return found


def select_code(reply: Reply, name: str) -> int:
    """The number carried by a SELECT response code such as UIDVALIDITY."""
    code = reply.code_named(name)
    assert code is not None and code.args, f"no [{name}] in the reply: {reply.summary()}"
    return number(code.args[0])
