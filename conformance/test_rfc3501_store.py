"""RFC 3501 §6.4.6, §2.3.2: STORE of flags, its untagged FETCH, .SILENT, and what persists."""

from __future__ import annotations

import contextlib

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

INITIAL = b"(\\Seen \\Flagged)"
START = {"\\seen", "\\flagged"}
OPS = {  # operation -> (argument, flags after applying it to START)
    "FLAGS": (b"(\\Answered \\Flagged)", {"\\answered", "\\flagged"}),
    "+FLAGS": (b"(\\Answered \\Flagged)", {"\\seen", "\\flagged", "\\answered"}),
    "-FLAGS": (b"(\\Answered \\Flagged)", {"\\seen"}),
}
SYSTEM = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]
KEYWORDS = ["$Forwarded", "$MDNSent", "Junk", "NonJunk", "imapcheck_kw-1"]


def mb(name: str):
    return astring(encode_mailbox(name))


def message(n: int) -> bytes:
    return b"From: a@example.org\r\nSubject: store %d\r\n\r\nbody %d\r\n" % (n, n)


def flags(tokens) -> set[str]:
    return {str(f).lower() for f in tokens} - {"\\recent"}


def look(session, name: str) -> dict[int, set[str]]:
    """{UID: flags} as another session sees them (EXAMINE again, which changes nothing)."""
    assert session.command("EXAMINE", mb(name)).ok
    fetched = session.command("FETCH", b"1:*", b"(UID FLAGS)").fetches()
    return {int(str(f["UID"])): flags(f["FLAGS"]) for f in fetched.values()}


def flag_fetches(reply) -> dict[int, set[str]]:
    return {seq: flags(f["FLAGS"]) for seq, f in reply.fetches().items() if "FLAGS" in f}


def uids(session) -> list[int]:
    fetched = session.command("FETCH", b"1:*", b"UID").fetches()
    return [int(str(fetched[seq]["UID"])) for seq in sorted(fetched)]


def make_box(session, sandbox, hint: str, initial: bytes | None, count: int = 3) -> str:
    name = sandbox.create(session, hint)
    for n in range(1, count + 1):
        args = [mb(name)] + ([initial] if initial else []) + [Literal(message(n))]
        assert session.command("APPEND", *args).ok, "APPEND failed"
    return name


@pytest.fixture
def box(imap, sandbox, request):
    """Three messages flagged \\Seen \\Flagged, selected read-write in ``imap``."""
    name = make_box(imap, sandbox, request.node.name, INITIAL)
    reply = imap.select(name)
    permanent = reply.code_named("PERMANENTFLAGS")
    known = {str(f).lower() for f in permanent.args[0]} if permanent and permanent.args else None
    if known is not None and not {"\\seen", "\\flagged", "\\answered"} <= known:
        pytest.skip("the server cannot store \\Seen, \\Flagged and \\Answered permanently")
    yield name
    if imap.connected:
        with contextlib.suppress(ImapcheckError, OSError):
            sandbox.remove(imap, name)


@pytest.fixture
def observer(connect):
    """A second session of the same user, to see what persists."""
    return connect()


@pytest.fixture
def bare(imap, sandbox, request):
    """Three messages without flags, selected read-write; PERMANENTFLAGS as a set."""
    name = make_box(imap, sandbox, request.node.name, None)
    reply = imap.select(name)
    permanent = reply.code_named("PERMANENTFLAGS")
    known = {str(f).lower() for f in permanent.args[0]} if permanent and permanent.args else None
    yield name, known
    if imap.connected:
        with contextlib.suppress(ImapcheckError, OSError):
            sandbox.remove(imap, name)


@pytest.mark.rfc("3501", "6.4.6", "MUST")
@pytest.mark.parametrize("op", list(OPS))
def test_store_returns_new_flags(imap, box, op):
    arg, expected = OPS[op]
    reply = imap.command("STORE", b"2", op.encode(), arg)
    assert reply.ok, f"STORE 2 {op} failed: {reply.summary()}"
    got = flag_fetches(reply)
    assert got == {2: expected}, (
        f"{op}: 'The new value of the flags is returned as if a FETCH of those flags was done'; "
        f"expected '* 2 FETCH (FLAGS {sorted(expected)})' only, got {got}"
    )


@pytest.mark.rfc("3501", "6.4.6", "MUST")
@pytest.mark.parametrize("op", list(OPS))
def test_store_silent_sends_no_fetch(imap, box, op):
    arg, expected = OPS[op]
    reply = imap.command("STORE", b"2", f"{op}.SILENT".encode(), arg)
    assert reply.ok, f"STORE 2 {op}.SILENT failed: {reply.summary()}"
    assert not flag_fetches(reply), (
        f"{op}.SILENT is 'Equivalent to {op}, but without returning a new value'; the server sent "
        f"{[str(u) for u in reply.of('FETCH')]}"
    )
    after = flag_fetches(imap.command("FETCH", b"2", b"FLAGS"))
    assert after == {2: expected}, f"{op}.SILENT must still change the flags to {expected}: {after}"


