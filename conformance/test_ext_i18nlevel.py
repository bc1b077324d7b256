"""I18NLEVEL=1 (RFC 5255 §4): SEARCH and SORT compare with i;unicode-casemap (RFC 5051) after
removing MIME encodings: case-insensitive beyond ASCII, canonical decomposition, UTF-8 order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers_ext import sort_result
from helpers_fetch import Box, Spec, filled_box, opened, search_result

from imapcheck.wire.encode import Literal

pytestmark = pytest.mark.requires("I18NLEVEL=1")
UTF8_TEXT = b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
MESSAGES = [
    # RFC 2047 ISO-8859-1 subject "Grüße aus Köln"; quoted-printable body "Straße und Café"
    b"Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\r\n" + UTF8_TEXT
    + b"Content-Transfer-Encoding: quoted-printable\r\n\r\nStra=C3=9Fe und Caf=C3=A9\r\n",
    # body with a decomposed e + U+0301 COMBINING ACUTE ACCENT
    b"Subject: zebra\r\n" + UTF8_TEXT + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    + "cafe\u0301 decomposed\r\n".encode(),
    b"Subject: =?UTF-8?B?w4ltaWxl?=\r\n\r\nsubject: \xc3\x89mile, base64 encoded word\r\n",
    b"Subject: apple\r\n\r\nplain\r\n",
]  # fmt: skip


@pytest.fixture(scope="module")
def i18n_box(target, sandbox) -> Iterator[Box]:
    with filled_box(target, sandbox, "i18n", [Spec(m) for m in MESSAGES]) as made:
        yield made


def search(session, key: bytes, value: str) -> list[int]:
    reply = session.command("SEARCH", b"CHARSET", b"UTF-8", key, Literal(value.encode()))
    assert reply.ok, f"SEARCH CHARSET UTF-8 {key.decode()} {value!r} failed: {reply.summary()}"
    return search_result(reply)


@pytest.mark.rfc("5255", "4.6", "MUST")
@pytest.mark.parametrize("value", ["köln", "KÖLN", "üßE AUS kö"], ids=["lower", "upper", "mixed"])
def test_search_is_unicode_case_insensitive_after_decoding(connect, i18n_box, value):
    got = search(opened(connect, i18n_box), b"SUBJECT", value)
    assert got == [1], (
        "with I18NLEVEL=1 SUBJECT matches with i;unicode-casemap after the RFC 2047 encoding is "
        f"removed (RFC 5255 §4.2, §4.6 (a)): {value!r} is in 'Grüße aus Köln' (message 1): {got}"
    )


@pytest.mark.rfc("5255", "4.6", "MUST")
def test_search_body_after_transfer_decoding(connect, i18n_box):
    got = search(opened(connect, i18n_box), b"BODY", "STRAßE")
    assert got == [1], (
        "MIME encoding MUST be removed in the texts being collated (RFC 5255 §4.6 (a)): the "
        f"quoted-printable body 'Straße' must match BODY 'STRAßE', got {got}"
    )


@pytest.mark.rfc("5255", "4.2", "MUST")
def test_search_uses_canonical_decomposition(connect, i18n_box):
    got = search(opened(connect, i18n_box), b"BODY", "CAFÉ")
    assert got == [1, 2], (
        "i;unicode-casemap compares titlecased, canonically decomposed strings (RFC 5051), so "
        "'CAFÉ' (precomposed) matches 'Café' and 'cafe\\u0301' (decomposed), got "
        f"{got} (RFC 5255 §4.2: a I18NLEVEL=1 server MUST implement i;unicode-casemap)"
    )


@pytest.mark.rfc("5255", "4.2", "MUST")
@pytest.mark.requires("SORT")
def test_sort_subject_by_unicode_casemap(connect, i18n_box):
    reply = opened(connect, i18n_box).command("SORT", b"(SUBJECT)", b"UTF-8", b"ALL")
    assert reply.ok, f"SORT (SUBJECT) failed: {reply.summary()}"
    got = sort_result(reply)
    assert got == [4, 3, 1, 2], (
        "the active comparator applies to SORT (SUBJECT) (RFC 5255 §4.2): decomposed and "
        "titlecased, 'Émile' sorts as 'E\\u0301MILE', so apple, Émile, Grüße, zebra = "
        f"[4, 3, 1, 2]; got {got}"
    )
