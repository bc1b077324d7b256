"""RFC 3501 §6.3.10: STATUS items agree with what SELECT and FETCH report, and change nothing."""

from __future__ import annotations

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.tokens import as_text
from imapcheck.wire.utf7 import encode_mailbox

ITEMS = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN")
SEEDED = [("\\Seen", 1), ("", 2), ("\\Seen \\Flagged", 3), ("\\Deleted", 4)]  # 2 unseen


def mb(name: str):
    return astring(encode_mailbox(name))


def message(n: int) -> bytes:
    return b"From: a@example.org\r\nSubject: status %d\r\n\r\nbody %d\r\n" % (n, n)


def append(session, name: str, n: int, flags: str = "") -> None:
    args = [mb(name)] + ([f"({flags})".encode()] if flags else []) + [Literal(message(n))]
    reply = session.command("APPEND", *args)
    assert reply.ok, f"APPEND to {name!r} failed: {reply.summary()}"


def status(session, name: str, items=ITEMS) -> dict[str, int]:
    reply = session.command("STATUS", mb(name), f"({' '.join(items)})".encode())
    assert reply.ok, f"STATUS {name!r} failed: {reply.summary()}"
    lines = reply.of("STATUS")
    assert len(lines) == 1, f"STATUS must return one untagged STATUS response, got {len(lines)}"
    got = as_text(lines[0].tokens[0])
    assert got == encode_mailbox(name), f"the STATUS response names {got!r}, not the mailbox asked"
    return {k: int(str(v)) for k, v in lines[0].items.items()}


def selected_view(reply) -> dict[str, int]:
    """MESSAGES/RECENT/UIDNEXT/UIDVALIDITY as a SELECT or EXAMINE reply reported them."""
    view = {}
    for kind, key in (("EXISTS", "MESSAGES"), ("RECENT", "RECENT")):
        numbers = [u.number for u in reply.of(kind)]
        if numbers:
            view[key] = numbers[-1]
    for code in ("UIDNEXT", "UIDVALIDITY"):
        found = reply.code_named(code)
        if found is not None and found.args:
            view[code] = int(str(found.args[0]))
    return view


@pytest.fixture(scope="module")
def seeded(target, sandbox):
    """A mailbox with SEEDED messages that nobody ever selects read-write."""
    session = Session(target, name="seed", validate=False)
    session.connect()
    session.login()
    name = sandbox.create(session, "status-seeded")
    for flags, n in SEEDED:
        append(session, name, n, flags)
    yield name
    try:
        sandbox.remove(session, name)
    except (ImapcheckError, OSError):
        pass
    finally:
        session.logout()


@pytest.mark.rfc("3501", "6.3.10", "MUST")
@pytest.mark.parametrize("item", ITEMS)
def test_status_item_value(imap, connect, seeded, item):
    value = status(imap, seeded, (item,))
    assert list(value) == [item], f"STATUS ({item}) must return exactly that item; got {value}"
    view = connect()
    examine = view.command("EXAMINE", mb(seeded))
    fetched = view.command("FETCH", b"1:*", b"(UID FLAGS)").fetches()
    truth = selected_view(examine)
    uids = [int(str(f["UID"])) for f in fetched.values()]
    truth["UNSEEN"] = sum(
        1 for f in fetched.values() if "\\seen" not in {str(x).lower() for x in f["FLAGS"]}
    )
    expected = {
        "MESSAGES": len(SEEDED),
        "RECENT": len(SEEDED),
        "UNSEEN": 2,
        "UIDVALIDITY": truth.get("UIDVALIDITY"),
        "UIDNEXT": truth.get("UIDNEXT"),
    }
    assert value[item] == expected[item] == truth[item], (
        f"STATUS {item} must agree with the mailbox ({len(SEEDED)} messages, none ever selected, "
        f"2 without \\Seen): STATUS said {value[item]}, the mailbox holds {truth[item]}"
    )
    if item == "UIDNEXT":
        assert value[item] > max(uids), "UIDNEXT must exceed every UID in the mailbox"


@pytest.mark.rfc("3501", "6.3.10", "MUST")
def test_status_all_items_at_once(imap, seeded):
    value = status(imap, seeded)
    assert set(value) == set(ITEMS), f"STATUS with all five items must return all; got {value}"
    assert (value["MESSAGES"], value["UNSEEN"]) == (len(SEEDED), 2), f"wrong counts: {value}"


