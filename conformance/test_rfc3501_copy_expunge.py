"""RFC 3501 §6.4.1-§6.4.3, §6.4.7, §6.4.8: CHECK, CLOSE, EXPUNGE, COPY and UID COPY."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

DATE = "17-Jul-1996 02:44:25 -0700"
SEEDED = [b"(\\Seen)", b"(\\Flagged $Label1)", b"()", b"(\\Answered \\Seen)"]
ITEMS = b"(UID FLAGS INTERNALDATE BODY.PEEK[])"


def mb(name: str):
    return astring(encode_mailbox(name))


def message(n: int) -> bytes:
    return b"From: a@example.org\r\nSubject: copy %d\r\n\r\n%s\r\n" % (n, b"z" * n)


def flags(tokens) -> frozenset[str]:
    return frozenset(str(f).lower() for f in tokens) - {"\\recent"}


def snapshot(session, name: str | None = None) -> list[tuple]:
    """(UID, flags, INTERNALDATE instant, bytes) per message; EXAMINEs ``name`` if given."""
    if name is not None:
        reply = session.command("EXAMINE", mb(name))
        assert reply.ok, f"EXAMINE {name!r} failed: {reply.summary()}"
        if reply.of("EXISTS")[-1].number == 0:
            return []
    fetched = session.command("FETCH", b"1:*", ITEMS).fetches()
    return [
        (int(str(f["UID"])), flags(f["FLAGS"]), when(f["INTERNALDATE"]), f["BODY[]"])
        for _, f in sorted(fetched.items())
    ]


def when(token) -> datetime:
    text = token.decode() if isinstance(token, bytes) else str(token)
    return datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z")


def count(session, name: str) -> int | None:
    reply = session.command("STATUS", mb(name), b"(MESSAGES)")
    return int(str(reply.of("STATUS")[0].items["MESSAGES"])) if reply.ok else None


def fill(session, name: str, flag_lists) -> None:
    for n, flag_list in enumerate(flag_lists, 1):
        reply = session.command(
            "APPEND", mb(name), flag_list, f'"{DATE}"'.encode(), Literal(message(n))
        )
        assert reply.ok, f"APPEND failed: {reply.summary()}"


@pytest.fixture
def pair(imap, sandbox, request):
    """(source with SEEDED messages selected read-write, empty destination)."""
    source = sandbox.create(imap, request.node.name + "-src")
    dest = sandbox.create(imap, request.node.name + "-dst")
    fill(imap, source, SEEDED)
    imap.select(source)
    yield source, dest
    if imap.connected:
        with contextlib.suppress(ImapcheckError, OSError):
            sandbox.remove(imap, source)
            sandbox.remove(imap, dest)


# -- COPY ---------------------------------------------------------------------------------------


@pytest.mark.rfc("3501", "6.4.7", "MUST")
def test_copy_bytes_identical_and_source_unchanged(imap, connect, pair):
    _source, dest = pair
    before = snapshot(imap)
    reply = imap.command("COPY", b"2:3", mb(dest))
    assert reply.ok, f"COPY 2:3 failed: {reply.summary()}"
    assert snapshot(imap) == before, "COPY must not change the source messages"
    copies = snapshot(connect(), dest)
    assert [c[3] for c in copies] == [before[1][3], before[2][3]], (
        "COPY 'copies the specified message(s)': the destination must hold byte-identical copies "
        "of messages 2 and 3"
    )


@pytest.mark.rfc("3501", "6.4.7", "SHOULD")
def test_copy_preserves_flags(imap, connect, pair):
    _source, dest = pair
    before = snapshot(imap)
    assert imap.command("COPY", b"1:4", mb(dest)).ok
    copies = snapshot(connect(), dest)
    assert [c[1] for c in copies] == [b[1] for b in before], (
        f"'The flags ... of the message(s) SHOULD be preserved': source {[b[1] for b in before]}, "
        f"copies {[c[1] for c in copies]}"
    )


@pytest.mark.rfc("3501", "6.4.7", "SHOULD")
def test_copy_preserves_internal_date(imap, connect, pair):
    _source, dest = pair
    assert imap.command("COPY", b"1", mb(dest)).ok
    copies = snapshot(connect(), dest)
    assert copies[0][2] == when(DATE), (
        f"'The ... internal date of the message(s) SHOULD be preserved': source {DATE}, copy "
        f"{copies[0][2]}"
    )


@pytest.mark.rfc("3501", "6.4.7", "SHOULD")
def test_copy_sets_recent(imap, connect, pair):
    _, dest = pair
    assert imap.command("COPY", b"1:2", mb(dest)).ok
    reply = connect().command("SELECT", mb(dest))
    assert [u.number for u in reply.of("RECENT")] == [2], (
        "'the Recent flag SHOULD be set, in the copy': the first SELECT of the destination must "
        f"report 2 RECENT; got {[str(u) for u in reply.of('RECENT')]}"
    )


@pytest.mark.rfc("3501", "6.4.7", "MUST")
def test_copy_appends_to_end_of_destination(imap, connect, pair):
    _source, dest = pair
    other = connect()
    fill(other, dest, [b"()"])
    existing = snapshot(other, dest)
    assert imap.command("COPY", b"3:4", mb(dest)).ok
    after = snapshot(other, dest)
    source_bytes = [s[3] for s in snapshot(imap)]
    assert after[:1] == existing and len(after) == 3, (
        f"COPY adds 'to the end of the specified destination mailbox'; before {len(existing)} "
        f"message(s), after {len(after)}, first changed: {after[:1] != existing}"
    )
    assert sorted(a[3] for a in after[1:]) == sorted(source_bytes[2:4]), "the copies are wrong"
    assert all(a[0] > existing[0][0] for a in after[1:]), "copies must get higher UIDs"


@pytest.mark.rfc("3501", "6.4.7", "MUST")
def test_copy_to_missing_mailbox_is_no_trycreate(imap, pair, sandbox):
    reply = imap.command("COPY", b"1", mb(sandbox.name("missing")))
    assert reply.status == "NO" and reply.code is not None and reply.code.name == "TRYCREATE", (
        'COPY to a missing mailbox: \'the server MUST send the response code "[TRYCREATE]" as '
        f"the prefix of the text of the tagged NO response'; got {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6.4.7", "SHOULD")
def test_copy_to_missing_mailbox_does_not_create_it(imap, pair, sandbox):
    name = sandbox.name("missing")
    imap.command("COPY", b"1", mb(name))
    assert count(imap, name) is None, "COPY 'SHOULD NOT automatically create the mailbox'"


@pytest.mark.rfc("3501", "6.4.7", "MUST")
def test_failed_copy_leaves_destination_unchanged(imap, pair):
    _, dest = pair
    reply = imap.command("COPY", b"1:9", mb(dest))
    assert not reply.ok, f"COPY 1:9 of a 4-message mailbox must fail; got {reply.summary()}"
    assert count(imap, dest) == 0, (
        "'If the COPY command is unsuccessful for any reason, server implementations MUST restore "
        "the destination mailbox to its state before the COPY attempt'"
    )


@pytest.mark.rfc("3501", "6.4.8", "MUST")
def test_uid_copy_addresses_uids(imap, connect, pair):
    _, dest = pair
    assert imap.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert imap.command("EXPUNGE").ok  # now sequence numbers and UIDs differ
    before = snapshot(imap)
    target = before[1]  # sequence 2
    reply = imap.command("UID", b"COPY", str(target[0]).encode(), mb(dest))
    assert reply.ok, f"UID COPY {target[0]} failed: {reply.summary()}"
    copies = snapshot(connect(), dest)
    assert [c[3] for c in copies] == [target[3]], (
        f"UID COPY {target[0]} must copy the message with that UID (sequence 2), nothing else; "
        f"the destination holds {len(copies)} message(s)"
    )


@pytest.mark.rfc("3501", "6.4.8", "MUST")
def test_uid_copy_nonexistent_uid_is_ignored(imap, pair):
    _, dest = pair
    highest = snapshot(imap)[-1][0]
    reply = imap.command("UID", b"COPY", str(highest + 50).encode(), mb(dest))
    assert reply.ok, (
        "'A non-existent unique identifier is ignored without any error message generated'; "
        f"UID COPY of a missing UID said {reply.summary()}"
    )
    assert count(imap, dest) == 0, "UID COPY of a missing UID must copy nothing"


# -- EXPUNGE, CLOSE, CHECK ----------------------------------------------------------------------


@pytest.mark.rfc("3501", "6.4.3", "MUST")
def test_expunge_removes_exactly_deleted_messages(imap, connect, pair):
    source, _ = pair
    before = snapshot(imap)
    assert imap.command("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    reply = imap.command("EXPUNGE")
    assert reply.ok, f"EXPUNGE failed: {reply.summary()}"
    assert len(reply.of("EXPUNGE")) == 2, (
        "'an untagged EXPUNGE response is sent for each message that is removed'; got "
        f"{[str(u) for u in reply.of('EXPUNGE')]}"
    )
    after = snapshot(connect(), source)
    assert [a[0] for a in after] == [before[0][0], before[2][0]], (
        "EXPUNGE must remove exactly the \\Deleted messages 2 and 4; left UIDs "
        f"{[a[0] for a in after]}"
    )


@pytest.mark.rfc("3501", "6.4.3", "MUST")
def test_expunge_without_deleted_changes_nothing(imap, pair):
    before = snapshot(imap)
    reply = imap.command("EXPUNGE")
    assert reply.ok and not reply.of("EXPUNGE"), f"nothing to expunge, yet: {reply.untagged}"
    assert snapshot(imap) == before, "EXPUNGE without \\Deleted messages changed the mailbox"


@pytest.mark.rfc("3501", "6.3.2", "MUST")
@pytest.mark.parametrize("command", ["EXPUNGE", "CLOSE"])
def test_examine_mailbox_is_not_expunged(imap, connect, pair, command):
    source, _ = pair
    assert imap.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert imap.command("EXAMINE", mb(source)).ok
    reply = imap.command(command)
    assert not reply.of("EXPUNGE"), f"{command} after EXAMINE reported expunges: {reply.untagged}"
    assert count(connect(), source) == 4, (
        f"'No messages are removed ... if the mailbox is selected by an EXAMINE command'; "
        f"{command} ({reply.summary()}) removed messages"
    )


@pytest.mark.rfc("3501", "6.4.2", "MUST")
def test_close_expunges_silently(imap, connect, pair):
    source, _ = pair
    before = snapshot(imap)
    assert imap.command("STORE", b"1:2", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    reply = imap.command("CLOSE")
    assert reply.ok, f"CLOSE failed: {reply.summary()}"
    assert not reply.of("EXPUNGE"), (
        "CLOSE: 'No untagged EXPUNGE responses are sent'; got "
        f"{[str(u) for u in reply.of('EXPUNGE')]}"
    )
    after = snapshot(connect(), source)
    assert [a[0] for a in after] == [b[0] for b in before[2:]], (
        "CLOSE 'permanently removes all messages that have the \\Deleted flag set'; left UIDs "
        f"{[a[0] for a in after]}"
    )


@pytest.mark.rfc("3501", "6.4.2", "MUST")
def test_close_returns_to_authenticated_state(imap, pair):
    source, _ = pair
    assert imap.command("CLOSE").ok
    fetch = imap.command("FETCH", b"1", b"FLAGS")
    assert fetch.status in ("BAD", "NO"), (
        f"after CLOSE the session is in the authenticated state; FETCH said {fetch.summary()}"
    )
    assert imap.command("SELECT", mb(source)).ok, "SELECT must work again after CLOSE"


@pytest.mark.rfc("3501", "6.4.1", "MUST")
@pytest.mark.parametrize("command", ["SELECT", "EXAMINE"])
def test_check_changes_nothing(imap, pair, command):
    source, _ = pair
    assert imap.command(command, mb(source)).ok
    before = snapshot(imap)
    reply = imap.command("CHECK")
    assert reply.ok, f"CHECK in the selected state must be OK; got {reply.summary()}"
    assert snapshot(imap) == before, "CHECK (a checkpoint) must not change messages or flags"
