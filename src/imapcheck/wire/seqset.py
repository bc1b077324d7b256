"""Sequence sets (RFC 3501 §9 ``sequence-set``, ``seq-range``, ``seq-number``).

``*`` stands for the largest number in use, ``4:2`` equals ``2:4`` and ``*:3`` equals ``3:*``.
Members are the numbers in use, ``1..largest``: a set names nothing beyond ``largest`` and, in
an empty mailbox (``largest == 0``), nothing at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_NUMBER = 0xFFFFFFFF  # nz-number is a non-zero unsigned 32-bit integer
MAX_MEMBERS = 10_000_000  # expand() refuses to build larger lists

Bound = int | None  # None means "*"

_NUMBER = r"(?:[1-9][0-9]*|\*)"
_SET = re.compile(rf"{_NUMBER}(?::{_NUMBER})?(?:,{_NUMBER}(?::{_NUMBER})?)*")


def _key(bound: Bound) -> float:
    return float("inf") if bound is None else bound


def _text(bound: Bound) -> str:
    return "*" if bound is None else str(bound)


@dataclass(frozen=True)
class SequenceSet:
    """A parsed sequence set.

    Each range is ``(low, high)`` with ``low <= high`` and ``None`` ("*") sorting last; a single
    number ``n`` is ``(n, n)``. Ranges keep the order in which they were written.
    """

    ranges: tuple[tuple[Bound, Bound], ...]

    def __post_init__(self) -> None:
        if not self.ranges:
            raise ValueError("a sequence set has at least one member")
        normal = []
        for low, high in self.ranges:
            for bound in (low, high):
                if bound is not None and not 1 <= bound <= MAX_NUMBER:
                    raise ValueError(f"{bound} is not a non-zero 32-bit number")
            normal.append((low, high) if _key(low) <= _key(high) else (high, low))
        object.__setattr__(self, "ranges", tuple(normal))

    @classmethod
    def parse(cls, text: str) -> SequenceSet:
        """Parse ``text`` exactly as the grammar allows; ValueError on anything else."""
        if not _SET.fullmatch(text):
            raise ValueError(f"not a sequence set: {text!r}")
        ranges: list[tuple[Bound, Bound]] = []
        for item in text.split(","):
            low, _, high = item.partition(":")
            first = None if low == "*" else int(low)
            second = first if not high else None if high == "*" else int(high)
            ranges.append((first, second))
        return cls(tuple(ranges))

    def __str__(self) -> str:
        return ",".join(
            _text(low) if low == high else f"{_text(low)}:{_text(high)}"
            for low, high in self.ranges
        )

    def _resolved(self, largest: int) -> list[tuple[int, int]]:
        """Ranges with "*" replaced by ``largest``, clipped to ``1..largest``, merged, sorted."""
        if largest < 0:
            raise ValueError("largest must be >= 0")
        spans = []
        for low, high in self.ranges:
            a = largest if low is None else low
            b = largest if high is None else high
            a, b = max(min(a, b), 1), min(max(a, b), largest)
            if a <= b:
                spans.append((a, b))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def contains(self, n: int, largest: int) -> bool:
        """True if ``n`` is a member when "*" is ``largest`` (never when ``largest`` is 0)."""
        if not 1 <= n <= largest:
            return False
        for low, high in self.ranges:
            a = largest if low is None else low
            b = largest if high is None else high
            if min(a, b) <= n <= max(a, b):
                return True
        return False

    def expand(self, largest: int) -> list[int]:
        """Sorted unique members when "*" is ``largest``; ValueError beyond MAX_MEMBERS."""
        spans = self._resolved(largest)
        size = sum(b - a + 1 for a, b in spans)
        if size > MAX_MEMBERS:
            raise ValueError(f"{size} members is more than expand() builds ({MAX_MEMBERS})")
        return [n for a, b in spans for n in range(a, b + 1)]


def format_sequence_set(numbers: Iterable[int]) -> str:
    """Compress numbers into a sequence set: ``[1, 2, 3, 5, 7, 8]`` -> ``"1:3,5,7:8"``.

    Order and duplicates do not matter. ValueError if empty or a number is not in 1..2**32-1.
    """
    values = sorted(set(numbers))
    if not values:
        raise ValueError("a sequence set has at least one member")
    if values[0] < 1 or values[-1] > MAX_NUMBER:
        raise ValueError("sequence numbers are in 1..4294967295")
    parts = []
    start = prev = values[0]
    for n in [*values[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}:{prev}")
        if n is not None:
            start = prev = n
    return ",".join(parts)
