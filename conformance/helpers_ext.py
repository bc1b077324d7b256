"""Shared set-up for the extension modules: mailboxes, LIST/STATUS/ESEARCH parsing, deflate."""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.wire.encode import Arg, Literal, astring, quoted
from imapcheck.wire.response import Reply, Untagged
from imapcheck.wire.tokens import Token, as_text
from imapcheck.wire.utf7 import decode_mailbox, encode_mailbox


def mb(name: str) -> bytes | Literal:
    """A mailbox name as it goes on the wire."""
    return astring(encode_mailbox(name))


def wire(name: str) -> bytes:
    """A mailbox name as bytes, for building command lines (modified UTF-7 is 7-bit)."""
    value = mb(name)
    return value if isinstance(value, bytes) else quoted(value.data)


def text(token: Token) -> str:
    """An atom, string or number token as text ("" for NIL or a list)."""
    if isinstance(token, list):
        return ""
    return as_text(token) or ""


def number(token: Token) -> int:
    return int(text(token))


@dataclass
class ListEntry:
    """One LIST (or LSUB) response: decoded name, lower-case attributes, extended items."""

    name: str
    attrs: frozenset[str]
    delimiter: str | None
    extended: dict[str, Token] = field(default_factory=dict)

    def has(self, attr: str) -> bool:
        return attr.lower() in self.attrs

    @property
    def childinfo(self) -> set[str] | None:
        """The CHILDINFO selection criteria (upper-case), or None without CHILDINFO."""
        value = self.extended.get("CHILDINFO")
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        return {text(item).upper() for item in items}

    def __str__(self) -> str:
        ext = f" {self.extended}" if self.extended else ""
        return f"{self.name} ({' '.join(sorted(self.attrs))}){ext}"


def parse_list(item: Untagged) -> ListEntry:
    tokens = item.tokens
    attrs = tokens[0] if tokens and isinstance(tokens[0], list) else []
    raw = text(tokens[2]) if len(tokens) > 2 else ""
    try:
        name = decode_mailbox(raw)
    except ValueError:
        name = raw
    extended: dict[str, Token] = {}
    if len(tokens) > 3 and isinstance(tokens[3], list):
        ext = tokens[3]
        for index in range(0, len(ext) - 1, 2):
            extended[text(ext[index]).upper()] = ext[index + 1]
    delimiter = as_text(tokens[1]) if len(tokens) > 1 and not isinstance(tokens[1], list) else None
    return ListEntry(name, frozenset(text(a).lower() for a in attrs), delimiter, extended)


def list_entries(reply: Reply, kind: str = "LIST") -> list[ListEntry]:
    """Every LIST (or LSUB) response of a reply, in order."""
    return [parse_list(item) for item in reply.of(kind)]


def by_name(entries: Sequence[ListEntry]) -> dict[str, ListEntry]:
    return {entry.name: entry for entry in entries}


def status_items(item: Untagged) -> tuple[str, dict[str, int]]:
    """(decoded mailbox name, {ITEM: value}) of an untagged STATUS response."""
    raw = text(item.tokens[0]) if item.tokens else ""
    try:
        name = decode_mailbox(raw)
    except ValueError:
        name = raw
    return name, {key: number(value) for key, value in item.items.items()}


def status(session: Session, name: str, items: str) -> dict[str, int]:
    """STATUS ``name`` (``items``) -> {ITEM: value}; asserts it succeeded."""
    reply = session.command("STATUS", mb(name), f"({items})".encode())
    assert reply.ok, f"STATUS {name!r} ({items}) failed: {reply.summary()}"
    found = [status_items(item)[1] for item in reply.of("STATUS")]
    assert len(found) == 1, f"STATUS must return one untagged STATUS response, got {len(found)}"
    return found[0]


def seq_list(token: Token) -> list[int]:
    """A sequence-set in its written order, ranges expanded (``3,1:2`` -> [3, 1, 2])."""
    out: list[int] = []
    for part in text(token).split(","):
        if not part:
            continue
        low, _, high = part.partition(":")
        first, last = int(low), int(high or low)
        step = 1 if last >= first else -1
        out.extend(range(first, last + step, step))
    return out


