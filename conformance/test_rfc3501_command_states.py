"""RFC 3501 §3, §6.3, §6.4: every command works in the states where it is valid, not elsewhere.

CAPABILITY, NOOP and LOGOUT (any state) and LOGIN/AUTHENTICATE before and after login are in
test_rfc3501_any_state.py and test_rfc3501_not_authenticated.py.
"""

from __future__ import annotations

import contextlib

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.wire.encode import Literal, astring, quoted
from imapcheck.wire.tokens import as_text
from imapcheck.wire.utf7 import encode_mailbox

WRONG_STATE = ("BAD", "NO")
MESSAGE = b"From: a@example.org\r\nSubject: states\r\n\r\nhello\r\n"
AUTHENTICATED = [
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "STATUS",
    "APPEND",
]
SELECTED = ["CHECK", "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "UID"]
MUTATING = {"DELETE", "RENAME", "APPEND", "EXPUNGE", "STORE", "COPY"}  # need their own mailboxes


def mb(name: str):
    return astring(encode_mailbox(name))


def count(session, name: str) -> int | None:
    reply = session.command("STATUS", mb(name), b"(MESSAGES)")
    return int(str(reply.of("STATUS")[0].items["MESSAGES"])) if reply.ok else None


def names(session, pattern: str) -> list[str]:
    reply = session.command("LIST", b'""', mb(pattern))
    return [as_text(u.tokens[2]) or "" for u in reply.of("LIST")]


def make_pair(session, sandbox, hint: str) -> tuple[str, str]:
    """Two mailboxes with one message each: (work, other)."""
    pair = (sandbox.create(session, hint), sandbox.create(session, hint + "-other"))
    for name in pair:
        assert session.command("APPEND", mb(name), Literal(MESSAGE)).ok
    return pair


@pytest.fixture(scope="module")
def shared(target, sandbox):
    """A pair for commands that change nothing (made once)."""
    session = Session(target, name="states-setup", validate=False)
    session.connect()
    session.login()
    pair = make_pair(session, sandbox, "states-shared")
    yield pair
    try:
        for name in pair:
            sandbox.remove(session, name)
    except (ImapcheckError, OSError):
        pass  # the run's clean-up removes the rest
    finally:
        session.logout()


@pytest.fixture
def fresh(imap, sandbox, request):
    """A pair of the test's own, for commands that change mailboxes."""
    pair = make_pair(imap, sandbox, request.node.name)
    yield pair
    if imap.connected:
        with contextlib.suppress(ImapcheckError, OSError):
            for name in (*pair, pair[0] + "-new"):
                sandbox.remove(imap, name)


def boxes(request, command: str) -> tuple[str, str]:
    return request.getfixturevalue("fresh" if command in MUTATING else "shared")


def run_authenticated_command(session, command: str, work: str) -> None:
    """Run ``command`` on ``work`` (never the selected mailbox) and check its effect."""
    new = work + "-new"
    if command in ("SELECT", "EXAMINE"):
        reply = session.command(command, mb(work))
        assert reply.ok and [u.number for u in reply.of("EXISTS")] == [1], reply.summary()
        assert session.command("FETCH", b"1", b"UID").ok, f"{command} did not select {work!r}"
        return
    if command == "CREATE":
        reply = session.command("CREATE", mb(new))
        try:
            assert reply.ok and encode_mailbox(new) in names(session, new), reply.summary()
        finally:
            session.command("DELETE", mb(new))
    elif command == "DELETE":
        reply = session.command("DELETE", mb(work))
        assert reply.ok and count(session, work) is None, reply.summary()
    elif command == "RENAME":
        reply = session.command("RENAME", mb(work), mb(new))
        assert reply.ok and count(session, new) == 1 and count(session, work) is None
    elif command in ("SUBSCRIBE", "UNSUBSCRIBE"):
        assert session.command("SUBSCRIBE", mb(work)).ok
        try:
            if command == "UNSUBSCRIBE":
                assert session.command("UNSUBSCRIBE", mb(work)).ok
            lsub = session.command("LSUB", b'""', mb(work))
            assert len(lsub.of("LSUB")) == (1 if command == "SUBSCRIBE" else 0), lsub.summary()
        finally:
            session.command("UNSUBSCRIBE", mb(work))
    elif command in ("LIST", "LSUB"):
        reply = session.command(command, b'""', mb(work))
        assert reply.ok, reply.summary()
        if command == "LIST":
            assert [as_text(u.tokens[2]) for u in reply.of("LIST")] == [encode_mailbox(work)]
    elif command == "STATUS":
        assert count(session, work) == 1
    elif command == "APPEND":
        reply = session.command("APPEND", mb(work), Literal(MESSAGE))
        assert reply.ok and count(session, work) == 2, reply.summary()


@pytest.mark.rfc("3501", "6.3", "MUST")
@pytest.mark.parametrize("state", ["authenticated", "selected"])
@pytest.mark.parametrize("command", AUTHENTICATED)
def test_authenticated_command_valid(request, imap, command, state):
    work, other = boxes(request, command)
    if state == "selected":
        imap.select(other)
    try:
        run_authenticated_command(imap, command, work)
    except AssertionError as exc:
        raise AssertionError(
            f"{command} is valid in the {state} state (§6.3, §6.4) and must do its job: {exc}"
        ) from None


def run_selected_command(session, command: str, work: str, other: str) -> None:
    if command == "CHECK":
        assert session.command("CHECK").ok
    elif command == "CLOSE":
        assert session.command("CLOSE").ok
        assert session.command("FETCH", b"1", b"UID").status in WRONG_STATE, "still selected"
    elif command == "EXPUNGE":
        assert session.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)").ok
        reply = session.command("EXPUNGE")
        assert reply.ok and [u.number for u in reply.of("EXPUNGE")] == [1], reply.summary()
    elif command == "SEARCH":
        reply = session.command("SEARCH", b"ALL")
        assert reply.ok and [u.tokens for u in reply.of("SEARCH")] == [["1"]], reply.summary()
    elif command == "FETCH":
        reply = session.command("FETCH", b"1", b"RFC822.SIZE")
        assert reply.ok and str(reply.fetches()[1]["RFC822.SIZE"]) == str(len(MESSAGE))
    elif command == "STORE":
        reply = session.command("STORE", b"1", b"+FLAGS", b"(\\Flagged)")
        flags = {str(f).lower() for f in reply.fetches()[1]["FLAGS"]}
        assert reply.ok and "\\flagged" in flags, reply.summary()
    elif command == "COPY":
        assert session.command("COPY", b"1", mb(other)).ok and count(session, other) == 2
    elif command == "UID":
        reply = session.command("UID", b"FETCH", b"1:*", b"FLAGS")
        assert reply.ok and len(reply.fetches()) == 1, reply.summary()


