"""RFC 5182 SEARCHRES: SEARCH RETURN (SAVE) and the "$" marker in later commands; "$" follows
expunges, is reset by SELECT and by a failed SEARCH, and holds only MIN/MAX when saved so."""

from __future__ import annotations

import pytest
from helpers_sessions import boxes, lend, observe, observer_session, session_pool
from helpers_sync import View, has, mb, number, poll

__all__ = ["boxes", "lend", "observe", "observer_session", "session_pool"]  # fixtures

FLAGGED = (2, 4, 5)  # of six messages


@pytest.fixture
def saved(lend, boxes):
    """A with six messages selected (2, 4, 5 \\Flagged) and SEARCH RETURN (SAVE) FLAGGED done."""
    a = lend("A")
    flags = [b"(\\Flagged)" if n in FLAGGED else b"" for n in range(1, 7)]
    name = boxes.make(a, 6, flags=flags)
    a.select(name)
    uids = list(View.load(a).uids)
    reply = a.command("SEARCH", b"RETURN", b"(SAVE)", b"FLAGGED")
    assert reply.ok, f"SEARCH RETURN (SAVE) FLAGGED failed: {reply.summary()}"
    return name, a, uids


def fetched_uids(reply) -> list[int]:
    return sorted(number(f["UID"]) for f in reply.fetches().values() if "UID" in f)


def want(uids, positions) -> list[int]:
    return sorted(uids[p - 1] for p in positions)


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
@pytest.mark.parametrize("command", ["FETCH", "UID FETCH"])
def test_dollar_names_saved_messages(saved, command):
    _name, a, uids = saved
    verb = command.split()
    reply = a.command(*verb[:1], *(v.encode() for v in verb[1:]), b"$", b"(UID)")
    assert reply.ok, f"{command} $ failed: {reply.summary()}"
    assert fetched_uids(reply) == want(uids, FLAGGED), (
        "'$' references the result saved by SEARCH RETURN (SAVE) FLAGGED: expected UIDs "
        f"{want(uids, FLAGGED)}, {command} $ returned {fetched_uids(reply)}"
    )


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
@pytest.mark.parametrize("command", ["STORE", "UID STORE"])
def test_store_on_dollar(observe, saved, command):
    name, a, uids = saved
    verb = command.split()
    reply = a.command(
        *verb[:1], *(v.encode() for v in verb[1:]), b"$", b"+FLAGS.SILENT", b"(\\Answered)"
    )
    assert reply.ok, f"{command} $ failed: {reply.summary()}"
    answered = sorted(m.uid for m in observe.look(name) if "\\answered" in m.flags)
    assert answered == want(uids, FLAGGED), (
        f"{command} $ +FLAGS (\\Answered) must touch exactly the saved messages "
        f"{want(uids, FLAGGED)}; \\Answered is on {answered}"
    )


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
def test_copy_dollar(observe, boxes, saved):
    _name, a, _uids = saved
    dest = boxes.make(a, 0, hint="dest")
    assert a.command("COPY", b"$", mb(dest)).ok, "COPY $ failed"
    copied = [m.subject for m in observe.look(dest)]
    assert copied == [f"sync {n}" for n in FLAGGED], (
        f"COPY $ must copy the saved messages {list(FLAGGED)}: the destination holds {copied}"
    )


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
def test_dollar_as_search_criterion(saved):
    _name, a, _uids = saved
    assert a.command("STORE", b"4:6", b"+FLAGS.SILENT", b"(\\Seen)").ok
    reply = a.command("SEARCH", b"$", b"SEEN")
    found = sorted(number(t) for u in reply.of("SEARCH") for t in u.tokens)
    assert reply.ok and found == [4, 5], (
        f"SEARCH $ SEEN is the saved set {list(FLAGGED)} and SEEN (4-6): expected [4, 5], "
        f"got {found} ({reply.summary()})"
    )


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
def test_uid_search_save_then_sequence_command(lend, boxes):
    a = lend("A")
    name = boxes.make(a, 5)
    a.select(name)
    uids = list(View.load(a).uids)
    assert a.command("UID", b"SEARCH", b"RETURN", b"(SAVE)", f"{uids[1]}:{uids[2]}".encode()).ok
    reply = a.command("FETCH", b"$", b"(UID)")
    assert sorted(reply.fetches()) == [2, 3] and fetched_uids(reply) == uids[1:3], (
        "a result saved by UID SEARCH is usable by FETCH (sequence numbers): expected "
        f"messages 2, 3; got {reply.fetches()}"
    )


