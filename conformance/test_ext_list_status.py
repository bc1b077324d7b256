"""LIST-STATUS (RFC 5819): LIST ... RETURN (STATUS (...)) gives, after each selectable
mailbox's LIST response, the STATUS that a separate STATUS command gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers_ext import (
    append_ok,
    list_entries,
    mb,
    message,
    parse_list,
    setup_session,
    status,
    status_items,
)

pytestmark = pytest.mark.requires("LIST-STATUS")
ITEMS = "MESSAGES UIDNEXT UIDVALIDITY UNSEEN"


@pytest.fixture(scope="module")
def tree(target, sandbox, server_info) -> Iterator[str]:
    """root/full (3 messages, 1 seen), root/empty, root/parent/kid (subscribed),
    root/ghost/child (ghost only a parent name)."""
    d = server_info.delimiter
    with setup_session(target, "setup-liststatus") as session:
        root = sandbox.name("liststatus")
        for rel in ("full", "empty", "parent", "parent/kid", "ghost/child"):
            session.command("CREATE", mb(root + d + rel.replace("/", d)))
        for n, flags in ((1, ("\\Seen",)), (2, ()), (3, ("\\Flagged",))):
            append_ok(session, root + d + "full", message(n, "liststatus"), flags=flags)
        append_ok(session, root + d + "ghost" + d + "child", message(4, "liststatus"))
        session.command("SUBSCRIBE", mb(root + d + "parent" + d + "kid"))
    yield root
    with setup_session(target, "teardown-liststatus") as session:
        session.command("UNSUBSCRIBE", mb(root + d + "parent" + d + "kid"))
        sandbox.remove(session, root)


def pairs_in_order(reply) -> list[tuple[object, object]]:
    """[(ListEntry, (name, items) of the STATUS right after it, or None)]."""
    out: list[tuple[object, object]] = []
    for item in reply.untagged:
        if item.kind == "LIST":
            out.append((parse_list(item), None))
        elif item.kind == "STATUS" and out and out[-1][1] is None:
            out[-1] = (out[-1][0], status_items(item))
    return out


def unselectable(entry) -> bool:
    return entry.has("\\Noselect") or entry.has("\\NonExistent")


@pytest.mark.rfc("5819", "2", "MUST")
def test_status_follows_each_selectable_mailbox(imap, tree):
    reply = imap.command("LIST", b'""', mb(tree + "*"), b"RETURN", f"(STATUS ({ITEMS}))".encode())
    assert reply.ok, f"LIST RETURN (STATUS) failed: {reply.summary()}"
    problems = []
    for entry, stat in pairs_in_order(reply):
        if unselectable(entry) and stat is not None:
            problems.append(f"{entry.name}: not selectable, yet STATUS {stat[1]} followed")
        elif not unselectable(entry) and (stat is None or stat[0] != entry.name):
            problems.append(f"{entry.name}: selectable, but the next response is {stat}")
    stray = len(reply.of("STATUS")) - sum(1 for _, s in pairs_in_order(reply) if s)
    assert not problems and not stray, (
        "for each selectable mailbox the server MUST return its LIST response followed by its "
        "STATUS response, and none for a \\NoSelect one (RFC 5819 §2):\n  "
        + "\n  ".join(problems + ([f"{stray} STATUS responses follow no LIST"] if stray else []))
    )


@pytest.mark.rfc("5819", "2", "MUST")
def test_numbers_equal_separate_status(imap, tree):
    reply = imap.command("LIST", b'""', mb(tree + "*"), b"RETURN", f"(STATUS ({ITEMS}))".encode())
    listed = dict(status_items(item) for item in reply.of("STATUS"))
    assert listed, "LIST RETURN (STATUS ...) returned no STATUS responses"
    wrong = {}
    for name, items in listed.items():
        separate = status(imap, name, ITEMS)
        if items != separate:
            wrong[name] = (items, separate)
    assert not wrong, (
        "LIST-STATUS must return the information STATUS gives (RFC 5819 §2); "
        f"(LIST-STATUS, STATUS) per mailbox: {wrong}"
    )
    full = [name for name in listed if name.endswith("full")]
    assert full and listed[full[0]]["MESSAGES"] == 3 and listed[full[0]]["UNSEEN"] == 2, (
        f"root/full holds 3 messages, 2 unseen; LIST-STATUS said {listed}"
    )


@pytest.mark.rfc("5819", "2", "MUST")
def test_numbers_follow_appends(imap, box):
    def listed() -> dict[str, int]:
        reply = imap.command("LIST", b'""', mb(box), b"RETURN", b"(STATUS (MESSAGES UIDNEXT))")
        return dict(status_items(item) for item in reply.of("STATUS")).get(box, {})

    before = listed()
    uids = []
    for n in (1, 2):
        reply = append_ok(imap, box, message(n, "liststatus"))
        code = reply.code_named("APPENDUID")
        uids.append(int(str(code.args[1])) if code and len(code.args) > 1 else None)
    after = listed()
    assert before.get("MESSAGES") == 0 and after.get("MESSAGES") == 2, (
        f"LIST-STATUS MESSAGES must go from 0 to 2 after two APPENDs, got {before} -> {after}"
    )
    if uids[-1] is not None:
        assert after.get("UIDNEXT", 0) > uids[-1], (
            f"UIDNEXT after appending UID {uids[-1]} must exceed it, LIST-STATUS said {after}"
        )


@pytest.mark.rfc("5819", "2", "MUST")
@pytest.mark.requires("STATUS=SIZE")
def test_size_item_equals_status_size(imap, tree, server_info):
    full = tree + server_info.delimiter + "full"
    reply = imap.command("LIST", b'""', mb(full), b"RETURN", b"(STATUS (SIZE MESSAGES))")
    listed = dict(status_items(item) for item in reply.of("STATUS")).get(full)
    assert listed == status(imap, full, "SIZE MESSAGES"), (
        f"LIST-STATUS (SIZE MESSAGES) of {full!r} is {listed}, STATUS says otherwise"
    )


@pytest.mark.rfc("5819", "3", "SHOULD")
@pytest.mark.requires("LIST-EXTENDED")
def test_no_status_for_parent_listed_only_for_childinfo(imap, tree, server_info):
    reply = imap.command(
        "LIST", b"(SUBSCRIBED RECURSIVEMATCH)", b'""', mb(tree + server_info.delimiter + "%"),
        b"RETURN", b"(STATUS (MESSAGES))",
    )  # fmt: skip
    entries = {e.name: e for e in list_entries(reply)}
    parent = tree + server_info.delimiter + "parent"
    assert parent in entries and entries[parent].childinfo, (
        f"the unsubscribed {parent!r} with a subscribed child must be listed with CHILDINFO"
    )
    statused = [status_items(item)[0] for item in reply.of("STATUS")]
    assert parent not in statused, (
        "a mailbox returned only because of its children doesn't match the selection criteria, "
        f"so it gets no STATUS (RFC 5819 §3, example A02); got STATUS for {statused}"
    )
