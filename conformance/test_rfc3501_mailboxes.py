"""RFC 3501 §6.3.3-§6.3.5: CREATE, DELETE and RENAME, checked by what LIST and STATUS see after."""

from __future__ import annotations

import pytest

from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.tokens import as_text
from imapcheck.wire.utf7 import encode_mailbox

MESSAGE = b"From: a@example.org\r\nSubject: mailbox test\r\n\r\nhello\r\n"


def mb(name: str):
    return astring(encode_mailbox(name))


def listing(session, pattern: str, ref: str = "") -> dict[str, set[str]]:
    """LIST result as {wire name: lower-cased attributes}."""
    reply = session.command("LIST", mb(ref), mb(pattern))
    assert reply.ok, f"LIST {ref!r} {pattern!r} failed: {reply.summary()}"
    out = {}
    for item in reply.of("LIST"):
        attrs, name = item.tokens[0], as_text(item.tokens[2])
        out[name] = {str(a).lower() for a in attrs} if isinstance(attrs, list) else set()
    return out


def messages(session, name: str) -> int | None:
    """STATUS MESSAGES, or None when STATUS fails."""
    reply = session.command("STATUS", mb(name), b"(MESSAGES)")
    if not reply.ok:
        return None
    for item in reply.of("STATUS"):
        return int(item.items["MESSAGES"])
    return None


def append(session, name: str, count: int = 1) -> None:
    for _ in range(count):
        reply = session.command("APPEND", mb(name), Literal(MESSAGE))
        assert reply.ok, f"APPEND to {name!r} failed: {reply.summary()}"


@pytest.fixture
def delim(server_info) -> str:
    if not server_info.delimiter:
        pytest.skip("the server has no hierarchy (NIL delimiter)")
    return server_info.delimiter


# -- CREATE -------------------------------------------------------------------------------------


@pytest.mark.rfc("3501", "6.3.3", "MUST")
def test_create_makes_selectable_empty_mailbox(imap, box, sandbox):
    name = sandbox.name("created")
    reply = imap.command("CREATE", mb(name))
    assert reply.ok, f"CREATE of a new name must succeed; server said {reply.summary()}"
    listed = listing(imap, name)
    assert encode_mailbox(name) in listed, f"LIST must show the created mailbox; got {listed}"
    assert "\\noselect" not in listed[encode_mailbox(name)], "a created mailbox is selectable"
    select = imap.command("SELECT", mb(name))
    assert select.ok, f"the created mailbox must be selectable; SELECT said {select.summary()}"
    exists = [u.number for u in select.of("EXISTS")]
    assert exists == [0], f"a new mailbox holds no messages; SELECT reported EXISTS {exists}"
    imap.command("CLOSE")
    imap.command("DELETE", mb(name))


@pytest.mark.rfc("3501", "6.3.3", "MUST")
def test_create_existing_name_fails_and_keeps_content(imap, box):
    append(imap, box)
    reply = imap.command("CREATE", mb(box))
    assert reply.status == "NO", (
        f"CREATE of an existing name is an error (tagged NO); server said {reply.summary()}"
    )
    assert messages(imap, box) == 1, "the existing mailbox must keep its message after the CREATE"


@pytest.mark.rfc("3501", "6.3.3", "MUST")
@pytest.mark.parametrize("spelling", ["INBOX", "inbox", "InBoX"])
def test_create_inbox_fails(imap, spelling):
    before = messages(imap, "INBOX")
    reply = imap.command("CREATE", spelling.encode())
    assert reply.status == "NO", (
        f"'It is an error to attempt to create INBOX' (any case); CREATE {spelling} got "
        f"{reply.summary()}"
    )
    assert messages(imap, "INBOX") == before, "INBOX must be unchanged by the failed CREATE"


