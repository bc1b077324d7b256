"""RFC 3501 §5.2, §2.3.2, §7.4.1: one session's flag changes, arrivals and expunges as the
other sessions of the same user see them, and what persists after logout."""

from __future__ import annotations

import pytest
from helpers_sessions import boxes, lend, observe, observer_session, session_pool
from helpers_sync import View, has, kinds, mb, poll

from imapcheck.wire.encode import Literal

__all__ = ["boxes", "lend", "observe", "observer_session", "session_pool"]  # fixtures

INITIAL = frozenset({"\\flagged"})
OPS = {  # STORE item -> (argument, flags of message 2 afterwards)
    "+FLAGS": (b"(\\Answered $SyncMark)", INITIAL | {"\\answered", "$syncmark"}),
    "-FLAGS": (b"(\\Flagged)", frozenset()),
    "FLAGS": (b"(\\Draft)", frozenset({"\\draft"})),
}


@pytest.fixture
def pair(lend, boxes):
    """Sessions A and B with the same four-message mailbox (all \\Flagged) selected."""
    a, b = lend("A"), lend("B")
    name = boxes.make(a, 4, flags=b"(\\Flagged)")
    a.select(name)
    b.select(name)
    return name, a, b


def fetched_flags(untagged, seq: int):
    views = [u.items.get("FLAGS") for u in untagged if u.kind == "FETCH" and u.number == seq]
    return [v for v in views if v is not None]


@pytest.mark.rfc("3501", "5.2", "SHOULD")
@pytest.mark.parametrize(
    ("op", "via"), [("+FLAGS", "NOOP"), ("-FLAGS", "NOOP"), ("FLAGS", "NOOP"), ("+FLAGS", "CHECK")]
)
def test_flag_change_reaches_other_session(pair, op, via):
    _name, a, b = pair
    view = View.load(b)
    arg, expected = OPS[op]
    assert a.command("STORE", b"2", op.encode(), arg).ok, f"STORE 2 {op} failed"
    seen = poll(b, lambda s: bool(fetched_flags(s, 2)), command=via)
    view.apply(seen)
    assert fetched_flags(seen, 2), (
        "'A server SHOULD send message flag updates automatically': after another session's "
        f"STORE 2 {op} {arg.decode()}, {via} brought no FETCH for message 2 "
        f"(got {kinds(seen, 'FETCH')})"
    )
    assert view.flags == [INITIAL, expected, INITIAL, INITIAL] and not view.problems, (
        f"after STORE 2 {op} {arg.decode()} in another session, this session's view of the flags "
        f"is {view.flags} (problems: {view.problems}); expected message 2 {sorted(expected)}, "
        "the others unchanged"
    )


@pytest.mark.rfc("3501", "5.2", "SHOULD")
def test_new_keyword_reaches_other_session(pair):
    _name, a, b = pair
    assert a.command("STORE", b"3", b"+FLAGS.SILENT", b"(imapcheck_newkw)").ok
    seen = poll(b, lambda s: bool(fetched_flags(s, 3)))
    got = [sorted(map(str.lower, map(str, f))) for f in fetched_flags(seen, 3)]
    assert got and "imapcheck_newkw" in got[-1], (
        "a keyword stored by another session must reach this one as an untagged FETCH ('A server "
        f"SHOULD send message flag updates automatically'); NOOP got {kinds(seen, 'FETCH')}"
    )
    for item in seen:
        if item.kind == "FLAGS":
            names = {str(f).lower() for f in item.tokens[0]} if item.tokens else set()
            assert "imapcheck_newkw" in names, (
                f"an updated FLAGS response must list the new keyword in use: '{item}'"
            )


@pytest.mark.rfc("3501", "5.2", "SHOULD")
def test_implicit_seen_reaches_other_session(pair):
    _name, a, b = pair
    reply = a.command("FETCH", b"3", b"BODY[TEXT]")
    assert reply.ok, f"FETCH 3 BODY[TEXT] failed: {reply.summary()}"
    seen = poll(
        b, lambda s: any("\\seen" in map(str.lower, map(str, f)) for f in fetched_flags(s, 3))
    )
    flags = [sorted(str(x).lower() for x in f) for f in fetched_flags(seen, 3)]
    assert flags and "\\seen" in flags[-1], (
        "FETCH BODY[TEXT] sets \\Seen ('The \\Seen flag is implicitly set'); the other session "
        f"must be told like of any flag change; its NOOP got {kinds(seen, 'FETCH')}"
    )


@pytest.mark.rfc("3501", "2.3.2", "MUST")
@pytest.mark.parametrize("ending", ["logout", "dropped"])
def test_flag_changes_persist_after_session_ends(observe, pair, ending):
    name, a, b = pair
    b.logout()
    assert a.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Answered $Kept)").ok
    assert a.command("STORE", b"2", b"-FLAGS.SILENT", b"(\\Flagged)").ok
    assert a.command("STORE", b"4", b"FLAGS.SILENT", b"(\\Seen \\Draft)").ok
    if ending == "logout":
        a.logout()
    else:
        a.close()  # the connection drops without LOGOUT
    seen = observe.truth(name).flags
    expected = [
        INITIAL | {"\\answered", "$kept"},
        frozenset(),
        INITIAL,
        frozenset({"\\seen", "\\draft"}),
    ]
    assert seen == expected, (
        "permanent flags: 'subsequent sessions will see any change in permanent flags'; after "
        f"the storing session ended ({ending}) a new session sees {seen}, expected {expected}"
    )


