"""The stored corpus messages and the builders: exact bytes, CRLF, sizes, shapes."""

from __future__ import annotations

import base64
import hashlib
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parsedate_tz

import pytest

from imapcheck import corpus

NAMES = [
    "addresses", "alternative", "attachment", "boundaries", "deep", "digest", "eightbit",
    "encoded_headers", "extensions", "forwarded", "header_only", "no_blank_line", "plain",
]  # fmt: skip
MESSAGES = corpus.all_messages()


def _email(data: bytes) -> Message:
    return BytesParser(policy=compat32).parsebytes(data)


def test_names_and_descriptions() -> None:
    assert corpus.names() == NAMES
    assert [m.name for m in MESSAGES] == NAMES
    assert all(m.description for m in MESSAGES)
    with pytest.raises(KeyError, match="no corpus message"):
        corpus.load("nope")


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.name)
def test_exact_crlf_and_small(msg: corpus.CorpusMessage) -> None:
    stripped = msg.data.replace(b"\r\n", b"")
    assert b"\n" not in stripped and b"\r" not in stripped
    assert len(msg.data) < 20_000
    assert msg.size == len(msg.data)
    header = msg.data.split(b"\r\n\r\n", 1)[0]
    assert header.isascii()  # RFC 3501 §7.4.2: headers are 7-bit


def test_distinct_message_id_date_subject_and_zones() -> None:
    envelopes = [m.envelope for m in MESSAGES]
    for member in ("message_id", "date", "subject"):
        values = [getattr(e, member) for e in envelopes]
        assert None not in values and len(set(values)) == len(values), member
    zones = []
    for e in envelopes:
        assert e.date is not None
        parsed = parsedate_tz(e.date)
        assert parsed is not None
        zones.append(parsed[9])
    assert len(set(zones)) == len(zones)


def _leaves(message: Message) -> list[tuple[str, bytes]]:
    if message.is_multipart():
        parts = message.get_payload()
        assert isinstance(parts, list)
        return [leaf for part in parts if isinstance(part, Message) for leaf in _leaves(part)]
    payload = message.get_payload(decode=False)
    assert isinstance(payload, str)
    return [(message.get_content_type(), payload.encode("utf-8", "surrogateescape"))]


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.name)
def test_leaf_parts_agree_with_email_package(msg: corpus.CorpusMessage) -> None:
    """Cross-check of the byte-level splitter against an independent MIME parser."""
    parsed = _email(msg.data)
    assert not parsed.defects and not [d for p in parsed.walk() for d in p.defects]
    leaves = [p for p in msg.bodystructure.walk() if not p.multipart and p.body is None]
    assert [(p.mime_type, msg.section(p.section)) for p in leaves] == _leaves(parsed)


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.name)
def test_every_section_resolves(msg: corpus.CorpusMessage) -> None:
    for spec in msg.sections():
        msg.section(spec)
        msg.section(spec + ".MIME")


def test_content_md5_values_are_right() -> None:
    seen = 0
    for part in _email(corpus.load("extensions").data).walk():
        if part["Content-MD5"]:
            decoded = part.get_payload(decode=True)
            assert isinstance(decoded, bytes)
            assert part["Content-MD5"] == base64.b64encode(hashlib.md5(decoded).digest()).decode()
            seen += 1
    assert seen == 3


def test_encoded_words_decode_to_the_intended_text() -> None:
    parsed = _email(corpus.load("encoded_headers").data)

    def decoded(name: str) -> str:
        return "".join(
            t.decode(c or "ascii") if isinstance(t, bytes) else t
            for t, c in decode_header(str(parsed[name]))
        )

    assert decoded("Subject") == "Élève du mois \u2013 résumé et café"
    assert decoded("From").startswith("André Pirard")
    assert decoded("To").startswith("Мария Иванова")


def test_eightbit_body_is_utf8() -> None:
    body = corpus.load("eightbit").section("TEXT")
    assert not body.isascii()
    assert "Grüße aus Tōkyō!" in body.decode("utf-8")


# --- builders ----------------------------------------------------------------------------------


def test_build_plain_exact_bytes() -> None:
    data = corpus.build_plain(
        "Hi",
        "Hello\nthere",
        from_="a@example.org",
        to="b@example.org",
        date="Thu, 01 Jun 2023 00:00:00 +0000",
        message_id="<x@example.org>",
        extra_headers={"X-Test": "1"},
    )
    assert data == (
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Hi\r\n"
        b"Date: Thu, 01 Jun 2023 00:00:00 +0000\r\nMessage-ID: <x@example.org>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
        b"Content-Transfer-Encoding: 7bit\r\nX-Test: 1\r\n\r\nHello\r\nthere\r\n"
    )