@pytest.mark.rfc("3501", "6.3.3", "MUST")
def test_create_trailing_delimiter_creates_name_without_it(imap, box, delim):
    name = f"{box}{delim}declared"
    reply = imap.command("CREATE", mb(name + delim))
    assert reply.ok, f"CREATE with a trailing delimiter must succeed; got {reply.summary()}"
    listed = listing(imap, f"{box}{delim}*")
    assert encode_mailbox(name) in listed, (
        "'the name created is without the trailing hierarchy delimiter'; LIST shows "
        f"{sorted(listed)}"
    )
    assert encode_mailbox(name + delim) not in listed, "no name may end with the delimiter"
    child = imap.command("CREATE", mb(f"{name}{delim}child"))
    assert child.ok, f"a child of the declared level must be creatable; got {child.summary()}"
    assert encode_mailbox(f"{name}{delim}child") in listing(imap, f"{name}{delim}%")


@pytest.mark.rfc("3501", "6.3.3", "SHOULD")
def test_create_makes_superior_names(imap, box, delim):
    deep = delim.join([box, "sup1", "sup2", "leaf"])
    reply = imap.command("CREATE", mb(deep))
    assert reply.ok, f"CREATE {deep!r} failed: {reply.summary()}"
    listed = listing(imap, f"{box}{delim}*")
    for level in (f"{box}{delim}sup1", f"{box}{delim}sup1{delim}sup2", deep):
        assert encode_mailbox(level) in listed, (
            f"CREATE of a deep name SHOULD create its superior names; {level!r} is not listed "
            f"(LIST shows {sorted(listed)})"
        )


@pytest.mark.rfc("3501", "7.2.2", "MUST")
def test_superior_name_noselect_matches_select(imap, box, delim):
    """An implicitly created level either carries \\Noselect or can be selected."""
    parent = f"{box}{delim}implied"
    assert imap.command("CREATE", mb(f"{parent}{delim}leaf")).ok
    listed = listing(imap, parent)
    if encode_mailbox(parent) not in listed:
        pytest.skip("the server does not list the implied superior name")
    select = imap.command("EXAMINE", mb(parent))
    if "\\noselect" in listed[encode_mailbox(parent)]:
        assert not select.ok, "a \\Noselect name cannot be selected, yet EXAMINE succeeded"
    else:
        assert select.ok, (
            "'Unless \\Noselect is indicated, the name MUST also be valid as an argument for "
            f"commands, such as SELECT'; {parent!r} is listed without \\Noselect but EXAMINE said "
            f"{select.summary()}"
        )


@pytest.mark.rfc("3501", "6.3.3", "MUST")
@pytest.mark.parametrize("form", ["atom", "quoted", "literal"])
def test_create_accepts_every_astring_form(imap, box, delim, form):
    leaf = {"atom": "plain-name", "quoted": "with space", "literal": "as literal"}[form]
    name = f"{box}{delim}{leaf}"
    wire = encode_mailbox(name).encode()
    arg = {"atom": wire, "quoted": b'"' + wire + b'"', "literal": Literal(wire)}[form]
    reply = imap.command("CREATE", arg)
    assert reply.ok, f"CREATE with the name as {form} must succeed; got {reply.summary()}"
    assert encode_mailbox(name) in listing(imap, name), f"LIST must show {name!r} exactly"


# -- DELETE -------------------------------------------------------------------------------------


@pytest.mark.rfc("3501", "6.3.4", "MUST")
def test_delete_removes_mailbox_and_messages(imap, box):
    append(imap, box, 2)
    reply = imap.command("DELETE", mb(box))
    assert reply.ok, f"DELETE of an existing mailbox must succeed; got {reply.summary()}"
    assert encode_mailbox(box) not in listing(imap, box), "LIST still shows the deleted mailbox"
    assert messages(imap, box) is None, "STATUS of a deleted mailbox must fail"
    select = imap.command("SELECT", mb(box))
    assert select.status == "NO", f"SELECT of a deleted mailbox must be NO; got {select.summary()}"


@pytest.mark.rfc("3501", "6.3.4", "MUST")
def test_delete_nonexistent_is_no(imap, sandbox):
    name = sandbox.name("never-created")
    reply = imap.command("DELETE", mb(name))
    assert reply.status == "NO", f"DELETE of a missing name must be NO; got {reply.summary()}"


