"""FastClient: the load client on the lean wire layer (framing only, no full parse).

It parses only what a scenario needs (EXISTS, UIDNEXT, SEARCH numbers, FETCH UIDs and
payloads) from the framed responses of :class:`~imapcheck.load.connection.Connection`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence

from imapcheck.load.base import (
    Fetched,
    IdleResult,
    LoadError,
    MailboxInfo,
    command_shape,
)
from imapcheck.load.connection import Connection, ms_since
from imapcheck.wire.reader import Frame
from imapcheck.wire.tokens import tokenize

_ATOM = re.compile(rb"[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|}~]+\Z")
_NUMBER_KIND = re.compile(rb"\* (\d+) (EXISTS|EXPUNGE|FETCH)", re.IGNORECASE)
_CODE_NUMBER = re.compile(rb"\[(UIDVALIDITY|UIDNEXT|HIGHESTMODSEQ|APPENDUID) (\d+)", re.IGNORECASE)
_UID = re.compile(rb"[( ]UID (\d+)", re.IGNORECASE)
_FETCH = re.compile(rb"\* \d+ FETCH \((?:(?:[^{\r\n]*? )?UID (\d+))?", re.IGNORECASE)
_PAIR = re.compile(rb"([A-Z-]+) (\d+)", re.IGNORECASE)


def astring(value: str | bytes) -> bytes | tuple[bytes]:
    """An atom or a quoted string; a 1-tuple means 'send as a literal'."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    if _ATOM.match(data) and data.upper() != b"NIL":
        return data
    if data.isascii() and not any(c in data for c in b"\r\n\0"):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return (data,)


