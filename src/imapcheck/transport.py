"""The byte stream under a session: socket, TLS, an optional transform (COMPRESS), framing.

:class:`Transport` owns the socket and the :class:`ResponseReader`; it sends bytes, reads one
whole server frame (line plus literals) before a deadline, records both directions in the
transcript and turns every socket failure into one readable :mod:`imapcheck.errors` error.
It knows nothing of tags or commands: that is :class:`imapcheck.session.Session`.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable

from imapcheck.errors import (
    ConnectError,
    ConnectionClosed,
    ImapTimeout,
    LimitExceeded,
    ProtocolError,
)
from imapcheck.target import Target
from imapcheck.transcript import Transcript
from imapcheck.wire.reader import Frame, ResponseReader


class Transport:
    """One connection's bytes. Not thread-safe."""

    def __init__(
        self, target: Target, name: str, timeout: float, reader: ResponseReader | None
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.name = name
        self.transcript = Transcript(name)
        self.reader = reader or ResponseReader()
        self.tls_active = False
        self.bytes_in = 0
        self.bytes_out = 0
        self._sock: socket.socket | None = None
        self._timed_out = False  # the last wait ended in a timeout: the session is not trusted
        self._compress: Callable[[bytes], bytes] | None = None  # see install_transform
        self._decompress: Callable[[bytes], bytes] | None = None

    def _open(self, mode: str) -> None:
        """Connect the socket (and, for implicit TLS, shake hands)."""
        where = self.target.address
        self.transcript.note(f"connect {where} ({mode})")
        try:
            sock = socket.create_connection((self.target.host, self.target.port), self.timeout)
        except socket.gaierror as exc:
            raise ConnectError(f"cannot resolve {self.target.host!r}: {exc.strerror}") from None
        except TimeoutError:
            raise ConnectError(
                f"cannot connect to {where}: no answer in {self.timeout:g}s"
            ) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConnectError(f"cannot connect to {where}: {reason.lower()}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        if mode == "implicit":
            self._start_tls()

    def _start_tls(self) -> None:
        assert self._sock is not None
        try:
            self._sock = self.target.ssl_context().wrap_socket(
                self._sock, server_hostname=self.target.host
            )
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise ConnectError(
                f"TLS certificate of {self.target.address} not trusted: {exc.verify_message} "
                "(use --ca-file, or --insecure to continue anyway)"
            ) from None
        except (ssl.SSLError, OSError) as exc:
            self.close()
            raise ConnectError(f"TLS handshake with {self.target.address} failed: {exc}") from None
        self.tls_active = True
        version = self._sock.version() if isinstance(self._sock, ssl.SSLSocket) else "?"
        self.transcript.note(f"TLS established: {version}")

    def install_transform(
        self, compress: Callable[[bytes], bytes], decompress: Callable[[bytes], bytes]
    ) -> None:
        """Pass every byte sent from now on through ``compress`` and every byte received through
        ``decompress``: a layer such as COMPRESS=DEFLATE (RFC 4978 §3), below IMAP, above TLS.

        Call it once the command that starts the layer has completed; input already buffered
        beyond that completion belongs to the new layer and is decoded too. The transcript keeps
        showing the IMAP bytes; ``bytes_in`` and ``bytes_out`` count what crossed the wire.
        """
        self._compress, self._decompress = compress, decompress
        self.transcript.note("transform installed: bytes are encoded from here on")
        leftover = self.reader.take_pending()
        if leftover:
            self.reader.feed(self._decode(leftover))

    def _decode(self, data: bytes) -> bytes:
        assert self._decompress is not None
        try:
            return self._decompress(data)
        except Exception as exc:  # the caller's transform: any failure means undecodable input
            self.close()
            raise ProtocolError(
                f"{self.target.address} sent data the installed transform cannot decode: {exc}"
            ) from None

    def close(self) -> None:
        """Close the socket; bytes buffered from it and its transform go with it."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        self._fresh_reader()
        self._compress = self._decompress = None  # a layer lives as long as its connection

    def _fresh_reader(self) -> None:
        """Drop buffered input: what follows is a new stream (after close, or TLS)."""
        old = self.reader
        self.reader = ResponseReader(old.max_line, old.max_literal, old.max_frame)

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def _send(self, data: bytes) -> None:
        if self._sock is None:
            raise ConnectionClosed(f"not connected to {self.target.address}")
        self.transcript.record("C", data)
        if self._compress is not None:
            data = self._compress(data)
        self._sock.settimeout(self.timeout)
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise ImapTimeout(f"{self.target.address} stopped reading (send timed out)") from None
        except OSError as exc:
            self.close()
            raise ConnectionClosed(f"{self.target.address} closed the connection: {exc}") from None
        self.bytes_out += len(data)

    def _read_frame(self, deadline: float, waiting_for: str) -> Frame:
        while True:
            try:
                frame = self.reader.next_frame()
            except LimitExceeded as exc:
                self.close()
                raise LimitExceeded(f"{exc} (while waiting for {waiting_for})") from None
            if frame is not None:
                self.transcript.record("S", frame.raw)
                return frame
            if self._sock is None:
                raise ConnectionClosed(f"not connected to {self.target.address}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._timed_out = True
                notes = self._stall_notes()
                raise ImapTimeout(
                    f"no response from {self.target.address} to {waiting_for} "
                    f"within {self.timeout:g}s" + (f" ({'; '.join(notes)})" if notes else "")
                )
            self._sock.settimeout(remaining)
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except ssl.SSLError as exc:
                self.close()
                raise ConnectionClosed(f"TLS error from {self.target.address}: {exc}") from None
            except OSError as exc:
                self.close()
                raise ConnectionClosed(
                    f"{self.target.address} closed the connection: {exc}"
                ) from None
            if not data:
                tail = self.reader.pending()
                self.close()
                detail = f" in the middle of a response ({tail} bytes unfinished)" if tail else ""
                raise ConnectionClosed(
                    f"{self.target.address} closed the connection{detail} "
                    f"while we waited for {waiting_for}"
                )
            self.bytes_in += len(data)
            self.reader.feed(self._decode(data) if self._decompress is not None else data)

    def _stall_notes(self) -> list[str]:
        """Why a wait timed out beyond silence (a session adds what it knows)."""
        pending = self.reader.pending()
        return [f"{pending} bytes of an unfinished response arrived"] if pending else []
