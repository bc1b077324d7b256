"""Message and mailbox data extensions: STATUS=SIZE (RFC 8438), SAVEDATE (RFC 8514) and PREVIEW
(RFC 8970), checked against the messages appended."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from helpers_ext import append_ok, mb, message, number, status, text
from helpers_fetch import search_result

from imapcheck.wire.utf7 import encode_mailbox

OLD_DATE = "01-Jan-2001 00:00:00 +0000"
DAY = 86400


def sizes(session, name: str) -> list[int]:
    session.select(encode_mailbox(name), readonly=True)
    fetched = session.command("FETCH", b"1:*", b"(RFC822.SIZE)").fetches()
    session.command("UNSELECT" if "UNSELECT" in session.capabilities else "CLOSE")
    return [number(items["RFC822.SIZE"]) for _, items in sorted(fetched.items())]


@pytest.mark.rfc("8438", "3", "MUST")
@pytest.mark.requires("STATUS=SIZE")
def test_status_size_covers_every_message(imap, box):
    steps = []
    for n, pad in enumerate((0, 3000, 17), 1):
        append_ok(imap, box, message(n, "status-size", b"s" * pad))
        steps.append((status(imap, box, "SIZE MESSAGES")["SIZE"], sum(sizes(imap, box))))
    short = [(size, total) for size, total in steps if size < total]
    assert not short, (
        "SIZE is the total size of the mailbox; it MUST be equal to or greater than the sum of "
        "the messages' RFC822.SIZE (RFC 8438); (SIZE, sum) after each APPEND: "
        f"{steps}"
    )
    assert steps[0][0] < steps[1][0], f"SIZE did not grow when a 3 KB message was added: {steps}"


@pytest.mark.rfc("8438", "3", "MUST")
@pytest.mark.requires("STATUS=SIZE")
def test_status_size_with_other_items(imap, box):
    append_ok(imap, box, message(1, "status-size"))
    got = status(imap, box, "MESSAGES SIZE UIDNEXT")
    assert set(got) == {"MESSAGES", "SIZE", "UIDNEXT"} and got["MESSAGES"] == 1, (
        f"STATUS (MESSAGES SIZE UIDNEXT) must return all three items, got {got}"
    )


def fetch_dates(session, name: str, seq: int = 1) -> tuple[str | None, str]:
    session.select(encode_mailbox(name), readonly=True)
    items = session.command("FETCH", str(seq).encode(), b"(SAVEDATE INTERNALDATE)").fetches()[seq]
    saved = items.get("SAVEDATE")
    return (text(saved) if saved is not None else None), text(items.get("INTERNALDATE"))


def when(date: str) -> float:
    return datetime.strptime(date, "%d-%b-%Y %H:%M:%S %z").timestamp()


def saved_now(saved: str | None, what: str) -> None:
    if saved is None:
        pytest.skip("the mailbox keeps no save dates (SAVEDATE is NIL)")
    assert abs(when(saved) - time.time()) < DAY, (
        f"{what}: the save date is when the message was saved into this mailbox (RFC 8514 §3), "
        f"not its INTERNALDATE {OLD_DATE}; got {saved}"
    )


@pytest.mark.rfc("8514", "3", "MUST")
@pytest.mark.requires("SAVEDATE")
def test_savedate_is_when_appended(imap, box):
    append_ok(imap, box, message(1, "savedate"), date=OLD_DATE)
    saved, internal = fetch_dates(imap, box)
    assert when(internal) == when(OLD_DATE), f"INTERNALDATE must be the date appended: {internal}"
    saved_now(saved, "APPEND with an old date-time")


@pytest.mark.rfc("8514", "3", "MUST")
@pytest.mark.requires("SAVEDATE")
def test_copy_gets_its_own_savedate(imap, box, sandbox):
    append_ok(imap, box, message(1, "savedate"), date=OLD_DATE)
    target = sandbox.create(imap, "savedate-copy")
    imap.select(encode_mailbox(box))
    assert imap.command("COPY", b"1", mb(target)).ok, "COPY failed"
    saved, internal = fetch_dates(imap, target)
    assert when(internal) == when(OLD_DATE), (
        f"COPY keeps INTERNALDATE (RFC 3501 §6.4.7): {internal}"
    )
    saved_now(saved, "the copy")


@pytest.mark.rfc("8514", "4.3", "MUST")
@pytest.mark.requires("SAVEDATE")
def test_search_by_save_date(imap, box):
    append_ok(imap, box, message(1, "savedate"), date=OLD_DATE)
    append_ok(imap, box, message(2, "savedate"))
    imap.select(encode_mailbox(box), readonly=True)
    yesterday = time.strftime("%d-%b-%Y", time.gmtime(time.time() - 2 * DAY)).encode()
    results = {
        key: search_result(
            imap.command("SEARCH", key, *((yesterday,) if key != b"SAVEDATESUPPORTED" else ()))
        )
        for key in (b"SAVEDSINCE", b"SAVEDBEFORE", b"SINCE", b"SAVEDATESUPPORTED")
    }
    if not results[b"SAVEDATESUPPORTED"]:
        pytest.skip("the mailbox does not support save dates (SAVEDATESUPPORTED matches nothing)")
    want = {b"SAVEDSINCE": [1, 2], b"SAVEDBEFORE": [], b"SINCE": [2], b"SAVEDATESUPPORTED": [1, 2]}
    assert results == want, (
        "SAVEDSINCE/SAVEDBEFORE look at the save date, SINCE at INTERNALDATE, and "
        "SAVEDATESUPPORTED matches every message of a mailbox with save dates (RFC 8514 §4.3): "
        f"message 1 appended with {OLD_DATE}, expected {want}, got {results}"
    )


def preview(session, name: str, raw: bytes, modifier: bytes = b"") -> str | None:
    append_ok(session, name, raw)
    session.select(encode_mailbox(name), readonly=True)
    item = b"PREVIEW" + (b" " + modifier if modifier else b"")
    reply = session.command("FETCH", b"1", b"(" + item + b")")
    assert reply.ok, f"FETCH {item.decode()} failed: {reply.summary()}"
    value = reply.fetches()[1].get("PREVIEW")
    return None if value is None else text(value)


@pytest.mark.rfc("8970", "3.3", "MUST")
@pytest.mark.requires("PREVIEW")
def test_preview_is_at_most_256_characters(imap, box):
    body = ("Grüße aus Köln, " * 100).encode()
    got = preview(
        imap, box, b"Subject: long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
    )
    assert got is not None and 0 < len(got) <= 256, (
        f"the preview text MUST NOT exceed 256 characters (RFC 8970 §3.3), got {len(got or '')}"
    )


@pytest.mark.rfc("8970", "3.3", "SHOULD")
@pytest.mark.requires("PREVIEW")
@pytest.mark.parametrize(
    "body,want",
    [
        (
            b"Content-Type: text/plain\r\n\r\nHello   preview\r\n  world, how are you?\r\n",
            "Hello preview world",
        ),
        (
            b"Content-Type: text/html\r\n\r\n<html><body><p>Hello <b>bold</b> world</p></body>\r\n",
            "Hello bold world",
        ),
    ],
    ids=["plain", "html"],
)
def test_preview_is_the_message_text(imap, box, body, want):
    got = preview(imap, box, b"Subject: preview subject\r\nMIME-Version: 1.0\r\n" + body)
    assert got is not None and got.startswith(want) and "<" not in got and "subject" not in got, (
        "the preview is plain text from the start of the message body, without markup or header "
        f"fields (RFC 8970 §3.3): expected it to start with {want!r}, got {got!r}"
    )


@pytest.mark.rfc("8970", "4", "MUST")
@pytest.mark.requires("PREVIEW")
def test_lazy_preview_is_text_or_nil(imap, box):
    got = preview(imap, box, message(1, "preview", b"lazy preview text\r\n"), b"(LAZY)")
    if got is None:
        later = imap.command("FETCH", b"1", b"(PREVIEW)").fetches()[1].get("PREVIEW")
        assert isinstance(later, bytes), f"a non-lazy PREVIEW after a NIL lazy one: {later!r}"
    else:
        assert got.startswith("body 1"), f"the lazy preview must be the message text, got {got!r}"
