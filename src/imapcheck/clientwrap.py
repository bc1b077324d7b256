"""An ``imapclient.IMAPClient`` on a Target, with its wire bytes kept in a Transcript.

Behaviour tests use it to see the server "as a real client sees it"; the transcript still
shows every byte (password redacted) when such a test fails.
"""

from __future__ import annotations

import ssl
from typing import Any

import imapclient

from imapcheck.errors import ConnectError, LoginFailed
from imapcheck.target import Credentials, Target
from imapcheck.transcript import Transcript


def _record_io(imap4: Any, transcript: Transcript) -> None:
    """Tee imaplib's documented I/O methods (read, readline, send) into the transcript."""
    read, readline, send = imap4.read, imap4.readline, imap4.send

    def tee_read(size: int) -> bytes:
        data: bytes = read(size)
        transcript.record("S", data)
        return data

    def tee_readline() -> bytes:
        data: bytes = readline()
        transcript.record("S", data)
        return data

    def tee_send(data: bytes) -> None:
        transcript.record("C", data)
        send(data)

    imap4.read, imap4.readline, imap4.send = tee_read, tee_readline, tee_send


def connect_imapclient(
    target: Target, account: Credentials | None = None, *, login: bool = True, name: str = "client"
) -> tuple[imapclient.IMAPClient, Transcript]:
    """Connect (implicit TLS, STARTTLS or plain as the target says) and log in."""
    transcript = Transcript(name)
    for secret in target.secrets():
        transcript.add_secret(secret)
    implicit = target.tls_mode == "implicit"
    transcript.note(f"connect {target.address} (imapclient, {target.tls_mode})")
    try:
        client = imapclient.IMAPClient(
            target.host,
            port=target.port,
            ssl=implicit,
            ssl_context=target.ssl_context() if implicit else None,
            timeout=target.timeout,
        )
    except (TimeoutError, OSError, ssl.SSLError, imapclient.exceptions.IMAPClientError) as exc:
        raise ConnectError(f"imapclient cannot connect to {target.address}: {exc}") from None
    transcript.record("S", client.welcome + b"\r\n")
    _record_io(client._imap, transcript)
    if target.tls_mode in ("starttls", "auto") and not implicit:
        if client.has_capability("STARTTLS"):
            client.starttls(target.ssl_context())
        elif target.tls_mode == "starttls":
            raise ConnectError(f"{target.address} does not advertise STARTTLS")
    if login:
        account = account or target.user
        transcript.add_secret(account.password)
        try:
            client.login(account.user, account.password)
        except imapclient.exceptions.LoginError as exc:
            raise LoginFailed(f"login as {account.user!r} failed: {exc}") from None
    return client, transcript
