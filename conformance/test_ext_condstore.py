"""RFC 7162 §3.1 CONDSTORE: HIGHESTMODSEQ, MODSEQ in FETCH, mod-sequences that grow with every
change, CHANGEDSINCE, UNCHANGEDSINCE with [MODIFIED], STATUS HIGHESTMODSEQ, SEARCH MODSEQ."""

from __future__ import annotations

import pytest
from helpers_sessions import boxes, observe, observer_session
from helpers_sync import flagset, mb, number, poll, status

from imapcheck.wire.encode import Literal

__all__ = ["boxes", "observe", "observer_session"]  # fixtures


def highest(reply) -> int:
    code = reply.code_named("HIGHESTMODSEQ")
    if reply.code_named("NOMODSEQ") is not None:
        pytest.skip("the mailbox has no persistent mod-sequences (NOMODSEQ)")
    assert code is not None and code.args, (
        "RFC 7162 §3.1.2.1: a server 'MUST send an OK untagged response, including the "
        "HIGHESTMODSEQ response code with every successful SELECT or EXAMINE command'; got "
        f"{reply.summary()}"
    )
    return number(code.args[0])


def modseqs(session, seqset: bytes = b"1:*") -> dict[int, int]:
    reply = session.command("FETCH", seqset, b"(MODSEQ)")
    assert reply.ok, f"FETCH (MODSEQ) failed: {reply.summary()}"
    return {seq: number(f["MODSEQ"]) for seq, f in reply.fetches().items() if "MODSEQ" in f}


def run(session, uid: bool, verb: str, *args):
    """``verb`` or ``UID verb`` with the same arguments."""
    return session.command("UID", verb.encode(), *args) if uid else session.command(verb, *args)


@pytest.fixture
def cs(connect, boxes):
    """A and B with a four-message mailbox (all \\Flagged) selected with (CONDSTORE)."""
    a, b = connect(name="A"), connect(name="B")
    name = boxes.make(a, 4, flags=b"(\\Flagged)")
    reply = a.command("SELECT", mb(name), b"(CONDSTORE)")
    assert reply.ok, f"SELECT (CONDSTORE) failed: {reply.summary()}"
    assert b.command("SELECT", mb(name), b"(CONDSTORE)").ok
    return name, a, b, highest(reply)


@pytest.mark.rfc("7162", "3.1.2.1", "MUST")
@pytest.mark.requires("CONDSTORE")
@pytest.mark.parametrize("command", ["SELECT", "EXAMINE"])
def test_select_condstore_reports_highestmodseq(connect, boxes, command):
    a = connect(name="A")
    name = boxes.make(a, 3)
    reply = a.command(command, mb(name), b"(CONDSTORE)")
    assert reply.ok, f"{command} (CONDSTORE) failed: {reply.summary()}"
    top = highest(reply)
    values = modseqs(a)
    assert top >= 1 and top == max(values.values()), (
        "HIGHESTMODSEQ is 'the highest mod-sequence value of all messages in the mailbox'; "
        f"{command} said {top}, the messages have {values}"
    )


@pytest.mark.rfc("7162", "3.1.2", "MUST")
@pytest.mark.requires("CONDSTORE", "ENABLE")
def test_enable_condstore_makes_select_report_highestmodseq(connect, boxes):
    a = connect(name="A")
    name = boxes.make(a, 1)
    enabled = a.command("ENABLE", b"CONDSTORE")
    assert enabled.ok, f"ENABLE CONDSTORE failed: {enabled.summary()}"
    highest(a.command("SELECT", mb(name)))


