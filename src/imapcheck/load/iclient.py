"""ImapClientClient: the load client interface on ``imapclient.IMAPClient`` (full parsing).

It costs more CPU per command than :class:`~imapcheck.load.client.FastClient` but sees the
server the way a real Python client does. Bytes are counted by teeing imaplib's I/O.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from imapclient.imapclient import join_message_ids, seq_to_parenstr_upper
from imapclient.response_parser import parse_fetch_response

from imapcheck.load.base import (
    SESSIONS,
    CommandFailed,
    ConnectionLost,
    Endpoint,
    Fetched,
    IdleResult,
    LoadError,
    MailboxInfo,
    Meter,
    RequestHook,
    SessionGauge,
    clean_text,
    command_shape,
    item_words,
)

_STATUS_TEXT = re.compile(r"\b(NO|BAD)\b[\s\[]*b?['\"]?(.*?)['\"]?\]?$", re.DOTALL)


class _TimedContext:
    """An SSLContext stand-in that times ``wrap_socket`` (the TLS handshake)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.elapsed_ms = 0.0
        self.calls = 0

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        started = time.perf_counter()
        try:
            return self.context.wrap_socket(sock, *args, **kwargs)
        finally:
            self.elapsed_ms = (time.perf_counter() - started) * 1000.0
            self.calls += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.context, name)


def _failure_text(exc: BaseException) -> str:
    text = str(exc)
    match = _STATUS_TEXT.search(text)
    if match:
        return clean_text(f"{match.group(1)} {match.group(2)}".encode())
    return clean_text(text.encode())


