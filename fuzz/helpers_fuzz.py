"""Shared by the fuzz tests: the command context, the selected-state mailbox, server checks."""

from __future__ import annotations

import contextlib

from hypothesis import note
from hypothesis.control import currently_in_test_context

from imapcheck import corpus
from imapcheck.errors import ImapcheckError
from imapcheck.fuzzsession import UNKNOWN_TAG, FuzzSession
from imapcheck.pytest_plugin import SESSIONS_KEY
from imapcheck.sandbox import Sandbox
from imapcheck.syntax.strategies import CommandContext
from imapcheck.target import Target
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.utf7 import encode_mailbox

FIXTURE_MESSAGES = 4  # what the selected-state mailbox holds when an example starts
MAX_MESSAGES = 40  # beyond this (APPEND examples add up) the mailbox is emptied again
APPENDED = tuple(m.data for m in corpus.all_messages() if len(m.data) < 4096)[:6]


def mb(name: str) -> bytes | Literal:
    return astring(encode_mailbox(name))


def capabilities(target: Target) -> tuple[frozenset[str], frozenset[str]]:
    """What the server advertises on a fuzz connection before and after login."""
    session = FuzzSession(target, name="caps", validate=False)
    try:
        session.connect()
        before = frozenset(session.capabilities or session.capability())
        session.login()
        return before, frozenset(session.capabilities)
    finally:
        session.logout()


def context(
    sandbox: Sandbox, boxes: tuple[str, str], capabilities: frozenset[str], **changes: object
) -> CommandContext:
    return CommandContext(
        root=sandbox.root,
        delimiter=sandbox.info.delimiter,
        mailboxes=boxes,
        messages=FIXTURE_MESSAGES,
        uid_next=FIXTURE_MESSAGES * 3,
        capabilities=capabilities,
        append_messages=APPENDED,
        **changes,  # type: ignore[arg-type]
    )


def select_fixture(session: FuzzSession, name: str) -> None:
    """SELECT ``name`` holding a few messages, re-creating it if an example removed it."""
    session.transcript.note("example setup: select the fixture mailbox")
    reply = session.command("SELECT", mb(name))
    if not reply.ok:
        session.command("CREATE", mb(name))
        reply = session.command("SELECT", mb(name))
    exists = next((u.number for u in reply.of("EXISTS") if u.number is not None), 0)
    if exists > MAX_MESSAGES:
        session.command("STORE", b"1:*", b"+FLAGS.SILENT", b"(\\Deleted)")
        session.command("EXPUNGE")
        exists = 0
    for message in APPENDED[: max(0, FIXTURE_MESSAGES - exists)]:
        session.command("APPEND", mb(name), Literal(message))
    if not session.command("NOOP").ok or session.state != "selected":
        raise ImapcheckError(f"cannot prepare the fixture mailbox {name!r}")


def session_in(open_session, state: str, box: str, request=None) -> FuzzSession:
    """A fresh session in ``state``: logged in unless "not authenticated", the fixture mailbox
    ``box`` selected for "selected"; shown in the report when ``request`` is given."""
    session = open_session(login=state != "not authenticated")
    if request is not None:
        attach(request, session)
    if state == "selected":
        select_fixture(session, box)
    return session


def server_up(target: Target) -> str:
    """'' if a new connection logs in, else why not."""
    session = FuzzSession(target, name="alive", validate=False)
    try:
        session.connect()
        session.login()
        return ""
    except ImapcheckError as exc:
        return str(exc)
    finally:
        with contextlib.suppress(ImapcheckError, OSError):
            session.logout()


def attach(request, *sessions: FuzzSession) -> None:
    """Show these sessions' transcripts in the report (the failing example runs last)."""
    request.node.stash[SESSIONS_KEY] = list(sessions)


def say(text: str) -> None:
    """note() for the failing example's report, when running under Hypothesis."""
    if currently_in_test_context():
        note(text)


def grammar_problems(session: FuzzSession, bugs, count, *, tags: bool = True) -> list[str]:
    """Violations not explained by a known bug (those are counted, and dropped from the
    session so the report does not repeat them). Lines the validator could not judge (too long,
    too deep) are no verdict; ``tags=False`` also forgives replies to tags never sent (mutated
    input makes up tags)."""
    kept = []
    for violation in session.violations:
        if not tags and UNKNOWN_TAG in violation.reason:
            continue
        if "too long" in violation.reason or "too deep" in violation.reason:
            count("no verdict: too long or too deep for the validator")
            say(f"no verdict on: {violation}")
            continue
        bug = next((b for b in bugs if b.response and b.response(violation.line)), None)
        if bug is not None:
            count(f"known bug: {bug.name}")
        else:
            kept.append(violation)
    session.violations[:] = kept
    return [str(v) for v in kept]