@pytest.mark.rfc("7162", "3.1.4.2", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_fetch_modseq_of_every_message(cs):
    _name, a, _b, top = cs
    values = modseqs(a)
    assert sorted(values) == [1, 2, 3, 4] and all(1 <= v <= top for v in values.values()), (
        "every message has 'a positive unsigned 63-bit value' as mod-sequence, at most "
        f"HIGHESTMODSEQ {top}: FETCH 1:* (MODSEQ) gave {values}"
    )


CHANGES = {
    "add-flag": ("A", ("STORE", b"2", b"+FLAGS", b"(\\Seen)")),
    "remove-flag": ("A", ("STORE", b"2", b"-FLAGS", b"(\\Flagged)")),
    "replace-flags": ("A", ("STORE", b"2", b"FLAGS", b"($CondKw)")),
    "implicit-seen": ("A", ("FETCH", b"2", b"BODY[TEXT]")),
    "other-session": ("B", ("STORE", b"2", b"+FLAGS.SILENT", b"(\\Answered)")),
}


@pytest.mark.rfc("7162", "3.1", "MUST")
@pytest.mark.requires("CONDSTORE")
@pytest.mark.parametrize("change", list(CHANGES))
def test_change_raises_modseq(cs, change):
    _name, a, b, top = cs
    before = modseqs(a)
    who, command = CHANGES[change]
    assert (a if who == "A" else b).command(*command).ok, f"{command} failed"
    poll(a, lambda s: True)
    after = modseqs(a)
    assert after[2] > top, (
        "'Whenever the state of a flag changes ... the value of the modification sequence for "
        f"the message MUST be updated', above the HIGHESTMODSEQ {top} seen before; after "
        f"{change} message 2 has {after[2]} (was {before[2]})"
    )
    others = {s: v for s, v in after.items() if s != 2}
    assert others == {s: v for s, v in before.items() if s != 2}, (
        f"only message 2 changed, yet other mod-sequences moved: {before} -> {after}"
    )


@pytest.mark.rfc("7162", "3.1", "SHOULD")
@pytest.mark.requires("CONDSTORE")
def test_store_of_present_flag_keeps_modseq(cs):
    _name, a, _b, _top = cs
    before = modseqs(a)
    assert a.command("STORE", b"1:4", b"+FLAGS.SILENT", b"(\\Flagged)").ok
    assert modseqs(a) == before, (
        "'Adding the flag when it is already present or removing when it is not present SHOULD "
        f"NOT change the mod-sequence': {before} -> {modseqs(a)}"
    )


@pytest.mark.rfc("7162", "3.1", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_append_gets_higher_modseq(cs):
    name, a, b, top = cs
    assert b.command("APPEND", mb(name), Literal(b"Subject: cs\r\n\r\nnew\r\n")).ok
    poll(a, lambda s: any(u.kind == "EXISTS" and u.number == 5 for u in s))
    values = modseqs(a)
    assert values.get(5, 0) > top, (
        "on APPEND 'the server generates a new modification sequence that is higher than the "
        f"highest modification sequence of all messages in the mailbox' ({top}): {values}"
    )


@pytest.mark.rfc("7162", "3.1", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_simultaneous_stores_get_distinct_modseqs(cs):
    _name, a, b, top = cs
    tags = [
        (a, a.send("STORE", b"1", b"+FLAGS.SILENT", b"(\\Seen)")),
        (b, b.send("STORE", b"3", b"+FLAGS.SILENT", b"(\\Seen)")),
    ]
    for session, tag in tags:
        assert session.wait(tag).ok
    values = modseqs(a)
    assert values[1] != values[3] and min(values[1], values[3]) > top, (
        "'The server MUST guarantee that each STORE command performed on the same mailbox "
        "(including simultaneous stores to different metadata items from different "
        f"connections) will get a different mod-sequence value': {values}"
    )


@pytest.mark.rfc("7162", "3.1", "MUST")
@pytest.mark.requires("CONDSTORE")
@pytest.mark.parametrize("source", ["own-store", "other-session"])
def test_untagged_fetch_carries_modseq(cs, source):
    _name, a, b, top = cs
    if source == "own-store":
        reply = a.command("STORE", b"2", b"+FLAGS", b"(\\Seen)")
        seen = reply.untagged
    else:
        assert b.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Seen)").ok
        seen = poll(a, lambda s: any(u.kind == "FETCH" and u.number == 2 for u in s))
    fetches = [u for u in seen if u.kind == "FETCH" and u.number == 2]
    assert fetches and all("MODSEQ" in u.items for u in fetches), (
        "after a CONDSTORE enabling command 'The server MUST include mod-sequence data in all "
        f"subsequent untagged FETCH responses'; got {[str(u) for u in fetches]}"
    )
    assert number(fetches[-1].items["MODSEQ"]) == modseqs(a, b"2")[2] > top, (
        f"the MODSEQ reported ({fetches[-1]}) must be message 2's new mod-sequence"
    )


@pytest.mark.rfc("7162", "3.1.4.1", "MUST")
@pytest.mark.requires("CONDSTORE")
@pytest.mark.parametrize("uid", [False, True], ids=["FETCH", "UID-FETCH"])
def test_changedsince_returns_exactly_changed(cs, uid):
    _name, a, b, top = cs
    assert b.command("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Answered)").ok
    poll(a, lambda s: True)
    reply = run(a, uid, "FETCH", b"1:*", b"(FLAGS)", f"(CHANGEDSINCE {top})".encode())
    assert reply.ok, f"FETCH (CHANGEDSINCE {top}) failed: {reply.summary()}"
    got = reply.fetches()
    assert sorted(got) == [2, 4], (
        "'The information described by message data items is only returned for messages that "
        f"have mod-sequence bigger than' {top}: messages 2 and 4 changed, FETCH returned "
        f"{sorted(got)}"
    )
    assert all("MODSEQ" in f and number(f["MODSEQ"]) > top for f in got.values()), (
        f"'CHANGEDSINCE FETCH modifier ... implicitly adds MODSEQ FETCH message data item': {got}"
    )
    assert all(flagset(f.get("FLAGS")) == {"\\flagged", "\\answered"} for f in got.values())
    if uid:
        assert all("UID" in f for f in got.values()), f"UID FETCH must include UID: {got}"


@pytest.mark.rfc("7162", "3.1.4.1", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_changedsince_current_highest_returns_nothing(cs):
    _name, a, _b, top = cs
    reply = a.command("FETCH", b"1:*", b"(FLAGS)", f"(CHANGEDSINCE {top})".encode())
    assert reply.ok and not reply.fetches(), (
        f"nothing changed since HIGHESTMODSEQ {top}, yet FETCH (CHANGEDSINCE {top}) returned "
        f"{reply.fetches()}"
    )


@pytest.mark.rfc("7162", "3.1.3", "MUST")
@pytest.mark.requires("CONDSTORE")
@pytest.mark.parametrize("silent", [False, True], ids=["loud", "silent"])
def test_unchangedsince_passes_when_unmodified(observe, connect, cs, silent):
    name, a, _b, top = cs
    item = b"+FLAGS.SILENT" if silent else b"+FLAGS"
    reply = a.command("STORE", b"1:4", f"(UNCHANGEDSINCE {top})".encode(), item, b"(\\Seen)")
    assert reply.ok and reply.code_named("MODIFIED") is None, (
        f"no message changed since {top}, so STORE (UNCHANGEDSINCE {top}) must succeed "
        f"everywhere: {reply.summary()}"
    )
    got = reply.fetches()
    assert sorted(got) == [1, 2, 3, 4] and all(
        number(f.get("MODSEQ", 0)) > top for f in got.values()
    ), (
        "'An untagged FETCH response MUST be sent, even if the .SILENT suffix is specified, and "
        f"the response MUST include the MODSEQ message data item': {got}"
    )
    assert all("\\seen" in m.flags for m in observe.look(name)), "the STORE was not applied"


@pytest.mark.rfc("7162", "3.1.3", "MUST")
@pytest.mark.requires("CONDSTORE")
@pytest.mark.parametrize("uid", [False, True], ids=["STORE", "UID-STORE"])
def test_unchangedsince_fails_for_modified(observe, connect, cs, uid):
    name, a, b, top = cs
    assert b.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Draft)").ok
    uids = {
        seq: number(f["UID"]) for seq, f in a.command("FETCH", b"1:*", b"UID").fetches().items()
    }
    modified = modseqs(b, b"2")[2]
    target = f"{uids[1]}:{uids[4]}".encode() if uid else b"1:4"
    reply = run(
        a, uid, "STORE", target, f"(UNCHANGEDSINCE {top})".encode(), b"+FLAGS", b"(\\Answered)"
    )
    code = reply.code_named("MODIFIED")
    expected = str(uids[2]) if uid else "2"
    assert (
        reply.status in ("OK", "NO")
        and code is not None
        and [str(x) for x in code.args] == [expected]
    ), (
        "'the server MUST return in the tagged response a MODIFIED response code' listing 'the "
        f"message set (for STORE) or set of UIDs (for UID STORE)' that failed: expected "
        f"[MODIFIED {expected}], got {reply.summary()}"
    )
    stored = observe.look(name)
    assert ["\\answered" in m.flags for m in stored] == [True, False, True, True], (
        "'the requested operation MUST NOT be performed' on the modified message, and must be on "
        f"the others: {[sorted(m.flags) for m in stored]}"
    )
    assert modseqs(b, b"2")[2] == modified, "the refused message's mod-sequence changed"


@pytest.mark.rfc("7162", "3.1.3", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_unchangedsince_zero_always_fails(observe, connect, cs):
    name, a, _b, _top = cs
    reply = a.command("STORE", b"1", b"(UNCHANGEDSINCE 0)", b"+FLAGS", b"(\\Seen)")
    code = reply.code_named("MODIFIED")
    assert code is not None and [str(x) for x in code.args] == ["1"], (
        "'Use of UNCHANGEDSINCE with a modification sequence of 0 always fails if the metadata "
        f"item exists. A system flag MUST always be considered existent': {reply.summary()}"
    )
    assert "\\seen" not in observe.look(name)[0].flags, "the refused STORE set \\Seen"


@pytest.mark.rfc("7162", "3.1.7", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_status_highestmodseq_matches_select(connect, cs):
    name, a, _b, top = cs
    c = connect(name="C")
    assert status(c, name, "HIGHESTMODSEQ")["HIGHESTMODSEQ"] == top, (
        "STATUS HIGHESTMODSEQ 'is the same value that is returned by the server in the "
        f"HIGHESTMODSEQ response code' ({top})"
    )
    assert a.command("STORE", b"3", b"-FLAGS", b"(\\Flagged)").ok
    now = status(c, name, "HIGHESTMODSEQ")["HIGHESTMODSEQ"]
    assert now == modseqs(a, b"3")[3] > top, (
        f"after a STORE, STATUS HIGHESTMODSEQ must be the new highest value: {now}"
    )


@pytest.mark.rfc("7162", "3.1.5", "MUST")
@pytest.mark.requires("CONDSTORE")
@pytest.mark.parametrize("uid", [False, True], ids=["SEARCH", "UID-SEARCH"])
def test_search_modseq(cs, uid):
    _name, a, _b, top = cs
    assert a.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Seen)").ok
    assert a.command("STORE", b"3", b"+FLAGS.SILENT", b"(\\Seen)").ok
    values = modseqs(a)
    reply = run(a, uid, "SEARCH", b"MODSEQ", str(top + 1).encode())
    assert reply.ok, f"SEARCH MODSEQ failed: {reply.summary()}"
    tokens = [t for u in reply.of("SEARCH") for t in u.tokens]
    found = [number(t) for t in tokens if isinstance(t, str)]
    uids = {
        seq: number(f["UID"]) for seq, f in a.command("FETCH", b"1,3", b"UID").fetches().items()
    }
    expected = sorted(uids.values()) if uid else [1, 3]
    assert sorted(found) == expected, (
        "MODSEQ finds 'Messages that have modification values that are equal to or greater "
        f"than' {top + 1}: expected {expected}, got {found}"
    )
    tail = [t for t in tokens if isinstance(t, list)]
    assert tail == [["MODSEQ", str(max(values[1], values[3]))]], (
        "'the server MUST also append (to the end of the untagged SEARCH response) the highest "
        f"mod-sequence for all messages being returned' ({max(values[1], values[3])}): {tail}"
    )


@pytest.mark.rfc("7162", "3.1.6", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_search_modseq_without_match(cs):
    _name, a, _b, top = cs
    reply = a.command("SEARCH", b"MODSEQ", str(top + 1000).encode())
    assert reply.ok, f"SEARCH MODSEQ failed: {reply.summary()}"
    tokens = [t for u in reply.of("SEARCH") for t in u.tokens]
    assert reply.of("SEARCH") and not tokens, (
        "with no match the SEARCH response is empty: the 'mod-sequence value (omitted if no "
        f"match)'; got {[str(u) for u in reply.of('SEARCH')]}"
    )
