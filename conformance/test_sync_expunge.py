"""RFC 3501 §7.4.1, §5.5 and RFC 2180 §4: another session's EXPUNGE is never reported during
FETCH, STORE or SEARCH, arrives on the next command that allows it, and sequence numbers stay
in step with UIDs throughout."""

from __future__ import annotations

import pytest
from helpers_sessions import boxes, lend, observe, observer_session, session_pool
from helpers_sync import View, has, kinds, mb, number, poll

__all__ = ["boxes", "lend", "observe", "observer_session", "session_pool"]  # fixtures

GONE = (2, 4)  # positions the other session expunges out of five


@pytest.fixture
def expunged(lend, boxes):
    """B sees five messages; A has since expunged messages 2 and 4 (B not yet told)."""
    a, b = lend("A"), lend("B")
    name = boxes.make(a, 5)
    a.select(name)
    b.select(name)
    view = View.load(b)
    assert view.count == 5 and None not in view.uids, f"set-up: B sees {view.uids}"
    assert a.command("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert a.command("EXPUNGE").ok
    return name, a, b, view


def no_expunge(reply, what: str) -> None:
    got = kinds(reply.untagged, "EXPUNGE", "VANISHED")
    assert not got, (
        f"'An EXPUNGE response MUST NOT be sent ... while responding to a FETCH, STORE, or SEARCH "
        f"command'; {what} after another session's EXPUNGE carried {got}"
    )


def in_old_numbering(reply, view: View, what: str) -> None:
    """Every FETCH of the reply uses B's numbering from before the expunge."""
    for seq, items in reply.fetches().items():
        assert 1 <= seq <= view.count, f"{what} returned '* {seq} FETCH' beyond {view.count}"
        if "UID" in items:
            assert number(items["UID"]) == view.uids[seq - 1], (
                f"{what}: message {seq} came back with UID {number(items['UID'])}, but this "
                f"session (not yet told of any expunge) has UID {view.uids[seq - 1]} there; the "
                "server renumbered messages behind the client's back"
            )


FETCH_ITEMS = {
    "uid": b"(UID)",
    "flags": b"(UID FLAGS)",
    "header": b"(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
}


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("items", list(FETCH_ITEMS))
def test_no_expunge_during_fetch(expunged, items):
    _name, _a, b, view = expunged
    reply = b.command("FETCH", b"1:5", FETCH_ITEMS[items])
    no_expunge(reply, f"FETCH 1:5 {FETCH_ITEMS[items].decode()}")
    in_old_numbering(reply, view, "FETCH")
    for seq, got in reply.fetches().items():
        header = got.get("BODY[HEADER.FIELDS (SUBJECT)]")
        if seq not in GONE and isinstance(header, bytes):
            assert f"sync {seq}".encode() in header, (
                f"message {seq} (not expunged) returned the header of another message: {header!r}"
            )


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("item", ["+FLAGS", "+FLAGS.SILENT"])
def test_no_expunge_during_store(observe, expunged, item):
    name, _a, b, view = expunged
    reply = b.command("STORE", b"1:5", item.encode(), b"(\\Answered)")
    no_expunge(reply, f"STORE 1:5 {item}")
    in_old_numbering(reply, view, "STORE")
    kept = [uid for pos, uid in enumerate(view.uids, 1) if pos not in GONE]
    known = observe.truth(name)
    assert known.uids == kept, f"the mailbox holds {known.uids}, expected {kept}"
    assert all("\\answered" in f for f in known.flags), (
        f"STORE 1:5 {item} in the session not yet told of the expunge must still set \\Answered "
        f"on the surviving messages 1, 3 and 5; a new session sees {known.flags}"
    )


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("criteria", ["ALL", "UNDELETED", "SUBJECT sync"])
def test_no_expunge_during_search(expunged, criteria):
    _name, _a, b, _view = expunged
    reply = b.command("SEARCH", *criteria.encode().split())
    assert reply.ok, f"SEARCH {criteria} failed: {reply.summary()}"
    no_expunge(reply, f"SEARCH {criteria}")
    found = [number(t) for u in reply.of("SEARCH") for t in u.tokens if isinstance(t, str)]
    survivors = {pos for pos in range(1, 6) if pos not in GONE}
    assert survivors <= set(found) <= set(range(1, 6)), (
        f"SEARCH {criteria} must answer in this session's numbering (1-5, of which 1, 3 and 5 "
        f"still exist; RFC 2180 §4.3 allows leaving out only the expunged ones); got {found}"
    )


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("via", ["NOOP", "CHECK"])
def test_withheld_expunges_arrive_later(observe, expunged, via):
    name, _a, b, view = expunged
    for command in ((b"1:5", b"(UID)"), (b"1:5", b"+FLAGS.SILENT", b"(\\Seen)")):
        reply = b.command("FETCH" if len(command) == 2 else "STORE", *command)
        view.apply(reply.untagged)
    seen = poll(b, has("EXPUNGE"), command=via)
    view.apply(seen)
    expected = observe.truth(name).uids
    assert view.uids == expected and not view.problems, (
        f"the expunges withheld during FETCH and STORE must come with {via}: it gave "
        f"{kinds(seen, 'EXPUNGE')}, leaving UIDs {view.uids} where the mailbox has {expected} "
        f"({view.problems})"
    )


@pytest.mark.rfc("3501", "5.5", "MUST")
def test_pipelined_fetch_store_search_keep_numbering(observe, expunged):
    name, _a, b, view = expunged
    tags = [
        b.send("FETCH", b"1:5", b"(UID)"),
        b.send("STORE", b"3", b"+FLAGS", b"(\\Flagged)"),
        b.send("SEARCH", b"ALL"),
        b.send("FETCH", b"5", b"(UID FLAGS)"),
    ]
    replies = b.wait_all(tags)
    merged = replies[0]  # untagged data of a pipeline cannot be told apart by command
    merged.untagged = [u for r in replies for u in r.untagged]
    no_expunge(merged, "pipelined FETCH, STORE, SEARCH, FETCH")
    in_old_numbering(merged, view, "pipelined FETCH, STORE, SEARCH, FETCH")
    known = observe.truth(name)
    flagged = [uid for uid, f in known.by_uid.items() if "\\flagged" in f]
    assert flagged == [view.uids[2]], (
        "'servers are prohibited from sending EXPUNGE responses while any of those commands are "
        f"in progress', so the pipelined STORE 3 means UID {view.uids[2]}; \\Flagged is on UIDs "
        f"{flagged}"
    )


@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("command", ["UID FETCH", "UID STORE", "UID SEARCH"])
def test_uid_command_reports_expunges_consistently(observe, expunged, command):
    name, _a, b, view = expunged
    args = {
        "UID FETCH": (b"FETCH", b"1:*", b"(FLAGS)"),
        "UID STORE": (b"STORE", b"1:*", b"+FLAGS", b"(\\Seen)"),
        "UID SEARCH": (b"SEARCH", b"ALL"),
    }[command]
    reply = b.command("UID", *args)
    assert reply.ok, f"{command} failed: {reply.summary()}"
    view.apply(reply.untagged)  # EXPUNGE is allowed here; it must then be right
    view.apply(poll(b, lambda s: True))
    known = observe.truth(name).uids
    assert view.uids == known and not view.problems, (
        f"{command} may report the other session's expunges, but what it and the next NOOP "
        f"reported ({kinds(reply.untagged, 'EXPUNGE', 'FETCH')}) leaves UIDs {view.uids}; the "
        f"mailbox holds {known} ({view.problems})"
    )


@pytest.mark.rfc("2180", "4.4", "MUST")
def test_copy_returns_pending_expunges(observe, lend, boxes, expunged):
    name, a, b, view = expunged
    dest = boxes.make(a, 0, hint="copy-dest")
    reply = b.command("COPY", b"2:3", mb(dest))
    assert set(kinds(reply.untagged, "EXPUNGE")) >= {"* 2 EXPUNGE"} or reply.of("VANISHED"), (
        "RFC 2180 §4.4: 'Pending EXPUNGE response(s) MUST be returned to the COPY command'; "
        f"COPY 2:3 (message 2 expunged elsewhere) got {kinds(reply.untagged, 'EXPUNGE')}"
    )
    view.apply(reply.untagged)
    assert view.uids == observe.truth(name).uids and not view.problems, (
        f"the EXPUNGEs sent with COPY leave this session out of step: {view.uids} {view.problems}"
    )
    check = lend("C")
    check.select(dest, readonly=True)
    got = check.command("FETCH", b"1:*", b"BODY.PEEK[HEADER.FIELDS (SUBJECT)]").fetches()
    subjects = sorted(
        bytes(v).strip().decode() for f in got.values() for v in f.values() if isinstance(v, bytes)
    )
    allowed = {"NO": [], "OK": ["Subject: sync 2", "Subject: sync 3"]}
    assert reply.status in allowed and subjects == allowed[reply.status], (
        "COPY of messages 2:3 as numbered before the expunge: OK copies both (RFC 2180 §4.4.2), "
        "NO copies nothing ('the server MUST restore the destination mailbox to its state "
        f"before the COPY attempt'); got {reply.summary()} and a destination with {subjects}"
    )


@pytest.mark.rfc("2180", "4.1", "MAY")
@pytest.mark.rfc("3501", "7.4.1", "MUST")
@pytest.mark.parametrize("seqset", ["2", "1:3"])
def test_fetch_of_expunged_message(expunged, seqset):
    _name, _a, b, _view = expunged
    reply = b.command("FETCH", seqset.encode(), b"(BODY.PEEK[TEXT])")
    no_expunge(reply, f"FETCH {seqset}")
    assert reply.status in ("OK", "NO"), f"FETCH {seqset} got {reply.summary()}"
    for seq, items in reply.fetches().items():
        body = items.get("BODY[TEXT]")
        if seq in GONE and not body:
            continue  # RFC 2180 §4.1.3: "NIL FETCH responses" for expunged messages
        assert body == b"body %d\r\n" % seq, (
            f"message {seq} in this session's numbering returned {body!r}: it must be its own "
            "text (kept for a ghosted message, RFC 2180 §4.1.1), empty, or absent - never "
            "another message's"
        )
    if reply.ok and seqset == "1:3":
        assert {1, 3} <= set(reply.fetches()), "the messages that still exist must be returned"


@pytest.mark.rfc("2180", "4.2.1", "SHOULD")
def test_silent_store_with_expunged_messages_ok(observe, expunged):
    name, _a, b, _view = expunged
    reply = b.command("STORE", b"1:5", b"+FLAGS.SILENT", b"(\\Flagged)")
    assert reply.ok, (
        'RFC 2180 §4.2.1: \'If the ".SILENT" suffix is used, and the STORE completed '
        "successfully for all the non-expunged messages, the server SHOULD return a tagged OK'; "
        f"got {reply.summary()}"
    )
    assert all("\\flagged" in f for f in observe.truth(name).flags), "flags were not stored"


@pytest.mark.rfc("2180", "4.2.2", "SHOULD")
def test_store_on_only_expunged_messages_no(expunged):
    _name, _a, b, _view = expunged
    reply = b.command("STORE", b"2,4", b"+FLAGS", b"(\\Seen)")
    no_expunge(reply, "STORE 2,4")
    assert reply.status == "NO", (
        'RFC 2180 §4.2.2: \'If the ".SILENT" suffix is not used, and only expunged messages are '
        f"referenced, the server SHOULD return only a tagged NO'; got {reply.summary()} with "
        f"{kinds(reply.untagged, 'FETCH')}"
    )
