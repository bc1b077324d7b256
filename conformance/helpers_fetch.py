"""Shared set-up for the FETCH, SEARCH and syntax modules: filled mailboxes, result parsing."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from imapcheck import corpus
from imapcheck.errors import ImapcheckError
from imapcheck.pytest_plugin import SESSIONS_KEY
from imapcheck.sandbox import Sandbox
from imapcheck.session import Session
from imapcheck.target import Target
from imapcheck.wire.encode import Arg, Literal, astring, quoted
from imapcheck.wire.response import Reply
from imapcheck.wire.tokens import Token, as_text
from imapcheck.wire.utf7 import decode_mailbox, encode_mailbox


@dataclass(frozen=True)
class Spec:
    """One message to append: exact bytes, flags and internal date."""

    raw: bytes
    flags: tuple[str, ...] = ()
    date: str | None = None  # "01-Feb-2021 12:00:00 +0000"


@dataclass
class Box:
    """A mailbox under the run prefix holding known messages (sequence number = index + 1)."""

    name: str
    specs: list[Spec]
    uids: list[int] = field(default_factory=list)
    uidnext: int = 0
    uidvalidity: int = 0

    def uid(self, seq: int) -> int:
        return self.uids[seq - 1]


def mailbox_arg(name: str) -> bytes | Literal:
    return astring(encode_mailbox(name))


def lit(name: str) -> Literal:
    """A mailbox name as a synchronizing literal."""
    return Literal(encode_mailbox(name).encode())


def listed_names(reply: Reply) -> list[str]:
    """Decoded mailbox names of the LIST/LSUB responses of a reply."""
    names = []
    for entry in reply.of("LIST") + reply.of("LSUB"):
        raw = as_text(entry.tokens[2]) if len(entry.tokens) > 2 else None
        names.append(decode_mailbox(raw) if raw is not None else "")
    return names


def exists(reply: Reply) -> int | None:
    """The last EXISTS count a reply carried, or None."""
    counts = [u.number for u in reply.of("EXISTS")]
    return counts[-1] if counts else None


def append(session: Session, mailbox: str, spec: Spec) -> Reply:
    """APPEND one message; LITERAL+ when the server offers it (fewer round trips)."""
    args: list[Arg] = [mailbox_arg(mailbox)]
    if spec.flags:
        args.append(("(" + " ".join(spec.flags) + ")").encode())
    if spec.date:
        args.append(quoted(spec.date))
    args.append(Literal(spec.raw, non_sync="LITERAL+" in session.capabilities))
    return session.command("APPEND", *args)


def fill(
    session: Session,
    sandbox: Sandbox,
    hint: str,
    specs: Sequence[Spec],
    *,
    expunged: Sequence[int] = (),
) -> Box:
    """Create a mailbox, append ``specs``, then expunge the (1-based) positions in ``expunged``.

    Expunging placeholders makes UIDs differ from sequence numbers and leaves gaps in them.
    """
    name = sandbox.create(session, hint)
    deleted = [pos for pos, spec in enumerate(specs, 1) if "\\Deleted" in spec.flags]
    for spec in specs:
        if expunged and "\\Deleted" in spec.flags:  # set after the expunge below
            spec = Spec(spec.raw, tuple(f for f in spec.flags if f != "\\Deleted"), spec.date)
        reply = append(session, name, spec)
        if not reply.ok:
            raise ImapcheckError(f"set-up APPEND to {name!r} failed: {reply.summary()}")
    selected = session.select(encode_mailbox(name))
    if expunged:
        numbers = ",".join(str(n) for n in expunged).encode()
        stored = session.command("STORE", numbers, b"+FLAGS.SILENT", b"(\\Deleted)")
        purged = session.command("EXPUNGE")
        if not (stored.ok and purged.ok):
            raise ImapcheckError(f"set-up EXPUNGE in {name!r} failed: {purged.summary()}")
        for pos in deleted:
            seq = pos - sum(1 for gone in expunged if gone < pos)
            session.command("STORE", str(seq).encode(), b"+FLAGS.SILENT", b"(\\Deleted)")
    kept = [spec for pos, spec in enumerate(specs, 1) if pos not in expunged]
    box = Box(name, kept)
    if kept:
        fetched = session.command("FETCH", b"1:*", b"(UID)")
        uids = {seq: int(str(items["UID"])) for seq, items in fetched.fetches().items()}
        box.uids = [uids[seq] for seq in range(1, len(kept) + 1)]
    for attr, code_name in (("uidnext", "UIDNEXT"), ("uidvalidity", "UIDVALIDITY")):
        code = selected.code_named(code_name)
        if code is None or not code.args:
            raise ImapcheckError(f"SELECT {name!r} sent no [{code_name}]: needed for set-up")
        setattr(box, attr, int(str(code.args[0])))
    return box


@contextlib.contextmanager
def filled_box(
    target: Target,
    sandbox: Sandbox,
    hint: str,
    specs: Sequence[Spec],
    *,
    expunged: Sequence[int] = (),
) -> Iterator[Box]:
    """A module-level mailbox with known messages, removed afterwards."""
    session = Session(target, name=f"setup-{hint}", validate=False)
    session.connect()
    session.login()
    try:
        box = fill(session, sandbox, hint, specs, expunged=expunged)
    finally:
        session.logout()
    try:
        yield box
    finally:
        cleanup = Session(target, name=f"teardown-{hint}", validate=False)
        with contextlib.suppress(ImapcheckError, OSError):
            cleanup.connect()
            cleanup.login()
            sandbox.remove(cleanup, box.name)
        cleanup.logout()


def opened(connect: Callable[..., Session], box: Box, *, readonly: bool = True) -> Session:
    """A new session with ``box`` selected (EXAMINE by default, so nothing changes)."""
    session = connect()
    session.select(encode_mailbox(box.name), readonly=readonly)
    return session


def attach(request: pytest.FixtureRequest, session: Session) -> Session:
    """Attach a longer-lived session to this test's report (transcript, grammar checks)."""
    session.violations.clear()  # earlier tests already reported theirs
    session.transcript.note(f"---- {request.node.name} ----")
    request.node.stash.setdefault(SESSIONS_KEY, []).append(session)
    return session


