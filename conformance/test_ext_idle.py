"""RFC 2177 IDLE: the continuation, DONE, and the updates another session's changes push to an
idling session (EXISTS, EXPUNGE, FETCH FLAGS). Reports the push latency as a figure."""

from __future__ import annotations

import contextlib
import time

import pytest
from helpers_sessions import boxes, observe, observer_session
from helpers_sync import View, kinds, mb

from imapcheck.errors import ImapTimeout
from imapcheck.wire.encode import Literal

__all__ = ["boxes", "observe", "observer_session"]  # fixtures

PUSH_DEADLINE = 10.0  # generous: the RFC sets no figure; a push slower than this is a failure


@pytest.fixture
def watch(connect, boxes):
    """A (actor) and B (watcher) with the same three-message mailbox selected."""
    a, b = connect(name="A"), connect(name="B")
    name = boxes.make(a, 3)
    a.select(name)
    b.select(name)
    return name, a, b


def wait_for(session, kind: str, what: str, count: int | None = None):
    def match(item):
        return item.kind == kind and (count is None or item.number == count)

    try:
        return session.read_untagged(match, timeout=PUSH_DEADLINE)
    except ImapTimeout:
        pytest.fail(
            f"RFC 2177 §3: while IDLE is active 'the server is now free to send untagged EXISTS, "
            f"EXPUNGE, and other messages at any time', and RFC 3501 §5.2 requires size updates; "
            f"no {kind} reached the idling session within {PUSH_DEADLINE:g}s after {what}"
        )


def end_idle(session, tag: str):
    assert session.take(tag) is None, (
        "RFC 2177 §3: 'The IDLE command remains active until the client responds to the "
        "continuation'; the server completed IDLE before DONE"
    )
    reply = session.idle_done(tag)
    assert reply.ok, f"IDLE must complete with OK after DONE: {reply.summary()}"
    return reply


@pytest.mark.rfc("2177", "3", "MUST")
@pytest.mark.requires("IDLE")
@pytest.mark.parametrize("state", ["selected", "authenticated"])
def test_idle_continuation_then_done(watch, state):
    _name, _a, b = watch
    if state == "authenticated":
        assert b.command("CLOSE").ok
    tag = b.idle_start()  # fails unless the server answers with a "+" continuation
    reply = end_idle(b, tag)
    assert b.command("NOOP").ok, f"the session must take commands again after {reply.summary()}"


@pytest.mark.rfc("2177", "4", "MUST")
@pytest.mark.requires("IDLE")
def test_idle_done_is_case_insensitive(watch):
    _name, _a, b = watch
    tag = b.idle_start()
    b.send_raw(b"done\r\n")
    reply = b.wait(tag)
    assert reply.ok, (
        'idle = "IDLE" CRLF "DONE" and ABNF strings are case-insensitive (RFC 3501 §9: '
        f"'Implementations MUST accept these strings in a case-insensitive fashion'); 'done' "
        f"got {reply.summary()}"
    )


@pytest.mark.rfc("3501", "5.2", "MUST")
@pytest.mark.rfc("2177", "3", "MUST")
@pytest.mark.requires("IDLE")
def test_idle_push_of_new_message(connect, watch, record_property):
    name, a, b = watch
    c = connect(name="C")
    c.select(name)
    b_tag, c_tag = b.idle_start(), c.idle_start()
    start = time.monotonic()
    assert a.command("APPEND", mb(name), Literal(b"Subject: pushed\r\n\r\nnew\r\n")).ok
    got = {}
    for session in (b, c):
        seen = wait_for(session, "EXISTS", "another session's APPEND")
        got[session.name] = (time.monotonic() - start) * 1000
        assert kinds(seen, "EXISTS") == ["* 4 EXISTS"], (
            f"{session.name} got {kinds(seen, 'EXISTS')}"
        )
    latency = got["B"]
    record_property("idle_push_ms", round(latency, 1))
    print(f"\nidle_push_ms={latency:.1f} (second watcher {got['C']:.1f})")
    end_idle(b, b_tag)
    end_idle(c, c_tag)
    fetched = b.command("FETCH", b"4", b"(BODY.PEEK[HEADER.FIELDS (SUBJECT)])").fetches()
    assert b"pushed" in bytes(fetched.get(4, {}).get("BODY[HEADER.FIELDS (SUBJECT)]", b"")), (
        f"after DONE message 4 must be the pushed message: {fetched}"
    )


@pytest.mark.rfc("3501", "5.2", "SHOULD")
@pytest.mark.requires("IDLE")
def test_idle_push_of_flag_change(watch):
    _name, a, b = watch
    view = View.load(b)
    tag = b.idle_start()
    assert a.command("STORE", b"3", b"+FLAGS.SILENT", b"(\\Answered)").ok
    seen = wait_for(b, "FETCH", "another session's STORE")
    end_idle(b, tag)
    view.apply(seen + b.unsolicited)
    assert view.flags == [frozenset(), frozenset(), frozenset({"\\answered"})], (
        "'A server SHOULD send message flag updates automatically': IDLE pushed "
        f"{kinds(seen, 'FETCH')}, leaving flags {view.flags}"
    )


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.rfc("2177", "3", "MUST")
@pytest.mark.requires("IDLE")
def test_idle_push_of_expunge_and_arrivals(observe, watch):
    name, a, b = watch
    view = View.load(b)
    tag = b.idle_start()
    assert a.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("EXPUNGE").ok
    for n in (1, 2):
        assert a.command("APPEND", mb(name), Literal(b"Subject: m%d\r\n\r\nx\r\n" % n)).ok
    seen = wait_for(b, "EXISTS", "an EXPUNGE and two APPENDs elsewhere", count=4)
    end_idle(b, tag)
    seen += b.unsolicited
    assert kinds(seen, "EXPUNGE") == ["* 1 EXPUNGE"], (
        "the idling session must be told of another session's EXPUNGE of message 1 ('the "
        f"server is now free to send untagged EXISTS, EXPUNGE'): got {kinds(seen, 'EXPUNGE')}"
    )
    view.apply(seen)
    view.fill_uids(b)
    known = observe.truth(name).uids
    assert view.uids == known and not view.problems, (
        f"IDLE pushed {kinds(seen, 'EXPUNGE', 'EXISTS')}; applied in order they give UIDs "
        f"{view.uids}, the mailbox holds {known} ({view.problems})"
    )


@pytest.mark.rfc("3501", "5.2", "MUST")
@pytest.mark.requires("IDLE")
def test_idle_reports_change_made_before_it(watch):
    name, a, b = watch
    assert a.command("APPEND", mb(name), Literal(b"Subject: early\r\n\r\nx\r\n")).ok
    tag = b.idle_start()
    seen = []
    with contextlib.suppress(ImapTimeout):  # it may have come before the continuation
        seen = b.read_untagged(lambda u: u.kind == "EXISTS", timeout=PUSH_DEADLINE)
    reply = end_idle(b, tag)
    exists = kinds(seen + reply.untagged + b.unsolicited, "EXISTS")
    assert "* 4 EXISTS" in exists, (
        "a message that arrived while the session did nothing must be reported once IDLE "
        f"starts ('A server MUST send mailbox size updates automatically'); got {exists}"
    )
