"""RFC 3501 §5.2, §2.3.1.1, §6.4.6: three sessions change one mailbox, then each polls; at
that checkpoint every session's picture (kept from untagged data alone) must match the mailbox.
Also concurrent APPENDs and STOREs from several sessions."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest
from helpers_sessions import boxes, lend, observe, observer_session, session_pool
from helpers_sync import View, flagset, kinds, mb, message, number, poll

from imapcheck.wire.encode import Literal

__all__ = ["boxes", "lend", "observe", "observer_session", "session_pool"]  # fixtures


@dataclass
class Client:
    """A session and the view it keeps from everything the server told it."""

    name: str
    session: object
    view: View

    def do(self, command: str, *args) -> None:
        reply = self.session.command(command, *args)
        assert reply.ok, f"{self.name}: {command} failed: {reply.summary()}"
        self.view.apply(reply.untagged)


def uid(client: Client, seq: int) -> bytes:
    return str(client.view.uids[seq - 1]).encode()


def act_flags(a: Client, b: Client, c: Client, name: str) -> None:
    a.do("STORE", b"1", b"+FLAGS", b"(\\Seen)")
    b.do("STORE", b"2", b"+FLAGS", b"(\\Flagged $Cp)")
    c.do("STORE", b"1:2", b"-FLAGS", b"(\\Seen)")
    a.do("UID", b"STORE", uid(a, 3), b"FLAGS", b"(\\Answered)")
    b.do("STORE", b"6", b"+FLAGS", b"(\\Draft)")


def act_arrivals(a: Client, b: Client, c: Client, name: str) -> None:
    for n in (7, 8):
        a.do("APPEND", mb(name), Literal(message(n)))
    b.do("APPEND", mb(name), b"(\\Seen)", Literal(message(9)))
    c.do("COPY", b"1:2", mb(name))


def act_expunges(a: Client, b: Client, c: Client, name: str) -> None:
    a.do("STORE", b"2,4", b"+FLAGS.SILENT", b"(\\Deleted)")
    b.do("EXPUNGE")
    c.do("STORE", b"1", b"+FLAGS.SILENT", b"(\\Deleted)")
    c.do("EXPUNGE")
    a.do("STORE", b"6", b"+FLAGS", b"(\\Flagged)")  # A was not told yet: 6 is still UID 6


def act_mixed(a: Client, b: Client, c: Client, name: str) -> None:
    a.do("APPEND", mb(name), Literal(message(7)))
    b.do("STORE", b"1", b"+FLAGS", b"(\\Deleted)")
    c.do("STORE", b"3", b"+FLAGS", b"(\\Flagged)")
    b.do("EXPUNGE")
    a.do("STORE", b"2", b"+FLAGS", b"($Mixed)")
    c.do("APPEND", mb(name), Literal(message(8)))


F = frozenset
SCENARIOS = {  # actions, {original position: flags} of survivors, number of new messages
    "flags": (
        act_flags,
        {
            1: F(),
            2: F({"\\flagged", "$cp"}),
            3: F({"\\answered"}),
            4: F(),
            5: F(),
            6: F({"\\draft"}),
        },
        0,
    ),
    "arrivals": (act_arrivals, {n: F() for n in range(1, 7)}, 5),
    "expunges": (act_expunges, {3: F(), 5: F(), 6: F({"\\flagged"})}, 0),
    "mixed": (act_mixed, {2: F({"$mixed"}), 3: F({"\\flagged"}), 4: F(), 5: F(), 6: F()}, 2),
}


def run(observe, lend, boxes, scenario: str, via: str, *, flags: bool):
    """Play a scenario, then poll every session until it agrees (or time runs out)."""
    actions, survivors, new = SCENARIOS[scenario]
    sessions = [lend(n) for n in "ABC"]
    name = boxes.make(sessions[0], 6)
    clients = []
    for n, session in zip("ABC", sessions, strict=True):
        session.select(name)
        clients.append(Client(n, session, View.load(session)))
    original = list(clients[0].view.uids)
    actions(*clients, name)
    known = observe.truth(name)
    want_uids = [original[pos - 1] for pos in sorted(survivors)]
    assert known.uids[: len(want_uids)] == want_uids and len(known.uids) == len(want_uids) + new, (
        f"scenario {scenario!r}: the mailbox holds UIDs {known.uids}; expected the originals "
        f"{want_uids} followed by {new} new message(s)"
    )
    for client in clients:

        def agrees(seen, client=client):
            trial = copy.deepcopy(client.view).apply(seen)
            if trial.count != len(known.uids):
                return False
            pairs = zip(trial.flags, known.flags, strict=True)
            return not flags or all(f is None or f == k for f, k in pairs)

        client.view.apply(poll(client.session, agrees, command=via))
    return known, clients, survivors, original


@pytest.mark.rfc("3501", "5.2", "MUST")
@pytest.mark.parametrize(
    ("scenario", "via"), [*((name, "NOOP") for name in SCENARIOS), ("mixed", "CHECK")]
)
def test_checkpoint_count_and_uids(observe, lend, boxes, scenario, via):
    known, clients, _, _ = run(observe, lend, boxes, scenario, via, flags=False)
    for client in clients:
        view = client.view
        assert view.count == len(known.uids) and not view.problems, (
            f"scenario {scenario!r}: after {via}, session {client.name} counts {view.count} "
            f"messages, the mailbox has {len(known.uids)} ('A server MUST send mailbox size "
            f"updates automatically'); problems: {view.problems}"
        )
        view.fill_uids(client.session)
        assert view.uids == known.uids and not view.problems, (
            f"scenario {scenario!r}: session {client.name} maps sequence numbers to UIDs "
            f"{view.uids}; the mailbox has {known.uids} ({view.problems})"
        )


@pytest.mark.rfc("3501", "5.2", "SHOULD")
@pytest.mark.parametrize("scenario", ["flags", "expunges", "mixed"])
def test_checkpoint_flags(observe, lend, boxes, scenario):
    known, clients, survivors, original = run(observe, lend, boxes, scenario, "NOOP", flags=True)
    expected = {original[pos - 1]: f for pos, f in survivors.items()}
    got = {u: f for u, f in known.by_uid.items() if u in expected}
    assert got == expected, f"scenario {scenario!r}: the flags stored are {got}, not {expected}"
    for client in clients:
        view = client.view
        stale = {
            known.uids[i]: (sorted(f), sorted(known.flags[i]))
            for i, f in enumerate(view.flags[: len(known.uids)])
            if f is not None and f != known.flags[i]
        }
        assert not stale and not view.problems, (
            f"scenario {scenario!r}: 'A server SHOULD send message flag updates automatically'; "
            f"after NOOP session {client.name} still has stale flags (UID: (its view, actual)) "
            f"{stale} {view.problems}"
        )


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
@pytest.mark.parametrize("writers", [2, 3])
def test_concurrent_appends_get_distinct_uids(lend, boxes, writers):
    sessions = [lend(f"W{n}") for n in range(1, writers + 1)]
    name = boxes.make(sessions[0], 0)
    watcher = lend("watcher")
    watcher.select(name)
    plus = "LITERAL+" in sessions[0].capabilities
    if not plus:
        pytest.skip("pipelined APPEND needs LITERAL+ (RFC 7888)")
    tags = []
    for round_ in range(3):  # interleave: every writer has three APPENDs in flight
        for w, session in enumerate(sessions):
            body = message(10 * w + round_, tag=f"w{w}")
            tags.append((session, session.send("APPEND", mb(name), Literal(body, non_sync=True))))
    replies = [session.wait(tag) for session, tag in tags]
    assert all(r.ok for r in replies), [r.summary() for r in replies if not r.ok]
    total = 3 * writers
    check = lend("check")
    check.select(name, readonly=True)
    fetched = check.command("FETCH", b"1:*", b"(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    rows = [
        (number(f["UID"]), bytes(f["BODY[HEADER.FIELDS (SUBJECT)]"]).strip())
        for _, f in sorted(fetched.fetches().items())
    ]
    uids = [u for u, _ in rows]
    assert len(rows) == total and uids == sorted(set(uids)), (
        "'Unique identifiers are assigned in a strictly ascending fashion in the mailbox': "
        f"{total} concurrent APPENDs left {len(rows)} messages with UIDs {uids}"
    )
    assert len({s for _, s in rows}) == total, f"a message was stored twice or lost: {rows}"
    assigned = [r.code_named("APPENDUID") for r in replies]
    if all(assigned):
        told = sorted(number(code.args[1]) for code in assigned)
        assert told == uids, (
            f"RFC 4315: APPENDUID of the concurrent APPENDs named UIDs {told}; the mailbox has "
            f"{uids}"
        )
    seen = poll(watcher, lambda s: any(u.kind == "EXISTS" and u.number == total for u in s))
    view = View([], [])
    view.apply(seen)
    assert view.count == total, (
        f"a session with the mailbox selected must learn of all {total} arrivals: its NOOP "
        f"reported {kinds(seen, 'EXISTS')}"
    )


@pytest.mark.rfc("3501", "6.4.6", "MUST")
@pytest.mark.parametrize(
    ("op", "initial", "flags", "final"),
    [
        ("+FLAGS.SILENT", [], ["\\Seen", "\\Flagged", "$Third"], {"\\seen", "\\flagged", "$third"}),
        (
            "-FLAGS.SILENT",
            ["\\Seen", "\\Flagged", "\\Answered", "\\Draft"],
            ["\\Seen", "\\Flagged", "\\Answered"],
            {"\\draft"},
        ),
    ],
    ids=["add", "remove"],
)
def test_concurrent_stores_to_one_message_merge(observe, lend, boxes, op, initial, flags, final):
    sessions = [lend(n) for n in "ABC"]
    start = ("(" + " ".join(initial) + ")").encode() if initial else b""
    name = boxes.make(sessions[0], 2, flags=start)
    for session in sessions:
        session.select(name)
    tags = [
        (s, s.send("STORE", b"1", op.encode(), f"({f})".encode()))
        for s, f in zip(sessions, flags, strict=True)
    ]
    for session, tag in tags:
        assert session.wait(tag).ok, f"{session.name}: STORE failed"
    got = observe.truth(name).flags
    assert got[0] == final and got[1] == flagset(initial), (
        f"three sessions each {op} one flag on message 1 at the same time: 'Add the argument to "
        "the flags' / 'Remove the argument from the flags' must compose, giving "
        f"{sorted(final)}; the mailbox has {sorted(got[0])} (message 2: {sorted(got[1])})"
    )
