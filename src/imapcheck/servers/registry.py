"""Every real server imapcheck can start: which ones this machine can run, install, start.

``dovecot`` runs from the system's binaries (``apt-get install dovecot-imapd``); ``cyrus``,
``courier`` and ``mailutils`` are unpacked from Debian's packages into a cache
(:mod:`imapcheck.servers.packages`). ``python -m imapcheck.servers.registry install NAME...``
prepares them ahead of time (as root, also their libraries); :func:`start` does it on demand.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
from types import ModuleType
from typing import Any

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import packages
from imapcheck.servers.common import RunningServer
from imapcheck.servers.packages import Say, say_stderr

SERVERS = ("dovecot", "cyrus", "courier", "mailutils")
UNPACKED = ("cyrus", "courier", "mailutils")


def _module(name: str) -> ModuleType:
    if name not in SERVERS:
        raise ValueError(f"unknown server {name!r}; known: {', '.join(SERVERS)}")
    return importlib.import_module(f"imapcheck.servers.{name}")


def _dovecot_ready() -> bool:
    from imapcheck.servers import dovecot

    return dovecot.find_binary() is not None


def ready(name: str) -> bool:
    """Whether ``name`` can be started now, without installing anything."""
    if name == "dovecot":
        return _dovecot_ready()
    return packages.problem(_module(name).BUNDLE) is None


def available() -> list[str]:
    """The servers that can be started here, now or after :func:`install` (which needs root
    only for what is missing)."""
    found = []
    for name in SERVERS:
        if name == "dovecot":
            apt_root = os.geteuid() == 0 and shutil.which("apt-get") is not None
            if _dovecot_ready() or apt_root:
                found.append(name)
        elif ready(name) or packages.installable(_module(name).BUNDLE):
            found.append(name)
    return found


def install(name: str, say: Say = say_stderr) -> None:
    """Make ``name`` startable: unpack its packages, install missing libraries (as root)."""
    module = _module(name)
    if name == "dovecot":
        if _dovecot_ready():
            return
        packages.install_packages(["dovecot-imapd", "openssl"], say, why="dovecot")
        # the package starts a system Dovecot on 143/993; imapcheck runs its own
        for stop in (["systemctl", "stop", "dovecot"], ["service", "dovecot", "stop"]):
            try:
                if subprocess.run(stop, capture_output=True, timeout=60).returncode == 0:
                    break
            except (OSError, subprocess.TimeoutExpired):
                continue
        return
    packages.install(module.BUNDLE, say)
    reason = packages.problem(module.BUNDLE)
    if reason:
        raise ServerUnavailable(reason)


def start(name: str, *, auto_install: bool = True, **kw: Any) -> RunningServer:
    """Start ``name`` (installing it first unless ``auto_install`` is false); ``kw`` go to the
    server's own ``start`` (``users``, ``user_prefix``, ``timeout``)."""
    module = _module(name)
    if auto_install and not ready(name):
        install(name)
    server: RunningServer = module.start(**kw)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m imapcheck.servers.registry",
        description="List, install or try the real IMAP servers imapcheck can start.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="each server and whether it is ready, installable or neither")
    for command, text in (("install", "prepare servers"), ("check", "start, greet, stop")):
        one = sub.add_parser(command, help=text)
        one.add_argument("names", nargs="*", metavar="NAME", help=f"default: {' '.join(SERVERS)}")
    args = parser.parse_args(argv)
    if args.command == "list":
        can = set(available())
        for name in SERVERS:
            state = "ready" if ready(name) else "installable" if name in can else "unavailable"
            print(f"{name:10} {state}")
        return 0
    failed = 0
    for name in args.names or list(SERVERS):
        try:
            if args.command == "install":
                install(name)
                say_stderr(f"{name}: ready")
            else:
                server = start(name)
                say_stderr(f"{name}: greets on {server.host}:{server.plain_port}")
                server.stop()
        except (ServerUnavailable, ValueError) as exc:
            say_stderr(f"{name}: {exc}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
