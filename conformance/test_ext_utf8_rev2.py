"""UTF8=ACCEPT (RFC 6855) and IMAP4rev2 (RFC 9051) where advertised: what ENABLE changes —
UTF-8 mailbox names and messages, ESEARCH answers to SEARCH, no \\Recent, STATUS SIZE/DELETED."""

from __future__ import annotations

import pytest
from helpers_ext import append_ok, list_entries, message, only_esearch, status
from helpers_fetch import send_pieces

from imapcheck.wire.utf7 import encode_mailbox


def enable(session, name: str) -> None:
    reply = session.command("ENABLE", name.encode())
    listed = [str(t).upper() for u in reply.of("ENABLED") for t in u.tokens]
    assert reply.ok and name.upper() in listed, (
        f"ENABLE {name} must enable it and list it in ENABLED (RFC 5161 §3.1), got "
        f"{reply.summary()} / {listed}"
    )


def utf8_quoted(name: str) -> bytes:
    return b'"' + name.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


@pytest.mark.rfc("6855", "3", "MUST")
@pytest.mark.requires("UTF8=ACCEPT", "ENABLE")
def test_enable_utf8_accept(imap):
    enable(imap, "UTF8=ACCEPT")


@pytest.mark.rfc("6855", "3", "MUST")
@pytest.mark.requires("UTF8=ACCEPT", "ENABLE")
def test_utf8_mailbox_names_after_enable(imap, box, server_info):
    """RFC 6855 §3: servers with UTF8=ACCEPT 'SHOULD accept UTF-8 in mailbox names, and those
    that also support the Mailbox International Naming Convention described in RFC 3501,
    Section 5.1.3, MUST accept UTF8-quoted mailbox names' (every IMAP4rev1 server does)."""
    enable(imap, "UTF8=ACCEPT")
    name = box + server_info.delimiter + "Grüße ☃"
    reply = imap.command("CREATE", utf8_quoted(name))
    assert reply.ok, (
        f"CREATE of a UTF-8 quoted name after ENABLE UTF8=ACCEPT failed: {reply.summary()}"
    )
    raw = [
        bytes(u.frame.raw) for u in imap.command("LIST", b'""', utf8_quoted(box + "*")).of("LIST")
    ]
    assert any(name.encode() in line for line in raw), (
        "after ENABLE UTF8=ACCEPT the server uses UTF-8, not modified UTF-7, for mailbox names "
        f"in LIST (RFC 6855 §3); looked for {name!r} in {raw}"
    )


@pytest.mark.rfc("6855", "4", "MUST")
@pytest.mark.requires("UTF8=ACCEPT", "ENABLE")
def test_utf8_append_keeps_utf8_header(imap, box):
    enable(imap, "UTF8=ACCEPT")
    raw = "From: Jörg <jörg@example.org>\r\nSubject: Grüße ☃\r\n\r\nKöln\r\n".encode()
    tag = imap.next_tag()
    head = b"%s APPEND %s UTF8 (~{%d}\r\n" % (tag.encode(), encode_mailbox(box).encode(), len(raw))
    reply = send_pieces(imap, [head, raw + b")\r\n"])
    assert reply.ok, f"APPEND ... UTF8 (literal8) failed: {reply.summary()}"
    imap.select(encode_mailbox(box), readonly=True)
    got = imap.command("FETCH", b"1", b"(BODY.PEEK[])").fetches()[1].get("BODY[]")
    assert got == raw, f"the UTF-8 message must be stored as sent (RFC 6855 §4), got {got!r}"


@pytest.mark.rfc("9051", "6.3.1", "MUST")
@pytest.mark.requires("IMAP4rev2", "ENABLE")
def test_enable_imap4rev2(imap):
    enable(imap, "IMAP4rev2")


@pytest.mark.rfc("9051", "6.4.4", "MUST")
@pytest.mark.requires("IMAP4rev2", "ENABLE")
def test_rev2_search_answers_with_esearch(imap, box):
    for n in (1, 2):
        append_ok(imap, box, message(n, "rev2"))
    enable(imap, "IMAP4rev2")
    imap.select(encode_mailbox(box), readonly=True)
    reply = imap.command("SEARCH", b"ALL")
    assert reply.ok and not reply.of("SEARCH"), (
        f"IMAP4rev2 has no SEARCH response: {reply.untagged}"
    )
    assert only_esearch(reply).numbers("ALL") == [1, 2], (
        f"IMAP4rev2 answers SEARCH with ESEARCH (RFC 9051 §6.4.4), ALL 1:2: {reply.untagged}"
    )


@pytest.mark.rfc("9051", "6.3.11", "MUST")
@pytest.mark.requires("IMAP4rev2", "ENABLE")
def test_rev2_status_size_and_deleted(imap, box):
    for n, flags in ((1, ("\\Deleted",)), (2, ())):
        append_ok(imap, box, message(n, "rev2"), flags=flags)
    enable(imap, "IMAP4rev2")
    got = status(imap, box, "MESSAGES DELETED SIZE")
    assert got.get("MESSAGES") == 2 and got.get("DELETED") == 1 and got.get("SIZE", 0) > 0, (
        f"IMAP4rev2 STATUS has DELETED and SIZE (RFC 9051 §6.3.11); 2 messages, 1 \\Deleted: {got}"
    )


@pytest.mark.rfc("9051", "6.3.9.5", "MUST")
@pytest.mark.requires("IMAP4rev2", "ENABLE")
def test_rev2_list_return_children(imap, box, server_info):
    """RETURN (CHILDREN) is part of IMAP4rev2's LIST (without it the attributes are a MAY)."""
    enable(imap, "IMAP4rev2")
    imap.command("CREATE", encode_mailbox(box + server_info.delimiter + "kid").encode())
    pattern = encode_mailbox(box + "*").encode()
    reply = imap.command("LIST", b'""', pattern, b"RETURN", b"(CHILDREN)")
    assert reply.ok, f"LIST ... RETURN (CHILDREN) failed: {reply.summary()}"
    entries = {e.name: e for e in list_entries(reply)}
    kid = box + server_info.delimiter + "kid"
    assert box in entries and entries[box].has("\\HasChildren"), (
        "RFC 9051 §6.3.9.5: 'If the CHILDREN return option is present, the server MUST return "
        f"these attributes'; {box!r} has a child, got {entries.get(box)}"
    )
    assert kid in entries and entries[kid].has("\\HasNoChildren"), (
        f"RFC 9051 §6.3.9.5: {kid!r} has no child, so \\HasNoChildren; got {entries.get(kid)}"
    )
