"""A Hypothesis state machine: random operations on two mailboxes, checked against the model.

Session ``s1`` works in two fresh mailboxes under the run prefix (A and B) with APPEND, STORE,
COPY, MOVE, EXPUNGE, UID EXPUNGE, FETCH and SEARCH; session ``s2`` keeps A selected and polls
with NOOP. After every step the server must agree with :mod:`imapcheck.fuzzmodel`: UIDs
strictly ascending and stable, UIDVALIDITY stable, EXISTS equal to the model's count, flags,
bodies byte for byte, SEARCH results; ``s2`` converges. On failure Hypothesis prints the shrunk
steps, and the sessions' transcripts are noted so the run can be replayed by hand.

>>> run_state_machine_as_test(machine(env), settings=settings(max_examples=10))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from imapcheck import fuzzmodel as fm
from imapcheck.errors import ImapcheckError
from imapcheck.fuzzchecks import apply_updates, check_fetch, look, same_view, uid_list
from imapcheck.fuzzsession import FuzzSession
from imapcheck.knownbugs import KnownBug
from imapcheck.sandbox import Sandbox
from imapcheck.target import Target
from imapcheck.transcript import Transcript
from imapcheck.wire.encode import Literal, astring
from imapcheck.wire.response import Reply
from imapcheck.wire.tokens import as_int
from imapcheck.wire.utf7 import encode_mailbox

picks = st.lists(st.integers(0, 40), min_size=1, max_size=4)
flag_sets = st.sets(st.sampled_from(fm.SYSTEM_FLAGS + fm.KEYWORDS), max_size=3)
FETCH_ITEMS = ("FLAGS", "UID", "RFC822.SIZE", "INTERNALDATE", "BODY.PEEK[]", "BODY[]", "PARTIAL")


@dataclass
class MachineEnv:
    """What a machine needs from the test: where, as whom, and until when."""

    target: Target
    sandbox: Sandbox
    known_bugs: list[KnownBug] = field(default_factory=list)  # the server's (knownbugs.py)
    counts: dict[str, int] = field(default_factory=dict)
    # sessions and mailboxes a finished run left in good order, for the next run to empty
    pool: list[tuple[FuzzSession, FuzzSession, tuple[str, str]]] = field(default_factory=list)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def close(self) -> None:
        """Log out the pooled sessions and remove their mailboxes."""
        while self.pool:
            s1, s2, names = self.pool.pop()
            try:
                for name in names:
                    self.sandbox.remove(s1, name)
            finally:
                s1.logout()
                s2.logout()


def machine(env: MachineEnv) -> type[MailboxMachine]:
    """The state machine class bound to ``env`` (for run_state_machine_as_test)."""
    return type("MailboxMachine", (MailboxMachine,), {"env": env})


class MailboxMachine(RuleBasedStateMachine):
    """Two sessions, two mailboxes, one model."""

    env: ClassVar[MachineEnv]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        env.count("runs")
        if env.pool:  # a new transcript per run, so a failure shows only its own steps
            self.s1, self.s2, names = env.pool.pop()
            for session in (self.s1, self.s2):
                session.transcript = Transcript(session.name)
                for secret in env.target.secrets():
                    session.transcript.add_secret(secret)
        else:
            self.s1, self.s2 = self._open("s1"), self._open("s2")
            names = (env.sandbox.create(self.s1, "model-a"), env.sandbox.create(self.s1, "model-b"))
        self.names = names
        self.sent = (self.s1.commands_sent, self.s2.commands_sent)
        self.caps = {c.upper() for c in self.s1.capabilities}
        self.boxes = {"A": fm.Mailbox(names[0]), "B": fm.Mailbox(names[1])}
        self._empty("B")
        reply = self._empty("A")
        self.current = "A"
        permanent = reply.code_named("PERMANENTFLAGS")
        self.keywords = bool(permanent and "\\*" in map(str, permanent.args[0] or []))
        self.view1: list[int | None] = []
        self._select(self.s2, "A")
        self.view2: list[int | None] = []

    def _empty(self, key: str) -> Reply:
        """SELECT the mailbox and remove what an earlier run left; the model starts empty."""
        box = self.boxes[key]
        reply = self.s1.command("SELECT", self._mb(key))
        assert reply.ok, f"SELECT {box.name} failed: {reply.summary()}"
        if any(u.number for u in reply.of("EXISTS")):
            self.s1.command("STORE", b"1:*", b"+FLAGS.SILENT", b"(\\Deleted)")
            assert self.s1.command("EXPUNGE").ok, "cannot empty the model's mailbox"
        for name in ("UIDVALIDITY", "UIDNEXT"):
            code = reply.code_named(name)
            value = as_int(code.args[0]) if code and code.args else None
            assert value, f"RFC 3501 §6.3.1: SELECT MUST send [{name}]"
            if name == "UIDVALIDITY":
                box.uidvalidity = value
            else:
                box.next_uid = value
        return reply

    def _open(self, name: str) -> FuzzSession:
        session = FuzzSession(self.env.target, name=name)
        session.connect()
        session.login()
        return session

    def _mb(self, key: str) -> bytes | Literal:
        return astring(encode_mailbox(self.boxes[key].name))

    def _select(self, session: FuzzSession, key: str) -> Reply:
        box = self.boxes[key]
        reply = session.command("SELECT", self._mb(key))
        assert reply.ok, f"SELECT {box.name} failed: {reply.summary()}"
        code = reply.code_named("UIDVALIDITY")
        value = as_int(code.args[0]) if code and code.args else None
        assert value, "RFC 3501 §6.3.1: SELECT MUST send [UIDVALIDITY]"
        if box.uidvalidity:
            assert value == box.uidvalidity, (
                f"UIDVALIDITY of {box.name} changed from {box.uidvalidity} to {value} while "
                "its UIDs stayed in use (RFC 3501 §2.3.1.1)"
            )
        box.uidvalidity = value
        exists = next((u.number for u in reply.of("EXISTS")), None)
        assert exists == len(box.messages), (
            f"SELECT {box.name}: EXISTS {exists}, but the mailbox holds {len(box.messages)} "
            "(RFC 3501 §6.3.1)"
        )
        return reply

    def _say(self, text: str) -> None:
        note(text)
        self.env.count("steps")

    def _flags(self, flags: set[str]) -> set[str]:
        return flags if self.keywords else flags & set(fm.SYSTEM_FLAGS)

    @property
    def box(self) -> fm.Mailbox:
        return self.boxes[self.current]

    @property
    def other(self) -> str:
        return "B" if self.current == "A" else "A"

    # -- rules ----------------------------------------------------------------------------

    @rule(
        into=st.sampled_from("AB"),
        message=st.sampled_from(fm.MESSAGES),
        flags=flag_sets,
        day=st.integers(0, fm.DAYS - 1),
    )
    def append(self, into: str, message: bytes, flags: set[str], day: int) -> None:
        flags = self._flags(flags)
        when = fm.internal_date(day)
        reply = self.s1.command(
            "APPEND",
            self._mb(into),
            _flag_list(flags),
            fm.imap_datetime(when).encode(),
            Literal(message),
        )
        assert reply.ok, f"APPEND failed: {reply.summary()}"
        code = reply.code_named("APPENDUID")
        uid = as_int(code.args[1]) if code and len(code.args) > 1 else None
        box = self.boxes[into]
        problem = box.assign(fm.Message(None, message, frozenset(flags), when), uid)
        assert not problem, problem
        if into == self.current:
            self.view1 = apply_updates(self.view1, reply, "s1")
        self._say(f"APPEND to {into} ({len(message)} octets, {sorted(flags)}) -> UID {uid}")

    @precondition(lambda self: self.box.messages)
    @rule(
        chosen=picks,
        op=st.sampled_from(["FLAGS", "+FLAGS", "-FLAGS"]),
        silent=st.booleans(),
        flags=flag_sets,
        by_uid=st.booleans(),
    )
    def store(
        self, chosen: list[int], op: str, silent: bool, flags: set[str], by_uid: bool
    ) -> None:
        flags = self._flags(flags)
        seqs = self.box.pick(chosen)
        verb = op + (".SILENT" if silent else "")
        reply = self._run(by_uid, "STORE", seqs, verb.encode(), _flag_list(flags))
        assert reply.ok, f"STORE failed: {reply.summary()}"
        changed = []
        for seq in seqs:
            message = self.box.messages[seq - 1]
            new = {"FLAGS": flags, "+FLAGS": message.flags | flags}.get(op, message.flags - flags)
            if fm.norm(new) != fm.norm(message.flags):
                changed.append(seq)
            message.flags = frozenset(new)
        assert not reply.of("EXPUNGE") or by_uid, "RFC 3501 §7.4.1: no EXPUNGE during STORE"
        if not silent:
            # checked where the flags changed: a server may say nothing about a no-op
            got = {s: fm.norm(f.get("FLAGS") or []) for s, f in reply.fetches().items()}
            for seq in changed:
                want = fm.norm(self.box.messages[seq - 1].flags)
                assert got.get(seq) == want, (
                    f"RFC 3501 §6.4.6: STORE {verb} returns the new flags of message {seq} as "
                    f"if fetched: expected {sorted(want)}, got {got.get(seq)}"
                )
        self._say(f"STORE {seqs} {verb} {sorted(flags)}")

    @precondition(lambda self: self.box.messages)
    @rule(chosen=picks, by_uid=st.booleans(), move=st.booleans())
    def copy(self, chosen: list[int], by_uid: bool, move: bool) -> None:
        if move and "MOVE" not in self.caps:
            move = False
        seqs = self.box.pick(chosen)
        verb = "MOVE" if move else "COPY"
        reply = self._run(by_uid, verb, seqs, self._mb(self.other))
        assert reply.ok, f"{verb} failed: {reply.summary()}"
        code = reply.code_named("COPYUID")
        mapping: dict[int, int] = {}
        if code and len(code.args) >= 3:
            mapping = dict(
                zip(uid_list(str(code.args[1])), uid_list(str(code.args[2])), strict=False)
            )
        target = self.boxes[self.other]
        for seq in seqs:
            source = self.box.messages[seq - 1]
            copied = fm.Message(None, source.data, source.flags, source.date)
            problem = target.assign(copied, mapping.get(source.uid or 0))
            assert not problem, problem
        if move:
            self.box.expunge(set(seqs))
            self.view1 = apply_updates(self.view1, reply, "s1")
            same_view(self.view1, self.box, f"s1 after MOVE {seqs}")
        self._say(f"{verb} {seqs} to {self.other} -> {mapping}")

    @precondition(lambda self: self.box.messages)
    @rule(chosen=picks, by_uid=st.booleans())
    def expunge(self, chosen: list[int], by_uid: bool) -> None:
        if by_uid and "UIDPLUS" in self.caps:
            seqs = self.box.pick(chosen)
            uids = [self.box.messages[s - 1].uid or 0 for s in seqs]
            reply = self.s1.command("UID EXPUNGE", fm.sequence(uids))
            gone = {s for s in seqs if "\\deleted" in fm.norm(self.box.messages[s - 1].flags)}
        else:
            reply = self.s1.command("EXPUNGE")
            gone = {
                s for s, m in enumerate(self.box.messages, 1) if "\\deleted" in fm.norm(m.flags)
            }
        assert reply.ok, f"EXPUNGE failed: {reply.summary()}"
        self.box.expunge(gone)
        self.view1 = apply_updates(self.view1, reply, "s1")
        same_view(self.view1, self.box, f"s1 after {reply.command}")
        self._say(f"{reply.command.split(' ', 1)[1]} removed {sorted(gone)}")

    @precondition(lambda self: self.box.messages)
    @rule(
        chosen=picks,
        items=st.sets(st.sampled_from(FETCH_ITEMS), min_size=1),
        by_uid=st.booleans(),
        start=st.integers(0, 300),
        length=st.integers(1, 400),
    )
    def fetch(
        self, chosen: list[int], items: set[str], by_uid: bool, start: int, length: int
    ) -> None:
        seqs = self.box.pick(chosen)
        names = [f"BODY.PEEK[]<{start}.{length}>" if i == "PARTIAL" else i for i in sorted(items)]
        reply = self._run(by_uid, "FETCH", seqs, ("(" + " ".join(names) + ")").encode())
        assert reply.ok, f"FETCH failed: {reply.summary()}"
        assert not reply.of("EXPUNGE") or by_uid, "RFC 3501 §7.4.1: no EXPUNGE during FETCH"
        fetched = reply.fetches()
        for seq in seqs:
            message = self.box.messages[seq - 1]
            if "BODY[]" in items:
                message.flags = message.flags | {"\\Seen"}  # RFC 3501 §6.4.5
            check_fetch(seq, message, fetched.get(seq, {}), items, start, length)
        self._say(f"FETCH {seqs} {names}")

    @precondition(lambda self: self.box.messages)
    @rule(program=fm.search_programs, by_uid=st.booleans())
    def search(self, program: list[tuple], by_uid: bool) -> None:
        text = fm.render_program(program, self.box)
        reply = self.s1.command("UID SEARCH" if by_uid else "SEARCH", text)
        assert reply.ok, f"SEARCH {text!r} failed: {reply.summary()}"
        found = sorted(int(t) for u in reply.of("SEARCH") for t in u.tokens if isinstance(t, str))
        want = fm.expected(program, self.box)
        if by_uid:
            want = sorted(self.box.messages[s - 1].uid or 0 for s in want)
        excuse = next((b.name for b in self.env.known_bugs if b.search and b.search(program)), None)
        if found != want and excuse:
            self.env.count(f"known bug: {excuse}")
            self._say(f"SEARCH {text.decode()} -> {found}, not {want}: known bug ({excuse})")
            return
        assert found == want, (
            f"RFC 3501 §6.4.4: {'UID ' if by_uid else ''}SEARCH {text.decode()} must find "
            f"{want}, the server found {found}"
        )
        self._say(f"SEARCH {text.decode()} -> {found}")

    @rule()
    def switch(self) -> None:
        self.current = self.other
        self._select(self.s1, self.current)
        self.view1 = list(self.box.uids())
        self._say(f"SELECT {self.current}")

    @rule()
    def observer_noop(self) -> None:
        box = self.boxes["A"]
        reply = self.s2.command("NOOP")
        assert reply.ok, f"NOOP in s2 failed: {reply.summary()}"
        self.view2 = apply_updates(self.view2, reply, "s2")
        same_view(self.view2, box, "s2 after NOOP (RFC 3501 §6.1.2: NOOP polls)")
        self.view2 = look(self.s2, box, "s2")
        self._say("s2 NOOP")

    # -- checks -----------------------------------------------------------------------------

    @invariant()
    def server_agrees(self) -> None:
        reply = self.s1.command("NOOP")
        self.view1 = apply_updates(self.view1, reply, "s1")
        same_view(self.view1, self.box, "s1 after NOOP")
        self.view1 = look(self.s1, self.box, "s1")

    def _run(self, by_uid: bool, verb: str, seqs: list[int], *args: Any) -> Reply:
        if by_uid:
            uids = [self.box.messages[s - 1].uid or 0 for s in seqs]
            return self.s1.command(f"UID {verb}", fm.sequence(uids), *args)
        return self.s1.command(verb, fm.sequence(seqs), *args)

    def teardown(self) -> None:
        for session, before in zip((self.s1, self.s2), self.sent, strict=True):
            note(f"--- transcript {session.name} ---\n{session.transcript.render()}")
            self.env.count("commands", session.commands_sent - before)
        if self._healthy():
            self.env.pool.append((self.s1, self.s2, self.names))
            return
        try:
            for name in self.names:
                self.env.sandbox.remove(self.s1, name)
        except ImapcheckError:
            pass  # the run's clean-up of the whole prefix tries again
        finally:
            self.s1.logout()
            self.s2.logout()

    def _healthy(self) -> bool:
        """Both sessions still answer (so the next run may reuse them)."""
        try:
            return all(s.connected and s.command("NOOP", timeout=5).ok for s in (self.s1, self.s2))
        except ImapcheckError:
            return False


def _flag_list(flags: set[str]) -> bytes:
    return ("(" + " ".join(sorted(flags)) + ")").encode()
