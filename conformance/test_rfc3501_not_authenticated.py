"""RFC 3501 §6.2 (LOGIN) and §6 (commands in the wrong state)."""

from __future__ import annotations

import secrets

import pytest

from imapcheck.target import Credentials
from imapcheck.wire.encode import Literal, quoted

WRONG_STATE = ("BAD", "NO")  # RFC 3501 §6: "BAD or NO (depending upon server implementation)"


def _login_args(account: Credentials, form: str):
    if form == "quoted":
        return quoted(account.user), quoted(account.password)
    if form == "literal":
        return Literal(account.user.encode()), Literal(account.password.encode())
    return account.user.encode(), quoted(account.password)  # atom user name


@pytest.mark.rfc("3501", "6.2.3", "MUST")
@pytest.mark.parametrize("form", ["atom", "quoted", "literal"])
def test_login_accepts_every_string_form(connect, target, form):
    session = connect(login=False)
    account = target.user
    if form == "atom" and not account.user.replace("-", "").replace(".", "").isalnum():
        pytest.skip("the user name is not an atom")
    session.transcript.add_secret(account.password)
    reply = session.command("LOGIN", *_login_args(account, form))
    assert reply.ok, f"LOGIN with {form} credentials must succeed; server said {reply.summary()}"
    select = session.command("SELECT", b"INBOX")
    assert select.ok, "after a successful LOGIN the session is authenticated: SELECT INBOX works"


@pytest.mark.rfc("3501", "6.2.3", "MUST")
def test_login_wrong_password_is_no(connect, target):
    session = connect(login=False)
    wrong = "wrong-" + secrets.token_hex(6)
    reply = session.command("LOGIN", quoted(target.user.user), quoted(wrong))
    assert reply.status == "NO", (
        f"LOGIN with a wrong password must fail with NO; server said {reply.summary()}"
    )
    after = session.command("SELECT", b"INBOX")
    assert after.status in WRONG_STATE, (
        "after a failed LOGIN the session is still not authenticated; "
        f"SELECT said {after.summary()}"
    )


@pytest.mark.rfc("3501", "6.2.3", "MUST")
def test_login_unknown_user_is_no(connect):
    session = connect(login=False)
    reply = session.command(
        "LOGIN", quoted("no-such-user-" + secrets.token_hex(4)), quoted("x" + secrets.token_hex(6))
    )
    assert reply.status == "NO", f"LOGIN of an unknown user must be NO; got {reply.summary()}"


@pytest.mark.rfc("3501", "6.2.3", "MUST")
@pytest.mark.parametrize(
    "args", [(), (b"onlyuser",), (b'"a"', b'"b"', b'"c"')], ids=["no-args", "one-arg", "three-args"]
)
def test_login_with_wrong_arguments_is_bad(connect, args):
    session = connect(login=False)
    reply = session.command("LOGIN", *args)
    assert reply.status == "BAD", (
        f"LOGIN with invalid arguments must be BAD (§6.2.3); server said {reply.summary()}"
    )
    assert session.command("NOOP").ok, "the connection must stay usable after BAD"


@pytest.mark.rfc("3501", "6", "MUST")
@pytest.mark.parametrize(
    "command",
    [
        ("SELECT", b"INBOX"),
        ("EXAMINE", b"INBOX"),
        ("CREATE", b"imapcheck-never"),
        ("DELETE", b"imapcheck-never"),
        ("LIST", b'""', b'"*"'),
        ("STATUS", b"INBOX", b"(MESSAGES)"),
        ("APPEND", b"INBOX", Literal(b"x")),
        ("SUBSCRIBE", b"INBOX"),
        ("LSUB", b'""', b'"*"'),
    ],
)
def test_authenticated_commands_refused_before_login(connect, command):
    session = connect(login=False)
    reply = session.command(*command)
    assert reply.status in WRONG_STATE, (
        f"{command[0]} is not valid in the not authenticated state and must be refused with "
        f"BAD or NO; server said {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6", "MUST")
@pytest.mark.parametrize(
    "command",
    [
        ("FETCH", b"1", b"FLAGS"),
        ("STORE", b"1", b"+FLAGS", b"(\\Seen)"),
        ("SEARCH", b"ALL"),
        ("COPY", b"1", b"INBOX"),
        ("EXPUNGE",),
        ("CLOSE",),
        ("CHECK",),
        ("UID", b"FETCH", b"1", b"FLAGS"),
    ],
)
def test_selected_commands_refused_in_authenticated_state(connect, command):
    session = connect()
    reply = session.command(*command)
    assert reply.status in WRONG_STATE, (
        f"{command[0]} is only valid in the selected state and must be refused with BAD or NO "
        f"when no mailbox is selected; server said {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6.2", "MUST")
@pytest.mark.parametrize("command", ["LOGIN", "AUTHENTICATE"])
def test_login_commands_refused_once_authenticated(connect, target, command):
    session = connect()
    if command == "LOGIN":
        reply = session.command(
            "LOGIN", quoted(target.user.user), quoted("x" + secrets.token_hex(6))
        )
    else:
        reply = session.command("AUTHENTICATE", b"PLAIN", b"=")
    assert reply.status in WRONG_STATE, (
        f"{command} is only valid in the not authenticated state; server said {reply.summary()}"
    )
