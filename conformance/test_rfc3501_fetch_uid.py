"""RFC 3501 §6.4.8 UID FETCH: UID always present, non-existent UIDs ignored, UID ranges."""

from __future__ import annotations

import pytest
from helpers_fetch import fetch_box, opened

from imapcheck import corpus

__all__ = ["fetch_box"]  # the module-scoped fixture
COUNT = len(corpus.all_messages())

ITEM_LISTS = [
    "(FLAGS)",
    "(RFC822.SIZE)",
    "(BODY.PEEK[HEADER])",
    "(ENVELOPE)",
    "FAST",
    "(INTERNALDATE BODYSTRUCTURE)",
]


@pytest.mark.rfc("3501", "6.4.8", "MUST")
@pytest.mark.parametrize("items", ITEM_LISTS)
def test_uid_fetch_always_includes_uid(connect, fetch_box, items):
    """'server implementations MUST implicitly include the UID message data item as part of
    any FETCH response caused by a UID command'."""
    session = opened(connect, fetch_box)
    first, last = fetch_box.uid(2), fetch_box.uid(5)
    reply = session.command("UID FETCH", f"{first}:{last}".encode(), items.encode())
    fetched = reply.fetches()
    got = {seq: data.get("UID") for seq, data in fetched.items()}
    want = {seq: str(fetch_box.uid(seq)) for seq in range(2, 6)}
    assert reply.ok and got == want, (
        f"UID FETCH {first}:{last} {items} must answer messages 2-5, each with its UID "
        f"{want}; server: {reply.summary()}, UIDs {got}"
    )


def missing_sets(box) -> dict[str, str]:
    nxt = box.uidnext
    return {
        "beyond-uidnext": str(nxt + 5),
        "range-beyond-uidnext": f"{nxt + 1}:{nxt + 9}",
        "expunged-uid": str(box.uid(1) - 1),
    }


@pytest.mark.rfc("3501", "6.4.8", "MUST")
@pytest.mark.parametrize("case", ["beyond-uidnext", "range-beyond-uidnext", "expunged-uid"])
def test_uid_fetch_of_missing_uids_is_ok_without_data(connect, fetch_box, case):
    """'A non-existent unique identifier is ignored without any error message generated.'"""
    uids = missing_sets(fetch_box)[case]
    session = opened(connect, fetch_box)
    reply = session.command("UID FETCH", uids.encode(), b"(FLAGS)")
    assert reply.ok, f"UID FETCH {uids} (no such UIDs) must complete OK; got {reply.summary()}"
    assert not reply.of("FETCH"), (
        f"UID FETCH {uids} must return no FETCH data; got {[str(u) for u in reply.of('FETCH')]}"
    )


UID_SETS = {
    "missing-and-existing": (lambda b: f"{b.uid(1) - 1},{b.uid(3)}", {3}),
    "uidnext-to-star": (lambda b: f"{b.uidnext}:*", {COUNT}),
    "star": (lambda b: "*", {COUNT}),
    "reversed-range": (lambda b: f"{b.uid(4)}:{b.uid(2)}", {2, 3, 4}),
    "range-from-expunged": (lambda b: f"{b.uid(1) - 1}:{b.uid(2)}", {1, 2}),
    "huge-to-star": (lambda b: "4294967295:*", {COUNT}),
}


@pytest.mark.rfc("3501", "6.4.8", "MUST")
@pytest.mark.parametrize("case", list(UID_SETS))
def test_uid_fetch_sets(connect, fetch_box, case):
    """UID ranges are independent of the order of their ends; 'a UID range of 559:* always
    includes the UID of the last message in the mailbox'."""
    build, want = UID_SETS[case]
    uids = build(fetch_box)
    session = opened(connect, fetch_box)
    reply = session.command("UID FETCH", uids.encode(), b"(UID)")
    got = {seq: data.get("UID") for seq, data in reply.fetches().items()}
    expected = {seq: str(fetch_box.uid(seq)) for seq in want}
    assert reply.ok and got == expected, (
        f"UID FETCH {uids} must answer messages {sorted(want)} with UIDs {expected}; "
        f"server: {reply.summary()}, {got}"
    )
