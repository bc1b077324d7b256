"""Malformed and hostile server output: judged ungrammatical, with a reason, and never a crash."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imapcheck.errors import LimitExceeded
from imapcheck.syntax import check_greeting, check_response
from imapcheck.syntax.validator import UNJUDGED
from imapcheck.wire.reader import Frame, ResponseReader

SOURCES = {"imap-codec", "rfc9051", "extensions", "unknown-extension"}

# (response without its CRLF, a piece of the expected reason)
MALFORMED = [
    (b"* 1 FETCH (FLAGS (\\Seen)", "not closed by ')'"),
    (b"* EXISTS 3", 'number SP "EXISTS"'),
    (b"* 0x3 EXISTS", 'number SP "EXISTS"'),
    (b"* 1 EXISTS ", "RFC 3501 §7.3.1"),
    (b"* 4294967296 EXISTS", "32-bit"),
    (b"A1 MAYBE x", "OK, NO or BAD"),
    (b"A1 OK", "without SP and text"),
    (b"* BYE", "without SP and text"),
    (b"+", "'+' must be followed by SP"),
    (b"* OK [UIDNEXT abc] x", '"UIDNEXT" SP nz-number'),
    (b"* OK [UNSEEN 0] x", '"UNSEEN" SP nz-number'),
    (b"* OK [HIGHESTMODSEQ 0] x", "RFC 7162"),
    (b"* OK [UIDVALIDITY 4294967296] x", "32-bit"),
    (b"* OK [NONEXISTENT foo] x", "takes no arguments"),
    (b"* NO [METADATA TOOMUCH] x", "RFC 5464"),
    (b"* OK [ hello", "not closed by ']'"),
    (b"+ [ALERT", "not closed by ']'"),
    (b"* OK [ALERT]x", "followed by SP"),
    (b"* OK [XFOO \x80] x", "unknown response code XFOO"),
    (b"* OK hello \xff\xfe", "not valid UTF-8"),
    (b"* CAPABILITY IDLE LITERAL+", "lacks IMAP4rev1"),
    (b"* OK [CAPABILITY IDLE] ready", "lacks IMAP4rev1"),
    (b"* PREAUTH logged in", "only valid as the greeting"),
    (b"* 1 FETCH (MODSEQ (x))", "RFC 7162"),
    (b"* 1 FETCH (FLAGS () MODSEQ (12345678901234567890))", "63-bit"),
    (b"* 1 FETCH (UID 0)", '"UID" SP uniqueid'),
    (b"* 1 FETCH (UID 4294967296)", "32-bit"),
    (b"* 1 FETCH ()", "no data items"),
    (b"* 1 FETCH (UID 5 X-FOO)", "not followed by SP and a value"),
    (b"* 1 FETCH (UID 1) x", "after the closing ')'"),
    (b"* 1 FETCH (UID 1)  ", "after the closing ')'"),
    (b'* 1 FETCH (INTERNALDATE "1-Nov-2026 21:12:41 +0000")', "date-time"),
    (b"* 1 FETCH (ENVELOPE (NIL))", "envelope"),
    (b'* 1 FETCH (BODYSTRUCTURE ("text" "plain"))', "body"),
    (b'* 1 FETCH (X-FOO "unterminated)', "unterminated quoted string"),
    (b"* 1 FETCH (x\x80 1)", "not an atom"),
    (b"* 0 FETCH (UID 1)", "nz-number"),
    (b"* SEARCH 0", "RFC 3501 §7.2.5"),
    (b'* LIST () "//" INBOX', "mailbox-list"),
    (b'* LIST (\\Noselect) "/" f\xc3\xa9', "mailbox-list"),
    (b'* LIST () "/" "\xff"', "mailbox-list"),
    (b'* 5 LIST () "/" x', "mailbox-list"),
    (b"* FLAGS (\\*)", "flag-list"),
    (b"* STATUS INBOX (MESSAGES x)", "RFC 3501 §7.2.4"),
    (b'* ESEARCH (TAG "a") MIN 0', "RFC 4731"),
    (b"* VANISHED (EARLIER) 1:3,*", "known-uids"),
    (b"* THREAD (1 (2))", "RFC 5256"),
    (b"* THREAD ", "RFC 5256"),  # Dovecot 2.3.19 sends this for a THREAD matching nothing
    (b'* QUOTA "" (STORAGE 10)', "RFC 2087"),
    (b'* ID ("name")', "RFC 2971"),
    (b"* ENABLED CONDSTORE ", "RFC 5161"),
    (b"* NAMESPACE NIL NIL", "RFC 2342"),
    (b"* XFOO (a b", "unbalanced '('"),
    (b"* XFOO a)", "unbalanced ')'"),
    (b"* XFOO a\x80", "byte 0x80"),
    (b"* XFOO a  b", "one SP"),
    (b"* X\x80FOO a", "not an atom"),
    (b"*  1 EXISTS", "one SP and a response keyword"),
    (b" * OK x", "neither '*', '+' nor a tag"),
    (b"", "neither '*', '+' nor a tag"),
    (b"A1 OK \x00 x", "NUL"),
    (b"* OK a\rb", "bare CR"),
]


def frame(data: bytes) -> Frame:
    reader = ResponseReader(max_line=4 << 20)
    reader.feed(data)
    (single,) = reader.frames()
    return single


@pytest.mark.parametrize(("line", "why"), MALFORMED, ids=[repr(m[0])[:40] for m in MALFORMED])
def test_malformed_response_fails_with_reason(line: bytes, why: str) -> None:
    verdict = check_response(frame(line + b"\r\n"))
    assert not verdict.ok
    assert verdict.source == ""
    assert why in verdict.reason
    assert "\n" not in verdict.reason


def test_line_ending_problems() -> None:
    assert "bare LF" in check_response(frame(b"A1 OK done\n")).reason
    assert "CRLF" in check_response(Frame((b"* OK no line end",))).reason
    literal_nul = frame(b"* 1 FETCH (BODY[] {3}\r\na\x00c)\r\n")
    assert "literal8" in check_response(literal_nul).reason
    assert check_response(frame(b"* 1 FETCH (BINARY[] ~{3}\r\na\x00c)\r\n")).ok


def test_frames_the_reader_never_makes() -> None:
    assert "do not fit" in check_response(Frame(())).reason
    assert "do not fit" in check_greeting(Frame(())).reason
    short = Frame((b"* 1 FETCH (BODY[] {3}\r\n", b")\r\n"), (b"abcdef",))
    assert "octets" in check_response(short).reason


def test_unexpected_continuation() -> None:
    verdict = check_response(frame(b"+ go ahead\r\n"), expect_continuation_ok=False)
    assert (verdict.ok, verdict.kind) == (False, "continuation")
    assert "RFC 3501 §7.5" in verdict.reason


@pytest.mark.parametrize(
    "line", [b"A1 OK hello", b"* NO busy", b"+ ready", b"* OK", b"* 1 EXISTS", b"* OK [UNSEEN 0] x"]
)
def test_bad_greeting(line: bytes) -> None:
    verdict = check_greeting(frame(line + b"\r\n"))
    assert not verdict.ok and verdict.kind == "greeting" and "RFC" in verdict.reason


def deep(n: int) -> bytes:
    return b"(" * n + b")" * n


HOSTILE = [
    b"* 1 FETCH (BODY " + deep(10_000) + b")\r\n",
    b"* 1 FETCH (X-FOO " + deep(10_000) + b")\r\n",
    b"* XFOO " + deep(10_000) + b"\r\n",
    b"* XFOO " + b"(" * 10_000 + b"\r\n",
    b"* LIST " + deep(10_000) + b' "/" x\r\n',
    b"* OK [PERMANENTFLAGS " + deep(10_000) + b"] x\r\n",
    b'* LIST () "/" ' + b"a" * 200_000 + b"\x80\r\n",
    b'* STATUS "' + b"a" * 200_000 + b'\xff" (MESSAGES 1)\r\n',
    b"* XFOO " + b"a " * 40_000 + b"b \r\n",
    b"* 1 FETCH (UID 1 " + b"X-A 1 " * 8_000 + b"X-B \x80)\r\n",
    bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n",
]


@pytest.mark.parametrize("data", HOSTILE, ids=[repr(h[:24]) for h in HOSTILE])
def test_hostile_input_fails_quickly(data: bytes) -> None:
    started = time.perf_counter()
    verdict = check_response(frame(data))
    assert not verdict.ok and verdict.reason
    assert time.perf_counter() - started < 1.5


LONG_VALID = [
    b"* OK " + b"x" * 1_000_000 + b"\r\n",
    b"A1 OK " + b"(" * 100_000 + b"\r\n",  # text, not a list
    b"* XFOO " + b"a " * 40_000 + b"b\r\n",
    b"A1 OK \xc3\xa9" + b"y" * 100_000 + b"\r\n",
    b"* SEARCH " + b" ".join(b"%d" % n for n in range(1, 30_001)) + b" (MODSEQ 5)\r\n",
    b"* VANISHED (EARLIER) " + b",".join(b"%d" % (2 * n + 1) for n in range(100_000)) + b"\r\n",
    b'* ESEARCH (TAG "x") UID ALL '
    + b",".join(b"%d:%d" % (n, n + 1) for n in range(1, 60_000, 3))
    + b" MODSEQ 9\r\n",
    b'* STATUS "' + b"b" * 200_000 + b'" (MESSAGES 1 HIGHESTMODSEQ 7)\r\n',
    b"* XFOO " + b"(a " * 200 + b"b" + b")" * 200 + b"\r\n",
    b"* 1 FETCH (MODSEQ (9) BODY[] {200000}\r\n" + b"z" * 200_000 + b")\r\n",
    b"* 1 FETCH (UID 1 " + b"X-A 1 " * 8_000 + b"MODSEQ (3))\r\n",
]


@pytest.mark.parametrize("data", LONG_VALID, ids=[repr(v[:24]) for v in LONG_VALID])
def test_long_valid_responses_pass_quickly(data: bytes) -> None:
    started = time.perf_counter()
    verdict = check_response(frame(data))
    assert verdict.ok, verdict.reason
    assert time.perf_counter() - started < 1.5


@pytest.mark.parametrize(("extra", "source"), [(b"", "rfc9051"), (b"MODSEQ (2) ", "extensions")])
def test_deeply_nested_bodystructure_beyond_imap_codec(extra: bytes, source: str) -> None:
    body = b'("text" "plain" NIL NIL NIL "7bit" 1 1)'
    for _ in range(60):  # imap-codec stops at 7 levels, the ABNF goes on on a thread
        body = b"(" + body + b' "mixed")'
    data = b"* 1 FETCH (UID 1 " + extra + b"BODYSTRUCTURE " + body + b")\r\n"
    verdict = check_response(frame(data))
    assert verdict.ok and verdict.source == source, verdict.reason


PIECES = [
    b"*",
    b"+",
    b"A1",
    b" ",
    b"(",
    b")",
    b"[",
    b"]",
    b"<0>",
    b"\r\n",
    b"OK",
    b"NO",
    b"BYE",
    b"FETCH",
    b"1",
    b"0",
    b"4294967296",
    b"UID",
    b"MODSEQ",
    b"FLAGS",
    b"\\Seen",
    b"NIL",
    b'"x"',
    b'"',
    b"{3}\r\nabc",
    b"~{2}\r\n\x00\x01",
    b"BODY[",
    b"BODYSTRUCTURE",
    b"ESEARCH",
    b"STATUS",
    b"INBOX",
    b"VANISHED",
    b"1:3,5",
    b"*",
    b"CAPABILITY",
    b"IMAP4rev1",
    b"X-GM",
    b"\x80",
    b"\xc3\xa9",
    b"UIDNEXT",
    b"HIGHESTMODSEQ",
    b"\t",
    b"\x00",
    b"\n",
    b"\r",
]


def frames_of(data: bytes) -> list[Frame]:
    reader = ResponseReader(max_line=2048, max_literal=2048)
    reader.feed(data + b"\r\n")
    try:
        return reader.frames()
    except LimitExceeded:
        return []


def assert_sane(frame_: Frame) -> None:
    for verdict in (check_response(frame_), check_greeting(frame_)):
        assert isinstance(verdict.ok, bool)
        if verdict.ok:
            assert verdict.source in SOURCES and not verdict.reason
        else:
            assert verdict.source == "" and verdict.reason and "\n" not in verdict.reason
            assert UNJUDGED not in verdict.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    for frame_ in frames_of(data):
        assert_sane(frame_)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_never_raises_on_imap_like_bytes(pieces: list[bytes]) -> None:
    for frame_ in frames_of(b"".join(pieces)):
        assert_sane(frame_)


@pytest.mark.parametrize(
    ("line", "ok"),
    [
        (b"* 1 FETCH (UID 02)", False),  # imap-codec 0.1.0 reads these leading zeros
        (b"* 01 EXPUNGE", False),
        (b"* SEARCH 01 2", False),
        (b"* OK [UIDNEXT 05] x", False),
        (b"* 1 FETCH (BODY[1.02] NIL)", False),
        (b"* 01 EXISTS", True),  # number, unlike nz-number, may have them
        (b"* 1 FETCH (RFC822.SIZE 0012)", True),
        (b'* 1 FETCH (INTERNALDATE "01-Jan-2024 09:05:03 +0000")', True),
        (b"A1 OK done (0.001 + 0.000 secs).", True),
    ],
)
def test_leading_zeros(line: bytes, ok: bool) -> None:
    verdict = check_response(frame(line + b"\r\n"))
    assert verdict.ok is ok, verdict.reason