@pytest.mark.rfc("3501", "5.2", "MUST")
@pytest.mark.parametrize(
    ("arrival", "via"), [("APPEND", "NOOP"), ("APPEND", "CHECK"), ("COPY", "NOOP")]
)
def test_new_message_reaches_other_session(observe, pair, boxes, arrival, via):
    name, a, b = pair
    view = View.load(b)
    if arrival == "APPEND":
        reply = a.command("APPEND", mb(name), Literal(b"Subject: arrival\r\n\r\nnew\r\n"))
    else:
        other = boxes.make(a, 1, hint="copy-source", tag="arrival")
        a.select(other)
        reply = a.command("COPY", b"1", mb(name))
    assert reply.ok, f"{arrival} into the mailbox failed: {reply.summary()}"
    seen = poll(b, has("EXISTS", 5), command=via)
    view.apply(seen)
    assert view.count == 5 and not view.problems, (
        "'A server MUST send mailbox size updates automatically if a mailbox size change is "
        f"observed during the processing of a command': after another session's {arrival}, "
        f"{via} reported {kinds(seen, 'EXISTS')} (problems: {view.problems}); expected 5 EXISTS"
    )
    view.fill_uids(b)
    known = observe.truth(name).uids
    assert view.uids == known and not view.problems, (
        f"the new message's UID as this session sees it: {view.uids}, a new session sees {known}"
        f" ({view.problems})"
    )
    assert known[4] > max(known[:4]), f"UIDs must be strictly ascending: {known}"


@pytest.mark.rfc("3501", "2.3.2", "MUST")
@pytest.mark.parametrize("watchers", [2, 3])
def test_new_message_recent_in_exactly_one_session(lend, boxes, watchers):
    writer = lend("writer")
    name = boxes.make(writer, 1)
    sessions = [lend(f"W{n}") for n in range(1, watchers + 1)]
    for session in sessions:
        session.select(name)
    assert writer.command("APPEND", mb(name), Literal(b"Subject: recent\r\n\r\nnew\r\n")).ok
    recent = []
    for session in sessions:
        poll(session, has("EXISTS", 2))
        flags = session.command("FETCH", b"2", b"FLAGS").fetches().get(2, {}).get("FLAGS") or []
        recent.append(any(str(f).lower() == "\\recent" for f in flags))
    assert sum(recent) == 1, (
        "\\Recent: 'This session is the first session to have been notified about this message; "
        "if the session is read-write, subsequent sessions will not see \\Recent set for this "
        f"message'; with {watchers} sessions selected, \\Recent per session is {recent}"
    )


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("via", ["NOOP", "CHECK"])
def test_expunge_reaches_other_session(observe, pair, via):
    name, a, b = pair
    view = View.load(b)
    assert a.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("EXPUNGE").ok
    seen = poll(b, has("EXPUNGE"), command=via)
    view.apply(seen)
    known = observe.truth(name).uids
    assert kinds(seen, "EXPUNGE") == ["* 2 EXPUNGE"], (
        f"another session expunged message 2; {via} must report '* 2 EXPUNGE', got "
        f"{kinds(seen, 'EXPUNGE', 'EXISTS')}"
    )
    assert view.uids == known and not view.problems, (
        f"after the EXPUNGE this session maps sequence numbers to UIDs {view.uids}; the mailbox "
        f"holds {known} ({view.problems})"
    )


PATTERNS = [(1,), (2, 4), (1, 3, 5, 6), (1, 2, 3, 4, 5, 6)]


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("gone", PATTERNS, ids=lambda p: "x".join(map(str, p)))
def test_expunges_shift_sequence_numbers(observe, lend, boxes, gone):
    a, b = lend("A"), lend("B")
    name = boxes.make(a, 6)
    a.select(name)
    b.select(name)
    view = View.load(b)
    before = list(view.uids)
    numbers = ",".join(map(str, gone)).encode()
    assert a.command("STORE", numbers, b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("EXPUNGE").ok
    seen = poll(b, lambda s: len(kinds(s, "EXPUNGE")) >= len(gone))
    view.apply(seen)
    expected = [uid for pos, uid in enumerate(before, 1) if pos not in gone]
    assert view.uids == expected and not view.problems, (
        "'The message sequence number for each successive message in the mailbox is immediately "
        f"decremented by 1': expunging {list(gone)} of 6 elsewhere gave {kinds(seen, 'EXPUNGE')};"
        f" applied in order they leave UIDs {view.uids}, expected {expected} ({view.problems})"
    )
    assert observe.truth(name).uids == expected, "the server removed other messages than these"


@pytest.mark.rfc("3501", "5.2", "MUST")
def test_expunge_and_arrival_together(observe, pair):
    name, a, b = pair
    view = View.load(b)
    assert a.command("STORE", b"1,3", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("EXPUNGE").ok
    for n in (1, 2):
        body = b"Subject: late %d\r\n\r\nlate\r\n" % n
        assert a.command("APPEND", mb(name), Literal(body)).ok
    seen = poll(b, lambda s: len(kinds(s, "EXPUNGE")) >= 2 and has("EXISTS")(s))
    view.apply(seen)
    view.fill_uids(b)
    known = observe.truth(name).uids
    assert view.uids == known and not view.problems, (
        "two expunges and two arrivals elsewhere: applying "
        f"{kinds(seen, 'EXPUNGE', 'EXISTS')} in order must give the mailbox's {known}; "
        f"this session has {view.uids} ({view.problems})"
    )
