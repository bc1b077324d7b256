"""What to test: where the server is, how to reach it, and as whom."""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from imapcheck.errors import TargetError

TLS_MODES = ("auto", "implicit", "starttls", "plain")
IMPLICIT_TLS_PORT = 993  # RFC 8314 §3.3
PLAIN_PORT = 143

ENV = {
    "server": "IMAPCHECK_SERVER",
    "user": "IMAPCHECK_USER",
    "password": "IMAPCHECK_PASSWORD",
    "user2": "IMAPCHECK_USER2",
    "password2": "IMAPCHECK_PASSWORD2",
    "tls": "IMAPCHECK_TLS",
    "ca_file": "IMAPCHECK_CA_FILE",
}

_HOST_PORT = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.%a-zA-Z]+)\]|(?P<host>[^\s:\[\]/]+))(?::(?P<port>\d+))?$"
)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)


def parse_server(text: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]``, ``[v6]:port`` or an ``imap(s)://`` URL."""
    value = text.strip()
    scheme_port: int | None = None
    for scheme, default_port in (("imaps://", IMPLICIT_TLS_PORT), ("imap://", PLAIN_PORT)):
        if value.lower().startswith(scheme):
            value, scheme_port = value[len(scheme) :].rstrip("/"), default_port
    if not value:
        raise TargetError("--server is empty: give HOST[:PORT], e.g. mail.example.org:993")
    if value.count(":") > 1 and not value.startswith("["):
        try:  # a bare IPv6 address, without a port
            return str(ipaddress.IPv6Address(value)), scheme_port
        except ValueError:
            raise TargetError(
                f"--server {text!r} is not HOST[:PORT] (IPv6 goes in brackets: [::1]:993)"
            ) from None
    match = _HOST_PORT.match(value)
    if not match:
        raise TargetError(
            f"--server {text!r} is not HOST[:PORT] (IPv6 goes in brackets: [::1]:993)"
        )
    host = match.group("v6") or match.group("host")
    port = int(match.group("port")) if match.group("port") else scheme_port
    if port is not None and not 0 < port < 65536:
        raise TargetError(f"--server {text!r}: port {port} is out of range 1-65535")
    return host, port


def client_ssl_context(ca_file: str | None, insecure: bool) -> ssl.SSLContext:
    """The TLS client context: the system's trust store (or ``ca_file``) and hostname check,
    both off with ``insecure``."""
    context = ssl.create_default_context(cafile=ca_file)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True)
class Target:
    """A server to test and the accounts to test it with."""

    host: str
    port: int
    tls: str = "auto"  # auto: implicit on 993, else STARTTLS when advertised, else plain
    accounts: tuple[Credentials, ...] = ()
    ca_file: str | None = None
    insecure: bool = False
    timeout: float = 10.0
    name: str = ""  # for reports: e.g. "dovecot (embedded)"

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def tls_mode(self) -> str:
        """The effective mode: 'auto' resolves to implicit on port 993."""
        if self.tls == "auto":
            return "implicit" if self.port == IMPLICIT_TLS_PORT else "auto"
        return self.tls

    @property
    def user(self) -> Credentials:
        if not self.accounts:
            raise TargetError(
                "no account: pass --user and --password (or IMAPCHECK_USER/_PASSWORD)"
            )
        return self.accounts[0]

    @property
    def user2(self) -> Credentials | None:
        return self.accounts[1] if len(self.accounts) > 1 else None

    def secrets(self) -> list[str]:
        return [a.password for a in self.accounts if a.password]

    def ssl_context(self) -> ssl.SSLContext:
        return client_ssl_context(self.ca_file, self.insecure)

    def with_port(self, port: int, tls: str) -> Target:
        return replace(self, port=port, tls=tls)


def from_options(
    server: str | None,
    *,
    user: str | None = None,
    password: str | None = None,
    user2: str | None = None,
    password2: str | None = None,
    tls: str | None = None,
    ca_file: str | None = None,
    insecure: bool = False,
    timeout: float = 10.0,
    env: Mapping[str, str] | None = None,
) -> Target | None:
    """Build a Target from command-line values, falling back to IMAPCHECK_* variables.

    Returns None when no server is given at all (the caller then starts an embedded one).
    """
    env = os.environ if env is None else env
    server = server or env.get(ENV["server"])
    if not server:
        return None
    host, port = parse_server(server)
    mode = (tls or env.get(ENV["tls"]) or "auto").lower()
    if mode not in TLS_MODES:
        raise TargetError(f"--tls {mode!r}: choose one of {', '.join(TLS_MODES)}")
    if port is None:
        port = IMPLICIT_TLS_PORT if mode in ("implicit", "auto") else PLAIN_PORT
    accounts = []
    for name_key, pass_key, name, secret in (
        ("user", "password", user, password),
        ("user2", "password2", user2, password2),
    ):
        name = name or env.get(ENV[name_key])
        secret = secret if secret is not None else env.get(ENV[pass_key])
        if name and secret is None:
            raise TargetError(f"--{name_key} given without --{pass_key}")
        if name and secret is not None:
            accounts.append(Credentials(name, secret))
        elif name_key == "user":
            raise TargetError(
                "--server needs an account: pass --user and --password "
                "(or IMAPCHECK_USER / IMAPCHECK_PASSWORD)"
            )
    if ca_file is None:
        ca_file = env.get(ENV["ca_file"])
    if ca_file and not os.path.exists(ca_file):
        raise TargetError(f"--ca-file {ca_file!r} does not exist")
    if timeout <= 0:
        raise TargetError("--imap-timeout must be a positive number of seconds")
    return Target(
        host, port, mode, tuple(accounts), ca_file, insecure, timeout, name=f"{host}:{port}"
    )