@pytest.mark.rfc("3501", "2.3.2", "MUST")
@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("silent", [False, True], ids=["loud", "silent"])
def test_stored_flags_seen_by_other_session(imap, observer, box, op, silent):
    arg, expected = OPS[op]
    item = f"{op}.SILENT" if silent else op
    assert imap.command("STORE", b"2", item.encode(), arg).ok
    seen = look(observer, box)
    order = sorted(seen)
    got = [seen[uid] for uid in order]
    assert got == [START, expected, START], (
        f"permanent flags: 'subsequent sessions will see any change'; after STORE 2 {item} "
        f"{arg.decode()} another session sees {got}, expected {[START, expected, START]}"
    )


@pytest.mark.rfc("3501", "2.3.2", "MUST")
@pytest.mark.parametrize("flag", SYSTEM)
def test_system_flag_set_and_cleared_persistently(imap, observer, bare, flag):
    name, known = bare
    if known is not None and flag.lower() not in known:
        pytest.skip(f"{flag} is not in PERMANENTFLAGS")
    assert imap.command("STORE", b"1", b"+FLAGS.SILENT", f"({flag})".encode()).ok
    first = look(observer, name)
    assert [first[u] for u in sorted(first)] == [{flag.lower()}, set(), set()], (
        f"+FLAGS ({flag}) on message 1 must be visible to another session; it sees {first}"
    )
    assert imap.command("STORE", b"1", b"-FLAGS.SILENT", f"({flag})".encode()).ok
    second = look(observer, name)
    assert all(not f for f in second.values()), f"-FLAGS ({flag}) did not persist: {second}"


@pytest.mark.rfc("3501", "7.1", "MUST")
@pytest.mark.parametrize("keyword", KEYWORDS)
def test_keyword_set_and_cleared_persistently(imap, observer, bare, keyword):
    name, known = bare
    if known is not None and "\\*" not in known and keyword.lower() not in known:
        pytest.skip("PERMANENTFLAGS has no \\*: the server does not accept new keywords")
    reply = imap.command("STORE", b"3", b"+FLAGS", f"({keyword})".encode())
    assert reply.ok, (
        f"\\* in PERMANENTFLAGS 'indicates that it is possible to create new keywords by "
        f"attempting to store those flags'; STORE +FLAGS ({keyword}) said {reply.summary()}"
    )
    assert flag_fetches(reply) == {3: {keyword.lower()}}, f"STORE returned {flag_fetches(reply)}"
    seen = look(observer, name)
    assert seen[max(seen)] == {keyword.lower()}, f"another session does not see {keyword}: {seen}"
    assert imap.command("STORE", b"3", b"-FLAGS.SILENT", f"({keyword})".encode()).ok
    assert not look(observer, name)[max(seen)], f"-FLAGS ({keyword}) did not persist"


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("FLAGS", set()),
        ("+FLAGS", START),
        ("-FLAGS", START),
    ],
)
def test_store_empty_flag_list(imap, observer, box, op, expected):
    reply = imap.command("STORE", b"1", op.encode(), b"()")
    assert reply.ok, f'flag-list = "(" [flag *(SP flag)] ")" allows {op} (); got {reply.summary()}'
    seen = look(observer, box)
    assert seen[min(seen)] == expected, (
        f"STORE 1 {op} () must leave the flags {sorted(expected)}; another session sees "
        f"{sorted(seen[min(seen)])}"
    )


@pytest.mark.rfc("3501", "9", "MUST")
def test_system_flags_are_case_insensitive(imap, observer, bare):
    name, _ = bare
    reply = imap.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\sEeN \\FLAGGED)")
    assert reply.ok, (
        f"'Implementations MUST accept these strings in a case-insensitive fashion'; "
        f"STORE +FLAGS (\\sEeN \\FLAGGED) said {reply.summary()}"
    )
    seen = look(observer, name)
    assert seen[min(seen)] == {"\\seen", "\\flagged"}, f"another session sees {seen[min(seen)]}"


@pytest.mark.rfc("3501", "6.4.6", "MUST")
@pytest.mark.parametrize(
    ("seqset", "hit"),
    [
        ("2:3", [2, 3]),
        ("*", [3]),
        ("1,3", [1, 3]),
        ("3:2", [2, 3]),
        ("2:*", [2, 3]),
    ],
)
def test_store_touches_exactly_the_sequence_set(imap, observer, bare, seqset, hit):
    name, _ = bare
    reply = imap.command("STORE", seqset.encode(), b"+FLAGS", b"(\\Flagged)")
    assert reply.ok, f"STORE {seqset} failed: {reply.summary()}"
    assert sorted(flag_fetches(reply)) == hit, (
        f"STORE {seqset} must return a FETCH for messages {hit}; got {sorted(flag_fetches(reply))}"
    )
    seen = look(observer, name)
    flagged = [seq for seq, uid in enumerate(sorted(seen), 1) if seen[uid]]
    assert flagged == hit, f"STORE {seqset} must flag messages {hit}; flagged are {flagged}"