def test_build_plain_is_deterministic_and_8bit_aware() -> None:
    assert corpus.build_plain() == corpus.build_plain()
    data = corpus.build_plain("Grüße", "Grüße\n")
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.isascii() and b"Subject: =?utf-8?" in head
    assert b"charset=utf-8" in head and b"Content-Transfer-Encoding: 8bit" in head
    assert body == "Grüße\r\n".encode()


# the bare message is 286 octets; padding of 0, 1, 2, 78, 79, 80, 157 octets are edge cases
@pytest.mark.parametrize("size", [286, 287, 288, 364, 365, 366, 443, 4096, 100_000])
def test_build_plain_pads_to_exact_size(size: int) -> None:
    data = corpus.build_plain("sized", "x\r\n", size=size)
    assert len(data) == size
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 78


def test_build_plain_too_small() -> None:
    assert len(corpus.build_plain("sized", "x\r\n")) == 286
    with pytest.raises(ValueError, match="too small"):
        corpus.build_plain("sized", "x\r\n", size=285)


def test_build_multipart_nests_entities() -> None:
    payload = bytes(range(256)) * 3
    inner = corpus.build_plain("inner", "inner body\r\n")
    data = corpus.build_multipart(
        corpus.mime_part("hello\r\n"),
        corpus.attachment(payload, "a.bin"),
        corpus.mime_message(inner),
        corpus.mime_multipart([corpus.mime_part("a"), corpus.mime_part("<b/>", "text/html")]),
    )
    types = [(p.section, p.mime_type) for p in corpus.body_structure(data).walk()]
    assert types == [
        ("TEXT", "multipart/mixed"), ("1", "text/plain"), ("2", "application/octet-stream"),
        ("3", "message/rfc822"), ("3.1", "text/plain"), ("4", "multipart/mixed"),
        ("4.1", "text/plain"), ("4.2", "text/html"),
    ]  # fmt: skip
    assert corpus.section(data, "1") == b"hello\r\n"
    assert base64.b64decode(corpus.section(data, "2")) == payload
    assert corpus.section(data, "3") == inner
    assert corpus.section(data, "3.1") == b"inner body\r\n"
    assert corpus.section(data, "4.1") == b"a"
    assert corpus.body_structure(data).find("2").disposition == (
        "attachment",
        {"filename": "a.bin"},
    )


@pytest.mark.parametrize("size", [2_000, 2_001, 2_077, 2_078, 2_079, 65_536, 300_000])
def test_build_large_exact_size(size: int) -> None:
    data = corpus.build_large(size)
    assert len(data) == size
    attachment = corpus.section(data, "2")
    assert len(base64.b64decode(attachment)) % 57 == 0
    assert len(attachment) > size // 2
    assert corpus.build_large(size) == data


def test_build_large_too_small() -> None:
    with pytest.raises(ValueError, match="at least"):
        corpus.build_large(500)


@pytest.mark.parametrize("n", [1, 2, 7, 150])
def test_build_many_addresses(n: int) -> None:
    data = corpus.build_many_addresses(n)
    env = corpus.envelope(data)
    assert env.to is not None and len(env.to) == n
    assert env.to[0] == corpus.Address(None, None, "user1", "example.org")
    if n >= 2:
        assert env.to[1] == corpus.Address("Recipient, No. 2", None, "user2", "example.org")
    assert env.cc is not None and [a.mailbox for a in env.cc] == [
        "team", "carol", "dave", "erin", None,
    ]  # fmt: skip
    assert max(len(line) for line in data.split(b"\r\n")) < 100


@pytest.mark.parametrize("depth", [1, 3, 60])
def test_build_nested_multipart(depth: int) -> None:
    data = corpus.build_nested_mime(depth)
    structure = corpus.body_structure(data)
    assert sum(p.multipart for p in structure.walk()) == depth
    innermost = ".".join(["2"] * depth)
    assert corpus.section(data, innermost) == f"Innermost text at depth {depth}.\r\n".encode()


@pytest.mark.parametrize("depth", [1, 4, 60])
def test_build_nested_message(depth: int) -> None:
    data = corpus.build_nested_mime(depth, kind="message")
    structure = corpus.body_structure(data)
    assert sum(p.mime_type == "message/rfc822" for p in structure.walk()) == depth
    innermost = ".".join(["1"] * (depth + 1))
    assert corpus.section(data, innermost) == f"Text at level {depth}.\r\n".encode()
    assert structure.envelope is not None and structure.envelope.subject == "level 1"


def test_build_nested_mime_arguments() -> None:
    with pytest.raises(ValueError):
        corpus.build_nested_mime(0)
    with pytest.raises(ValueError):
        corpus.build_nested_mime(2, kind="zip")
