"""The suite's own corner of an account: a unique run prefix, its mailboxes, and clean-up.

Everything the suite creates lives under ``<personal namespace>imapcheck-<run id>``; nothing
outside it is ever changed. :func:`leftovers` and :func:`remove_tree` serve ``imapcheck clean``.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.target import Target
from imapcheck.wire.encode import astring
from imapcheck.wire.tokens import as_text
from imapcheck.wire.utf7 import decode_mailbox, encode_mailbox

RUN_PREFIX = "imapcheck-"


def new_run_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class ServerInfo:
    """What the suite learned about the server when it first logged in."""

    greeting: str = ""
    capabilities_before_login: set[str] = field(default_factory=set)
    capabilities: set[str] = field(default_factory=set)
    delimiter: str = "/"
    personal_prefix: str = ""
    inbox_messages: int = 0

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities


def probe(session: Session) -> ServerInfo:
    """Learn capabilities, hierarchy delimiter, personal namespace and INBOX size."""
    info = ServerInfo(
        greeting=str(session.greeting) if session.greeting else "",
        capabilities_before_login=set(session.capabilities),
    )
    session.login()
    info.capabilities = set(session.capabilities)
    reply = session.command("LIST", b'""', b'""')
    for item in reply.of("LIST"):
        if len(item.tokens) > 1 and isinstance(item.tokens[1], bytes | str):
            info.delimiter = as_text(item.tokens[1]) or ""
    if info.has("NAMESPACE"):
        reply = session.command("NAMESPACE")
        for item in reply.of("NAMESPACE"):
            personal = item.tokens[0] if item.tokens else None
            if isinstance(personal, list) and personal and isinstance(personal[0], list):
                info.personal_prefix = as_text(personal[0][0]) or ""
    status = session.command("STATUS", b"INBOX", b"(MESSAGES)")
    for item in status.of("STATUS"):
        count = item.items.get("MESSAGES")
        if isinstance(count, str) and count.isdigit():
            info.inbox_messages = int(count)
    return info


@dataclass
class Sandbox:
    """Names and creates mailboxes under the run prefix; removes them all at the end."""

    info: ServerInfo
    run_id: str = field(default_factory=new_run_id)
    created: list[str] = field(default_factory=list)
    _counter: int = 0

    @property
    def root(self) -> str:
        """The run's top mailbox (human-readable; encode_mailbox for the wire)."""
        return f"{self.info.personal_prefix}{RUN_PREFIX}{self.run_id}"

    def name(self, hint: str = "box") -> str:
        """A fresh, unused name under the run prefix (not created)."""
        self._counter += 1
        clean = "".join(c if c.isalnum() or c in "-_" else "-" for c in hint)[:40]
        return f"{self.root}{self.info.delimiter}{clean}-{self._counter}"

    def create(self, session: Session, hint: str = "box") -> str:
        name = self.name(hint)
        reply = session.command("CREATE", astring(encode_mailbox(name)))
        if not reply.ok:
            raise ImapcheckError(f"cannot create test mailbox {name!r}: {reply.summary()}")
        self.created.append(name)
        return name

    def remove(self, session: Session, name: str) -> None:
        """Delete ``name`` and everything below it (only inside the run prefix)."""
        remove_tree(session, name, self.info.delimiter, must_start_with=self.root)

    @contextlib.contextmanager
    def fresh(
        self, target: Target, *hints: str, session_class: Callable[..., Session] = Session
    ) -> Iterator[tuple[str, ...]]:
        """Fresh mailboxes (one per hint), made by a set-up session of their own and removed
        afterwards even when the test failed; a failed removal is left to :meth:`remove_all`
        at the end of the run."""
        session = session_class(target, name="setup", validate=False)
        session.connect()
        session.login()
        try:
            names = tuple(self.create(session, hint) for hint in hints)
        finally:
            session.logout()
        yield names
        cleanup = session_class(target, name="teardown", validate=False)
        try:
            cleanup.connect()
            cleanup.login()
            for name in names:
                self.remove(cleanup, name)
        except ImapcheckError:
            pass
        finally:
            cleanup.logout()

    def remove_all(self, session: Session) -> list[str]:
        """Remove the whole run prefix; returns what could not be removed."""
        return remove_tree(session, self.root, self.info.delimiter, must_start_with=self.root)


def list_tree(session: Session, name: str, delimiter: str, *, command: str = "LIST") -> list[str]:
    """``name`` and every mailbox below it (``command="LSUB"``: every subscription), decoded,
    deepest first."""
    pattern = encode_mailbox(name)
    found: set[str] = set()
    for args in ((b'""', astring(pattern)), (b'""', astring(pattern + delimiter + "*"))):
        reply = session.command(command, *args)
        for item in reply.of(command):
            raw = as_text(item.tokens[2]) if len(item.tokens) > 2 else None
            if raw is not None:
                try:
                    found.add(decode_mailbox(raw))
                except ValueError:
                    found.add(raw)
    return sorted(found, key=lambda n: (-n.count(delimiter), n))


def remove_tree(session: Session, name: str, delimiter: str, *, must_start_with: str) -> list[str]:
    """Delete a mailbox tree, deepest first, and the subscriptions in it (a subscription
    outlives its mailbox). Refuses names outside ``must_start_with``."""
    if not name.startswith(must_start_with) or RUN_PREFIX not in must_start_with:
        raise ImapcheckError(f"refusing to delete {name!r}: not under {must_start_with!r}")
    if session.state == "selected":
        session.command("UNSELECT" if "UNSELECT" in session.capabilities else "CLOSE")
    failed = []
    for mailbox in list_tree(session, name, delimiter):
        if not mailbox.startswith(must_start_with):
            continue
        reply = session.command("DELETE", astring(encode_mailbox(mailbox)))
        if not reply.ok and list_tree(session, mailbox, delimiter):
            failed.append(mailbox)
    for mailbox in list_tree(session, name, delimiter, command="LSUB"):
        if not mailbox.startswith(must_start_with):
            continue
        if not session.command("UNSUBSCRIBE", astring(encode_mailbox(mailbox))).ok:
            failed.append(f"{mailbox} (subscription)")
    return failed


def leftovers(session: Session, info: ServerInfo) -> list[str]:
    """Top-level run prefixes left by interrupted runs (as mailboxes or subscriptions)."""
    pattern = astring(encode_mailbox(f"{info.personal_prefix}{RUN_PREFIX}%"))
    names = set()
    for command in ("LIST", "LSUB"):
        for item in session.command(command, b'""', pattern).of(command):
            raw = as_text(item.tokens[2]) if len(item.tokens) > 2 else None
            if raw:
                names.add(decode_mailbox(raw))
    return sorted(names)
