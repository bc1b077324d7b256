"""The bounded, literal-aware response reader, fed friendly and hostile bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imapcheck.errors import LimitExceeded, ProtocolError
from imapcheck.wire.reader import Frame, ResponseReader, literal_size

FETCH = b"* 1 FETCH (BODY[] {5}\r\nhello FLAGS (\\Seen))\r\n"


def frames_of(*chunks: bytes, **limits: int) -> list[Frame]:
    reader = ResponseReader(**limits)
    out: list[Frame] = []
    for chunk in chunks:
        reader.feed(chunk)
        out += reader.frames()
    assert reader.pending() == 0
    return out


def test_simple_lines() -> None:
    frames = frames_of(b"* OK ready\r\na1 OK done\r\n")
    assert [f.lines for f in frames] == [(b"* OK ready\r\n",), (b"a1 OK done\r\n",)]
    assert frames[0].literals == ()
    assert frames[0].first_line == b"* OK ready\r\n"
    assert frames[0].raw == b"* OK ready\r\n"
    assert len(frames[0]) == 12


def test_literal_frame() -> None:
    (frame,) = frames_of(FETCH)
    assert frame.lines == (b"* 1 FETCH (BODY[] {5}\r\n", b" FLAGS (\\Seen))\r\n")
    assert frame.literals == (b"hello",)
    assert frame.raw == FETCH
    assert len(frame) == len(FETCH)


def test_several_frames_in_one_feed() -> None:
    data = b"* 2 EXISTS\r\n" + FETCH + b"* 3 FETCH (X {0}\r\n)\r\n" + b"a1 OK\r\n"
    frames = frames_of(data)
    assert [f.raw for f in frames] == [
        b"* 2 EXISTS\r\n",
        FETCH,
        b"* 3 FETCH (X {0}\r\n)\r\n",
        b"a1 OK\r\n",
    ]
    assert frames[2].literals == (b"",)


def test_one_byte_at_a_time() -> None:
    data = b"* OK hi\r\n" + FETCH + b"* 1 FETCH (A {2}\r\n\r\n B {3}\r\n{1})\r\n"
    reader = ResponseReader()
    got = []
    for i in range(len(data)):
        reader.feed(data[i : i + 1])
        got += reader.frames()
    assert [f.raw for f in got] == [b"* OK hi\r\n", FETCH, data[9 + len(FETCH) :]]
    assert got[2].literals == (b"\r\n", b"{1}")
    assert got[2].lines == (b"* 1 FETCH (A {2}\r\n", b" B {3}\r\n", b")\r\n")


def test_literal_split_over_many_feeds() -> None:
    body = bytes(range(256)) * 40
    data = b"* 1 FETCH (BODY[] {%d}\r\n" % len(body) + body + b")\r\n"
    reader = ResponseReader()
    got = []
    for start in range(0, len(data), 97):
        reader.feed(data[start : start + 97])
        got += reader.frames()
        if start + 97 < len(data):
            assert reader.pending() == start + 97  # nothing lost while waiting
    assert [f.literals for f in got] == [(body,)]


def test_incomplete_frame_waits() -> None:
    reader = ResponseReader()
    reader.feed(b"* 1 FETCH (BODY[] {5}\r\nhel")
    assert reader.next_frame() is None
    assert reader.pending() == 26
    reader.feed(b"lo)\r\n* OK")
    assert reader.next_frame() == Frame((b"* 1 FETCH (BODY[] {5}\r\n", b")\r\n"), (b"hello",))
    assert reader.next_frame() is None
    assert reader.pending() == 4


def test_nul_and_invalid_utf8_pass_through() -> None:
    line = b"* OK \x00\xff\xfe\xc3(\x80\r\n"
    literal = b"\x00\r\n\xff\xc0\xaf\x00"
    data = line + b"* 1 FETCH (BODY[] {7}\r\n" + literal + b" \x00)\r\n"
    frames = frames_of(data)
    assert frames[0].lines == (line,)
    assert frames[1].literals == (literal,)
    assert frames[1].lines[1] == b" \x00)\r\n"
    assert b"".join(f.raw for f in frames) == data


def test_literal8_and_literal_plus_headers() -> None:
    data = b"* 1 FETCH (BINARY[] ~{3}\r\n\x00\x01\x02)\r\n* X {2+}\r\nab\r\n"
    frames = frames_of(data)
    assert [f.literals for f in frames] == [(b"\x00\x01\x02",), (b"ab",)]
    assert frames[0].raw + frames[1].raw == data


@pytest.mark.parametrize(
    "line",
    [
        b"* OK }\r\n",
        b"* OK {}\r\n",
        b"* OK {5 }\r\n",
        b"* OK { 5}\r\n",
        b"* OK {-5}\r\n",
        b"* OK {5}x\r\n",
        b"* OK {5}\n",  # bare LF is not a literal header
        b"* OK {5\r\n",
        b"* OK {+}\r\n",
        b"* OK {5++}\r\n",
        b"* OK ~{x}\r\n",
        b"* OK {0x5}\r\n",
    ],
)
def test_not_a_literal_header(line: bytes) -> None:
    assert literal_size(line) is None
    assert frames_of(line) == [Frame((line,))]


@pytest.mark.parametrize(
    ("line", "size"),
    [
        (b"{0}\r\n", 0),
        (b"* OK {5}\r\n", 5),
        (b"* OK {5+}\r\n", 5),
        (b"* OK ~{5}\r\n", 5),
        (b"* OK ~{5+}\r\n", 5),
        (b"* OK {3} {7}\r\n", 7),
        (b"* OK {007}\r\n", 7),
        (b"* OK {" + b"0" * 30 + b"12}\r\n", 12),
        (b"* OK {18446744073709551615}\r\n", 2**64 - 1),
    ],
)
def test_literal_size(line: bytes, size: int) -> None:
    assert literal_size(line) == size


def test_line_without_end_is_bounded() -> None:
    reader = ResponseReader(max_line=100)
    reader.feed(b"* OK " + b"x" * 95)
    assert reader.next_frame() is None  # exactly max_line bytes so far
    reader.feed(b"x")
    with pytest.raises(LimitExceeded, match="100"):
        reader.next_frame()


def test_line_without_end_fed_byte_by_byte_is_bounded() -> None:
    reader = ResponseReader(max_line=1000)
    with pytest.raises(LimitExceeded):
        for _ in range(2000):
            reader.feed(b"A")
            reader.next_frame()
    assert reader.pending() == 1001


def test_long_line_with_end_is_refused() -> None:
    reader = ResponseReader(max_line=50)
    reader.feed(b"* OK " + b"x" * 60 + b"\r\n")
    with pytest.raises(LimitExceeded):
        reader.next_frame()
    assert issubclass(LimitExceeded, ProtocolError)


def test_line_after_a_literal_is_bounded() -> None:
    reader = ResponseReader(max_line=50)
    reader.feed(b"* 1 FETCH (BODY[] {3}\r\nabc" + b"y" * 51)
    with pytest.raises(LimitExceeded):
        reader.next_frame()


@pytest.mark.parametrize("header", [b"{4294967296}", b"~{4294967296}", b"{4294967296+}"])
def test_literal_of_4gb_is_refused_before_its_bytes(header: bytes) -> None:
    reader = ResponseReader()
    reader.feed(b"* 1 FETCH (BODY[] " + header + b"\r\n")
    with pytest.raises(LimitExceeded, match="4294967296"):
        reader.next_frame()


def test_literal_limit_is_inclusive() -> None:
    assert frames_of(b"* X {10}\r\n0123456789)\r\n", max_literal=10)[0].literals == (b"0123456789",)
    reader = ResponseReader(max_literal=10)
    reader.feed(b"* X {11}\r\n")
    with pytest.raises(LimitExceeded):
        reader.next_frame()


@pytest.mark.parametrize("digits", [21, 40, 5000, 100_000])
def test_literal_with_a_huge_size_is_refused(digits: int) -> None:
    reader = ResponseReader()
    reader.feed(b"* 1 FETCH (BODY[] {" + b"9" * digits + b"}\r\na1 OK fake\r\n")
    with pytest.raises(LimitExceeded):
        reader.next_frame()


def test_many_literals_in_one_frame_are_bounded() -> None:
    reader = ResponseReader(max_line=100, max_literal=100, max_frame=1000)
    with pytest.raises(LimitExceeded, match="1000"):
        for _ in range(100):
            reader.feed(b"* 1 FETCH (A {90}\r\n" + b"z" * 90)
            assert reader.next_frame() is None


def test_many_empty_literals_in_one_frame_are_bounded() -> None:
    reader = ResponseReader(max_frame=1000)
    with pytest.raises(LimitExceeded):
        for _ in range(1000):
            reader.feed(b"{0}\r\n")
            assert reader.next_frame() is None


def test_frame_limit_leaves_room_for_a_frame_of_exactly_the_limit() -> None:
    data = b"* X {4}\r\nabcd)\r\n"
    assert frames_of(data, max_frame=len(data))[0].raw == data
    reader = ResponseReader(max_frame=len(data) - 1)
    reader.feed(data)
    with pytest.raises(LimitExceeded):
        reader.next_frame()


@given(st.lists(st.binary(max_size=30), max_size=6), st.data())
def test_any_split_gives_the_same_frames(literals: list[bytes], data: st.DataObject) -> None:
    wire = b"".join(
        b"* %d X {%d}\r\n" % (i, len(lit)) + lit + b"\r\n" for i, lit in enumerate(literals)
    )
    wire += b"a1 OK \x00\xff\r\n"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    chunks = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    frames = frames_of(*chunks)
    assert [f.literals for f in frames[:-1]] == [(lit,) for lit in literals]
    assert b"".join(f.raw for f in frames) == wire
