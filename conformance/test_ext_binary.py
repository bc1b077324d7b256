"""BINARY (RFC 3516): FETCH BINARY[] decodes base64 and quoted-printable parts byte-exactly,
BINARY.SIZE agrees, BINARY.PEEK leaves \\Seen alone, APPEND takes literal8 ``~{n}``."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from helpers_ext import append_ok, number, text
from helpers_fetch import MISSING, Box, Spec, byte_diff, filled_box, flag_set, item, opened

from imapcheck.wire.encode import Literal
from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("BINARY")

OCTETS = bytes(range(256)) * 2  # every octet value, NUL and CR/LF included
QP_BODY = (
    b"Gr=C3=BC=C3=9Fe, caf=C3=A9 =E2=80=94 na=C3=AFve\r\n"
    b"this line is long and gets a soft=\r\n break here; =3D is an equals sign"
)
QP_TEXT = "Grüße, café — naïve\r\nthis line is long and gets a soft break here; = is an equals sign"
PLAIN_PART = b"seven bit text"


def part(headers: str, body: bytes) -> bytes:
    """A body part; the CRLF after ``body`` belongs to the next boundary (RFC 2046 §5.1.1)."""
    return b"--XX\r\n" + headers.encode() + b"\r\n\r\n" + body + b"\r\n"


MULTIPART = (
    b"From: binary@example.org\r\nSubject: binary parts\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
    + part("Content-Type: text/plain", PLAIN_PART)
    + part(
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64",
        base64.encodebytes(OCTETS).replace(b"\n", b"\r\n"),
    )
    + part(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable",
        QP_BODY,
    )
    + b"--XX--\r\n"
)
SINGLE = b"hello\x00world\xff\r\n"
SINGLE_PART = (
    b"From: binary@example.org\r\nSubject: single part\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.b64encode(SINGLE)
    + b"\r\n"
)
UNKNOWN = (
    b"From: binary@example.org\r\nSubject: unknown encoding\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
    + part("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64", b"a25vd24=")
    + part("Content-Type: text/plain\r\nContent-Transfer-Encoding: x-imapcheck-unknown", b"??")
    + b"--XX--\r\n"
)
DECODED = {(1, "1"): PLAIN_PART, (1, "2"): OCTETS, (1, "3"): QP_TEXT.encode(), (2, "1"): SINGLE}


@pytest.fixture(scope="module")
def binary_box(target, sandbox) -> Iterator[Box]:
    specs = [Spec(MULTIPART), Spec(SINGLE_PART), Spec(UNKNOWN)]
    with filled_box(target, sandbox, "binary", specs) as made:
        yield made


def fetch(session, seq: int, items: bytes):
    reply = session.command("FETCH", str(seq).encode(), b"(" + items + b")")
    return reply, reply.fetches().get(seq, {})


@pytest.mark.rfc("3516", "4.2", "MUST")
@pytest.mark.parametrize("where", list(DECODED), ids=["7bit", "base64", "qp", "single-base64"])
def test_binary_decodes_the_section(connect, binary_box, where):
    seq, section = where
    reply, items = fetch(opened(connect, binary_box), seq, f"BINARY.PEEK[{section}]".encode())
    assert reply.ok, f"FETCH BINARY.PEEK[{section}] of message {seq} failed: {reply.summary()}"
    got = item(items, f"BINARY[{section}]")
    assert got == DECODED[where], (
        f"BINARY[{section}] of message {seq} must be the section after removing its content "
        f"transfer encoding (RFC 3516 §4.2): {byte_diff(DECODED[where], got)}"
    )


@pytest.mark.rfc("3516", "4.3", "MUST")
@pytest.mark.parametrize("where", list(DECODED), ids=["7bit", "base64", "qp", "single-base64"])
def test_binary_size_matches_decoded_length(connect, binary_box, where):
    seq, section = where
    reply, items = fetch(opened(connect, binary_box), seq, f"BINARY.SIZE[{section}]".encode())
    assert reply.ok, f"FETCH BINARY.SIZE[{section}] of message {seq} failed: {reply.summary()}"
    size = item(items, f"BINARY.SIZE[{section}]")
    assert size is not MISSING and number(size) == len(DECODED[where]), (
        f"BINARY.SIZE[{section}] MUST match the size of what FETCH BINARY returns "
        f"({len(DECODED[where])} octets, RFC 3516 §4.3), got {size!r}"
    )


@pytest.mark.rfc("3516", "4.2", "MUST")
def test_binary_partial_counts_decoded_octets(connect, binary_box):
    reply, items = fetch(opened(connect, binary_box), 1, b"BINARY.PEEK[2]<3.10>")
    assert reply.ok, f"FETCH BINARY.PEEK[2]<3.10> failed: {reply.summary()}"
    got = item(items, "BINARY[2]<3>")
    assert got == OCTETS[3:13], (
        "the <partial> of FETCH BINARY refers to the DECODED section data (RFC 3516 §4.2): "
        f"{byte_diff(OCTETS[3:13], got)}"
    )


@pytest.mark.rfc("3516", "4.3", "MUST")
def test_nul_octets_come_as_literal8(connect, binary_box):
    reply, _ = fetch(opened(connect, binary_box), 1, b"BINARY.PEEK[2]")
    raw = b"".join(u.frame.raw for u in reply.of("FETCH"))
    assert b"BINARY[2] ~{" in raw, (
        "decoded data holding NUL cannot be a string (RFC 3501 §4.3); it must be sent as "
        f"literal8 ~{{n}} (RFC 3516 §4.3); the response begins {raw[:80]!r}"
    )


@pytest.mark.rfc("3516", "4.3", "MUST")
@pytest.mark.parametrize("what", [b"BINARY.PEEK[2]", b"BINARY.SIZE[2]"])
def test_unknown_encoding_is_no_unknown_cte(connect, binary_box, what):
    reply, _ = fetch(opened(connect, binary_box), 3, what)
    assert reply.status == "NO" and reply.code_named("UNKNOWN-CTE") is not None, (
        f"{what.decode()} of a part with an unknown transfer encoding MUST fail with NO "
        f"[UNKNOWN-CTE] (RFC 3516 §4.3), got {reply.summary()}"
    )


@pytest.mark.rfc("3516", "4.3", "MUST")
@pytest.mark.parametrize("what", [b"BINARY.PEEK[1]", b"BINARY.SIZE[1]"])
def test_known_part_next_to_unknown_one_decodes(connect, binary_box, what):
    reply, items = fetch(opened(connect, binary_box), 3, what)
    value = item(items, what.decode().replace(".PEEK", ""))
    assert reply.ok and value in (b"known", "5"), (
        "part 1 is base64 ('known', 5 octets); only a section whose own encoding is unknown "
        f"fails with UNKNOWN-CTE (RFC 3516 §4.3). {what.decode()} gave {reply.summary()} "
        f"and {value!r}"
    )


def seen_after(session, name: str, what: bytes) -> bool:
    append_ok(session, name, SINGLE_PART)
    session.select(encode_mailbox(name))
    reply, _ = fetch(session, 1, what)
    assert reply.ok, f"FETCH {what.decode()} failed: {reply.summary()}"
    flags = fetch(session, 1, b"FLAGS")[1].get("FLAGS")
    return "\\seen" in flag_set(flags)


@pytest.mark.rfc("3516", "4.2", "MUST")
def test_binary_peek_does_not_set_seen(imap, box):
    assert not seen_after(imap, box, b"BINARY.PEEK[1]"), (
        "BINARY.PEEK is FETCH BINARY 'that does not implicitly set the \\Seen flag' (§4.2)"
    )


@pytest.mark.rfc("3516", "4.2", "MUST")
def test_binary_sets_seen(imap, box):
    assert seen_after(imap, box, b"BINARY[1]"), (
        "FETCH BINARY (not .PEEK) implicitly sets \\Seen, as BODY[] does (RFC 3516 §4.2, "
        "RFC 3501 §6.4.5)"
    )


@pytest.mark.rfc("3516", "4.4", "MUST")
def test_append_literal8_keeps_every_octet(imap, box):
    payload = b"a\x00b\r\n\xff\xfe\x00\x01 binary\r\n"
    raw = (
        b"From: binary@example.org\r\nSubject: literal8\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + payload
    )
    reply = imap.command("APPEND", encode_mailbox(box).encode(), Literal(raw, binary=True))
    assert reply.ok, f"APPEND with literal8 ~{{{len(raw)}}} failed: {reply.summary()}"
    imap.select(encode_mailbox(box), readonly=True)
    reply, items = fetch(imap, 1, b"BINARY.PEEK[1] BINARY.SIZE[1]")
    got = item(items, "BINARY[1]")
    assert got == payload, (
        "the server MAY change the encoding of appended literal8 data, but MUST NOT lose data "
        f"(RFC 3516 §4.4): {byte_diff(payload, got)}"
    )
    assert text(item(items, "BINARY.SIZE[1]")) == str(len(payload))
