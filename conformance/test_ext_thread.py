"""THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES on a small set of conversations built
with Message-ID, In-Reply-To and References, compared with the trees the algorithms give."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers_fetch import Box, Spec, filled_box, opened

from imapcheck.wire.tokens import Token


def mail(n: int, subject: str, hour: str, *, refs: str = "", reply_to: str = "", msgid: str = ""):
    head = [
        "From: thread@example.org",
        f"Subject: {subject}",
        f"Date: Mon, 01 Jan 2024 {hour}:00 +0000",
        f"Message-ID: {msgid or f'<m{n}@thread.example>'}",
    ]
    head += [f"References: {refs}"] if refs else []
    head += [f"In-Reply-To: {reply_to}"] if reply_to else []
    return Spec(("\r\n".join(head) + f"\r\n\r\nmessage {n}\r\n").encode())


A, B = "<m1@thread.example>", "<m2@thread.example>"
SPECS = [
    mail(1, "Plan", "10:00"),
    mail(2, "Re: Plan", "11:00", reply_to=A),
    mail(3, "Re: Plan", "12:00", refs=f"{A} {B}"),
    mail(4, "Re: Plan", "11:30", refs=A),
    mail(5, "Other", "09:00"),
    mail(6, "Re: Other", "13:00"),  # no references: joined to 5 by subject (step 5)
    mail(7, "Ghost", "14:00", refs="<missing@thread.example>"),  # parent never arrived
    mail(8, "Re: Ghost", "15:00", refs="<missing@thread.example>"),
    mail(9, "Normal", "16:00", msgid='<"quoted.id"@thread.example>'),
    mail(10, "Unrelated words", "17:00", reply_to="<quoted.id@thread.example>"),
]
# REFERENCES: 2 and 4 reply to 1, 3 to 2 (sibling dates 11:00 < 11:30), 6 joins 5 by subject,
# 7 and 8 share a missing parent (a dummy, kept: it has two children), 10 replies to 9 once
# the quoted msg-id is normalized; threads ordered by the date of their first message.
REFERENCES = [[5, 6], [1, [2, 3], [4]], [[7], [8]], [9, 10]]
# ORDEREDSUBJECT: by base subject, then date; first message the root, the rest its children
ORDEREDSUBJECT = [[5, 6], [1, [2], [4], [3]], [7, 8], [9], [10]]


@pytest.fixture(scope="module")
def thread_box(target, sandbox) -> Iterator[Box]:
    with filled_box(target, sandbox, "thread", SPECS) as made:
        yield made


def tree(tokens: list[Token]) -> list:
    return [tree(t) if isinstance(t, list) else int(str(t)) for t in tokens]


def thread(session, algorithm: bytes, *search: bytes, uid: bool = False) -> list:
    words = [b"THREAD", algorithm, b"UTF-8", *(search or (b"ALL",))]
    reply = session.command("UID", *words) if uid else session.command(*words)
    assert reply.ok, f"{reply.command!r} failed: {reply.summary()}"
    found = reply.of("THREAD")
    assert len(found) == 1, f"expected one THREAD response, got {[str(u) for u in found]}"
    return tree(found[0].tokens)


def uids_of(shape: list, box: Box) -> list:
    return [uids_of(t, box) if isinstance(t, list) else box.uid(t) for t in shape]


@pytest.mark.rfc("5256", "3", "MUST")
@pytest.mark.requires("THREAD=REFERENCES")
def test_references_threads(connect, thread_box):
    got = thread(opened(connect, thread_box), b"REFERENCES")
    assert got == REFERENCES, (
        "THREAD REFERENCES must link replies by References/In-Reply-To (msg-ids normalized), "
        "keep a dummy parent with two children, join 'Re: Other' to 'Other' by base subject and "
        f"sort siblings by sent date (RFC 5256 §3):\n  expected {REFERENCES}\n  got      {got}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
@pytest.mark.requires("THREAD=ORDEREDSUBJECT")
def test_orderedsubject_threads(connect, thread_box):
    got = thread(opened(connect, thread_box), b"ORDEREDSUBJECT")
    assert got == ORDEREDSUBJECT, (
        "THREAD ORDEREDSUBJECT groups by base subject, sorts by sent date, makes the second and "
        "later messages children of the first and orders threads by their first message "
        f"(RFC 5256 §3):\n  expected {ORDEREDSUBJECT}\n  got      {got}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
@pytest.mark.requires("THREAD=REFERENCES")
def test_uid_thread_gives_uids(connect, thread_box):
    got = thread(opened(connect, thread_box), b"REFERENCES", uid=True)
    assert got == uids_of(REFERENCES, thread_box), (
        f"UID THREAD must give the same tree in UIDs: {uids_of(REFERENCES, thread_box)}, got {got}"
    )


def check_search(session, algorithm: bytes, search: tuple[bytes, ...], want: list) -> None:
    got = thread(session, algorithm, *search)
    assert got == want, (
        f"THREAD {algorithm.decode()} threads only the messages matching "
        f"{b' '.join(search).decode()}: expected {want}, got {got}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
@pytest.mark.requires("THREAD=ORDEREDSUBJECT")
def test_orderedsubject_applies_search_criteria(connect, thread_box):
    check_search(
        opened(connect, thread_box), b"ORDEREDSUBJECT", (b"SUBJECT", b"plan"), [[1, [2], [4], [3]]]
    )


@pytest.mark.rfc("5256", "3", "MUST")
@pytest.mark.requires("THREAD=REFERENCES")
@pytest.mark.parametrize(
    "search,want",
    [
        ((b"SUBJECT", b"ghost"), [[[7], [8]]]),
        ((b"NOT", b"SUBJECT", b"plan", b"NOT", b"SUBJECT", b"ghost"), [[5, 6], [9, 10]]),
    ],
    ids=["ghost", "others"],
)
def test_references_applies_search_criteria(connect, thread_box, search, want):
    check_search(opened(connect, thread_box), b"REFERENCES", search, want)


@pytest.mark.rfc("5256", "5", "MUST")
@pytest.mark.requires("THREAD=ORDEREDSUBJECT")
def test_no_match_gives_empty_thread_response(connect, thread_box):
    session = opened(connect, thread_box)
    reply = session.command("THREAD", b"ORDEREDSUBJECT", b"UTF-8", b"SUBJECT", b"no-such-subject")
    assert reply.ok, f"THREAD failed: {reply.summary()}"
    lines = [bytes(u.frame.raw) for u in reply.of("THREAD")]
    assert lines == [b"* THREAD\r\n"], (
        'a THREAD matching nothing returns thread-data = "THREAD" [SP 1*thread-list] with no '
        f"list, i.e. exactly '* THREAD' (RFC 5256 §5, example A284); got {lines}"
    )


@pytest.mark.rfc("5256", "3", "MUST")
@pytest.mark.requires("THREAD=ORDEREDSUBJECT")
def test_unknown_algorithm_is_refused(connect, thread_box):
    reply = opened(connect, thread_box).command("THREAD", b"X-IMAPCHECK", b"UTF-8", b"ALL")
    assert reply.status in ("BAD", "NO") and not reply.of("THREAD"), (
        f"THREAD with an algorithm the server lacks cannot succeed, got {reply.summary()}"
    )
