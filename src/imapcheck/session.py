"""One IMAP connection speaking exact bytes, with a transcript and a timeout on everything.

>>> s = Session(target); s.connect(); s.login()
>>> reply = s.command("SELECT", b"INBOX")
>>> reply.ok, reply.of("EXISTS")

Arguments are inserted verbatim (``bytes``/``str``) or as :class:`Literal`; use
``wire.encode.astring`` to let the encoder choose. Every server frame passes the grammar check
in syntax/; what fails is collected in ``violations`` (the test decides what to do with it).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from imapcheck import syntax
from imapcheck.errors import (
    ConnectError,
    ConnectionClosed,
    ImapTimeout,
    LimitExceeded,
    LoginFailed,
    ProtocolError,
)
from imapcheck.target import Credentials, Target
from imapcheck.transport import Transport
from imapcheck.wire.encode import Arg, astring, render_command
from imapcheck.wire.reader import Frame, ResponseReader
from imapcheck.wire.response import Reply, Untagged, parse_tagged, parse_untagged
from imapcheck.wire.tokens import as_text

MAX_UNTAGGED_BYTES = 96 << 20  # untagged data buffered for one command (a maximal literal fits)
# What one parsed untagged response costs beyond its bytes (Python objects): counted against
# MAX_UNTAGGED_BYTES too, so a flood of tiny responses cannot exhaust memory before the limit.
UNTAGGED_OVERHEAD = 1024
MAX_VIOLATIONS = 200  # kept per session; more are only counted


@dataclass(frozen=True)
class Violation:
    """A server frame that does not match the grammar (or the protocol flow)."""

    line: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reason}\n  S: {self.line}"


class Session(Transport):
    """One connection. Not thread-safe; one test or one load user owns it."""

    _count = 0

    def __init__(
        self,
        target: Target,
        *,
        name: str | None = None,
        timeout: float | None = None,
        validate: bool = True,
        reader: ResponseReader | None = None,
    ) -> None:
        Session._count += 1
        super().__init__(
            target,
            name or f"s{Session._count}",
            target.timeout if timeout is None else timeout,
            reader,
        )
        for secret in target.secrets():
            self.add_secret(secret)
        self.validate = validate
        self.violations: list[Violation] = []
        self.violations_dropped = 0
        self._stray_completions = 0
        self._last_stray = ""
        self.capabilities: set[str] = set()
        self.greeting: Untagged | None = None
        self.state = "disconnected"
        self.selected: str | None = None
        self._tag_counter = 0
        self._pending: dict[str, str] = {}
        self._done: dict[str, Reply] = {}
        self._untagged: list[Untagged] = []
        self._untagged_bytes = 0
        self._continuations: list[Frame] = []
        self.unsolicited: list[Untagged] = []  # untagged data seen outside any command
        self._idle_tag: str | None = None

    # -- connection -------------------------------------------------------------------------

    def connect(self, tls: str | None = None) -> Untagged:
        """Open the connection and read the greeting. ``tls`` overrides the target's mode."""
        mode = tls or self.target.tls_mode
        where = self.target.address
        self._open(mode)
        self.state = "greeting"
        frame = self._read_frame(time.monotonic() + self.timeout, "the greeting")
        self._check(frame, greeting=True)
        greeting = parse_untagged(frame)
        if not frame.first_line.startswith(b"* ") or greeting.kind not in ("OK", "PREAUTH", "BYE"):
            raise ProtocolError(f"{where} sent no IMAP greeting: {_short(frame)}")
        if greeting.kind == "BYE":
            raise ConnectionClosed(f"{where} refused the connection: {greeting.text}")
        self.greeting = greeting
        self.state = "authenticated" if greeting.kind == "PREAUTH" else "not authenticated"
        self._note_capabilities(greeting)
        if mode == "auto" and not self.capabilities and greeting.kind == "OK":
            self.capability()  # the greeting need not list them (RFC 3501 §7.1.1: "MAY")
        if (mode == "auto" and "STARTTLS" in self.capabilities) or mode == "starttls":
            self.starttls()
        return greeting

    def starttls(self) -> Reply:
        """STARTTLS, the handshake, then CAPABILITY again (RFC 3501 §6.2.1)."""
        reply = self.command("STARTTLS")
        if not reply.ok:
            raise ConnectError(f"STARTTLS refused by {self.target.address}: {reply.summary()}")
        if self.reader.pending():
            self._violation(
                Violation(
                    "(bytes after STARTTLS OK)",
                    "server sent data after STARTTLS OK before the TLS handshake (RFC 2595 §3.1)",
                )
            )
        self._fresh_reader()
        self._start_tls()
        self.capabilities.clear()
        self.capability()
        return reply

    def close(self) -> None:
        """Close the socket and drop what was buffered for commands that cannot complete now."""
        super().close()
        self.state = "disconnected"
        self._untagged, self._continuations, self._untagged_bytes = [], [], 0

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands ---------------------------------------------------------------------------

    def next_tag(self) -> str:
        self._tag_counter += 1
        return f"{self.name}.{self._tag_counter}"

    def command(
        self, name: str, *args: Arg, timeout: float | None = None, tag: str | None = None
    ) -> Reply:
        """Send one command (handling synchronizing literals) and read to its completion."""
        tag = tag or self.next_tag()
        segments = render_command(tag, name, args)
        deadline = time.monotonic() + (timeout or self.timeout)
        shown = self._shown(segments, name)
        self._pending[tag] = shown
        for index, segment in enumerate(segments):
            self._send(segment)
            last = index == len(segments) - 1
            if not last and not self._await_continuation(tag, deadline, shown):
                break  # the server completed the command instead (NO/BAD to the literal)
        return self.wait(tag, deadline=deadline)

    def send(self, name: str, *args: Arg, tag: str | None = None) -> str:
        """Send without waiting (pipelining). Synchronizing literals are not allowed here."""
        tag = tag or self.next_tag()
        segments = render_command(tag, name, args)
        if len(segments) > 1:
            raise ValueError("a pipelined command cannot carry a synchronizing literal")
        self._pending[tag] = self._shown(segments, name)
        self._send(segments[0])
        return tag

    def send_raw(self, data: bytes, *, expect_tag: str | None = None) -> None:
        """Send exact bytes (for syntax tests). Register ``expect_tag`` to wait() on it."""
        if expect_tag:
            self._pending[expect_tag] = data[:200].decode("utf-8", "replace").strip()
        self._send(data)

    def wait(self, tag: str, *, deadline: float | None = None) -> Reply:
        """Read until ``tag`` completes; returns its Reply."""
        deadline = deadline or time.monotonic() + self.timeout
        while tag not in self._done:
            self._dispatch(self._read_frame(deadline, self._pending.get(tag, tag)))
        self._timed_out = False
        return self._done.pop(tag)

    def take(self, tag: str) -> Reply | None:
        """The completion of ``tag`` if it has arrived (without reading more), else None."""
        return self._done.pop(tag, None)

    def wait_all(self, tags: Sequence[str]) -> list[Reply]:
        deadline = time.monotonic() + self.timeout
        return [self.wait(tag, deadline=deadline) for tag in tags]

    def read_untagged(
        self, until: Callable[[Untagged], bool], timeout: float | None = None
    ) -> list[Untagged]:
        """Read unsolicited data (e.g. while idling) until ``until`` accepts one or time is up.

        Returns everything read; raises ImapTimeout if nothing matched by the deadline.
        """
        deadline = time.monotonic() + (timeout or self.timeout)
        seen: list[Untagged] = []
        while True:
            for index, item in enumerate(self.unsolicited):
                if until(item):
                    seen.extend(self.unsolicited[: index + 1])
                    del self.unsolicited[: index + 1]
                    return seen
            seen.extend(self.unsolicited)
            self.unsolicited.clear()
            self._dispatch(self._read_frame(deadline, "an unsolicited update"))

    # -- conveniences ---------------------------------------------------------------------------

    def add_secret(self, secret: str) -> None:
        """Redact ``secret`` from the transcript (raw and quoted-string escaped forms)."""
        self.transcript.add_secret(secret)

    def capability(self) -> set[str]:
        reply = self.command("CAPABILITY")
        self._require_ok(reply)
        return self.capabilities

    def login(self, account: Credentials | None = None) -> Reply:
        account = account or self.target.user
        self.add_secret(account.password)
        if "LOGINDISABLED" in self.capabilities:
            raise LoginFailed(
                f"{self.target.address} advertises LOGINDISABLED on this connection, so LOGIN "
                "is not sent (RFC 3501 §6.2.3); use TLS (--tls starttls or implicit)"
            )
        literal_plus = "LITERAL+" in self.capabilities
        reply = self.command(
            "LOGIN",
            astring(account.user, literal_plus=literal_plus),
            astring(account.password, literal_plus=literal_plus),
        )
        if not reply.ok:
            raise LoginFailed(
                f"login as {account.user!r} on {self.target.address} failed: {reply.summary()}"
            )
        self._after_auth(reply)
        return reply

    def authenticate_plain(
        self, account: Credentials | None = None, *, sasl_ir: bool | None = None
    ) -> Reply:
        """AUTHENTICATE PLAIN (RFC 4616), with SASL-IR (RFC 4959) when advertised."""
        account = account or self.target.user
        token = base64.b64encode(f"\0{account.user}\0{account.password}".encode())
        self.add_secret(account.password)
        self.transcript.add_secret(token)
        use_ir = ("SASL-IR" in self.capabilities) if sasl_ir is None else sasl_ir
        reply = self.authenticate("PLAIN", [token], initial_response=use_ir)
        if reply.ok:
            self._after_auth(reply)
        return reply

    def authenticate(
        self, mechanism: str, responses: Iterable[bytes], *, initial_response: bool = False
    ) -> Reply:
        """AUTHENTICATE with client responses given in order (already base64)."""
        answers = list(responses)
        for answer in answers:
            self.transcript.add_secret(answer)
        tag = self.next_tag()
        args: list[Arg] = [mechanism.encode()]
        if initial_response and answers:
            args.append(answers.pop(0) or b"=")
        segments = render_command(tag, "AUTHENTICATE", args)
        self._pending[tag] = self._shown(segments, "AUTHENTICATE")
        self._send(segments[0])
        deadline = time.monotonic() + self.timeout
        while tag not in self._done:
            frame = self._read_frame(deadline, f"AUTHENTICATE {mechanism}")
            if frame.first_line.startswith(b"+"):
                self._check(frame)
                self._continuations.append(frame)
                self._send((answers.pop(0) if answers else b"*") + b"\r\n")
            else:
                self._dispatch(frame)
        return self._done.pop(tag)

    def select(self, mailbox: str, *, readonly: bool = False) -> Reply:
        reply = self.command("EXAMINE" if readonly else "SELECT", astring(mailbox))
        self._require_ok(reply)
        return reply

    def logout(self) -> Reply | None:
        """LOGOUT and close; after a timeout just close (the server is not waited on again)."""
        if self._sock is None:
            return None
        if self._timed_out:
            self.close()
            return None
        try:
            reply = self.command("LOGOUT")
        except (ConnectionClosed, ImapTimeout, ProtocolError):
            reply = None
        self.close()
        return reply

    def idle_start(self) -> str:
        """Send IDLE and wait for the continuation (RFC 2177). Returns the tag."""
        tag = self.send("IDLE")
        if not self._await_continuation(tag, time.monotonic() + self.timeout, "IDLE"):
            raise ProtocolError(f"IDLE was not accepted: {self._done.pop(tag).summary()}")
        self._idle_tag = tag
        return tag

    def idle_done(self, tag: str) -> Reply:
        """End IDLE with DONE; untagged data read while idling stays in ``unsolicited``."""
        self._send(b"DONE\r\n")
        try:
            return self.wait(tag)
        finally:
            self._idle_tag = None

    # -- internals --------------------------------------------------------------------------

    def _after_auth(self, reply: Reply) -> None:
        self.state = "authenticated"
        if reply.code_named("CAPABILITY") is None:
            self.capabilities.clear()
            self.capability()

    def _require_ok(self, reply: Reply) -> None:
        if not reply.ok:
            raise ProtocolError(f"{reply.command!r} failed: {reply.summary()}")

    def _shown(self, segments: list[bytes], name: str) -> str:
        first = self.transcript.redact(segments[0]).decode("utf-8", "replace").rstrip("\r\n")
        return first if len(first) < 200 else f"{first[:200]}..."

    def _await_continuation(self, tag: str, deadline: float, what: str) -> bool:
        while tag not in self._done:
            frame = self._read_frame(deadline, f"a continuation for {what!r}")
            if frame.first_line.startswith(b"+"):
                self._check(frame)
                self._continuations.append(frame)
                return True
            self._dispatch(frame)
        return False

    def _dispatch(self, frame: Frame) -> None:
        self._check(frame)
        line = frame.first_line
        if line.startswith(b"* "):
            untagged = parse_untagged(frame)
            self._note_capabilities(untagged)
            if untagged.kind == "BYE":
                self.state = "logout"
            if self._pending and self._idle_tag is None:
                self._untagged_bytes += len(frame) + UNTAGGED_OVERHEAD
                if self._untagged_bytes > MAX_UNTAGGED_BYTES:
                    self.close()
                    raise LimitExceeded(
                        f"{len(self._untagged)} untagged responses to one command, more than "
                        f"imapcheck buffers ({MAX_UNTAGGED_BYTES >> 20} MiB); the server floods"
                    )
                self._untagged.append(untagged)
            else:
                self.unsolicited.append(untagged)
            return
        if line.startswith(b"+"):
            self._continuations.append(frame)
            return
        reply = parse_tagged(frame)
        if reply is None or reply.tag not in self._pending:
            self._stray_completions += 1
            self._last_stray = _short(frame, 80)
            self._violation(
                Violation(
                    _short(frame),
                    "response with an unknown or no tag (RFC 3501 §2.2.2: tags match the command)",
                )
            )
            return
        reply.command = self._pending.pop(reply.tag)
        reply.untagged, self._untagged = self._untagged, []
        reply.continuations, self._continuations = self._continuations, []
        self._untagged_bytes = 0
        self._note_capabilities(reply)
        self._track_state(reply)
        self._done[reply.tag] = reply

    def _track_state(self, reply: Reply) -> None:
        verb = reply.command.split(" ", 2)[1].upper() if " " in reply.command else ""
        if verb in ("SELECT", "EXAMINE"):
            self.selected = reply.command.split(" ", 2)[2] if reply.ok else None
            self.state = "selected" if reply.ok else "authenticated"
        elif verb in ("CLOSE", "UNSELECT") and reply.ok:
            self.selected, self.state = None, "authenticated"
        elif verb == "LOGOUT":
            self.state = "logout"

    def _note_capabilities(self, item: Untagged | Reply) -> None:
        if isinstance(item, Untagged) and item.kind == "CAPABILITY":
            words = item.tokens
        else:
            code = item.code
            if code is None or code.name != "CAPABILITY":
                return
            words = code.args
        self.capabilities = {w.upper() for w in map(as_text, words) if isinstance(w, str)}

    def _check(self, frame: Frame, *, greeting: bool = False) -> None:
        if not self.validate:
            return
        verdict = syntax.check_greeting(frame) if greeting else syntax.check_response(frame)
        if not verdict.ok:
            self._violation(Violation(_short(frame), verdict.reason))

    def _violation(self, violation: Violation) -> None:
        if len(self.violations) < MAX_VIOLATIONS:
            self.violations.append(violation)
        else:
            self.violations_dropped += 1

    def saw_bye(self) -> bool:
        """Whether the server announced the end of the session with BYE (RFC 3501 §7.1.5)."""
        return any(u.kind == "BYE" for u in self.unsolicited) or any(
            e.direction == "S" and b"* BYE" in e.data[:8] for e in self.transcript.entries
        )

    def _stall_notes(self) -> list[str]:
        """Why a wait timed out, beyond silence: a partial response, a flood, stray tags."""
        notes = super()._stall_notes()
        if self._untagged:
            notes.append(f"{len(self._untagged)} untagged responses arrived, but no completion")
        if self._stray_completions:
            notes.append(
                f"{self._stray_completions} completion(s) with a tag never sent, "
                f"last: {self._last_stray!r}"
            )
        return notes


def _short(frame: Frame, limit: int = 300) -> str:
    text = frame.first_line.decode("utf-8", "backslashreplace").rstrip("\r\n")
    return text if len(text) <= limit else text[:limit] + "..."
