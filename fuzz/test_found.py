"""What the fuzzers found, as plain reproductions (each fails where the bug is present).

The fuzzers keep searching past a known bug (:data:`imapcheck.knownbugs.KNOWN_BUGS`: what it
explains is counted, not failed on); these tests keep the bug itself visible, in the report
and in a baseline.
"""

from __future__ import annotations

import pytest
from helpers_fuzz import mb, server_up

from imapcheck import fuzzmodel as fm
from imapcheck.errors import ImapcheckError
from imapcheck.wire.encode import Literal

RANGE_PROGRAMS = [  # (program, matches a message of 193..768 octets dated 1-Mar-2021)
    (b"NOT OR LARGER 192 LARGER 768", False),
    (b"NOT OR SMALLER 100 SMALLER 1000", False),
    (b"NOT (OR LARGER 192 LARGER 768 ALL)", False),
    (b"NOT SMALLER 10 NOT SMALLER 100000", False),
    (b"NOT LARGER 768 NOT LARGER 192", False),
    (b"NOT LARGER 768 NOT OR LARGER 192 NOT ALL", False),
    (b"NOT BEFORE 1-Mar-2021 NOT BEFORE 2-Mar-2021", False),
    (b"NOT SINCE 1-Mar-2021 NOT SINCE 2-Mar-2021", False),
    (b"NOT OR LARGER 192 SMALLER 100", False),
    (b"NOT NOT OR LARGER 192 LARGER 768", True),
    (b"OR LARGER 192 LARGER 768", True),
    (b"SINCE 1-Mar-2021 NOT SINCE 2-Mar-2021", True),
]


@pytest.fixture
def selected(open_session, box_pair):
    """A session with box A selected, holding one message of 193..768 octets (1-Mar-2021)."""
    message = next(m for m in fm.MESSAGES if 192 < len(m) <= 768)
    session = open_session()
    date = fm.imap_datetime(fm.internal_date(0)).encode()
    assert session.command("APPEND", mb(box_pair[0]), date, Literal(message)).ok
    session.select(box_pair[0])
    return session, message


def search_hits(session, program: bytes) -> list:
    """The message numbers SEARCH ``program`` finds (the command must succeed)."""
    reply = session.command("SEARCH", program)
    assert reply.ok, reply.summary()
    return [t for u in reply.of("SEARCH") for t in u.tokens]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(
    "program, hit", RANGE_PROGRAMS, ids=[p.decode() for p, _ in RANGE_PROGRAMS]
)
def test_negated_range_keys(program, hit, selected):
    """Found by the model: size and date keys of one kind combined under NOT."""
    session, message = selected
    found = search_hits(session, program)
    assert bool(found) == hit, (
        f"RFC 3501 §6.4.4: the message has {len(message)} octets and the internal date "
        f"1-Mar-2021, so SEARCH {program.decode()} "
        f"{'must' if hit else 'must not'} find it; the server answered {found}"
    )