@pytest.mark.rfc("3501", "6.3.4", "MUST")
@pytest.mark.parametrize("spelling", ["INBOX", "inbox", "InBoX"])
def test_delete_inbox_is_no(imap, server_info, request, spelling):
    if server_info.inbox_messages and not request.config.getoption("--allow-destructive"):
        pytest.skip(
            "INBOX is not empty: DELETE INBOX runs only on an empty INBOX or with "
            "--allow-destructive"
        )
    reply = imap.command("DELETE", spelling.encode())
    assert reply.status == "NO", (
        f"'It is an error to attempt to delete INBOX'; DELETE {spelling} got {reply.summary()}"
    )
    assert imap.command("EXAMINE", b"INBOX").ok, "INBOX must still exist after DELETE INBOX"


@pytest.mark.rfc("3501", "6.3.4", "MUST")
def test_delete_keeps_inferior_names(imap, box, delim):
    child = f"{box}{delim}child"
    assert imap.command("CREATE", mb(child)).ok
    append(imap, child, 2)
    append(imap, box)
    reply = imap.command("DELETE", mb(box))
    assert reply.ok, (
        f"deleting a selectable parent with children is permitted; got {reply.summary()}"
    )
    assert encode_mailbox(child) in listing(imap, child), (
        "'The DELETE command MUST NOT remove inferior hierarchical names': the child vanished"
    )
    assert messages(imap, child) == 2, "the child must keep its messages when its parent is deleted"


@pytest.mark.rfc("3501", "6.3.4", "MUST")
def test_deleted_parent_acquires_noselect(imap, box, delim):
    assert imap.command("CREATE", mb(f"{box}{delim}child")).ok
    append(imap, box)
    assert imap.command("DELETE", mb(box)).ok
    listed = listing(imap, box)
    assert encode_mailbox(box) in listed and "\\noselect" in listed[encode_mailbox(box)], (
        "after DELETE of a parent with inferiors 'the name will acquire the \\Noselect mailbox "
        f"name attribute'; LIST {box!r} returned {listed}"
    )


@pytest.mark.rfc("3501", "6.3.4", "MUST")
def test_deleted_parent_messages_removed(imap, box, delim):
    assert imap.command("CREATE", mb(f"{box}{delim}child")).ok
    append(imap, box, 2)
    assert imap.command("DELETE", mb(box)).ok
    left = messages(imap, box)
    assert not left, (
        f"'all messages in that mailbox are removed' by DELETE; STATUS still counts {left}"
    )


@pytest.mark.rfc("3501", "6.3.4", "MUST")
def test_delete_noselect_parent_with_inferiors_is_no(imap, box, delim):
    parent = f"{box}{delim}level"
    leaf = f"{parent}{delim}leaf"
    assert imap.command("CREATE", mb(leaf)).ok
    listed = listing(imap, parent)
    if "\\noselect" not in listed.get(encode_mailbox(parent), set()):
        pytest.skip("the server made the superior name a real mailbox; no \\Noselect name to test")
    reply = imap.command("DELETE", mb(parent))
    assert reply.status == "NO", (
        "'It is an error to attempt to delete a name that has inferior hierarchical names and "
        f"also has the \\Noselect mailbox name attribute'; DELETE said {reply.summary()}"
    )
    assert encode_mailbox(leaf) in listing(imap, leaf), "the inferior must survive"


# -- RENAME -------------------------------------------------------------------------------------


@pytest.mark.rfc("3501", "6.3.5", "MUST")
def test_rename_moves_mailbox_with_messages(imap, box, sandbox):
    append(imap, box, 3)
    new = sandbox.name("renamed")
    reply = imap.command("RENAME", mb(box), mb(new))
    assert reply.ok, f"RENAME to a free name must succeed; got {reply.summary()}"
    assert encode_mailbox(box) not in listing(imap, box), "the old name must be gone after RENAME"
    assert encode_mailbox(new) in listing(imap, new), "the new name must be listed after RENAME"
    assert messages(imap, new) == 3, "the renamed mailbox must keep its 3 messages"
    imap.command("DELETE", mb(new))