@pytest.mark.rfc("3501", "6.4", "MUST")
@pytest.mark.parametrize("command", SELECTED)
def test_selected_command_valid(request, imap, command):
    work, other = boxes(request, command)
    imap.select(work)
    try:
        run_selected_command(imap, command, work, other)
    except AssertionError as exc:
        raise AssertionError(
            f"{command} is valid in the selected state (§6.4) and must do its job: {exc}"
        ) from None


@pytest.mark.rfc("3501", "6", "MUST")
@pytest.mark.parametrize(
    "command",
    [
        ("CHECK",),
        ("CLOSE",),
        ("EXPUNGE",),
        ("SEARCH", b"ALL"),
        ("FETCH", b"1", b"FLAGS"),
        ("STORE", b"1", b"+FLAGS", b"(\\Seen)"),
        ("COPY", b"1", b"INBOX"),
        ("UID", b"FETCH", b"1", b"FLAGS"),
        ("RENAME", b"imapcheck-never", b"imapcheck-never2"),
        ("UNSUBSCRIBE", b"imapcheck-never"),
    ],
    ids=lambda c: c[0],
)
def test_command_refused_before_login(connect, command):
    session = connect(login=False)
    reply = session.command(*command)
    assert reply.status in WRONG_STATE, (
        f"{command[0]} is not valid in the not authenticated state and must be refused with BAD "
        f"or NO; server said {reply.summary()}"
    )
    assert session.state == "not authenticated" and session.command("NOOP").ok


@pytest.mark.rfc("3501", "6.2", "MUST")
@pytest.mark.parametrize(
    ("command", "state"),
    [
        ("STARTTLS", "authenticated"),
        ("STARTTLS", "selected"),
        ("LOGIN", "selected"),
        ("AUTHENTICATE", "selected"),
    ],
)
def test_not_authenticated_command_refused_later(connect, target, command, state):
    session = connect()
    if state == "selected":
        session.select("INBOX", readonly=True)
    args = {
        "LOGIN": (quoted(target.user.user), quoted("not-the-password")),
        "AUTHENTICATE": (b"PLAIN", b"="),
        "STARTTLS": (),
    }[command]
    reply = session.command(command, *args)
    assert reply.status in WRONG_STATE, (
        f"{command} is valid only in the not authenticated state (§6.2); in the {state} state "
        f"the server said {reply.summary()}"
    )
    assert session.command("NOOP").ok, "the session must stay usable after the refusal"


@pytest.mark.rfc("3501", "6.4.8", "MUST")
@pytest.mark.parametrize(
    "sub", [b"EXPUNGEX", b"SELECT", b"NOOP"], ids=["unknown", "select", "noop"]
)
def test_uid_with_invalid_subcommand_is_bad(imap, shared, sub):
    work, _ = shared
    imap.select(work)
    reply = imap.command("UID", sub, b"1")
    assert reply.status == "BAD", (
        "UID takes COPY, FETCH, STORE or SEARCH (or an extension's command); UID "
        f"{sub.decode()} must be BAD, got {reply.summary()}"
    )