class ImapClientClient:
    """The FastClient interface, each call made through imapclient."""

    def __init__(
        self,
        endpoint: Endpoint,
        on_request: RequestHook | None = None,
        *,
        gauge: SessionGauge = SESSIONS,
    ) -> None:
        self.endpoint = endpoint
        self.meter = Meter(on_request)
        self.gauge = gauge
        self.busy = False
        self.client: imapclient.IMAPClient | None = None
        self._tls = _TimedContext(endpoint.ssl_context())

    @property
    def connected(self) -> bool:
        return self.client is not None

    @property
    def capabilities(self) -> frozenset[bytes]:
        if self.client is None:
            return frozenset()
        return frozenset(c.upper() for c in self.client.capabilities())

    def connect(self) -> None:
        ep, meter = self.endpoint, self.meter
        self.close()
        started = time.perf_counter()
        self._tls.elapsed_ms, self._tls.calls = 0.0, 0
        try:
            client = imapclient.IMAPClient(
                ep.host,
                port=ep.port,
                ssl=ep.tls == "implicit",
                ssl_context=self._tls if ep.tls == "implicit" else None,
                timeout=ep.timeout,
            )
        except (OSError, IMAPClientError) as exc:
            handshake = self._tls.elapsed_ms
            error = ConnectionLost(_connect_text(ep, exc, tls_started=self._tls.calls > 0))
            name = "TLS handshake" if self._tls.calls else "connect"
            meter.report(
                name, _ms(started) - (0 if name == "TLS handshake" else handshake), 0, 0, error
            )
            raise error from None
        self.client = client
        self.gauge.opened()
        _tee(client._imap, meter)
        meter.bytes_in += len(client.welcome) + 2
        handshake = self._tls.elapsed_ms
        meter.report("connect", _ms(started) - handshake, len(client.welcome) + 2, 0, None)
        if ep.tls == "implicit":
            meter.report("TLS handshake", handshake, 0, 0, None)
        elif ep.tls == "starttls":
            with self._call("STARTTLS"):
                client.starttls(self._tls)
            meter.report("TLS handshake", self._tls.elapsed_ms, 0, 0, None)

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError, IMAPClientError):
                self.client.shutdown()
            self.client = None
            self.gauge.closed()
        self.busy = False

    def logout(self) -> None:
        if self.client is None:
            return
        try:
            with self._call("LOGOUT"):
                self.client.logout()
        except LoadError:
            pass
        self.close()

    @contextmanager
    def _call(self, name: str) -> Iterator[imapclient.IMAPClient]:
        """Report the enclosed imapclient call as ``name``, its errors as LoadError."""
        with self.meter.measure(name), self._guard(name) as client:
            yield client

    @contextmanager
    def _guard(self, name: str) -> Iterator[imapclient.IMAPClient]:
        if self.client is None:
            raise ConnectionLost("not connected")
        self.busy = True
        try:
            yield self.client
        except IMAPClientAbortError as exc:
            self.close()
            raise ConnectionLost(f"connection lost: {_failure_text(exc)}") from None
        except IMAPClientError as exc:
            raise CommandFailed(_failure_text(exc)) from None
        except TimeoutError:
            self.close()
            raise ConnectionLost(
                f"timeout: no answer to {name} within {self.endpoint.timeout:g}s"
            ) from None
        except OSError as exc:
            self.close()
            raise ConnectionLost(f"connection lost during {name}: {exc.strerror or exc}") from None
        self.busy = False

    # -- commands ----------------------------------------------------------------------------

    def login(self, user: str, password: str) -> None:
        with self._call("LOGIN") as client:
            client.login(user, password)

    def enable(self, *capabilities: str) -> None:
        with self._call("ENABLE") as client:
            client.enable(*capabilities)

    def select(self, mailbox: str, *, readonly: bool = False) -> MailboxInfo:
        with self._call("EXAMINE" if readonly else "SELECT") as client:
            data = client.select_folder(mailbox, readonly=readonly)
        modseq = data.get(b"HIGHESTMODSEQ")
        return MailboxInfo(
            mailbox,
            int(data.get(b"EXISTS", 0)),
            int(data.get(b"UIDVALIDITY", 0)),
            int(data.get(b"UIDNEXT", 0)),
            int(modseq) if modseq else None,
        )

    def list_mailboxes(self, reference: str = "", pattern: str = "*") -> list[str]:
        with self._call("LIST") as client:
            folders = client.list_folders(reference, pattern)
        return [
            name for flags, _sep, name in folders if b"\\NOSELECT" not in {f.upper() for f in flags}
        ]

    def status(
        self, mailbox: str, items: Sequence[str] = ("MESSAGES", "UIDNEXT", "UNSEEN")
    ) -> dict[str, int]:
        with self._call("STATUS") as client:
            data = client.folder_status(mailbox, list(items))
        return {k.decode().upper(): int(v) for k, v in data.items()}

    def uid_search(self, criteria: str, *, name: str | None = None) -> list[int]:
        with self._call(name or "UID SEARCH " + command_shape(criteria)) as client:
            return list(client.search(criteria))

    def uid_fetch(
        self, uids: str, items: str, *, changedsince: int | None = None, name: str | None = None
    ) -> list[Fetched]:
        shape = name or "UID FETCH " + command_shape(items)
        modifiers = None
        if changedsince is not None:
            modifiers = [f"CHANGEDSINCE {changedsince}"]
            shape += " CHANGEDSINCE"
        text = items.strip()
        if text.startswith("(") and text.endswith(")"):
            text = text[1:-1]
        with self._call(shape) as client:
            data = _fetch(client, uids, item_words(text), modifiers)
        return [
            Fetched(
                uid,
                tuple(
                    v
                    for k, v in values.items()
                    if isinstance(v, bytes) and k.startswith((b"BODY", b"RFC822"))
                ),
            )
            for uid, values in data.items()
        ]

    def append(self, mailbox: str, message: bytes, flags: Iterable[str] = ()) -> int | None:
        with self._call("APPEND") as client:
            text = client.append(mailbox, message, flags=tuple(flags))
        match = re.search(rb"\[APPENDUID \d+ (\d+)\]", text or b"")
        return int(match.group(1)) if match else None

    def uid_store(self, uids: str, action: str, flags: str) -> None:
        names = flags.strip("()").split()
        silent = action.upper().endswith(".SILENT")
        with self._call(f"UID STORE {action}") as client:
            if action.startswith("+"):
                client.add_flags(uids, names, silent=silent)
            elif action.startswith("-"):
                client.remove_flags(uids, names, silent=silent)
            else:
                client.set_flags(uids, names, silent=silent)

    def uid_move(self, uids: str, mailbox: str) -> None:
        with self._call("UID MOVE") as client:
            client.move(uids, mailbox)

    def expunge(self) -> None:
        with self._call("EXPUNGE") as client:
            client.expunge()

    def uid_expunge(self, uids: str) -> None:
        with self._call("UID EXPUNGE") as client:
            client.uid_expunge(uids)

    def create(self, mailbox: str) -> None:
        with self._call("CREATE") as client:
            client.create_folder(mailbox)

    def noop(self) -> int | None:
        with self._call("NOOP") as client:
            _text, responses = client.noop()
        return _exists(responses)

    def idle(self, seconds: float) -> IdleResult:
        result = IdleResult()
        with self._call("IDLE") as client:
            client.idle()
        deadline = time.monotonic() + seconds
        in0 = self.meter.bytes_in
        self.busy = True
        try:
            with self._guard("IDLE"):
                while result.exists is None and (left := deadline - time.monotonic()) > 0:
                    exists = _exists(client.idle_check(timeout=left))
                    if exists is not None:
                        result.exists, result.arrived = exists, time.time()
        except LoadError as exc:
            self.meter.report("IDLE DONE", 0.0, self.meter.bytes_in - in0, 0, exc)
            raise
        pushed = self.meter.bytes_in - in0
        started, in1, out1 = time.perf_counter(), self.meter.bytes_in, self.meter.bytes_out
        error: LoadError | None = None
        try:
            with self._guard("IDLE DONE"):
                client.idle_done()
        except LoadError as exc:
            error = exc
        self.meter.report(
            "IDLE DONE",
            _ms(started),
            pushed + self.meter.bytes_in - in1,
            self.meter.bytes_out - out1,
            error,
        )
        if error is not None:
            raise error
        return result


