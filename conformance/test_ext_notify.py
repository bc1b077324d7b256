"""NOTIFY (RFC 5465): events of other mailboxes arrive as unsolicited STATUS and LIST, events of
the selected one as EXISTS/FETCH while idling, NOTIFY NONE stops them; argument rules of §5.

The event tests share one scenario: three watching sessions set up their NOTIFY, one actor
session makes every change at once, and the watchers collect what arrives (one wait for all).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from helpers_ext import (
    append_ok,
    mb,
    message,
    setup_session,
    status,
    status_items,
    text,
    wire,
)

from imapcheck.errors import ImapcheckError
from imapcheck.pytest_plugin import SESSIONS_KEY
from imapcheck.session import Session
from imapcheck.wire.response import Untagged
from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("NOTIFY")
MESSAGE_EVENTS = b"(MessageNew MessageExpunge)"
WAIT = 5.0


def watch(*names: str, events: bytes = MESSAGE_EVENTS) -> bytes:
    listed = b" ".join(wire(n) for n in names)
    return b"(mailboxes (" + listed + b") " + events + b")"


def status_of(name: str, messages: int | None = None):
    def match(u: Untagged) -> bool:
        if u.kind != "STATUS" or status_items(u)[0] != name:
            return False
        return messages is None or status_items(u)[1].get("MESSAGES") == messages

    return match


def list_of(name: str):
    return lambda u: (
        u.kind == "LIST" and len(u.tokens) > 2 and text(u.tokens[2]) == encode_mailbox(name)
    )


@dataclass
class Scenario:
    names: dict[str, str]
    sessions: list[Session]
    appended_uid: int | None = None
    seen: dict[str, list[Untagged]] = field(default_factory=dict)  # per watcher

    def arrived(self, watcher: str, match) -> list[Untagged]:
        return [u for u in self.seen.get(watcher, []) if match(u)]


def collect(session: Session, matches: list, wait: float) -> list[Untagged]:
    """Unsolicited data until every predicate matched once, or ``wait`` seconds passed."""
    seen: list[Untagged] = []
    end = time.monotonic() + wait
    with contextlib.suppress(ImapcheckError):
        while not all(any(m(u) for u in seen) for m in matches) and time.monotonic() < end:
            seen += session.read_untagged(lambda u: True, timeout=max(0.01, end - time.monotonic()))
    return seen


@pytest.fixture(scope="module")
def scenario(target, sandbox, server_info) -> Iterator[Scenario]:
    if not server_info.has("NOTIFY"):
        pytest.skip("server does not advertise NOTIFY")
    roles = ("new", "expunge", "quiet", "idle", "subscribe", "created")
    names = {role: sandbox.name(f"notify-{role}") for role in roles}
    sessions = [Session(target, name=f"notify-{n}") for n in ("events", "none", "idle", "actor")]
    watcher, quiet, idler, actor = sessions
    for session in sessions:
        session.connect()
        session.login()
    for role in roles[:-1]:
        actor.command("CREATE", mb(names[role]))
    for n in (1, 2):
        append_ok(actor, names["expunge"], message(n, "notify"))
    made = Scenario(names, sessions)
    watched = (names["new"], names["expunge"])
    # one NOTIFY SET per watcher: each sets up its events once
    events = b"(personal (MailboxName SubscriptionChange))"
    watcher.command("NOTIFY", b"SET", watch(*watched), events)
    quiet.command("NOTIFY", b"SET", watch(names["quiet"]))
    quiet.command("NOTIFY", b"NONE")
    idling = None
    if server_info.has("IDLE"):
        idler.select(encode_mailbox(names["idle"]))
        idler.command("NOTIFY", b"SET", b"(selected (MessageNew (UID FLAGS) MessageExpunge))")
        idling = idler.idle_start()
    # every change at once, so that one wait covers them all
    reply = append_ok(actor, names["new"], message(3, "notify"))
    code = reply.code_named("APPENDUID")
    made.appended_uid = int(text(code.args[1])) if code is not None and len(code.args) > 1 else None
    actor.select(encode_mailbox(names["expunge"]))
    actor.command("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)")
    actor.command("EXPUNGE")
    actor.command("CREATE", mb(names["created"]))
    actor.command("SUBSCRIBE", mb(names["subscribe"]))
    append_ok(actor, names["quiet"], message(4, "notify"))  # after NOTIFY NONE: not reported
    append_ok(actor, names["idle"], message(5, "notify"))
    expected = [status_of(watched[0], 1), status_of(watched[1], 1)]
    expected += [list_of(names["created"]), list_of(names["subscribe"])]
    made.seen["events"] = collect(watcher, expected, WAIT)
    if idling is not None:
        made.seen["idle"] = collect(idler, [lambda u: u.kind == "FETCH"], WAIT)
        with contextlib.suppress(ImapcheckError):
            idler.idle_done(idling)
    # the others' events, made at the same moment, have arrived: a server ignoring NONE would
    # have pushed its STATUS by now; NOOP collects anything sent before it
    made.seen["none"] = [*quiet.unsolicited, *quiet.command("NOOP").untagged]
    yield made
    with setup_session(target, "teardown-notify") as session:
        session.command("UNSUBSCRIBE", mb(names["subscribe"]))
        for name in names.values():
            sandbox.remove(session, name)
    for session in sessions:
        with contextlib.suppress(ImapcheckError, OSError):
            session.logout()


def shown(request, made: Scenario) -> None:
    """Put the scenario's transcripts in this test's report."""
    stash = request.node.stash.setdefault(SESSIONS_KEY, [])
    stash.extend(made.sessions)


@pytest.mark.rfc("5465", "3.1", "MUST")
def test_set_status_reports_each_watched_mailbox(imap, box, sandbox):
    other = sandbox.create(imap, "notify-status")
    append_ok(imap, box, message(1, "notify"))
    before = {n: status(imap, n, "MESSAGES UIDNEXT UIDVALIDITY") for n in (box, other)}
    reply = imap.command("NOTIFY", b"SET", b"STATUS", watch(box, other))
    assert reply.ok, f"NOTIFY SET STATUS failed: {reply.summary()}"
    found = dict(status_items(u) for u in reply.of("STATUS"))
    wrong = {
        name: found.get(name)
        for name, want in before.items()
        if any(found.get(name, {}).get(key) != value for key, value in want.items())
    }
    imap.command("NOTIFY", b"NONE")
    imap.command("DELETE", mb(other))
    assert not wrong, (
        "with the STATUS indicator and MessageNew the server MUST send, before NOTIFY's OK, a "
        "STATUS with MESSAGES, UIDNEXT and UIDVALIDITY for each watched mailbox (§3.1): "
        f"expected {before}, got {found}"
    )


@pytest.mark.rfc("5465", "5.2", "MUST")
def test_new_message_elsewhere_gives_status(request, scenario):
    shown(request, scenario)
    name = scenario.names["new"]
    got = scenario.arrived("events", status_of(name))
    assert got, f"no unsolicited STATUS for {name!r} after another session's APPEND (§5.2)"
    items = status_items(got[-1])[1]
    assert items.get("MESSAGES") == 1 and "UIDNEXT" in items, (
        f"a MessageNew elsewhere gives STATUS (UIDNEXT MESSAGES) (§5.2), MESSAGES 1: {items}"
    )
    if scenario.appended_uid is not None:
        assert items["UIDNEXT"] > scenario.appended_uid, f"UIDNEXT must pass the new UID: {items}"


@pytest.mark.rfc("5465", "5.3", "MUST")
def test_expunge_elsewhere_gives_status(request, scenario):
    shown(request, scenario)
    name = scenario.names["expunge"]
    got = scenario.arrived("events", status_of(name, 1))
    assert got, (
        f"an expunge in another watched mailbox gives STATUS (UIDNEXT MESSAGES) (§5.3); none with "
        f"MESSAGES 1 for {name!r} arrived: {[str(u) for u in scenario.seen['events']]}"
    )


@pytest.mark.rfc("5465", "5.4", "MUST")
def test_mailbox_creation_reported(request, scenario):
    shown(request, scenario)
    name = scenario.names["created"]
    got = scenario.arrived("events", list_of(name))
    assert got, f"creating {name!r} is a MailboxName event: an unsolicited LIST for it (§5.4)"


@pytest.mark.rfc("5465", "5.5", "MUST")
def test_subscription_change_reported(request, scenario):
    shown(request, scenario)
    name = scenario.names["subscribe"]
    got = scenario.arrived("events", list_of(name))
    attrs = [text(a).lower() for a in got[-1].tokens[0]] if got else []
    assert "\\subscribed" in attrs, (
        f"a SubscriptionChange is a LIST response with \\Subscribed when subscribed (§5.5), got "
        f"{[str(u) for u in got]}"
    )


@pytest.mark.rfc("5465", "3.1", "MUST")
def test_notify_none_stops_events(request, scenario):
    shown(request, scenario)
    if not scenario.arrived("events", status_of(scenario.names["new"])):
        pytest.skip("no MessageNew event arrived at all, so NOTIFY NONE cannot be judged")
    early = [str(u) for u in scenario.arrived("none", status_of(scenario.names["quiet"]))]
    assert not early, (
        "after NOTIFY NONE the client is not interested in any event (§3.1); an APPEND to the "
        f"mailbox watched before it was reported: {early}"
    )


@pytest.mark.rfc("5465", "4", "MUST")
@pytest.mark.requires("IDLE")
def test_selected_mailbox_events_while_idling(request, scenario):
    shown(request, scenario)
    seen = scenario.seen.get("idle", [])
    kinds = [u.kind for u in seen]
    assert (
        "EXISTS" in kinds and "FETCH" in kinds and kinds.index("EXISTS") < kinds.index("FETCH")
    ), (
        "while idling the server sends the NOTIFY events: a new message in the selected mailbox "
        f"is EXISTS followed by FETCH (RFC 5465 §4, §5.2), got {[str(u) for u in seen]}"
    )
    fetch = next(u for u in seen if u.kind == "FETCH").items
    assert "UID" in fetch and "FLAGS" in fetch, f"the FETCH carries UID and FLAGS as asked: {fetch}"


@pytest.mark.rfc("5465", "5", "MUST")
@pytest.mark.parametrize("events", [b"(MessageNew)", b"(MessageExpunge)", b"(FlagChange)"])
def test_message_events_must_come_together(imap, box, events):
    reply = imap.command("NOTIFY", b"SET", watch(box, events=events))
    assert reply.status == "BAD", (
        "MessageNew and MessageExpunge must be specified together, and FlagChange needs both; "
        f"otherwise the server MUST respond with BAD (RFC 5465 §5). {events.decode()} got "
        f"{reply.summary()}"
    )


@pytest.mark.rfc("5465", "3.1", "MUST")
def test_unsupported_event_is_no_with_badevent(imap, box):
    reply = imap.command(
        "NOTIFY", b"SET", watch(box, events=b"(MessageNew MessageExpunge AnnotationChange)")
    )
    if reply.ok:
        pytest.skip("the server supports AnnotationChange too")
    assert reply.status == "NO", (
        f"an unsupported event type MUST be refused with NO, not BAD (§3.1), got {reply.summary()}"
    )
    code = reply.code_named("BADEVENT")
    if code is not None:
        listed = {text(e).lower() for a in code.args for e in (a if isinstance(a, list) else [a])}
        assert {"messagenew", "messageexpunge"} <= listed, (
            "BADEVENT MUST list the names of all events supported by the server (§3.1), which "
            f"include MessageNew and MessageExpunge; got [{code.raw}]"
        )
