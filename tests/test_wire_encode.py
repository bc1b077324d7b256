"""Argument encoding and command rendering (RFC 3501 §4, §9; RFC 7888; RFC 3516)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imapcheck.wire.encode import (
    Literal,
    astring,
    is_astring_atom,
    is_atom,
    is_quotable,
    quoted,
    render_command,
    render_line,
    string,
)
from imapcheck.wire.reader import ResponseReader

ATOM_SPECIALS = b'(){ %*"\\]'


@pytest.mark.parametrize("value", [b"INBOX", b"a", b"joe", b"x-y.z_1", b"!#$&'+,-./:;<=>?@[^`|}~"])
def test_atoms(value: bytes) -> None:
    assert is_atom(value)
    assert is_astring_atom(value)


@pytest.mark.parametrize("special", [bytes([c]) for c in ATOM_SPECIALS])
def test_atom_specials_are_not_atom_chars(special: bytes) -> None:
    assert not is_atom(b"a" + special + b"b")


def test_close_bracket_is_an_astring_char_but_not_an_atom_char() -> None:
    assert not is_atom(b"a]")
    assert is_astring_atom(b"a]")
    assert is_astring_atom(b"]")
    assert not is_astring_atom(b"a[b]c{")


@pytest.mark.parametrize(
    "value", [b"", b"\x00", b"a\x1fb", b"a\x7f", b"caf\xc3\xa9", b"\x80", b"a b"]
)
def test_not_atoms(value: bytes) -> None:
    assert not is_atom(value)
    assert not is_astring_atom(value)


def test_every_octet_classified() -> None:
    atom = {c for c in range(256) if is_atom(bytes([c]))}
    assert atom == set(range(0x21, 0x7F)) - set(ATOM_SPECIALS)
    astr = {c for c in range(256) if is_astring_atom(bytes([c]))}
    assert astr == atom | {0x5D}


def test_str_is_encoded_as_utf8() -> None:
    assert is_atom("INBOX")
    assert not is_atom("café")
    assert quoted("a b") == b'"a b"'


def test_quoted_escapes_backslash_and_quote() -> None:
    assert quoted(b"") == b'""'
    assert quoted(b'a"b') == b'"a\\"b"'
    assert quoted(b"a\\b") == b'"a\\\\b"'
    assert quoted(b'\\"') == b'"\\\\\\""'
    assert quoted(b"\t\x7f(){}*%") == b'"\t\x7f(){}*%"'


@pytest.mark.parametrize("value", [b"a\rb", b"a\nb", b"a\x00b", b"caf\xc3\xa9", "café"])
def test_unquotable(value: bytes | str) -> None:
    assert not is_quotable(value)
    with pytest.raises(ValueError):
        quoted(value)


def test_astring_choice() -> None:
    assert astring("INBOX") == b"INBOX"
    assert astring(b"a]b") == b"a]b"
    assert astring(b"NIL") == b"NIL"
    assert astring(b"") == b'""'
    assert astring("p w") == b'"p w"'
    assert astring(b"50%") == b'"50%"'
    assert astring(b'a"b') == b'"a\\"b"'
    assert astring("café") == Literal("café".encode())
    assert astring(b"a\r\nb", literal_plus=True) == Literal(b"a\r\nb", non_sync=True)


def test_string_is_never_an_atom() -> None:
    assert string(b"INBOX") == b'"INBOX"'
    assert string(b"") == b'""'
    assert string(b"\x00") == Literal(b"\x00")
    assert string(b"\xff", literal_plus=True) == Literal(b"\xff", non_sync=True)


def test_literal_headers() -> None:
    assert Literal(b"abc").header() == b"{3}\r\n"
    assert Literal(b"abc", non_sync=True).header() == b"{3+}\r\n"
    assert Literal(b"", binary=True).header() == b"~{0}\r\n"
    assert Literal(b"\x00\x01", non_sync=True, binary=True).header() == b"~{2+}\r\n"


def test_render_without_args() -> None:
    assert render_command("a1", "NOOP", []) == [b"a1 NOOP\r\n"]
    assert render_command("a2", "UID FETCH", [b"1:*", "(FLAGS)"]) == [
        b"a2 UID FETCH 1:* (FLAGS)\r\n"
    ]


def test_render_sync_literal_splits_segments() -> None:
    assert render_command("a1", "LOGIN", [b"joe", Literal(b"p w")]) == [
        b"a1 LOGIN joe {3}\r\n",
        b"p w\r\n",
    ]


def test_render_non_sync_literal_stays_inline() -> None:
    assert render_command("a1", "LOGIN", [b"joe", Literal(b"p w", non_sync=True)]) == [
        b"a1 LOGIN joe {3+}\r\np w\r\n"
    ]


def test_render_literal8() -> None:
    data = b"\x00\xffbin"
    assert render_command("b", "APPEND", [b"INBOX", Literal(data, binary=True)]) == [
        b"b APPEND INBOX ~{5}\r\n",
        data + b"\r\n",
    ]
    assert render_command("b", "APPEND", [b"INBOX", Literal(data, True, True)]) == [
        b"b APPEND INBOX ~{5+}\r\n\x00\xffbin\r\n"
    ]


def test_render_literals_in_a_row_and_args_after() -> None:
    segments = render_command("t", "LOGIN", [Literal(b"joe"), Literal(b""), b"X", Literal(b"z")])
    assert segments == [b"t LOGIN {3}\r\n", b"joe {0}\r\n", b" X {1}\r\n", b"z\r\n"]
    assert (
        render_line("t", "LOGIN", [Literal(b"joe"), Literal(b"")])
        == b"t LOGIN {3}\r\njoe {0}\r\n\r\n"
    )


def test_render_mixed_sync_and_non_sync() -> None:
    args = [Literal(b"a", non_sync=True), Literal(b"bc"), "é"]
    assert render_command("t", "X", args) == [b"t X {1+}\r\na {2}\r\n", "bc é\r\n".encode()]


def test_verbatim_args_are_not_checked() -> None:
    # the caller controls exact bytes, malformed ones included
    assert render_line("t", "NOOP", [b"\r\n", b"", "\x00"]) == b"t NOOP \r\n  \x00\r\n"


@given(st.binary(max_size=40), st.booleans())
def test_astring_is_lossless_and_frameable(value: bytes, plus: bool) -> None:
    arg = astring(value, literal_plus=plus)
    if isinstance(arg, Literal):
        assert arg.data == value and arg.non_sync is plus and not arg.binary
        assert not is_quotable(value)
    elif arg.startswith(b'"'):
        assert not is_astring_atom(value) and is_quotable(value)
        assert arg == quoted(value)
    else:
        assert arg == value and is_astring_atom(value)
    # the rendered command is one frame for a literal-aware reader
    reader = ResponseReader()
    reader.feed(render_line("t", "X", [arg]))
    frame = reader.next_frame()
    assert frame is not None and reader.pending() == 0
    if isinstance(arg, Literal):
        assert frame.literals == (value,)


@given(st.binary(max_size=40).filter(is_quotable))
def test_quoted_round_trip(value: bytes) -> None:
    text = quoted(value)
    assert text[0] == text[-1] == ord('"')
    out, escape = bytearray(), False
    for c in text[1:-1]:
        if escape:
            assert c in b'"\\'
            out.append(c)
            escape = False
        elif c == ord("\\"):
            escape = True
        else:
            assert c != ord('"')
            out.append(c)
    assert not escape
    assert bytes(out) == value
