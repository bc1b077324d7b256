"""RFC 3501 §6.3.1, §6.3.2, §7.1, §7.2.6: what SELECT and EXAMINE must report, and their effects."""

from __future__ import annotations

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

SYSTEM_FLAGS = {"\\answered", "\\flagged", "\\deleted", "\\seen", "\\draft"}
KEYWORD = "$ImapcheckKw"
SEEDED = ["\\Seen", "\\Seen \\Answered", "", KEYWORD]  # first unseen: 3
REQUIRED = ["FLAGS", "EXISTS", "RECENT", "UNSEEN", "PERMANENTFLAGS", "UIDNEXT", "UIDVALIDITY"]


def mb(name: str):
    return astring(encode_mailbox(name))


def message(n: int) -> bytes:
    return b"From: a@example.org\r\nSubject: select %d\r\n\r\nbody %d\r\n" % (n, n)


def append(session, name: str, n: int, flags: str = "") -> None:
    args = [mb(name)] + ([f"({flags})".encode()] if flags else []) + [Literal(message(n))]
    reply = session.command("APPEND", *args)
    assert reply.ok, f"APPEND to {name!r} failed: {reply.summary()}"


def code_number(reply, name: str) -> int | None:
    code = reply.code_named(name)
    if code is None or not code.args or not str(code.args[0]).isdigit():
        return None
    return int(str(code.args[0]))


def flag_list(reply, kind: str) -> set[str] | None:
    """The flags of the FLAGS response (kind FLAGS) or of the PERMANENTFLAGS code."""
    if kind == "FLAGS":
        found = reply.of("FLAGS")
        tokens = found[-1].tokens[0] if found else None
    else:
        code = reply.code_named("PERMANENTFLAGS")
        tokens = code.args[0] if code is not None and code.args else None
    return {str(t).lower() for t in tokens} if isinstance(tokens, list) else None


def count(session, name: str) -> int:
    reply = session.command("STATUS", mb(name), b"(MESSAGES)")
    assert reply.ok, f"STATUS {name!r} failed: {reply.summary()}"
    return int(str(reply.of("STATUS")[0].items["MESSAGES"]))


@pytest.fixture(scope="module")
def seeded(target, sandbox):
    """A mailbox with the SEEDED flags; tests only read it."""
    session = Session(target, name="seed", validate=False)
    session.connect()
    session.login()
    name = sandbox.create(session, "select-seeded")
    for n, flags in enumerate(SEEDED, 1):
        append(session, name, n, flags)
    yield name
    try:
        sandbox.remove(session, name)
    except (ImapcheckError, OSError):
        pass
    finally:
        session.logout()


@pytest.mark.rfc("3501", "6.3.1", "MUST")
@pytest.mark.parametrize("command", ["SELECT", "EXAMINE"])
@pytest.mark.parametrize("item", REQUIRED)
def test_required_select_data(imap, seeded, command, item):
    reply = imap.command(command, mb(seeded))
    assert reply.ok, f"{command} of an existing mailbox must succeed; got {reply.summary()}"
    uids = [int(str(f["UID"])) for f in imap.command("FETCH", b"1:*", b"UID").fetches().values()]
    where = f"{command} must send {item}"
    if item in ("EXISTS", "RECENT"):
        numbers = [u.number for u in reply.of(item)]
        assert numbers, f"{where}: no '* n {item}' before the tagged OK"
        if item == "EXISTS":
            assert numbers[-1] == len(SEEDED), f"{where}: {numbers[-1]} instead of {len(SEEDED)}"
        else:
            assert numbers[-1] <= len(SEEDED), f"{where}: {numbers[-1]} recent of {len(SEEDED)}"
    elif item == "FLAGS":
        flags = flag_list(reply, "FLAGS")
        assert flags is not None, f"{where}: no untagged FLAGS response"
        assert flags >= SYSTEM_FLAGS, (
            f"the FLAGS list holds 'at a minimum, the system-defined flags' (7.2.6); missing "
            f"{sorted(SYSTEM_FLAGS - flags)}"
        )
    elif item == "PERMANENTFLAGS":
        flags = flag_list(reply, "PERMANENTFLAGS")
        assert flags is not None, f"{where}: no OK [PERMANENTFLAGS (...)] response"
        known = (flag_list(reply, "FLAGS") or set()) | {"\\*"}
        assert flags <= known, (
            f"PERMANENTFLAGS 'indicates which of the known flags' can be changed: {flags - known} "
            "are not in the FLAGS response"
        )
    else:
        value = code_number(reply, item)
        assert value is not None and value > 0, f"{where}: no OK [{item} n] with a number > 0"
        if item == "UNSEEN":
            assert value == 3, f"message 3 is the first without \\Seen, but UNSEEN said {value}"
        if item == "UIDNEXT":
            assert value > max(uids), f"UIDNEXT {value} must exceed the highest UID {max(uids)}"


@pytest.mark.rfc("3501", "6.3.1", "MUST")
@pytest.mark.parametrize("command", ["SELECT", "EXAMINE"])
def test_unseen_absent_or_correct_when_all_seen(imap, box, command):
    for n in range(2):
        append(imap, box, n, "\\Seen")
    reply = imap.command(command, mb(box))
    value = code_number(reply, "UNSEEN")
    assert value is None, (
        "UNSEEN is 'the message sequence number of the first unseen message'; every message has "
        f"\\Seen, yet the server said [UNSEEN {value}]"
    )