@pytest.mark.rfc("3501", "6.3.2", "MUST")
@pytest.mark.parametrize(
    ("op", "arg"),
    [
        ("FLAGS", b"(\\Answered)"),
        ("+FLAGS", b"(\\Deleted)"),
        ("-FLAGS", b"(\\Seen)"),
    ],
)
def test_store_in_examine_changes_nothing(imap, observer, box, op, arg):
    assert imap.command("EXAMINE", mb(box)).ok
    reply = imap.command("STORE", b"1", op.encode(), arg)
    returned = flag_fetches(reply)
    assert all(f == START for f in returned.values()), (
        f"in a mailbox opened with EXAMINE STORE must not report changed flags; got {returned}"
    )
    seen = look(observer, box)
    assert all(f == START for f in seen.values()), (
        "'No changes to the permanent state of the mailbox ... are permitted' after EXAMINE; "
        f"STORE 1 {op} {arg.decode()} ({reply.summary()}) changed them to {seen}"
    )


@pytest.mark.rfc("3501", "9", "SHOULD")
def test_store_beyond_last_message_is_bad(imap, observer, box):
    reply = imap.command("STORE", b"4", b"+FLAGS", b"(\\Deleted)")
    assert reply.status == "BAD", (
        "'The server should respond with a tagged BAD response to a command that uses a message "
        f"sequence number greater than the number of messages'; got {reply.summary()}"
    )
    assert all(f == START for f in look(observer, box).values()), "the refused STORE changed flags"


@pytest.mark.rfc("3501", "9", "MUST")
def test_store_unknown_item_is_bad(imap, box):
    reply = imap.command("STORE", b"1", b"XFLAGS", b"(\\Seen)")
    assert reply.status == "BAD", (
        f"STORE with an unknown data item must be BAD; got {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6.4.6", "SHOULD")
def test_other_session_told_of_flag_change(imap, connect, box):
    watcher = connect()
    watcher.select(box)
    assert imap.command("STORE", b"2", b"+FLAGS.SILENT", b"(\\Answered)").ok
    poll = watcher.command("NOOP")
    got = flag_fetches(poll)
    assert got.get(2) == START | {"\\answered"}, (
        "'the server SHOULD send an untagged FETCH response if a change to a message's flags "
        f"from an external source is observed'; the watching session's NOOP got {got}"
    )


# -- UID STORE ----------------------------------------------------------------------------------


@pytest.fixture
def gapped(imap, bare):
    """``bare`` after expunging message 1, so sequence numbers and UIDs differ."""
    name, _ = bare
    assert imap.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)").ok
    assert imap.command("EXPUNGE").ok
    return name, uids(imap)


@pytest.mark.rfc("3501", "6.4.8", "MUST")
def test_uid_store_addresses_uids(imap, observer, gapped):
    name, (first, second) = gapped
    reply = imap.command("UID", b"STORE", str(first).encode(), b"+FLAGS", b"(\\Flagged)")
    assert reply.ok, f"UID STORE failed: {reply.summary()}"
    seen = look(observer, name)
    assert seen == {first: {"\\flagged"}, second: set()}, (
        f"UID STORE {first} must flag the message with UID {first} (sequence 1), not sequence "
        f"{first}; another session sees {seen}"
    )


@pytest.mark.rfc("3501", "6.4.8", "MUST")
def test_uid_store_fetch_includes_uid(imap, gapped):
    _, (first, second) = gapped
    reply = imap.command("UID", b"STORE", f"{first}:{second}".encode(), b"+FLAGS", b"(\\Seen)")
    assert reply.ok, f"UID STORE failed: {reply.summary()}"
    fetched = reply.fetches()
    assert sorted(fetched) == [1, 2], f"UID STORE must return a FETCH per message: {fetched}"
    got = {seq: str(f.get("UID")) for seq, f in fetched.items()}
    assert got == {1: str(first), 2: str(second)}, (
        "'server implementations MUST implicitly include the UID message data item as part of any "
        f"FETCH response caused by a UID command'; got {got}"
    )


@pytest.mark.rfc("3501", "6.4.8", "MUST")
def test_uid_store_nonexistent_uid_is_ignored(imap, observer, gapped):
    name, (first, _) = gapped
    missing = first - 1  # the expunged message's UID
    reply = imap.command("UID", b"STORE", str(missing).encode(), b"+FLAGS", b"(\\Flagged)")
    assert reply.ok, (
        "'A non-existent unique identifier is ignored without any error message generated'; "
        f"UID STORE {missing} said {reply.summary()}"
    )
    assert all(not f for f in look(observer, name).values()), (
        "UID STORE of a missing UID changed flags"
    )


@pytest.mark.rfc("3501", "6.4.8", "MUST")
def test_uid_store_range_to_star_hits_last_message(imap, observer, gapped):
    name, (first, second) = gapped
    beyond = second + 100
    reply = imap.command("UID", b"STORE", f"{beyond}:*".encode(), b"+FLAGS", b"(\\Flagged)")
    assert reply.ok, f"UID STORE {beyond}:* failed: {reply.summary()}"
    seen = look(observer, name)
    assert seen == {first: set(), second: {"\\flagged"}}, (
        f"'a UID range of 559:* always includes the UID of the last message'; UID STORE "
        f"{beyond}:* left {seen}"
    )
