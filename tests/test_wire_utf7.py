"""Modified UTF-7 mailbox names (RFC 3501 §5.1.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imapcheck.wire.utf7 import decode_mailbox, encode_mailbox, is_valid_mailbox_utf7

VECTORS = [
    ("", ""),
    ("INBOX", "INBOX"),
    ("&", "&-"),
    ("&&", "&-&-"),
    ("a&b-c", "a&-b-c"),
    ("é", "&AOk-"),
    ("café", "caf&AOk-"),
    ("é&", "&AOk-&-"),
    ("&é", "&-&AOk-"),
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
    ("日本語", "&ZeVnLIqe-"),
    ("\U0001f600", "&2D3eAA-"),
    ("a\U0001f600b", "a&2D3eAA-b"),
    ("\t", "&AAk-"),
    ("\x00", "&AAA-"),
    ("\x7f", "&AH8-"),
    ("é-", "&AOk--"),
    ("Entwürfe", "Entw&APw-rfe"),
    ("\ufeff", "&,v8-"),
    ("ÿÿÿ", "&AP8A,wD,-"),
]


@pytest.mark.parametrize(("name", "wire"), VECTORS)
def test_known_vectors(name: str, wire: str) -> None:
    assert encode_mailbox(name) == wire
    assert decode_mailbox(wire) == name
    assert is_valid_mailbox_utf7(wire)


def test_printable_ascii_stands_for_itself() -> None:
    ascii_ = "".join(chr(c) for c in range(0x20, 0x7F) if c != 0x26)
    assert encode_mailbox(ascii_) == ascii_
    assert decode_mailbox(ascii_) == ascii_


def test_encode_rejects_lone_surrogate() -> None:
    with pytest.raises(ValueError):
        encode_mailbox("a\ud800b")


@pytest.mark.parametrize(
    ("wire", "why"),
    [
        ("&", "unterminated"),
        ("a&AOk", "unterminated"),
        ("&AOk-&", "unterminated"),
        ("&AO/-", "modified BASE64 character"),  # "/" is written ","
        ("&AOk=-", "modified BASE64 character"),  # no padding
        ("&A O-", "modified BASE64 character"),
        ("&AOkA-", "odd number"),  # 30 bits: 3 octets
        ("&A-", "BASE64 length"),  # 6 bits
        ("&AOkAA-", "BASE64 length"),
        ("&AOl-", "padding bits"),
        ("&AOkA6R-", "padding bits"),
        ("&AGE-", "printable ASCII"),  # "a"
        ("&ACY-", "printable ASCII"),  # "&" encoded
        ("&AOkAYQ-", "printable ASCII"),  # "éa" in one run
        ("&AOk-&AOk-", "null shift"),  # "éé" must be one run
        ("&2D0-", "surrogate"),  # high surrogate alone
        ("&3gA-", "surrogate"),  # low surrogate alone
        ("&3gDYPQ-", "surrogate"),  # pair in the wrong order
        ("caf\u00e9", "must be encoded"),  # raw 8-bit
        ("a\tb", "must be encoded"),
        ("a\x7f", "must be encoded"),
    ],
)
def test_invalid(wire: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        decode_mailbox(wire)
    assert not is_valid_mailbox_utf7(wire)


def test_runs_separated_by_ascii_are_fine() -> None:
    assert decode_mailbox("&AOk-x&AOk-") == "éxé"
    assert decode_mailbox("&AOk-&-&AOk-") == "é&é"


names = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@given(names)
def test_round_trip(name: str) -> None:
    wire = encode_mailbox(name)
    assert decode_mailbox(wire) == name
    assert is_valid_mailbox_utf7(wire)


@given(names)
def test_encoding_is_printable_ascii(name: str) -> None:
    wire = encode_mailbox(name)
    assert all(0x20 <= ord(c) <= 0x7E for c in wire)
    assert wire.count("/") == name.count("/")  # BASE64 writes "," for "/"


@given(st.text(st.sampled_from("&-AOk,+/ab2D3eA"), max_size=12))
def test_decode_accepts_only_the_canonical_form(wire: str) -> None:
    # whatever decodes must be what the encoder would have written
    try:
        name = decode_mailbox(wire)
    except ValueError:
        assert not is_valid_mailbox_utf7(wire)
    else:
        assert encode_mailbox(name) == wire
