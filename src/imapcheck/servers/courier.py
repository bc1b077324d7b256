"""A throwaway Courier-IMAP 5.0 unpacked from Debian's packages, in a temp dir, on loopback.

``courier-imap`` conflicts with ``dovecot-imapd``, so it is unpacked (see :mod:`packages`).
Courier's programs have their paths compiled in (``/run/courier/authdaemon/socket``,
``/etc/courier/...``) and drop root to a ``courier`` user only its package creates, so
running it from a temp dir takes three choices:

- **Users**: imaplogin asks an authentication daemon over a Unix socket. The real
  ``authdaemond`` reads compiled-in paths only, so a small stand-in (:class:`AuthDaemon`,
  ``python -m imapcheck.servers.courier authdaemon``) speaks the same documented protocol
  (``AUTH``/``PRE``/``ENUMERATE``) from a private user file. The IMAP server itself is
  Courier's own, unchanged.
- **Two byte patches** on private copies: ``libcourierauth`` gets the socket path
  ``authdaemon/socket``, relative to the server's directory (imaplogin authenticates before it
  changes directory); imaplogin no longer switches the STARTTLS helper to the ``courier`` user.
  Each patch checks the exact instruction bytes it expects and refuses anything else.
- **Processes**: two ``couriertcpd`` (plain with STARTTLS, and implicit TLS through
  ``couriertls``) with the environment Debian's ``/etc/courier/imapd`` and ``imapd-ssl`` set,
  read from the unpacked package, except ``IMAP_IDLE_TIMEOUT=1``: IDLE polls every second
  (Debian: 60 s), like the embedded Dovecot's 1 s notify interval. As root everything runs as
  ``nobody`` except the stand-in. ``couriertcpd -stderr=`` keeps the log in ``courier.log``.
"""

from __future__ import annotations

import argparse
import hmac
import os
import secrets
import shutil
import socketserver
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import packages
from imapcheck.servers.common import (
    Account,
    make_self_signed_cert,
    start_on_free_ports,
    wait_for_greeting,
)

BUNDLE = packages.Bundle("courier", ("courier-imap", "courier-base", "courier-authlib"))
INSTALL_HINT = (
    "Courier-IMAP is unpacked from Debian's packages: run "
    "'python -m imapcheck.servers.registry install courier' (as root for its libraries)"
)
SOCKET = "authdaemon/socket"  # relative to the server's directory
_SOCKET_CHUNKS = b"/run/courier/aut" + b"thdaemon/socket\x00"  # strcpy inlined as 2 x 16 bytes
_LEA_RAX = b"\x48\x8d\x05"  # lea rel32(%rip),%rax
_XOR_EAX_NOP5 = b"\x31\xc0\x0f\x1f\x44\x00\x00"  # xor %eax,%eax; 5-byte nop


def patch_socket_path(library: bytes, path: str = SOCKET) -> bytes:
    """``libcourierauth`` connecting to ``path`` instead of /run/courier/authdaemon/socket.

    The compiler turned ``strcpy(sun_path, AUTHDAEMONSOCK)`` into two 16-byte stores, the second
    at offset 15: so the new path is laid out the same way (at most 30 bytes).
    """
    new = path.encode() + b"\x00"
    if len(new) > 31 or library.count(_SOCKET_CHUNKS) != 1:
        raise ServerUnavailable("unexpected libcourierauth build: cannot set its socket path")
    new = new.ljust(31, b"\x00")
    at = library.index(_SOCKET_CHUNKS)
    return library[:at] + new[:16] + new[15:31] + library[at + 32 :]


def patch_tls_user(imaplogin: bytes) -> bytes:
    """imaplogin with ``cinfo.username = NULL``: STARTTLS keeps the current user.

    Replaces the one ``lea "courier"(%rip),%rax`` (text and rodata have file offset = address
    in this PIE) by ``xor %eax,%eax`` padded with a nop.
    """
    found = imaplogin.find(b"-server\x00courier\x00")
    target = found + len(b"-server\x00")
    hits = []
    at = imaplogin.find(_LEA_RAX) if found >= 0 else -1
    while at >= 0:
        (rel,) = struct.unpack("<i", imaplogin[at + 3 : at + 7])
        if at + 7 + rel == target:
            hits.append(at)
        at = imaplogin.find(_LEA_RAX, at + 1)
    if len(hits) != 1:
        raise ServerUnavailable("unexpected imaplogin build: cannot keep STARTTLS unprivileged")
    return imaplogin[: hits[0]] + _XOR_EAX_NOP5 + imaplogin[hits[0] + 7 :]


