"""WITHIN (RFC 5032): SEARCH YOUNGER/OLDER <seconds> against the INTERNALDATE set by APPEND
(ten days ago, two hours ago, now), with margins of an hour either side."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from helpers_ext import imap_date, message
from helpers_fetch import Box, Spec, filled_box, opened, search_result

pytestmark = pytest.mark.requires("WITHIN")
HOUR, DAY = 3600, 86400


@pytest.fixture(scope="module")
def within_box(target, sandbox) -> Iterator[Box]:
    now = time.time()
    specs = [
        Spec(message(1, "within"), (), imap_date(now - 10 * DAY)),
        Spec(message(2, "within"), (), imap_date(now - 2 * HOUR)),
        Spec(message(3, "within")),  # INTERNALDATE: the time of the APPEND
    ]
    with filled_box(target, sandbox, "within", specs) as made:
        yield made


CASES = [
    ("YOUNGER", HOUR, [3]),
    ("YOUNGER", 3 * HOUR, [2, 3]),
    ("YOUNGER", 20 * DAY, [1, 2, 3]),
    ("OLDER", HOUR, [1, 2]),
    ("OLDER", 3 * HOUR, [1]),
    ("OLDER", 20 * DAY, []),
]


@pytest.mark.rfc("5032", "2", "MUST")
@pytest.mark.parametrize("key,interval,want", CASES, ids=[f"{k}-{i}" for k, i, _ in CASES])
def test_search_by_age(connect, within_box, key, interval, want):
    reply = opened(connect, within_box).command("SEARCH", key.encode(), str(interval).encode())
    assert reply.ok, f"SEARCH {key} {interval} failed: {reply.summary()}"
    got = search_result(reply)
    assert got == want, (
        f"SEARCH {key} {interval}: the target time is now minus {interval}s; OLDER matches an "
        "INTERNALDATE at or before it, YOUNGER at or after it (RFC 5032 §2). Messages are 10 "
        f"days, 2 hours and 0 s old: expected {want}, got {got}"
    )


@pytest.mark.rfc("5032", "2", "MUST")
def test_uid_search_by_age(connect, within_box):
    reply = opened(connect, within_box).command(
        "UID", b"SEARCH", b"YOUNGER", str(3 * HOUR).encode()
    )
    want = [within_box.uid(2), within_box.uid(3)]
    assert search_result(reply) == want, f"UID SEARCH YOUNGER must give {want}: {reply.summary()}"


@pytest.mark.rfc("5032", "2", "MUST")
def test_age_keys_combine_with_others(connect, within_box):
    session = opened(connect, within_box)
    either = session.command("SEARCH", b"OR", b"OLDER", str(5 * DAY).encode(), b"YOUNGER", b"600")
    assert search_result(either) == [1, 3], (
        f"OR OLDER 5 days YOUNGER 600 s matches the oldest and the newest: {search_result(either)}"
    )
    narrowed = session.command(
        "SEARCH", b"YOUNGER", str(3 * HOUR).encode(), b"NOT", b"SUBJECT", b'"within 3"'
    )
    assert search_result(narrowed) == [2], (
        f'YOUNGER 3 h NOT SUBJECT "within 3" matches message 2 only, got {search_result(narrowed)}'
    )


@pytest.mark.rfc("5032", "3", "MUST")
@pytest.mark.parametrize("key", ["OLDER", "YOUNGER"])
def test_zero_interval_is_a_syntax_error(connect, within_box, key):
    reply = opened(connect, within_box).command("SEARCH", key.encode(), b"0")
    assert reply.status == "BAD", (
        f'search-key =/ ("OLDER" / "YOUNGER") SP nz-number (RFC 5032 §3): {key} 0 is invalid, '
        f"so BAD, got {reply.summary()}"
    )
