"""Security: AUTHENTICATE PLAIN, cancelling, wrong credentials, repeated failures.

RFC 3501 §6.2.2 and §11.2, RFC 4616 (PLAIN), RFC 5530 (response codes), RFC 9051 §6.2.2.
LOGIN with quoted and literal credentials is in test_rfc3501_not_authenticated.py, PLAIN with
an initial response (SASL-IR) in test_ext_sasl_ir.py. Repeated failures use a made-up user, so
no lockout policy can ever hit the account under test.
"""

from __future__ import annotations

import secrets
import time

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.target import Credentials
from imapcheck.wire.encode import quoted

WRONG_STATE = ("BAD", "NO")
FAILURES = 4  # wrong logins in a row for the figure
RFC5530_CODES = {
    "AUTHENTICATIONFAILED",
    "UNAVAILABLE",
    "AUTHORIZATIONFAILED",
    "EXPIRED",
    "PRIVACYREQUIRED",
    "CONTACTADMIN",
    "NOPERM",
    "INUSE",
    "EXPUNGEISSUED",
    "CORRUPTION",
    "SERVERBUG",
    "CLIENTBUG",
    "CANNOT",
    "LIMIT",
    "OVERQUOTA",
    "ALREADYEXISTS",
    "NONEXISTENT",
}


def plain_session(connect) -> Session:
    session = connect(login=False)
    if "AUTH=PLAIN" not in session.capabilities:
        session.capability()
    if "AUTH=PLAIN" not in session.capabilities:
        pytest.skip("the server does not advertise AUTH=PLAIN on this connection")
    return session


def wrong(target) -> Credentials:
    return Credentials(target.user.user, "wrong-" + secrets.token_hex(6))


def assert_authenticated(session: Session, how: str) -> None:
    assert session.state == "authenticated", f"{how} must enter the authenticated state"
    examine = session.command("EXAMINE", b"INBOX")
    assert examine.ok, f"after {how} the session is authenticated; EXAMINE said {examine.summary()}"


def assert_not_authenticated(session: Session, after: str) -> None:
    select = session.command("SELECT", b"INBOX")
    assert select.status in WRONG_STATE, (
        f"after {after} the session must still be not authenticated; SELECT said {select.summary()}"
    )


@pytest.mark.rfc("3501", "6.2.2", "MUST")
def test_authenticate_plain_by_continuation(connect):
    """AUTHENTICATE and PLAIN are mandatory; the exchange every server must support.

    (The initial-response forms are in test_ext_sasl_ir.py.)
    """
    session = plain_session(connect)
    reply = session.authenticate_plain(sasl_ir=False)
    assert reply.ok, f"AUTHENTICATE PLAIN (challenge, response) failed: {reply.summary()}"
    assert len(reply.continuations) == 1, (
        f"PLAIN needs exactly one '+' continuation; the server sent {len(reply.continuations)}"
    )
    challenge = reply.continuations[0].first_line[1:].strip()
    assert challenge == b"", (
        "PLAIN is client-first: the server's challenge is zero-length ('+ '); "
        f"got {challenge[:60]!r}"
    )
    assert_authenticated(session, "AUTHENTICATE PLAIN")


@pytest.mark.rfc("3501", "6.2.2", "MUST")
def test_authenticate_cancelled_with_star_is_bad(connect, target):
    session = plain_session(connect)
    reply = session.authenticate("PLAIN", [])  # answers the '+' with "*"
    assert reply.status == "BAD", (
        "'If the client wishes to cancel an authentication exchange, it issues a line consisting "
        'of a single "*". If the server receives such a response, it MUST reject the '
        f"AUTHENTICATE command by sending a tagged BAD response'; server said {reply.summary()}"
    )
    assert_not_authenticated(session, "a cancelled AUTHENTICATE")
    session.login()
    assert session.state == "authenticated", "LOGIN must still work after a cancelled exchange"


@pytest.mark.rfc("9051", "6.2.2", "MUST")
def test_authenticate_invalid_base64_response_is_refused(connect, server_info):
    """IMAP4rev2: BAD. RFC 3501 names no result for it; an IMAP4rev1 server may say NO.

    (An invalid initial response is in test_ext_sasl_ir.py.)
    """
    session = plain_session(connect)
    reply = session.authenticate("PLAIN", [b"=AAA*not*base64"])
    expected = ("BAD",) if server_info.has("IMAP4rev2") else ("BAD", "NO")
    assert reply.status in expected, (
        "an invalid base64 string (characters outside the base64 alphabet, a non-terminal '=') "
        f"must be rejected with {' or '.join(expected)} (RFC 9051 §6.2.2: a tagged BAD; "
        f"RFC 4959 §3); server said {reply.summary()}"
    )
    assert_not_authenticated(session, "a malformed AUTHENTICATE")


