"""What every embedded server shares: accounts, free ports, a certificate, readiness."""

from __future__ import annotations

import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from imapcheck.errors import ServerUnavailable


@dataclass(frozen=True)
class Account:
    user: str
    password: str = field(repr=False)


@dataclass
class RunningServer:
    """An embedded server: where it listens, its accounts and its log."""

    name: str
    host: str
    plain_port: int
    tls_port: int
    accounts: list[Account]
    root: Path
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log (for failure reports)."""
        chunks = []
        for path in (self.log_path, self.root / "stderr.log"):
            try:
                chunks.extend(path.read_text(errors="replace").splitlines()[-lines:])
            except OSError:
                continue
        return "\n".join(chunks[-lines:])

    def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class Launchable(Protocol):
    def log_tail(self, lines: int = 30) -> str: ...

    def terminate(self) -> None: ...


S = TypeVar("S", bound=Launchable)
START_ATTEMPTS = 3  # a free port may be taken by someone else before the server binds it


def start_on_free_ports(
    label: str,
    root: Path,
    timeout: float,
    build: Callable[[int, int], S],
    run: Callable[[S, float], None],
) -> S:
    """Start a server on two fresh ports, trying again on others if it does not come up.

    ``build(plain_port, tls_port)`` writes the configuration and returns the server;
    ``run(server, deadline)`` starts its processes and returns once both ports greet. After
    the last failed attempt ``root`` is removed and the error names what the log said.
    """
    last_error = ""
    for _attempt in range(START_ATTEMPTS):
        server = build(free_port(), free_port())
        try:
            run(server, time.monotonic() + timeout)
            return server
        except (TimeoutError, ServerUnavailable, OSError, subprocess.SubprocessError) as exc:
            last_error = f"{exc}; {server.log_tail()}"
            server.terminate()
    shutil.rmtree(root, ignore_errors=True)
    raise ServerUnavailable(f"{label} did not start: {last_error}")


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when imapcheck dies, so no server is ever orphaned."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the atexit/fixture clean-up still applies
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CERTIFICATE_KINDS = ("valid", "expired", "wrong-host")
WRONG_HOST = "wrong-host.invalid"  # a reserved name (RFC 2606): never the host under test
_EXPIRED_DATES = ("20200101000000Z", "20200102000000Z")
_CA_CONFIG = """\
[ca]
default_ca = throwaway
[throwaway]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any_name
copy_extensions = copy
unique_subject = no
[any_name]
commonName = supplied
"""


def make_self_signed_cert(
    cert: Path, key: Path, host: str = "localhost", *, kind: str = "valid"
) -> None:
    """A self-signed certificate made with the openssl binary.

    ``valid``: for ``host`` and 127.0.0.1, for two days. For tests of certificate checks:
    ``expired`` names the same hosts but expired in 2020; ``wrong-host`` is valid but only
    for ``wrong-host.invalid``.
    """
    if kind not in CERTIFICATE_KINDS:
        raise ValueError(f"certificate kind {kind!r} is not one of {CERTIFICATE_KINDS}")
    subject = WRONG_HOST if kind == "wrong-host" else host
    names = f"DNS:{WRONG_HOST}" if kind == "wrong-host" else f"DNS:{host},IP:127.0.0.1"
    request = ["-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={subject}"]
    request += ["-addext", f"subjectAltName={names}", "-keyout", str(key)]
    if kind != "expired":
        _openssl("req", "-x509", "-days", "2", *request, "-out", str(cert))
    else:  # only 'openssl ca' sets arbitrary dates (OpenSSL 3.0)
        with tempfile.TemporaryDirectory(prefix="imapcheck-ca-") as work:
            (Path(work) / "index.txt").write_text("")
            (Path(work) / "serial").write_text("01\n")
            config = Path(work) / "ca.cnf"
            config.write_text(_CA_CONFIG.format(dir=work))
            csr = str(Path(work) / "request.csr")
            _openssl("req", "-new", *request, "-out", csr)
            start, end = _EXPIRED_DATES
            _openssl(
                "ca", "-batch", "-selfsign", "-notext", "-config", str(config),
                "-keyfile", str(key), "-in", csr, "-out", str(cert),
                "-startdate", start, "-enddate", end,
            )  # fmt: skip
    key.chmod(0o644)


def _openssl(*args: str) -> None:
    try:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise ServerUnavailable("openssl is not installed: apt-get install openssl") from None
    except subprocess.CalledProcessError as exc:
        raise ServerUnavailable(f"openssl failed: {exc.stderr.decode(errors='replace')}") from None


def wait_for_greeting(
    host: str,
    port: int,
    deadline: float,
    process: subprocess.Popen[bytes] | None = None,
    *,
    tls: bool = False,
) -> bytes:
    """Poll until the server sends an untagged OK greeting, or raise at the deadline."""
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerUnavailable(f"server exited with status {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=2) as raw:
                sock: socket.socket = raw
                if tls:
                    context = ssl.create_default_context()
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                    sock = context.wrap_socket(raw)
                sock.settimeout(max(0.1, min(5.0, deadline - time.monotonic())))
                greeting = sock.recv(4096)
                if greeting.startswith(b"* OK"):
                    return greeting
                last = f"unexpected greeting {greeting[:80]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.05)  # polling a starting process: a short back-off between attempts
    raise ServerUnavailable(f"{host}:{port} not ready: {last}")