@pytest.mark.rfc("3501", "6.3.10", "MUST")
@pytest.mark.parametrize("command", ["SELECT", "EXAMINE"])
def test_status_agrees_with_select(imap, connect, box, command):
    for n in range(3):
        append(imap, box, n, "\\Seen" if n == 0 else "")
    before = status(imap, box)
    reply = connect().command(command, mb(box))
    assert reply.ok, f"{command} failed: {reply.summary()}"
    view = selected_view(reply)
    for key in ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY"):
        assert before[key] == view.get(key), (
            f"STATUS {key} must agree with what {command} reports: STATUS said {before[key]}, "
            f"{command} said {view.get(key)}"
        )


@pytest.mark.rfc("3501", "6.3.10", "MUST")
def test_status_does_not_clear_recent(imap, connect, box):
    append(imap, box, 1)
    append(imap, box, 2)
    first = status(imap, box, ("RECENT",))
    again = status(connect(), box, ("RECENT",))
    assert first["RECENT"] == again["RECENT"] == 2, (
        "'STATUS MUST NOT cause messages to lose the \\Recent flag': RECENT went "
        f"{first} -> {again}"
    )
    select = connect().command("SELECT", mb(box))
    assert [u.number for u in select.of("RECENT")] == [2], (
        "after two STATUS commands the first SELECT must still see 2 RECENT messages"
    )


@pytest.mark.rfc("3501", "6.3.10", "MUST")
def test_status_keeps_selected_mailbox(imap, box, seeded):
    append(imap, box, 7)
    imap.select(box)
    uid_before = imap.command("FETCH", b"1", b"(UID RFC822.SIZE)").fetches()
    status(imap, seeded)
    after = imap.command("FETCH", b"1:*", b"(UID RFC822.SIZE)")
    assert after.ok, (
        f"'It does not change the currently selected mailbox'; FETCH said {after.summary()}"
    )
    assert after.fetches() == uid_before, (
        "after STATUS of another mailbox, FETCH must still address the selected one; "
        f"before {uid_before}, after {after.fetches()}"
    )


@pytest.mark.rfc("3501", "6.3.10", "MUST")
@pytest.mark.parametrize("change", ["append", "store-seen", "expunge"])
def test_status_reflects_changes(imap, connect, box, change):
    for n in range(3):
        append(imap, box, n)
    before = status(imap, box)
    other = connect()
    if change == "append":
        append(other, box, 9)
        expect = {"MESSAGES": 4, "UNSEEN": 4}
    else:
        other.select(box)
        flag = "\\Seen" if change == "store-seen" else "\\Deleted"
        assert other.command("STORE", b"2", b"+FLAGS.SILENT", f"({flag})".encode()).ok
        if change == "expunge":
            assert other.command("EXPUNGE").ok
        other.command("CLOSE")
        expect = {"MESSAGES": 3 if change == "store-seen" else 2, "UNSEEN": 2}
    after = status(imap, box)
    got = {k: after[k] for k in expect}
    assert got == expect, f"after {change} from another session STATUS must say {expect}, got {got}"
    if change == "append":
        assert after["UIDNEXT"] > before["UIDNEXT"], "UIDNEXT must grow when a message is added"
    else:
        assert after["UIDNEXT"] == before["UIDNEXT"], "UIDNEXT must not change without new messages"


@pytest.mark.rfc("3501", "6.3.10", "MUST")
def test_status_of_missing_mailbox_is_no(imap, sandbox):
    reply = imap.command("STATUS", mb(sandbox.name("missing")), b"(MESSAGES)")
    assert reply.status == "NO", f"STATUS of a missing mailbox must be NO; got {reply.summary()}"
    assert not reply.of("STATUS"), "no STATUS data may be returned for a missing mailbox"


@pytest.mark.rfc("3501", "6.3.10", "MUST")
@pytest.mark.parametrize(
    "items", [b"(BOGUS)", b"()", b"MESSAGES"], ids=["unknown", "empty", "bare"]
)
def test_status_invalid_items_is_bad(imap, seeded, items):
    reply = imap.command("STATUS", mb(seeded), items)
    assert reply.status == "BAD", (
        f"STATUS with invalid item list {items.decode()} must be BAD (§9: status-att-list); got "
        f"{reply.summary()}"
    )