@pytest.mark.rfc("3501", "6.2.2", "SHOULD")
def test_authenticate_unknown_mechanism_is_no(connect):
    session = connect(login=False)
    reply = session.authenticate("X-IMAPCHECK-NONE", [])
    assert reply.status == "NO", (
        "'If the requested authentication mechanism is not supported, the server SHOULD reject "
        f"the AUTHENTICATE command by sending a tagged NO response'; server said {reply.summary()}"
    )
    assert_not_authenticated(session, "AUTHENTICATE with an unknown mechanism")


@pytest.mark.rfc("3501", "6.2.2", "MUST")
def test_authenticate_plain_wrong_password_is_no(connect, target):
    session = plain_session(connect)
    reply = session.authenticate_plain(wrong(target), sasl_ir=False)
    assert reply.status == "NO", (
        "AUTHENTICATE with rejected credentials must fail with NO ('authenticate failure: ... "
        f"credentials rejected'); server said {reply.summary()}"
    )
    assert_not_authenticated(session, "a failed AUTHENTICATE")


def _fail_login(connect, target, how: str, user: str | None = None):
    session = plain_session(connect) if how == "AUTHENTICATE" else connect(login=False)
    account = wrong(target) if user is None else Credentials(user, "wrong-" + secrets.token_hex(6))
    if how == "AUTHENTICATE":
        return session.authenticate_plain(account)
    session.transcript.add_secret(account.password)
    return session.command("LOGIN", quoted(account.user), quoted(account.password))


@pytest.mark.rfc("5530", "3", "SHOULD")
@pytest.mark.parametrize("how", ["LOGIN", "AUTHENTICATE"])
def test_wrong_credentials_carry_authenticationfailed(connect, target, how):
    reply = _fail_login(connect, target, how)
    assert reply.status == "NO", f"{how} with a wrong password must be NO; got {reply.summary()}"
    if reply.code is None or reply.code.name not in RFC5530_CODES:
        pytest.skip("the server sends no RFC 5530 response code with a failed login (optional)")
    assert reply.code.name == "AUTHENTICATIONFAILED", (
        "a server using RFC 5530 codes says [AUTHENTICATIONFAILED] when the credentials are "
        f"wrong (other codes tell the client something else, e.g. to retry later); got "
        f"{reply.summary()}"
    )


@pytest.mark.rfc("3501", "11.2", "SHOULD")
@pytest.mark.parametrize("how", ["LOGIN", "AUTHENTICATE"])
def test_unknown_user_and_wrong_password_look_alike(connect, target, how):
    """'A server error message for a failing LOGIN command SHOULD NOT specify that the user
    name, as opposed to the password, is invalid' (and likewise for AUTHENTICATE)."""
    bad_password = _fail_login(connect, target, how)
    unknown_user = _fail_login(connect, target, how, user=f"nobody-{secrets.token_hex(5)}")
    seen = (bad_password.status, str(bad_password.code), bad_password.text)
    assert seen == (unknown_user.status, str(unknown_user.code), unknown_user.text), (
        "the answer to an unknown user must not differ from the answer to a wrong password: "
        f"wrong password -> {bad_password.summary()}; unknown user -> {unknown_user.summary()}"
    )


@pytest.mark.rfc("3501", "11.2", "SHOULD")
def test_repeated_failures_figure(connect, target, record_property, request):
    """'A server SHOULD have mechanisms in place to limit or delay failed AUTHENTICATE/LOGIN
    attempts': reported as a figure (delays, disconnection), asserted only for safety."""
    session = connect(login=False)
    user = f"nobody-{secrets.token_hex(5)}"
    rows: list[str] = []
    for attempt in range(1, FAILURES + 1):
        started = time.monotonic()
        try:
            reply = session.command("LOGIN", quoted(user), quoted("x" + secrets.token_hex(6)))
        except ImapcheckError as exc:
            rows.append(f"attempt {attempt}: {type(exc).__name__} after "
                        f"{time.monotonic() - started:.2f}s ({exc})")  # fmt: skip
            break
        rows.append(f"attempt {attempt}: {reply.status} after {time.monotonic() - started:.2f}s")
        assert reply.status != "OK", f"a made-up user logged in: {reply.summary()}"
        if session.state == "logout":
            rows.append("the server said BYE")
            break
    started = time.monotonic()
    try:
        connect()
        rows.append(f"then a correct login on a new connection: {time.monotonic() - started:.2f}s")
    except ImapcheckError as exc:
        rows.append(f"then a correct login on a new connection failed: {exc}")
    figure = "; ".join(rows)
    record_property("figure:repeated-login-failures", figure)
    request.node.add_report_section("call", "figure", figure)
