"""Fixtures for the multi-session and extension modules: mailboxes made for one test, sessions
lent across a module's tests, and an observer that reads mailboxes as another session would."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from helpers_sync import Stored, Truth, View, append_messages, contents, mb, status

from imapcheck.errors import ImapcheckError
from imapcheck.pytest_plugin import SESSIONS_KEY
from imapcheck.sandbox import Sandbox
from imapcheck.session import Session
from imapcheck.target import Target
from imapcheck.wire.response import Reply


@dataclass
class Boxes:
    """Makes mailboxes under the run prefix for one test and removes them afterwards."""

    sandbox: Sandbox
    request: pytest.FixtureRequest
    target: Target
    made: list[str] = field(default_factory=list)
    spare: list[Session] = field(default_factory=list)  # logged-in sessions kept for later

    def name(self, hint: str = "box") -> str:
        """An unused name (not created) that is removed afterwards if a test creates it."""
        name = self.sandbox.name(hint)
        self.made.append(name)
        return name

    def make(
        self,
        session: Session,
        count: int = 0,
        *,
        hint: str = "",
        tag: str = "sync",
        flags: bytes | Sequence[bytes] = b"",
    ) -> str:
        """Create a mailbox holding ``count`` messages (Subject ``<tag> 1`` ...)."""
        name = self.sandbox.create(session, hint or self.request.node.name)
        self.made.append(name)
        if count:
            append_messages(session, name, count, tag=tag, flags=flags)
        return name

    def cleanup(self) -> None:
        if not self.made:
            return
        sessions = [*self.request.node.stash.get(SESSIONS_KEY, []), *self.spare]
        usable = [
            s
            for s in sessions
            if isinstance(s, Session) and s.connected and s.state in ("authenticated", "selected")
        ]
        with contextlib.suppress(ImapcheckError, OSError):
            session = usable[-1] if usable else None
            if session is None:
                session = Session(self.target, name="teardown", validate=False)
                session.connect()
                session.login()
            for name in reversed(self.made):
                session.command("DELETE", mb(name))
            if not usable:
                session.logout()


def _release(request: pytest.FixtureRequest, session: Session) -> None:
    """Keep ``connect`` from logging out a session that outlives this test."""
    made = request.node.stash.get(SESSIONS_KEY, [])
    while session in made:
        made.remove(session)


@pytest.fixture
def boxes(
    request: pytest.FixtureRequest, sandbox: Sandbox, target: Target, connect: object
) -> Iterator[Boxes]:
    """Mailboxes for this test (``boxes.make(session, count)``), removed after it."""
    made = Boxes(sandbox, request, target)
    yield made
    made.cleanup()


class Pool:
    """Logged-in sessions kept for a module and lent to its tests by name (logins are slow).

    A session goes back only from a test that passed, still logged in; it is then unselected,
    so the next test starts in the authenticated state. Not for tests that ENABLE extensions.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.idle: dict[str, Session] = {}

    def take(self, name: str, request: pytest.FixtureRequest) -> Session:
        session = self.idle.pop(name, None)
        if session is None or not session.connected:
            session = Session(self.target, name=name)
            session.connect()
            session.login()
        else:
            session.violations.clear()  # earlier tests reported theirs
            session.unsolicited.clear()
            session.transcript.note(f"---- {request.node.name} ----")
        request.node.stash.setdefault(SESSIONS_KEY, []).append(session)
        return session

    def give_back(self, session: Session, *, keep: bool) -> None:
        usable = keep and session.connected and session.state in ("authenticated", "selected")
        try:
            if usable and session.state == "selected":
                usable = session.command(
                    "UNSELECT" if "UNSELECT" in session.capabilities else "CLOSE"
                ).ok
        except ImapcheckError:
            usable = False
        if usable and session.name not in self.idle:
            self.idle[session.name] = session
        else:
            with contextlib.suppress(ImapcheckError, OSError):
                session.logout()

    def close(self) -> None:
        for session in self.idle.values():
            with contextlib.suppress(ImapcheckError, OSError):
                session.logout()


@pytest.fixture(scope="module")
def session_pool(target: Target) -> Iterator[Pool]:
    pool = Pool(target)
    yield pool
    pool.close()


@pytest.fixture
def lend(
    request: pytest.FixtureRequest, session_pool: Pool, boxes: Boxes, connect: object
) -> Iterator[Callable[[str], Session]]:
    """``lend("A")``: a logged-in session named A, reused across the module's tests."""
    failed_before = request.session.testsfailed
    taken: list[Session] = []

    def factory(name: str) -> Session:
        session = session_pool.take(name, request)
        taken.append(session)
        return session

    yield factory
    keep = request.session.testsfailed == failed_before
    for session in taken:
        session_pool.give_back(session, keep=keep)
        _release(request, session)
        if session.connected:
            boxes.spare.append(session)


class Observer:
    """A session of its own that reads a mailbox with EXAMINE, which changes nothing, and
    leaves it again: what any other session would see. Kept for a module (logins are slow)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.session: Session | None = None
        self.request: pytest.FixtureRequest | None = None

    def attach(self, request: pytest.FixtureRequest) -> Observer:
        """Report this test's use of the session (transcript, grammar checks)."""
        self.request = request
        if self.session is not None and self.session.connected:
            self._register(self.session)
        return self

    def _register(self, session: Session) -> None:
        session.violations.clear()  # earlier tests reported theirs
        if self.request is not None:
            session.transcript.note(f"---- {self.request.node.name} ----")
            self.request.node.stash.setdefault(SESSIONS_KEY, []).append(session)

    def _open(self, name: str) -> tuple[Session, Reply]:
        session = self.session
        if session is None or not session.connected or session.state == "logout":
            session = self.session = Session(self.target, name="observer")
            session.connect()
            session.login()
            self._register(session)
        reply = session.command("EXAMINE", mb(name))
        assert reply.ok, f"EXAMINE {name!r} failed: {reply.summary()}"
        return session, reply

    def _leave(self, session: Session) -> None:
        session.command("UNSELECT" if "UNSELECT" in session.capabilities else "CLOSE")

    def look(self, name: str) -> list[Stored]:
        """The messages of ``name``: UID, Subject, flags, internal date."""
        session, reply = self._open(name)
        empty = any(u.kind == "EXISTS" and u.number == 0 for u in reply.untagged)
        found = [] if empty else contents(session)
        self._leave(session)
        return found

    def truth(self, name: str) -> Truth:
        """UIDs and flags of ``name`` in sequence order."""
        session, reply = self._open(name)
        empty = any(u.kind == "EXISTS" and u.number == 0 for u in reply.untagged)
        view = View([], []) if empty else View.load(session)
        self._leave(session)
        return Truth([u or 0 for u in view.uids], [f or frozenset() for f in view.flags])

    def status(self, name: str, *items: str) -> dict[str, int]:
        """STATUS of ``name`` from this session (which has nothing selected)."""
        if self.session is None or not self.session.connected:
            self._leave(self._open(name)[0])
        assert self.session is not None
        return status(self.session, name, *items)

    def close(self) -> None:
        if self.session is not None:
            self.session.logout()


@pytest.fixture(scope="module")
def observer_session(target: Target) -> Iterator[Observer]:
    observer = Observer(target)
    yield observer
    observer.close()


@pytest.fixture
def observe(
    request: pytest.FixtureRequest, observer_session: Observer, connect: object
) -> Iterator[Observer]:
    """Reads mailboxes the way another session sees them (``observe.look(name)``)."""
    yield observer_session.attach(request)
    if observer_session.session is not None:
        _release(request, observer_session.session)
