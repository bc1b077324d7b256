"""UNSELECT (RFC 3691): CLOSE without the expunge. \\Deleted messages stay (checked from
another session), and the session is back in the authenticated state."""

from __future__ import annotations

import pytest
from helpers_ext import append_ok, message, status

from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("UNSELECT")


def filled(session, name: str, count: int = 3) -> None:
    for n in range(1, count + 1):
        append_ok(session, name, message(n, "unselect"))


@pytest.mark.rfc("3691", "2", "MUST")
def test_unselect_leaves_deleted_messages(imap, connect, box):
    filled(imap, box)
    imap.select(encode_mailbox(box))
    stored = imap.command("STORE", b"1,3", b"+FLAGS.SILENT", b"(\\Deleted)")
    assert stored.ok, f"STORE \\Deleted failed: {stored.summary()}"
    reply = imap.command("UNSELECT")
    assert reply.ok, f"UNSELECT failed: {reply.summary()}"
    assert not reply.of("EXPUNGE"), f"UNSELECT sent EXPUNGE responses: {reply.of('EXPUNGE')}"
    other = connect()
    assert status(other, box, "MESSAGES")["MESSAGES"] == 3, (
        "UNSELECT performs the same actions as CLOSE 'except that no messages are permanently "
        "removed' (RFC 3691 §2); another session sees fewer than the 3 messages"
    )
    other.select(encode_mailbox(box), readonly=True)
    flags = other.command("FETCH", b"1:3", b"(FLAGS)").fetches()
    deleted = [seq for seq, items in sorted(flags.items()) if "\\deleted" in str(items).lower()]
    assert deleted == [1, 3], f"messages 1 and 3 must still carry \\Deleted, got {deleted}"


@pytest.mark.rfc("3691", "2", "MUST")
@pytest.mark.parametrize("readonly", [False, True], ids=["select", "examine"])
def test_unselect_returns_to_authenticated_state(imap, box, readonly):
    filled(imap, box, 1)
    imap.select(encode_mailbox(box), readonly=readonly)
    assert imap.command("UNSELECT").ok, "UNSELECT failed"
    fetch = imap.command("FETCH", b"1", b"(FLAGS)")
    assert not fetch.ok, (
        "after UNSELECT the server is in the authenticated state (RFC 3691 §2), where FETCH is "
        f"not valid; it answered {fetch.summary()}"
    )
    assert imap.command("LIST", b'""', b'""').ok, "LIST failed after UNSELECT"


@pytest.mark.rfc("3691", "2", "MUST")
def test_unselect_without_selected_mailbox_is_bad(imap):
    reply = imap.command("UNSELECT")
    assert reply.status == "BAD", (
        f"UNSELECT with no mailbox selected: 'BAD - no mailbox selected' (RFC 3691 §2), got "
        f"{reply.summary()}"
    )


@pytest.mark.rfc("3691", "2", "MUST")
def test_reselect_after_unselect_sees_deleted_messages(imap, box):
    """After UNSELECT another SELECT of the same mailbox sees every message, \\Deleted ones too."""
    filled(imap, box, 2)
    imap.select(encode_mailbox(box))
    imap.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Deleted)")
    imap.command("UNSELECT")
    again = imap.select(encode_mailbox(box))
    counts = [u.number for u in again.of("EXISTS")]
    assert counts and counts[-1] == 2, f"SELECT after UNSELECT must show 2 messages, got {counts}"