class AuthDaemon(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Courier's authdaemon protocol for the users of one file (tab-separated fields)."""

    daemon_threads = True

    def __init__(self, socket_path: str, users_file: Path) -> None:
        self.users_file = users_file
        super().__init__(socket_path, _AuthHandler)

    def users(self) -> dict[str, tuple[str, str, str, str]]:
        """{user: (password, uid, gid, home)}, read at each request (users can be added)."""
        found = {}
        for line in self.users_file.read_text().splitlines():
            user, password, uid, gid, home = line.split("\t")
            found[user] = (password, uid, gid, home)
        return found

    def reply(self, user: str, password: str | None) -> bytes:
        """The userinfo block for ``user`` (password checked unless None), or FAIL."""
        known = self.users().get(user)
        ok = known is not None and (
            password is None or hmac.compare_digest(known[0].encode(), password.encode())
        )
        print(f"authdaemon: {user!r} {'ok' if ok else 'rejected'}", file=sys.stderr, flush=True)
        if known is None or not ok:
            return b"FAIL\n"
        _password, uid, gid, home = known
        info = f"UID={uid}\nGID={gid}\nHOME={home}\nADDRESS={user}\nMAILDIR={home}/Maildir\n.\n"
        return info.encode()


class _AuthHandler(socketserver.StreamRequestHandler):
    timeout = 10
    server: AuthDaemon

    def handle(self) -> None:
        while line := self.rfile.readline(4096).decode(errors="replace"):
            command, _, rest = line.rstrip("\n").partition(" ")
            if command == "AUTH":  # "AUTH <length>", then service, type and data lines
                size = int(rest) if rest.isdigit() and int(rest) < 8192 else 0
                body = self.rfile.read(size).decode(errors="replace").split("\n")
                if len(body) >= 4 and body[1] == "login":
                    self.wfile.write(self.server.reply(body[2], body[3]))
                else:
                    self.wfile.write(b"FAIL\n")
                return
            if command == "PRE":  # "PRE . <service> <user>": look a user up, no password
                self.wfile.write(self.server.reply(rest.split(" ")[-1], None))
                return
            if command == "ENUMERATE":
                self.wfile.write(b".\n")
                return
            if "=" not in command:  # not a "TCPREMOTEIP=..." meta line: unknown request
                self.wfile.write(b"FAIL\n")
                return


def _debian_environment(tree: Path) -> dict[str, str]:
    """What Debian's init scripts export to Courier: /etc/courier/imapd and imapd-ssl."""
    files = [tree / "etc/courier/imapd-ssl", tree / "etc/courier/imapd"]
    script = "set -a; " + " ".join(f'. "{f}";' for f in files) + " env -0"
    done = subprocess.run(
        ["env", "-i", "sh", "-c", script], capture_output=True, timeout=30, check=False
    )
    if done.returncode != 0:
        raise ServerUnavailable(f"cannot read Courier's settings: {done.stderr.decode()[:200]}")
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    env = {key: value for key, value in pairs if key not in ("PWD", "SHLVL", "_")}
    for key in ("TLS_DHPARAMS", "TLS_CACHEFILE", "IMAP_ULIMITD"):  # files we do not make
        env.pop(key, None)
    if not Path(env.get("TLS_TRUSTCERTS", "")).is_file():
        env.pop("TLS_TRUSTCERTS", None)
    return env


class CourierServer(packages.UnpackedServer):
    """The running couriertcpd pair and the stand-in. Use :func:`start`; :meth:`stop` after."""

    def add_user(self, name: str, password: str | None = None) -> Account:
        """Add an account (the stand-in reads its user file at each request)."""
        account = Account(name, password or secrets.token_urlsafe(12))
        self.accounts.append(account)
        _write_users(self.root, self.accounts)
        return account


def _write_users(root: Path, accounts: list[Account]) -> None:
    """The stand-in's user file, each account's Maildir, and ``users`` (CSV)."""
    uid, gid, _name = packages.run_as()
    lines = []
    for account in accounts:
        home = root / "home" / account.user
        for sub in ("cur", "new", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
        packages.give(home, uid, gid)
        lines.append(f"{account.user}\t{account.password}\t{uid}\t{gid}\t{home}\n")
    users = root / "authdaemon" / "users"
    users.write_text("".join(lines))
    users.chmod(0o600)
    packages.write_accounts(root, accounts)


def _prepare(root: Path, tree: Path, accounts: list[Account]) -> None:
    uid, gid, _name = packages.run_as()
    for sub in ("bin", "lib", "authdaemon", "shared"):
        (root / sub).mkdir()
    lib = tree / "usr/lib/libcourierauth.so.0"
    (root / "lib/libcourierauth.so.0").write_bytes(patch_socket_path(lib.read_bytes()))
    login = tree / "usr/lib/courier/courier/imaplogin"
    (root / "bin/imaplogin").write_bytes(patch_tls_user(login.read_bytes()))
    (root / "bin/imaplogin").chmod(0o755)
    make_self_signed_cert(root / "cert.pem", root / "key.pem")
    (root / "tls.pem").write_bytes(
        (root / "key.pem").read_bytes() + (root / "cert.pem").read_bytes()
    )
    (root / "tls.pem").chmod(0o600)
    _write_users(root, accounts)
    packages.give(root / "tls.pem", uid, gid)
    (root / "courier.log").touch()
    packages.give(root / "courier.log", uid, gid)


def _wait_for_socket(path: Path, deadline: float, process: subprocess.Popen[bytes]) -> None:
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise ServerUnavailable("the authdaemon stand-in did not start")
        time.sleep(0.05)  # polling a starting process: a short back-off between attempts


def start(
    *, users: int = 2, user_prefix: str = "imapcheck", timeout: float = 30.0
) -> CourierServer:
    """Start Courier-IMAP with ``users`` accounts (``<prefix>1``, ``<prefix>2``, ...)."""
    tree = packages.require(BUNDLE, INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="imapcheck-courier-"))
    root.chmod(0o755)
    accounts = [
        Account(f"{user_prefix}{i}", secrets.token_urlsafe(12)) for i in range(1, users + 1)
    ]
    try:
        _prepare(root, tree, accounts)
        env = _debian_environment(tree)
    except (ServerUnavailable, OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise ServerUnavailable(f"Courier could not be prepared: {exc}") from None
    env.update(
        LD_LIBRARY_PATH=f"{root / 'lib'}:{packages.library_path(tree)}",
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        COURIERTLS=str(tree / "usr/bin/couriertls"),
        TLS_CERTFILE=str(root / "tls.pem"),
        TLS_VERIFYPEER="NONE",
        IMAP_SHAREDINDEXFILE=str(root / "shared/index"),
        IMAP_STARTTLS="YES",
        IMAP_TLS_REQUIRED="0",
        IMAP_IDLE_TIMEOUT="1",
    )
    tcpd = tree / "usr/sbin/couriertcpd"
    imapd = [str(root / "bin/imaplogin"), str(tree / "usr/bin/imapd"), "Maildir"]
    version = packages.upstream_version(BUNDLE, "courier-imap")

    def build(plain_port: int, tls_port: int) -> CourierServer:
        (root / SOCKET).unlink(missing_ok=True)  # left by a failed attempt
        return CourierServer(
            name="courier",
            host="127.0.0.1",
            plain_port=plain_port,
            tls_port=tls_port,
            accounts=list(accounts),
            root=root,
            log_path=root / "courier.log",
            version=version,
        )

    def run(server: CourierServer, deadline: float) -> None:
        argv = [sys.executable, "-m", "imapcheck.servers.courier", "authdaemon", str(root)]
        tcp = [str(tcpd), "-address=127.0.0.1", "-nodnslookup", "-noidentlookup"]
        tcp += ["-maxprocs=2000", "-maxperip=2000", f"-stderr={server.log_path}"]
        auth = server.spawn(argv, {**os.environ, "PYTHONUNBUFFERED": "1"}, as_user=False)
        _wait_for_socket(root / SOCKET, deadline, auth)
        plain = server.spawn([*tcp, str(server.plain_port), *imapd], env, log=server.log_path)
        tls = [str(server.tls_port), env["COURIERTLS"], "-server", "-tcpd", *imapd]
        secure = server.spawn([*tcp, *tls], {**env, "IMAP_TLS": "1"}, log=server.log_path)
        wait_for_greeting(server.host, server.plain_port, deadline, plain)
        wait_for_greeting(server.host, server.tls_port, deadline, secure, tls=True)

    return start_on_free_ports("Courier", root, timeout, build, run)


def main(argv: list[str] | None = None) -> int:
    """``authdaemon ROOT``: serve ROOT/authdaemon/socket from ROOT/authdaemon/users."""
    parser = argparse.ArgumentParser(prog="python -m imapcheck.servers.courier")
    parser.add_argument("command", choices=["authdaemon"])
    parser.add_argument("root", type=Path)
    args = parser.parse_args(argv)
    socket_path = args.root / SOCKET
    daemon = AuthDaemon(str(socket_path) + ".tmp", args.root / "authdaemon" / "users")
    os.chmod(str(socket_path) + ".tmp", 0o777)  # imaplogin runs as another user
    os.rename(str(socket_path) + ".tmp", socket_path)
    try:
        daemon.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        daemon.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