@dataclass
class Esearch:
    """One ESEARCH response: its correlator tag, UID flag and return data."""

    tag: str | None
    uid: bool
    data: dict[str, Token]

    def numbers(self, name: str) -> list[int]:
        value = self.data.get(name)
        return seq_list(value) if value is not None else []


def esearches(reply_or_items: Reply | Sequence[Untagged]) -> list[Esearch]:
    items = reply_or_items.of("ESEARCH") if isinstance(reply_or_items, Reply) else reply_or_items
    out = []
    for item in items:
        if item.kind != "ESEARCH":
            continue
        tokens = list(item.tokens)
        tag = None
        if tokens and isinstance(tokens[0], list) and len(tokens[0]) == 2:
            tag = text(tokens[0][1])
            tokens = tokens[1:]
        uid = bool(tokens) and text(tokens[0]).upper() == "UID"
        tokens = tokens[1:] if uid else tokens
        data: dict[str, Token] = {}
        for index in range(0, len(tokens) - 1, 2):
            name = text(tokens[index]).upper()
            data[name] = tokens[index + 1] if name not in data else data[name]
        out.append(Esearch(tag, uid, data))
    return out


def only_esearch(reply: Reply) -> Esearch:
    found = [e for e in esearches(reply) if e.tag in (None, reply.tag)]
    assert len(found) == 1, (
        f"expected one ESEARCH response (TAG {reply.tag!r}) to {reply.command!r}, "
        f"got {len(found)}: {[str(u) for u in reply.of('ESEARCH')]}"
    )
    return found[0]


def sort_result(reply: Reply) -> list[int]:
    """The numbers of the untagged SORT response(s) of a reply, in order."""
    return [number(tok) for item in reply.of("SORT") for tok in item.tokens]


def append(
    session: Session,
    name: str,
    raw: bytes,
    *,
    flags: Sequence[str] = (),
    date: str | None = None,
    binary: bool = False,
) -> Reply:
    """APPEND one message (non-synchronizing literal when LITERAL+ is offered)."""
    args: list[Arg] = [mb(name)]
    if flags:
        args.append(("(" + " ".join(flags) + ")").encode())
    if date:
        args.append(quoted(date))
    plus = "LITERAL+" in session.capabilities
    args.append(Literal(raw, non_sync=plus, binary=binary))
    return session.command("APPEND", *args)


def append_ok(session: Session, name: str, raw: bytes, **kw) -> Reply:
    reply = append(session, name, raw, **kw)
    if not reply.ok:
        raise ImapcheckError(f"set-up APPEND to {name!r} failed: {reply.summary()}")
    return reply


def message(n: int, tag: str = "ext", body: bytes = b"") -> bytes:
    """A small message whose Subject names it."""
    return (
        b"From: sender@example.org\r\nTo: rcpt@example.org\r\n"
        b"Subject: %s %d\r\nMessage-ID: <%s-%d@imapcheck.example>\r\n\r\nbody %d\r\n%s"
        % (tag.encode(), n, tag.encode(), n, n, body)
    )


def uids(session: Session) -> list[int]:
    """UIDs of the selected mailbox in sequence order."""
    reply = session.command("UID", b"FETCH", b"1:*", b"(UID)")
    fetched = reply.fetches()
    return [number(fetched[seq]["UID"]) for seq in sorted(fetched)]


def imap_date(epoch: float) -> str:
    """An IMAP date-time for ``epoch``, written in UTC."""
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(epoch))


@contextlib.contextmanager
def setup_session(target, name: str) -> Iterator[Session]:
    """A logged-in session for module set-up (not part of any test's report)."""
    session = Session(target, name=name, validate=False)
    session.connect()
    session.login()
    try:
        yield session
    finally:
        session.logout()


def deflate_pair() -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    """Raw DEFLATE (RFC 1951, no zlib header) both ways, flushed per write (RFC 4978 §3)."""
    out = zlib.compressobj(6, zlib.DEFLATED, -15)
    into = zlib.decompressobj(-15)

    def compress(data: bytes) -> bytes:
        return out.compress(data) + out.flush(zlib.Z_SYNC_FLUSH)

    return compress, into.decompress
