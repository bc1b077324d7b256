"""The model the stateful fuzzer checks a server against: mailboxes, messages, SEARCH.

Pure data and functions (no I/O): :class:`Mailbox` holds what RFC 3501 says a mailbox must
look like after the operations so far (§2.3: UIDs, flags, internal date, size, contents), and
:data:`search_keys` draws search programs that :func:`render_key` writes as IMAP and
:func:`matches` evaluates against the model (§6.4.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from imapcheck import corpus
from imapcheck.wire.seqset import format_sequence_set

SYSTEM_FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")
KEYWORDS = ("$Forwarded", "$MDNSent", "imapcheck-red", "imapcheck-blue")
MESSAGES = tuple(m.data for m in corpus.all_messages() if len(m.data) < 8192)
SIZES = sorted({len(m) for m in MESSAGES})
FIRST_DAY = date(2021, 3, 1)
DAYS = 5  # internal dates fall on FIRST_DAY .. FIRST_DAY + DAYS - 1, at noon UTC
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def norm(flags: Any) -> frozenset[str]:
    """Flags compared case-insensitively, without the session flag \\Recent."""
    return frozenset(f.lower() for f in flags) - {"\\recent"}


def imap_date(day: date) -> str:
    return f"{day.day}-{MONTHS[day.month - 1]}-{day.year}"


def imap_datetime(moment: datetime) -> str:
    """RFC 3501 date-time, quoted, in UTC."""
    month = MONTHS[moment.month - 1]
    return f'"{moment.day:02d}-{month}-{moment.year} {moment:%H:%M:%S} +0000"'


def parse_datetime(text: str) -> datetime | None:
    """RFC 3501 date-time ("dd-Mon-yyyy hh:mm:ss +zzzz") as an aware datetime."""
    try:
        return datetime.strptime(text.strip().strip('"').strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def internal_date(day: int) -> datetime:
    """Noon UTC on one of the model's days: the same date in every time zone within 11 hours."""
    noon = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, 12, tzinfo=UTC)
    return noon + timedelta(days=day % DAYS)


@dataclass
class Message:
    uid: int | None  # None until the server tells (no UIDPLUS): learned at the next look
    data: bytes
    flags: frozenset[str]
    date: datetime

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Mailbox:
    """One mailbox as the RFC says it must be."""

    name: str
    uidvalidity: int = 0
    next_uid: int = 1  # every UID assigned from now on must be at least this (§2.3.1.1)
    messages: list[Message] = field(default_factory=list)

    def uids(self) -> list[int | None]:
        return [m.uid for m in self.messages]

    def assign(self, message: Message, uid: int | None) -> str:
        """Record a new message; '' or why its UID breaks RFC 3501 §2.3.1.1."""
        problem = ""
        if uid is not None:
            if uid < self.next_uid:
                problem = (
                    f"UID {uid} given to a new message in {self.name!r}, but UIDs must be "
                    f"strictly ascending: {self.next_uid - 1} was given before (RFC 3501 §2.3.1.1)"
                )
            self.next_uid = max(self.next_uid, uid + 1)
        message.uid = uid
        self.messages.append(message)
        return problem

    def learn_uids(self, seen: list[int]) -> str:
        """Fill in UIDs not known yet from the server's answer (sequence order)."""
        if len(seen) != len(self.messages):
            return ""
        for message, uid in zip(self.messages, seen, strict=True):
            if message.uid is None:
                problem = self.assign_late(message, uid)
                if problem:
                    return problem
        return ""

    def assign_late(self, message: Message, uid: int) -> str:
        message.uid = uid
        if uid < self.next_uid:
            return f"UID {uid} of a new message is not above the UIDs given before (§2.3.1.1)"
        self.next_uid = uid + 1
        return ""

    def pick(self, picks: list[int]) -> list[int]:
        """Sequence numbers (1-based, sorted, distinct) chosen by ``picks``."""
        count = len(self.messages)
        return sorted({p % count + 1 for p in picks}) if count else []

    def expunge(self, seqs: set[int]) -> None:
        self.messages = [m for i, m in enumerate(self.messages, 1) if i not in seqs]


def sequence(numbers: list[int]) -> bytes:
    return format_sequence_set(numbers).encode()


# -- search programs (RFC 3501 §6.4.4) ---------------------------------------------------------