def send_pieces(session: Session, pieces: Sequence[bytes]) -> Reply:
    """Send one command as exact pieces; each piece but the last ends in ``{n}\\r\\n`` and
    the next is sent only after the server's continuation request (RFC 3501 §4.3)."""
    tag = pieces[0].split(b" ", 1)[0].decode()
    deadline = time.monotonic() + session.timeout
    session.send_raw(pieces[0], expect_tag=tag)
    for piece in pieces[1:]:
        if not session._await_continuation(tag, deadline, "a literal"):
            break  # the server completed (rejected) the command instead
        session.send_raw(piece)
    return session.wait(tag, deadline=deadline)


def search_result(reply: Reply) -> list[int]:
    """Numbers of every untagged SEARCH response of a reply, in order."""
    numbers: list[int] = []
    for item in reply.of("SEARCH"):
        numbers.extend(
            int(str(tok)) for tok in item.tokens if isinstance(tok, str) and tok.isdigit()
        )
    return numbers


def fetch_items(reply: Reply, seq: int) -> dict[str, Token]:
    """The merged FETCH attributes for one message (empty dict if none arrived)."""
    return reply.fetches().get(seq, {})


MISSING = object()  # a FETCH item the server did not send


def byte_diff(want: bytes, got: object, context: int = 24) -> str:
    """Where two byte strings part: lengths and the octets around the first difference."""
    if not isinstance(got, bytes):
        return f"expected {len(want)} octets, got {got!r:.120}"
    at = next(
        (i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b),
        min(len(want), len(got)),
    )
    lo = max(0, at - context)
    return (
        f"expected {len(want)} octets, got {len(got)}; first difference at offset {at}: "
        f"expected ...{want[lo : at + context]!r}, got ...{got[lo : at + context]!r}"
    )


def norm_item(name: str) -> str:
    """A FETCH item name compared tolerantly: header names may come back quoted, in any case."""
    return " ".join(name.replace('"', "").upper().split())


def item(items: dict[str, Token], name: str) -> Token | object:
    """The value of FETCH item ``name`` (e.g. ``BODY[HEADER.FIELDS (SUBJECT)]``), or MISSING."""
    want = norm_item(name)
    for key, value in items.items():
        if norm_item(key) == want:
            return value
    return MISSING


def flag_set(token: Token) -> set[str]:
    """A FLAGS list as a set of lower-case names (flags and keywords match case-insensitively)."""
    if not isinstance(token, list):
        return set()
    return {(f.decode() if isinstance(f, bytes) else str(f)).lower() for f in token}


PLACEHOLDER = Spec(b"Subject: placeholder\r\n\r\nremoved during set-up\r\n")


# -- the syntax mailbox: subjects with quotes, backslashes, NIL, and none --------------------

SYNTAX_SPECS = [
    Spec(b'Subject: say "hi" there\r\nX-Tag: q\r\n\r\nfirst\r\n', ("\\Seen",)),
    Spec(b"Subject: C:\\temp\\new\r\n\r\nsecond\r\n"),
    Spec(b"Subject: NIL\r\nX-Tag: r\r\n\r\nthird\r\n"),
    Spec(b"From: nobody@example.org\r\n\r\nfourth, without a subject\r\n"),
]


@pytest.fixture(scope="module")
def syntax_box(target: Target, sandbox: Sandbox) -> Iterator[Box]:
    """SYNTAX_SPECS in a mailbox under the run prefix (read with EXAMINE only)."""
    with filled_box(target, sandbox, "syntax", SYNTAX_SPECS) as box:
        yield box


# -- the FETCH mailbox: the whole corpus, with varied flags and internal dates ----------------

FETCH_FLAGS = [
    (),
    ("\\Flagged",),
    ("\\Answered", "$Work"),
    ("\\Draft",),
    ("\\Seen",),
    ("\\Flagged", "\\Seen", "$Later"),
]
FETCH_ZONES = ["+0000", "-0700", "+0530", "+1200", "-0330", "+0100"]


def fetch_specs(messages: Sequence[corpus.CorpusMessage]) -> list[Spec]:
    """One Spec per corpus message: flags and an internal date (in varied zones) per position."""
    specs = []
    for index, message in enumerate(messages):
        date = (
            f"{index % 27 + 1:02d}-Mar-2023 {index % 24:02d}:{index * 7 % 60:02d}:"
            f"{index * 13 % 60:02d} {FETCH_ZONES[index % len(FETCH_ZONES)]}"
        )
        specs.append(Spec(message.data, FETCH_FLAGS[index % len(FETCH_FLAGS)], date))
    return specs


@pytest.fixture(scope="module")
def fetch_box(target: Target, sandbox: Sandbox) -> Iterator[Box]:
    """Every corpus message (sequence number = position in all_messages() + 1), behind an
    expunged placeholder so that UIDs differ from sequence numbers. Read with EXAMINE/PEEK."""
    specs = [PLACEHOLDER, *fetch_specs(corpus.all_messages())]
    with filled_box(target, sandbox, "fetch", specs, expunged=(1,)) as box:
        yield box