@pytest.mark.rfc("5182", "2.4", "MUST")
@pytest.mark.requires("SEARCHRES")
@pytest.mark.parametrize(
    ("options", "positions"),
    [
        ("SAVE MIN", (2,)),
        ("SAVE MAX", (5,)),
        ("SAVE MIN MAX", (2, 5)),
        ("SAVE COUNT", FLAGGED),
    ],
)
def test_save_with_min_max_saves_those(lend, boxes, options, positions):
    a = lend("A")
    flags = [b"(\\Flagged)" if n in FLAGGED else b"" for n in range(1, 7)]
    name = boxes.make(a, 6, flags=flags)
    a.select(name)
    uids = list(View.load(a).uids)
    reply = a.command("SEARCH", b"RETURN", f"({options})".encode(), b"FLAGGED")
    assert reply.ok and reply.of("ESEARCH"), (
        f"SEARCH RETURN ({options}) must still return the ESEARCH data asked for: "
        f"{reply.summary()} {[str(u) for u in reply.untagged]}"
    )
    got = fetched_uids(a.command("UID", b"FETCH", b"$", b"(UID)"))
    assert got == want(uids, positions), (
        f"with RETURN ({options}) '$' holds the messages returned as MIN/MAX (all of them with "
        f"ALL or COUNT): expected {want(uids, positions)}, got {got}"
    )


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
@pytest.mark.parametrize("who", ["own-expunge", "other-session"])
def test_dollar_follows_expunges(lend, saved, who):
    name, a, uids = saved
    actor = a
    if who == "other-session":
        actor = lend("B")
        actor.select(name)
    assert actor.command("STORE", b"4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert actor.command("EXPUNGE").ok
    if who == "other-session":
        poll(a, has("EXPUNGE"))
    reply = a.command("FETCH", b"$", b"(UID)")
    expected = want(uids, (2, 5))
    assert reply.ok and fetched_uids(reply) == expected and sorted(reply.fetches()) == [2, 4], (
        "an expunged message leaves the saved result and the others keep their place: FETCH $ "
        f"must give messages 2 and 4 (UIDs {expected}); got {reply.fetches()}"
    )


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
@pytest.mark.parametrize("verb", ["SELECT", "EXAMINE"])
def test_select_resets_saved_result(saved, verb):
    name, a, _uids = saved
    assert a.command(verb, mb(name)).ok
    reply = a.command("FETCH", b"$", b"(UID)")
    assert reply.status in ("OK", "NO") and not reply.fetches(), (
        f"{verb} resets the saved search result to empty; FETCH $ afterwards got "
        f"{reply.fetches()} ({reply.summary()})"
    )


@pytest.mark.rfc("5182", "2.1", "MUST")
@pytest.mark.requires("SEARCHRES")
def test_failed_search_empties_saved_result(saved):
    _name, a, _uids = saved
    reply = a.command(
        "SEARCH", b"RETURN", b"(SAVE)", b"CHARSET", b"X-IMAPCHECK-UNKNOWN", b"SUBJECT", b"x"
    )
    assert reply.status == "NO", f"SEARCH with an unknown charset must fail: {reply.summary()}"
    after = a.command("FETCH", b"$", b"(UID)")
    assert not after.fetches(), (
        "a SEARCH with SAVE that fails (NO) leaves the saved result empty, not the previous "
        f"one; FETCH $ returned {after.fetches()}"
    )