FLAG_PROGRAMS = [  # (program, matches a message flagged \Seen only)
    (b"OR UNANSWERED UNSEEN", True),
    (b"NOT (ANSWERED SEEN)", True),
    (b"OR NOT ANSWERED NOT SEEN", True),
    (b"UNANSWERED", True),
    (b"OR ANSWERED SEEN", True),
    (b"UNANSWERED UNSEEN", False),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize("program, hit", FLAG_PROGRAMS, ids=[p.decode() for p, _ in FLAG_PROGRAMS])
def test_negated_flag_keys(program, hit, open_session, box_pair):
    """Found by the model: flag keys of which one or more is negated, OR-ed together."""
    session = open_session()
    message = fm.MESSAGES[0]
    assert session.command("APPEND", mb(box_pair[0]), b"(\\Seen)", Literal(message)).ok
    session.select(box_pair[0])
    found = search_hits(session, program)
    assert bool(found) == hit, (
        f"RFC 3501 §6.4.4: the message is flagged \\Seen only, so SEARCH {program.decode()} "
        f"{'must' if hit else 'must not'} find it; the server answered {found}"
    )


@pytest.mark.rfc("3501", "6.4.7", "MUST")
@pytest.mark.parametrize("verb, items", [("COPY", b"*,6"), ("MOVE", b"*,6:7"), ("COPY", b"6,*")])
def test_copy_star_then_beyond_the_end(verb, items, open_session, box_pair, fuzz_target, crashes):
    """Found by the valid-command fuzzer: a set naming "*" and then a number past the last
    of 5 messages. The server must answer (BAD: no such message), not die."""
    session = open_session()
    for message in fm.MESSAGES[:5]:
        assert session.command("APPEND", mb(box_pair[0]), Literal(message)).ok
    session.select(box_pair[0])
    try:
        reply = session.command(verb, items, mb(box_pair[1]))
    except ImapcheckError as exc:
        logged = [line for line in crashes.expect() if "backtrace" not in line]
        raise AssertionError(
            f"{verb} {items.decode()} with 5 messages ended the session instead of a reply "
            f"({exc}); server log: {' | '.join(logged) or 'nothing'}"
        ) from None
    assert reply.status in ("OK", "NO", "BAD"), reply.summary()
    assert not crashes.new(), "the server logged a crash"
    assert not server_up(fuzz_target)


@pytest.mark.rfc("5256", "5", "MUST")
@pytest.mark.requires("THREAD=ORDEREDSUBJECT")
def test_thread_without_matches(selected):
    """Found by the malformed-input fuzzer: THREAD that matches nothing."""
    session, _ = selected
    reply = session.command("THREAD", b"ORDEREDSUBJECT UTF-8 DELETED")
    assert reply.ok, reply.summary()
    assert [str(u) for u in reply.of("THREAD")] == ["* THREAD"], (
        'RFC 5256 §5: thread-data = "THREAD" [SP 1*thread-list]; with no thread the response '
        f"is '* THREAD' (no trailing space); got {[u.frame.raw for u in reply.of('THREAD')]}"
    )


@pytest.mark.rfc("2088", "3", "MUST")
@pytest.mark.requires("LITERAL+")
@pytest.mark.parametrize(
    "head", [b"LIST (\x01) ", b"APPEND %(box)s (\\Bogus) ", b"STATUS %(box)s (BOGUS) "]
)
def test_non_sync_literal_after_bad(head, open_session, box_pair):
    """Found by the valid-command fuzzer: the octets of a {n+} literal in a command the server
    rejects belong to that command ("the server MUST treat the specified number of following
    octets and the following line as part of the same command", RFC 2088 §3)."""
    session = open_session()
    injected = b"inj1 NOOP\r\n"
    line = head.replace(b"%(box)s", box_pair[0].encode()) + b"{%d+}\r\n" % len(injected)
    result = session.probe(b"b1 " + line + injected + b"\r\n")
    answered = [e.data for e in session.transcript.entries if e.direction == "S"]
    ran = [d for d in answered if d.startswith(b"inj1 ")]
    assert not ran, (
        f"the server rejected {line!r} and then ran the literal's octets as a command: {ran}"
    )
    assert not result.hang, result.hang


ATTEMPTS = 5
CLOSING = [  # (state, input): lines that make servers give up on the connection
    pytest.param(  # found by the mutations; whether Dovecot says BYE first depends on timing
        "not authenticated",
        b"c1 ((" + b"x" * 20_000 + b"\r\n",
        marks=pytest.mark.xfail(reason="Dovecot 2.3 closes without BYE on some runs", strict=False),
    ),
    ("not authenticated", b'c1 LOGIN "\0' + b"x" * 20_000 + b'"\r\n'),
    ("not authenticated", b"c1 LOGIN " + b"x" * 70_000 + b"\r\n"),
    ("authenticated", b"c1 NOOP " + b"(" * 100_000 + b"\r\n"),
    ("authenticated", b"c1 ID (" + b'"x" ' * 300_000 + b")\r\n"),
]


@pytest.mark.rfc("3501", "7.1.5", "SHOULD")
@pytest.mark.parametrize(
    "state, data", CLOSING, ids=lambda v: f"{v[:12]!r}-{len(v)}" if isinstance(v, bytes) else v
)
def test_closing_is_announced(state, data, fuzz_target, open_session):
    """A server that ends the session over bad input says so first: BYE 'indicates that the
    server is about to close the connection' (RFC 3501 §7.1.5). Tried a few times: how the
    server reads a long line can depend on timing."""
    for _attempt in range(ATTEMPTS):
        session = open_session(login=state != "not authenticated")
        result = session.probe(data)
        session.close()
        assert not result.hang, f"the server hung: {result.hang}"
        assert not (result.closed and not result.bye), (
            f"after {data[:40]!r}... ({len(data)} bytes) the server closed the connection "
            f"without BYE:\n{session.transcript.render()}"
        )
    assert not server_up(fuzz_target)