def _fetch(
    client: imapclient.IMAPClient, uids: str, items: list[str], modifiers: list[str] | None
) -> dict[int, dict[bytes, Any]]:
    """UID FETCH on any UID set: ``IMAPClient.fetch`` takes ranges but keeps only the UIDs it
    can list (4.x), so ranges go through the same steps without that filter."""
    if uids.isdigit():
        return dict(client.fetch(int(uids), items, modifiers=modifiers))
    imap = client._imap
    tag = imap._command(
        "UID",
        "FETCH",
        join_message_ids(uids),
        seq_to_parenstr_upper(items),
        seq_to_parenstr_upper(modifiers) if modifiers else None,
    )
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return dict(parse_fetch_response(data, client.normalise_times, client.use_uid))


def _exists(responses: Iterable[Any]) -> int | None:
    found = None
    for item in responses:
        if isinstance(item, tuple) and len(item) >= 2 and item[1] == b"EXISTS":
            found = int(item[0])
    return found


def _connect_text(ep: Endpoint, exc: BaseException, *, tls_started: bool) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}"
    if tls_started and isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc}"
    if isinstance(exc, TimeoutError):
        return f"cannot connect to {ep.address}: no answer in {ep.timeout:g}s"
    if isinstance(exc, OSError):
        return f"cannot connect to {ep.address}: {(exc.strerror or str(exc)).lower()}"
    return f"cannot connect to {ep.address}: {_failure_text(exc)}"


def _tee(imap4: Any, meter: Meter) -> None:
    """Count imaplib's bytes through its documented I/O methods (read, readline, send)."""
    read, readline, send = imap4.read, imap4.readline, imap4.send

    def counted_read(size: int) -> bytes:
        data: bytes = read(size)
        meter.bytes_in += len(data)
        return data

    def counted_readline() -> bytes:
        data: bytes = readline()
        meter.bytes_in += len(data)
        return data

    def counted_send(data: bytes) -> None:
        send(data)
        meter.bytes_out += len(data)

    imap4.read, imap4.readline, imap4.send = counted_read, counted_readline, counted_send


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