@pytest.mark.rfc("3501", "6.3.2", "MUST")
def test_examine_ok_begins_with_read_only(imap, seeded):
    reply = imap.command("EXAMINE", mb(seeded))
    assert reply.ok and reply.code is not None and reply.code.name == "READ-ONLY", (
        "'The text of the tagged OK response to the EXAMINE command MUST begin with the "
        f'"[READ-ONLY]" response code\'; got {reply.summary()}'
    )


@pytest.mark.rfc("3501", "6.3.1", "SHOULD")
def test_select_after_examine_is_read_write(imap, box):
    assert imap.command("EXAMINE", mb(box)).ok
    reply = imap.command("SELECT", mb(box))
    assert reply.ok and reply.code is not None and reply.code.name == "READ-WRITE", (
        f"SELECT of the owner's own mailbox SHOULD carry [READ-WRITE]; got {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6.3.2", "MUST")
def test_examine_returns_same_data_as_select(imap, connect, seeded):
    examine = imap.command("EXAMINE", mb(seeded))
    select = connect().command("SELECT", mb(seeded))
    exists = ([u.number for u in examine.of("EXISTS")], [u.number for u in select.of("EXISTS")])
    assert exists[0] == exists[1], f"EXISTS differs: {exists[0]} vs {exists[1]}"
    for code in ("UIDVALIDITY", "UIDNEXT", "UNSEEN"):
        assert code_number(examine, code) == code_number(select, code), (
            f"'The EXAMINE command is identical to SELECT and returns the same output': {code} "
            f"differs ({code_number(examine, code)} vs {code_number(select, code)})"
        )
    assert flag_list(examine, "FLAGS") == flag_list(select, "FLAGS"), "FLAGS differ"


@pytest.mark.rfc("3501", "7.2.6", "SHOULD")
def test_flags_lists_keyword_in_use(imap, seeded):
    reply = imap.command("EXAMINE", mb(seeded))
    flags = flag_list(reply, "FLAGS") or set()
    assert KEYWORD.lower() in flags, (
        f"FLAGS identifies the flags 'applicable for this mailbox'; message 4 carries {KEYWORD} "
        f"but FLAGS is {sorted(flags)}"
    )


@pytest.mark.rfc("3501", "6.3.1", "MUST")
def test_reselect_reports_same_state(imap, seeded):
    first = imap.command("EXAMINE", mb(seeded))
    second = imap.command("EXAMINE", mb(seeded))
    for code in ("UIDVALIDITY", "UIDNEXT"):
        assert code_number(first, code) == code_number(second, code), f"{code} changed on reselect"
    assert [u.number for u in second.of("EXISTS")] == [len(SEEDED)], "EXISTS changed on reselect"


@pytest.mark.rfc("3501", "6.3.1", "MUST")
def test_select_switches_mailbox(imap, box, seeded):
    append(imap, box, 99)
    imap.select(seeded, readonly=True)
    reply = imap.command("SELECT", mb(box))
    assert [u.number for u in reply.of("EXISTS")] == [1], "SELECT must report the new mailbox"
    fetched = imap.command("FETCH", b"1:*", b"RFC822.SIZE").fetches()
    assert list(fetched) == [1] and int(str(fetched[1]["RFC822.SIZE"])) == len(message(99)), (
        "'The SELECT command automatically deselects any currently selected mailbox': FETCH "
        f"after the second SELECT must see its single message; got {fetched}"
    )


@pytest.mark.rfc("3501", "6.3.1", "MUST")
@pytest.mark.parametrize("command", ["SELECT", "EXAMINE"])
def test_failed_select_leaves_no_mailbox_selected(imap, seeded, sandbox, command):
    imap.select(seeded, readonly=True)
    reply = imap.command(command, mb(sandbox.name("missing")))
    assert reply.status == "NO", f"{command} of a missing mailbox must be NO; got {reply.summary()}"
    fetch = imap.command("FETCH", b"1", b"FLAGS")
    assert fetch.status in ("BAD", "NO"), (
        "'if a mailbox is selected and a SELECT command that fails is attempted, no mailbox is "
        f"selected'; FETCH afterwards said {fetch.summary()}"
    )


@pytest.mark.rfc("3501", "6.4.2", "MUST")
@pytest.mark.parametrize("how", ["SELECT", "EXAMINE", "LOGOUT"])
def test_implicit_close_does_not_expunge(imap, connect, box, seeded, how):
    for n in range(3):
        append(imap, box, n)
    session = connect()
    session.select(box)
    stored = session.command("STORE", b"1:2", b"+FLAGS.SILENT", b"(\\Deleted)")
    assert stored.ok, f"STORE \\Deleted failed: {stored.summary()}"
    if how == "LOGOUT":
        session.logout()
    else:
        assert session.command(how, mb(seeded)).ok
    assert count(imap, box) == 3, (
        f"'The SELECT, EXAMINE, and LOGOUT commands implicitly close the currently selected "
        f"mailbox without doing an expunge': {how} removed \\Deleted messages"
    )