FLAG_KEYS = {  # key -> (flag, whether it must be set)
    "SEEN": ("\\seen", True),
    "UNSEEN": ("\\seen", False),
    "ANSWERED": ("\\answered", True),
    "UNANSWERED": ("\\answered", False),
    "FLAGGED": ("\\flagged", True),
    "UNFLAGGED": ("\\flagged", False),
    "DELETED": ("\\deleted", True),
    "UNDELETED": ("\\deleted", False),
    "DRAFT": ("\\draft", True),
    "UNDRAFT": ("\\draft", False),
}
_leaves = st.one_of(
    st.just(("ALL",)),
    st.sampled_from(sorted(FLAG_KEYS)).map(lambda k: ("FLAG", k)),
    st.tuples(st.sampled_from(["KEYWORD", "UNKEYWORD"]), st.sampled_from(KEYWORDS)),
    st.tuples(
        st.sampled_from(["LARGER", "SMALLER"]),
        st.tuples(st.sampled_from(SIZES), st.integers(-2, 2)).map(lambda p: max(0, sum(p))),
    ),
    st.tuples(st.sampled_from(["BEFORE", "ON", "SINCE"]), st.integers(-1, DAYS)),
    st.tuples(
        st.sampled_from(["UID", "SEQ"]), st.lists(st.integers(0, 40), min_size=1, max_size=4)
    ),
)
search_keys = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        inner.map(lambda k: ("NOT", k)),
        st.tuples(st.just("OR"), inner, inner),
        st.lists(inner, min_size=1, max_size=3).map(lambda ks: ("AND", *ks)),
    ),
    max_leaves=6,
)
search_programs = st.lists(search_keys, min_size=1, max_size=3)


def _day(offset: int) -> date:
    return FIRST_DAY + timedelta(days=offset)


def render_key(key: tuple, box: Mailbox) -> bytes:
    kind = key[0]
    if kind == "ALL":
        return b"ALL"
    if kind == "FLAG":
        return key[1].encode()
    if kind in ("KEYWORD", "UNKEYWORD"):
        return f"{kind} {key[1]}".encode()
    if kind in ("LARGER", "SMALLER"):
        return f"{kind} {key[1]}".encode()
    if kind in ("BEFORE", "ON", "SINCE"):
        return f"{kind} {imap_date(_day(key[1]))}".encode()
    if kind == "UID":
        uids = [box.messages[s - 1].uid or 0 for s in box.pick(key[1])]
        return b"UID " + sequence(uids)
    if kind == "SEQ":
        return sequence(box.pick(key[1]))
    if kind == "NOT":
        return b"NOT " + render_key(key[1], box)
    if kind == "OR":
        return b"OR " + render_key(key[1], box) + b" " + render_key(key[2], box)
    return b"(" + b" ".join(render_key(k, box) for k in key[1:]) + b")"


def matches(key: tuple, box: Mailbox, seq: int) -> bool:
    """Whether message ``seq`` of ``box`` satisfies ``key`` (RFC 3501 §6.4.4)."""
    message = box.messages[seq - 1]
    flags = norm(message.flags)
    kind = key[0]
    if kind == "ALL":
        return True
    if kind == "FLAG":
        flag, wanted = FLAG_KEYS[key[1]]
        return (flag in flags) == wanted
    if kind in ("KEYWORD", "UNKEYWORD"):
        return (key[1].lower() in flags) == (kind == "KEYWORD")
    if kind == "LARGER":
        return message.size > key[1]
    if kind == "SMALLER":
        return message.size < key[1]
    if kind in ("BEFORE", "ON", "SINCE"):
        when, bound = message.date.date(), _day(key[1])
        return {"BEFORE": when < bound, "ON": when == bound, "SINCE": when >= bound}[kind]
    if kind in ("UID", "SEQ"):
        return seq in box.pick(key[1])
    if kind == "NOT":
        return not matches(key[1], box, seq)
    if kind == "OR":
        return matches(key[1], box, seq) or matches(key[2], box, seq)
    return all(matches(k, box, seq) for k in key[1:])


def render_program(program: list[tuple], box: Mailbox) -> bytes:
    return b" ".join(render_key(k, box) for k in program)


def expected(program: list[tuple], box: Mailbox) -> list[int]:
    """Sequence numbers the program selects."""
    return [
        seq for seq in range(1, len(box.messages) + 1) if all(matches(k, box, seq) for k in program)
    ]
