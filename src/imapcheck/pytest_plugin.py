"""pytest plugin: options, markers, the target, sessions and mailboxes for every test.

Registered through the ``pytest11`` entry point, so ``pytest --server host:993 --user U
--password P`` works in any checkout that has imapcheck installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from imapcheck.clientwrap import connect_imapclient
from imapcheck.errors import ImapcheckError, TargetError
from imapcheck.sandbox import Sandbox, ServerInfo, probe
from imapcheck.servers.common import RunningServer
from imapcheck.session import Session
from imapcheck.target import TLS_MODES, Target, from_options

LEVELS = ("MUST", "SHOULD", "MAY")
SESSIONS_KEY = pytest.StashKey[list[Any]]()
EXIT_UNREACHABLE = 2


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("imapcheck", "imapcheck: the IMAP server under test")
    add = group.addoption
    add("--server", help="HOST[:PORT] of the server under test (default: start a local Dovecot)")
    add("--user", help="account to test with (env IMAPCHECK_USER)")
    add("--password", help="its password (env IMAPCHECK_PASSWORD)")
    add("--user2", help="a second account for multi-user tests (env IMAPCHECK_USER2)")
    add("--password2", help="its password (env IMAPCHECK_PASSWORD2)")
    add(
        "--tls",
        choices=TLS_MODES,
        default=None,
        help="implicit (default on 993), starttls, plain, or auto (STARTTLS when advertised)",
    )
    add("--ca-file", help="CA certificate(s) to verify the server with")
    add("--insecure", action="store_true", help="do not verify the server's certificate")
    add(
        "--imap-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for any server answer (default 10)",
    )
    add(
        "--allow-destructive",
        action="store_true",
        help="run tests that touch INBOX even when it is not empty (RENAME INBOX, expunge)",
    )
    add(
        "--syntax",
        choices=("strict", "warn", "off"),
        default="strict",
        help="non-grammatical server lines fail the test (strict), are reported (warn), or not",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rfc(rfc, section, level): the RFC clause a test checks")
    config.addinivalue_line("markers", "requires(*capabilities): skip unless advertised")
    try:
        config.stash[_TARGET_KEY] = _target_from_config(config)
    except TargetError as exc:
        raise pytest.UsageError(f"imapcheck: {exc}") from None


_TARGET_KEY = pytest.StashKey[Target | None]()
_SERVER_KEY = pytest.StashKey[RunningServer]()


def _target_from_config(config: pytest.Config) -> Target | None:
    opt = config.getoption
    return from_options(
        opt("--server"),
        user=opt("--user"),
        password=opt("--password"),
        user2=opt("--user2"),
        password2=opt("--password2"),
        tls=opt("--tls"),
        ca_file=opt("--ca-file"),
        insecure=opt("--insecure"),
        timeout=opt("--imap-timeout"),
    )


def _stop(message: str) -> None:
    pytest.exit(f"imapcheck: {message}", returncode=EXIT_UNREACHABLE)


# -- the target and what we know of it -------------------------------------------------------


@pytest.fixture(scope="session")
def embedded_server(pytestconfig: pytest.Config) -> Iterator[RunningServer | None]:
    """The Dovecot imapcheck started itself, or None when --server was given."""
    if pytestconfig.stash[_TARGET_KEY] is not None:
        yield None
        return
    from imapcheck.servers import dovecot

    try:
        server = dovecot.start()
    except ImapcheckError as exc:
        _stop(str(exc))
        raise  # unreachable: pytest.exit raised
    pytestconfig.stash[_SERVER_KEY] = server
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, embedded_server: RunningServer | None) -> Target:
    """The server under test (session scope)."""
    given = pytestconfig.stash[_TARGET_KEY]
    if given is not None:
        return given
    assert embedded_server is not None
    from imapcheck.target import Credentials

    return Target(
        embedded_server.host,
        embedded_server.plain_port,
        "starttls",
        tuple(Credentials(a.user, a.password) for a in embedded_server.accounts),
        ca_file=str(embedded_server.root / "cert.pem"),
        timeout=pytestconfig.getoption("--imap-timeout"),
        name=f"{embedded_server.name} (embedded)",
    )


@pytest.fixture(scope="session")
def tls_target(target: Target, embedded_server: RunningServer | None) -> Target:
    """The same server over implicit TLS (the embedded server's TLS port, or the target)."""
    if embedded_server is not None:
        return target.with_port(embedded_server.tls_port, "implicit")
    return target


@pytest.fixture(scope="session")
def server_info(target: Target) -> ServerInfo:
    """Capabilities, delimiter and namespace, learned once; an unusable target stops the run."""
    session = Session(target, name="probe", validate=False)
    try:
        session.connect()
        return probe(session)
    except ImapcheckError as exc:
        _stop(str(exc))
        raise
    finally:
        session.logout()


@pytest.fixture(scope="session")
def sandbox(target: Target, server_info: ServerInfo) -> Iterator[Sandbox]:
    """The run prefix; everything under it is removed when the run ends, even after failures."""
    box = Sandbox(server_info)
    yield box
    session = Session(target, name="cleanup", validate=False)
    try:
        session.connect()
        session.login()
        left = box.remove_all(session)
        if left:
            print(f"\nimapcheck: could not remove {left}; run 'imapcheck clean'")
    except ImapcheckError as exc:
        print(f"\nimapcheck: clean-up failed ({exc}); run 'imapcheck clean'")
    finally:
        session.logout()


# -- sessions -------------------------------------------------------------------------------


@pytest.fixture
def connect(
    request: pytest.FixtureRequest, target: Target, server_info: ServerInfo
) -> Iterator[Callable[..., Session]]:
    """Factory: ``connect(login=True, account=None, target=None, tls=None) -> Session``.

    Every session it makes is attached to the test report and closed after the test.
    """
    made: list[Session] = request.node.stash.setdefault(SESSIONS_KEY, [])

    def factory(
        *,
        login: bool = True,
        account: Any = None,
        target_: Target | None = None,
        tls: str | None = None,
        name: str | None = None,
    ) -> Session:
        session = Session(target_ or target, name=name or f"s{len(made) + 1}")
        made.append(session)
        session.connect(tls=tls)
        if login:
            session.login(account)
        return session

    yield factory
    for session in made:
        if isinstance(session, Session):
            with contextlib.suppress(ImapcheckError, OSError):
                session.logout()


@pytest.fixture
def imap(connect: Callable[..., Session]) -> Session:
    """A fresh logged-in Session."""
    return connect()


@pytest.fixture
def imap2(connect: Callable[..., Session]) -> Session:
    """A second logged-in Session of the same user."""
    return connect()


@pytest.fixture
def client(
    request: pytest.FixtureRequest, target: Target, server_info: ServerInfo
) -> Iterator[Any]:
    """A logged-in ``imapclient.IMAPClient`` on the same target (its wire bytes are recorded)."""
    made: list[Any] = request.node.stash.setdefault(SESSIONS_KEY, [])
    try:
        imap_client, transcript = connect_imapclient(target)
    except ImapcheckError as exc:
        pytest.fail(str(exc), pytrace=False)
    made.append(transcript)
    yield imap_client
    with contextlib.suppress(Exception):
        imap_client.logout()


@pytest.fixture
def mailbox(request: pytest.FixtureRequest, target: Target, sandbox: Sandbox) -> Iterator[str]:
    """A fresh empty mailbox under the run prefix, removed after the test even when it fails."""
    with sandbox.fresh(target, request.node.name) as (name,):
        yield name


# -- markers and reporting ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _imapcheck_requires(request: pytest.FixtureRequest) -> None:
    marks = list(request.node.iter_markers("requires"))
    if not marks:
        return
    info: ServerInfo = request.getfixturevalue("server_info")
    for mark in marks:
        for capability in mark.args:
            if not info.has(capability):
                pytest.skip(f"server does not advertise {capability}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for mark in item.iter_markers("rfc"):
            if len(mark.args) != 3 or mark.args[2] not in LEVELS:
                raise pytest.UsageError(
                    f"{item.nodeid}: rfc marker needs (rfc, section, level in {LEVELS})"
                )


def _plain_failure(item: pytest.Item, outcome: Any) -> None:
    """An ImapcheckError (timeout, closed connection, limit, ...) fails the test with its one-line
    message and the test's own line, without a traceback through imapcheck's internals."""
    if outcome.excinfo is None or not isinstance(outcome.excinfo[1], ImapcheckError):
        return
    error, tb = outcome.excinfo[1], outcome.excinfo[2]
    where = item.nodeid
    while tb is not None:
        code = tb.tb_frame.f_code
        if Path(code.co_filename) == item.path:
            where = f"{item.nodeid.split('::')[0]}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    outcome.force_exception(
        pytest.fail.Exception(f"{where}: {type(error).__name__}: {error}", pytrace=False)
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, None]:
    _plain_failure(item, (yield))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    outcome = yield
    _plain_failure(item, outcome)
    mode = item.config.getoption("--syntax")
    if mode == "off" or outcome.excinfo is not None:
        return
    sessions = [s for s in item.stash.get(SESSIONS_KEY, []) if isinstance(s, Session)]
    problems = [str(v) for s in sessions for v in s.violations]
    dropped = sum(s.violations_dropped for s in sessions)
    if dropped:
        problems.append(f"... and {dropped} more")
    if problems and mode == "strict":
        outcome.force_exception(
            pytest.fail.Exception(
                "server output does not match the IMAP grammar (RFC 3501 §9):\n"
                + "\n".join(problems),
                pytrace=False,
            )
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when == "teardown":
        item.stash[SESSIONS_KEY] = []  # transcripts are in the report: free the sessions' buffers
    if call.when != "call":
        return
    rfc = item.get_closest_marker("rfc")
    if rfc is not None:
        report.user_properties.append(("rfc", " ".join(map(str, rfc.args))))
    sessions = item.stash.get(SESSIONS_KEY, [])
    for session in sessions:
        transcript = session.transcript if isinstance(session, Session) else session
        if report.failed:
            report.user_properties.append(("transcript:" + transcript.name, transcript.render()))
            report.sections.append((f"IMAP transcript {transcript.name}", transcript.render()))
        if isinstance(session, Session) and session.violations and not report.failed:
            report.sections.append(
                (f"syntax warnings {session.name}", "\n".join(map(str, session.violations)))
            )
    embedded = item.config.stash.get(_SERVER_KEY, None)
    if report.failed and embedded is not None:
        report.sections.append(("server log", embedded.log_tail()))
