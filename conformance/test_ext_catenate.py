"""CATENATE (RFC 4469) and URL-PARTIAL (RFC 5550, ;PARTIAL= of RFC 5092): APPEND builds the
message from literals and parts of stored messages, octet for octet."""

from __future__ import annotations

import pytest
from helpers_ext import append_ok, number, status, text, wire
from helpers_fetch import flag_set, send_pieces

from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("CATENATE")
SOURCE = b"From: cat@example.org\r\nSubject: source\r\n\r\n0123456789abcdefghij\r\n"
SOURCE_TEXT = b"0123456789abcdefghij\r\n"


def source(session, name: str) -> tuple[str, str]:
    """Append SOURCE; returns (UIDVALIDITY, UID) for URLs."""
    reply = append_ok(session, name, SOURCE)
    code = reply.code_named("APPENDUID")
    if code is not None and len(code.args) == 2:
        return text(code.args[0]), text(code.args[1])
    validity = status(session, name, "UIDVALIDITY")["UIDVALIDITY"]
    session.select(encode_mailbox(name), readonly=True)
    uid = number(session.command("FETCH", b"1", b"(UID)").fetches()[1]["UID"])
    session.command("UNSELECT" if "UNSELECT" in session.capabilities else "CLOSE")
    return str(validity), str(uid)


def url(name: str, validity: str, uid: str, tail: str = "/;SECTION=TEXT") -> bytes:
    """A relative IMAP URL (RFC 5092) to a message part of ``name``, quoted."""
    path = encode_mailbox(name).replace("%", "%25").replace(" ", "%20")
    return f'"/{path};UIDVALIDITY={validity}/;UID={uid}{tail}"'.encode()


def catenate(session, name: str, parts: list[tuple[str, bytes]]):
    """APPEND name CATENATE (TEXT {n} / URL "..." ...), exact bytes, synchronizing literals."""
    tag = session.next_tag()
    pieces, current = [], b"%s APPEND %s CATENATE (" % (tag.encode(), wire(name))
    for index, (kind, value) in enumerate(parts):
        current += b" " if index else b""
        if kind == "TEXT":
            pieces.append(current + b"TEXT {%d}\r\n" % len(value))
            current = value
        else:
            current += b"URL " + value
    pieces.append(current + b")\r\n")
    return send_pieces(session, pieces)


def stored(session, name: str) -> list[bytes]:
    session.select(encode_mailbox(name), readonly=True)
    fetched = session.command("FETCH", b"1:*", b"(BODY.PEEK[])").fetches()
    session.command("UNSELECT" if "UNSELECT" in session.capabilities else "CLOSE")
    return [items.get("BODY[]") for _, items in sorted(fetched.items())]


@pytest.mark.rfc("4469", "3", "MUST")
def test_catenate_text_and_url(imap, box):
    validity, uid = source(imap, box)
    head, tail = b"From: cat@example.org\r\nSubject: built\r\n\r\n", b"-- the end\r\n"
    reply = catenate(imap, box, [("TEXT", head), ("URL", url(box, validity, uid)), ("TEXT", tail)])
    assert reply.ok, f"APPEND CATENATE failed: {reply.summary()}"
    messages = stored(imap, box)
    assert len(messages) == 2 and messages[1] == head + SOURCE_TEXT + tail, (
        "APPEND CATENATE appends the literal octets and, for a URL, the octets of the body part "
        "it points to, unchanged, in order (RFC 4469 §3): expected "
        f"{head + SOURCE_TEXT + tail!r}, got {messages[1:]!r}"
    )


@pytest.mark.rfc("4469", "3", "MUST")
def test_catenate_leaves_source_unseen(imap, box):
    validity, uid = source(imap, box)
    reply = catenate(imap, box, [("TEXT", b"Subject: x\r\n\r\n"), ("URL", url(box, validity, uid))])
    assert reply.ok, f"APPEND CATENATE failed: {reply.summary()}"
    imap.select(encode_mailbox(box), readonly=True)
    flags = imap.command("FETCH", b"1", b"(FLAGS)").fetches()[1].get("FLAGS")
    assert "\\seen" not in flag_set(flags), (
        f"APPEND does not set \\Seen on any catenated body part (RFC 4469 §3), source has {flags}"
    )


@pytest.mark.rfc("4469", "4.1", "MUST")
def test_bad_url_fails_whole_append(imap, box):
    validity, uid = source(imap, box)
    missing = url(box, validity, str(int(uid) + 1000))
    reply = catenate(imap, box, [("TEXT", b"Subject: x\r\n\r\n"), ("URL", missing)])
    assert reply.status == "NO" and reply.code_named("BADURL") is not None, (
        f"a URL to a missing message fails APPEND with NO [BADURL ...] (§4.1): {reply.summary()}"
    )
    assert len(stored(imap, box)) == 1, "the failed APPEND CATENATE must not add a message"


@pytest.mark.rfc("5092", "6", "MUST")
@pytest.mark.requires("URL-PARTIAL")
@pytest.mark.parametrize("start,length", [(3, 5), (0, 1), (18, 4)])
def test_catenate_url_partial(imap, box, start, length):
    validity, uid = source(imap, box)
    part = url(box, validity, uid, f"/;SECTION=TEXT/;PARTIAL={start}.{length}")
    reply = catenate(imap, box, [("TEXT", b"Subject: partial\r\n\r\n"), ("URL", part)])
    assert reply.ok, f"APPEND CATENATE with ;PARTIAL= failed: {reply.summary()}"
    want = b"Subject: partial\r\n\r\n" + SOURCE_TEXT[start : start + length]
    assert stored(imap, box)[1] == want, (
        f";PARTIAL={start}.{length} selects {length} octets from offset {start} of the section "
        f"(RFC 5092 §6), expected {want!r}, got {stored(imap, box)[1]!r}"
    )
