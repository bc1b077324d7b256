"""Sequence sets (RFC 3501 §9)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imapcheck.wire import seqset
from imapcheck.wire.seqset import MAX_MEMBERS, SequenceSet, format_sequence_set


@pytest.mark.parametrize(
    ("text", "ranges", "canonical"),
    [
        ("1", ((1, 1),), "1"),
        ("*", ((None, None),), "*"),
        ("2:4", ((2, 4),), "2:4"),
        ("4:2", ((2, 4),), "2:4"),
        ("3:*", ((3, None),), "3:*"),
        ("*:3", ((3, None),), "3:*"),
        ("5:5", ((5, 5),), "5"),
        ("*:*", ((None, None),), "*"),
        ("2,4:7,9,12:*", ((2, 2), (4, 7), (9, 9), (12, None)), "2,4:7,9,12:*"),
        ("9,1,9", ((9, 9), (1, 1), (9, 9)), "9,1,9"),
        ("4294967295", ((4294967295, 4294967295),), "4294967295"),
    ],
)
def test_parse(
    text: str, ranges: tuple[tuple[int | None, int | None], ...], canonical: str
) -> None:
    parsed = SequenceSet.parse(text)
    assert parsed.ranges == ranges
    assert str(parsed) == canonical
    assert SequenceSet.parse(canonical) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0:3",
        "3:0",
        "01",
        " 1",
        "1 ",
        "1, 2",
        "+1",
        "-1",
        "1::2",
        ",1",
        "1,",
        "1,,2",
        "1:",
        ":1",
        "1:2:3",
        "**",
        "1*",
        "$",
        "a",
        "1.5",
        "4294967296",
        "1:99999999999",
        "\uff11",  # fullwidth digit one
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        SequenceSet.parse(text)


def test_constructor_validates_and_normalises() -> None:
    assert SequenceSet(((4, 2), (None, 3))) == SequenceSet.parse("2:4,3:*")
    for bad in [(), ((0, 1),), ((1, 2**32),)]:
        with pytest.raises(ValueError):
            SequenceSet(bad)


def test_rfc_example() -> None:
    # RFC 3501 §9: 2,4:7,9,12:* in a mailbox of 15 messages
    assert SequenceSet.parse("2,4:7,9,12:*").expand(15) == [2, 4, 5, 6, 7, 9, 12, 13, 14, 15]


def test_star_below_range_start() -> None:
    # RFC 3501 §9: 3291:* includes the last UID even if it is less than 3291
    uids = SequenceSet.parse("3291:*")
    assert uids.expand(100) == [100]
    assert uids.contains(100, 100)
    assert not uids.contains(99, 100)
    assert SequenceSet.parse("*:4").expand(6) == [4, 5, 6]


def test_members_are_clipped_to_largest() -> None:
    s = SequenceSet.parse("1:5,8")
    assert s.expand(3) == [1, 2, 3]
    assert not s.contains(4, 3)
    assert not s.contains(8, 7)
    assert s.contains(8, 8)
    assert not s.contains(0, 10)


def test_empty_mailbox_has_no_members() -> None:
    for text in ["*", "1", "1:*", "*:5", "1:4294967295"]:
        s = SequenceSet.parse(text)
        assert s.expand(0) == []
        assert not s.contains(0, 0)
        assert not s.contains(1, 0)


def test_negative_largest() -> None:
    with pytest.raises(ValueError):
        SequenceSet.parse("1").expand(-1)
    assert not SequenceSet.parse("*").contains(1, -1)


def test_expand_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    everything = SequenceSet.parse("1:*")
    with pytest.raises(ValueError, match="members"):
        everything.expand(2**32 - 1)  # refused before any list is built
    assert MAX_MEMBERS == 10_000_000
    monkeypatch.setattr(seqset, "MAX_MEMBERS", 1000)
    assert len(everything.expand(1000)) == 1000
    with pytest.raises(ValueError, match="1001 members"):
        everything.expand(1001)
    # overlapping ranges count once
    overlap = SequenceSet.parse(",".join(["1:900", "2:901", "*:5"] * 50))
    assert overlap.expand(901) == list(range(1, 902))
    assert SequenceSet.parse("1:4294967295").contains(4294967295, 4294967295)


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        ([1, 2, 3, 5, 7, 8], "1:3,5,7:8"),
        ([1], "1"),
        ([8, 7, 5, 3, 2, 1, 1, 5], "1:3,5,7:8"),
        ([2, 4, 6], "2,4,6"),
        ([1, 2], "1:2"),
        (range(10, 20), "10:19"),
        ([4294967295, 4294967294], "4294967294:4294967295"),
    ],
)
def test_format(numbers: list[int], text: str) -> None:
    assert format_sequence_set(numbers) == text
    assert format_sequence_set(iter(numbers)) == text


@pytest.mark.parametrize("numbers", [[], [0], [1, 0], [-3], [2**32]])
def test_format_rejects(numbers: list[int]) -> None:
    with pytest.raises(ValueError):
        format_sequence_set(numbers)


number_sets = st.sets(st.integers(1, 300), min_size=1, max_size=60)


@given(number_sets)
def test_format_parse_expand_round_trip(numbers: set[int]) -> None:
    text = format_sequence_set(numbers)
    parsed = SequenceSet.parse(text)
    assert str(parsed) == text
    assert parsed.expand(max(numbers)) == sorted(numbers)
    assert all(parsed.contains(n, 300) == (n in numbers) for n in range(0, 302))


bound = st.one_of(st.none(), st.integers(1, 60))
sets = st.lists(st.tuples(bound, bound), min_size=1, max_size=8).map(tuple).map(SequenceSet)


@given(sets, st.integers(0, 70))
def test_expand_agrees_with_contains(s: SequenceSet, largest: int) -> None:
    members = s.expand(largest)
    assert members == sorted(set(members))
    assert members == [n for n in range(0, largest + 2) if s.contains(n, largest)]


@given(sets, st.integers(0, 70))
def test_reversed_ranges_are_equal(s: SequenceSet, largest: int) -> None:
    flipped = SequenceSet(tuple((high, low) for low, high in s.ranges))
    assert flipped == s
    assert SequenceSet.parse(str(s)) == s
    reversed_text = ",".join(
        f"{'*' if h is None else h}:{'*' if lo is None else lo}" for lo, h in s.ranges
    )
    assert SequenceSet.parse(reversed_text).expand(largest) == s.expand(largest)