class FastClient(Connection):
    """The load client interface; methods raise :class:`LoadError` after reporting."""

    # -- commands ----------------------------------------------------------------------------

    def login(self, user: str, password: str) -> None:
        self.command("LOGIN", b"LOGIN", astring(user), astring(password))

    def enable(self, *capabilities: str) -> None:
        self.command("ENABLE", b"ENABLE", *(c.encode() for c in capabilities))

    def select(self, mailbox: str, *, readonly: bool = False) -> MailboxInfo:
        verb = "EXAMINE" if readonly else "SELECT"
        untagged, _ = self.command(verb, verb.encode(), astring(mailbox))
        info = MailboxInfo(mailbox)
        for frame in untagged:
            line = frame.lines[0]
            match = _NUMBER_KIND.match(line)
            if match and match.group(2).upper() == b"EXISTS":
                info.exists = int(match.group(1))
                continue
            code = _CODE_NUMBER.search(line)
            if code:
                setattr(info, code.group(1).decode().lower(), int(code.group(2)))
        return info

    def list_mailboxes(self, reference: str = "", pattern: str = "*") -> list[str]:
        untagged, _ = self.command("LIST", b"LIST", astring(reference), astring(pattern))
        names = []
        for frame in untagged:
            tokens = tokenize(frame, start=2)
            if len(tokens) >= 4 and str(tokens[0]).upper() == "LIST":
                name = tokens[3]
                if isinstance(name, bytes | str):
                    flags = tokens[1] if isinstance(tokens[1], list) else []
                    if "\\NOSELECT" not in {str(f).upper() for f in flags}:
                        names.append(name.decode() if isinstance(name, bytes) else name)
        return names

    def status(
        self, mailbox: str, items: Sequence[str] = ("MESSAGES", "UIDNEXT", "UNSEEN")
    ) -> dict[str, int]:
        wanted = b"(" + " ".join(items).encode() + b")"
        untagged, _ = self.command("STATUS", b"STATUS", astring(mailbox), wanted)
        out: dict[str, int] = {}
        for frame in untagged:
            line = frame.lines[-1]
            start = line.rfind(b"(")
            for key, value in _PAIR.findall(line[start:]):
                out[key.decode().upper()] = int(value)
        return out

    def uid_search(self, criteria: str, *, name: str | None = None) -> list[int]:
        shape = name or "UID SEARCH " + command_shape(criteria)
        untagged, _ = self.command(shape, b"UID SEARCH", criteria.encode())
        uids: list[int] = []
        for frame in untagged:
            line = frame.lines[0]
            if line[2:9].upper() == b"SEARCH ":
                uids.extend(int(n) for n in line[9:].split() if n.isdigit())
        return uids

    def uid_fetch(
        self, uids: str, items: str, *, changedsince: int | None = None, name: str | None = None
    ) -> list[Fetched]:
        shape = name or "UID FETCH " + command_shape(items)
        args: list[bytes] = [uids.encode(), items.encode()]
        if changedsince is not None:
            args.append(b"(CHANGEDSINCE %d)" % changedsince)
            shape += " CHANGEDSINCE"
        untagged, _ = self.command(shape, b"UID FETCH", *args)
        out = []
        match_fetch, search_uid = _FETCH.match, _UID.search
        for frame in untagged:
            lines = frame.lines
            found = match_fetch(lines[0])
            if found is None:
                continue  # not FETCH data (EXPUNGE, EXISTS, ...)
            uid = found.group(1)
            if uid is None:  # UID after a literal
                for line in lines[1:]:
                    if later := search_uid(line):
                        uid = later.group(1)
                        break
            out.append(Fetched(int(uid) if uid else None, frame.literals))
        return out

    def append(self, mailbox: str, message: bytes, flags: Iterable[str] = ()) -> int | None:
        """APPEND; returns the new UID when the server says APPENDUID (RFC 4315)."""
        flag_list = b"(" + " ".join(flags).encode() + b")"
        _, tagged = self.command("APPEND", b"APPEND", astring(mailbox), flag_list, (message,))
        code = _CODE_NUMBER.search(tagged.lines[0])
        if code and code.group(1).upper() == b"APPENDUID":
            rest = tagged.lines[0][code.end() :].split(b"]")[0].strip()
            return int(rest) if rest.isdigit() else None
        return None

    def uid_store(self, uids: str, action: str, flags: str) -> None:
        self.command(
            f"UID STORE {action}", b"UID STORE", uids.encode(), action.encode(), flags.encode()
        )

    def uid_move(self, uids: str, mailbox: str) -> None:
        self.command("UID MOVE", b"UID MOVE", uids.encode(), astring(mailbox))

    def expunge(self) -> None:
        self.command("EXPUNGE", b"EXPUNGE")

    def uid_expunge(self, uids: str) -> None:
        self.command("UID EXPUNGE", b"UID EXPUNGE", uids.encode())

    def create(self, mailbox: str) -> None:
        self.command("CREATE", b"CREATE", astring(mailbox))

    def noop(self) -> int | None:
        """NOOP; returns a pushed EXISTS count, if any."""
        untagged, _ = self.command("NOOP", b"NOOP")
        return _last_exists(untagged)

    def idle(self, seconds: float) -> IdleResult:
        """IDLE ("IDLE": until the continuation), wait up to ``seconds`` for EXISTS, then DONE
        ("IDLE DONE": its bytes include whatever the server pushed meanwhile)."""
        result = IdleResult()
        tag = self._next_tag()
        with self.meter.measure("IDLE"):
            self._send(tag + b" IDLE\r\n")
            self._await_continuation(tag, "IDLE")
        deadline = time.monotonic() + seconds
        self.busy = True
        in0 = self.meter.bytes_in
        while result.exists is None:
            frame = self._next_frame(deadline, "IDLE", timeout_ok=True)
            if frame is None:
                break
            line = frame.lines[0]
            match = _NUMBER_KIND.match(line)
            if match and match.group(2).upper() == b"EXISTS":
                result.exists, result.arrived = int(match.group(1)), time.time()
            elif len(result.untagged) < 1000:
                result.untagged.append(line)
        pushed = self.meter.bytes_in - in0
        started = time.perf_counter()
        in1, out1 = self.meter.bytes_in, self.meter.bytes_out
        try:
            self._send(b"DONE\r\n")
            self._read_until(tag, "IDLE DONE")
        except LoadError as exc:
            self.meter.report(
                "IDLE DONE",
                ms_since(started),
                pushed + self.meter.bytes_in - in1,
                self.meter.bytes_out - out1,
                exc,
            )
            raise
        self.busy = False
        self.meter.report(
            "IDLE DONE",
            ms_since(started),
            pushed + self.meter.bytes_in - in1,
            self.meter.bytes_out - out1,
            None,
        )
        return result


def _last_exists(untagged: list[Frame]) -> int | None:
    exists = None
    for frame in untagged:
        match = _NUMBER_KIND.match(frame.lines[0])
        if match and match.group(2).upper() == b"EXISTS":
            exists = int(match.group(1))
    return exists