@pytest.mark.rfc("3501", "6.3.5", "MUST")
def test_rename_to_existing_name_is_no(imap, box, sandbox):
    other = sandbox.create(imap, "rename-target")
    append(imap, box, 2)
    append(imap, other, 1)
    reply = imap.command("RENAME", mb(box), mb(other))
    assert reply.status == "NO", (
        f"renaming 'to a mailbox name that already exists' is an error; got {reply.summary()}"
    )
    assert (messages(imap, box), messages(imap, other)) == (2, 1), (
        "both mailboxes must be unchanged after the refused RENAME"
    )
    imap.command("DELETE", mb(other))


@pytest.mark.rfc("3501", "6.3.5", "MUST")
def test_rename_nonexistent_is_no(imap, sandbox):
    missing, new = sandbox.name("missing"), sandbox.name("never")
    reply = imap.command("RENAME", mb(missing), mb(new))
    assert reply.status == "NO", f"RENAME of a missing mailbox must be NO; got {reply.summary()}"
    assert encode_mailbox(new) not in listing(imap, new), "the refused RENAME created the target"


@pytest.mark.rfc("3501", "6.3.5", "MUST")
def test_rename_renames_inferiors(imap, box, sandbox, delim):
    for tail in ("kid", f"kid{delim}grandkid"):
        assert imap.command("CREATE", mb(f"{box}{delim}{tail}")).ok
    append(imap, f"{box}{delim}kid{delim}grandkid", 2)
    new = sandbox.name("tree")
    assert imap.command("RENAME", mb(box), mb(new)).ok
    listed = listing(imap, f"{new}{delim}*")
    expected = {
        encode_mailbox(f"{new}{delim}kid"),
        encode_mailbox(f"{new}{delim}kid{delim}grandkid"),
    }
    assert expected <= set(listed), (
        f"'the inferior hierarchical names MUST also be renamed'; under {new!r} LIST shows "
        f"{sorted(listed)}"
    )
    assert not listing(imap, f"{box}{delim}*"), "inferiors must not remain under the old name"
    assert messages(imap, f"{new}{delim}kid{delim}grandkid") == 2, "renamed inferior lost messages"
    sandbox.remove(imap, new)


@pytest.mark.rfc("3501", "6.3.5", "SHOULD")
def test_rename_creates_superior_names(imap, box, sandbox, delim):
    top = sandbox.name("superiors")
    target = delim.join([top, "mid", "moved"])
    reply = imap.command("RENAME", mb(box), mb(target))
    assert reply.ok, f"RENAME into a new hierarchy should succeed; got {reply.summary()}"
    listed = listing(imap, f"{top}*")
    for level in (top, f"{top}{delim}mid", target):
        assert encode_mailbox(level) in listed, (
            f"RENAME SHOULD create the superior names; {level!r} missing from {sorted(listed)}"
        )
    sandbox.remove(imap, top)


@pytest.mark.rfc("3501", "6.3.5", "MUST")
@pytest.mark.parametrize("who", ["same-session", "other-session"])
def test_rename_of_selected_mailbox(connect, imap, box, sandbox, who):
    """Renaming a selected mailbox: refused, or done completely (RFC 2180 §3 lists both)."""
    append(imap, box, 2)
    holder = imap if who == "same-session" else connect()
    holder.select(box)
    new = sandbox.name("selected-renamed")
    reply = imap.command("RENAME", mb(box), mb(new))
    check = connect()
    if reply.ok:
        assert messages(check, new) == 2, "after RENAME the new name must hold both messages"
        assert messages(check, box) is None, "after RENAME the old name must be gone"
        sandbox.remove(check, new)
    else:
        assert reply.status == "NO", f"a refused RENAME is a NO; got {reply.summary()}"
        assert messages(check, box) == 2, "the refused RENAME must leave the mailbox intact"
