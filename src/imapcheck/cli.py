"""The ``imapcheck`` command: run the suite, serve a local server, clean leftovers."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence

from imapcheck.errors import ImapcheckError


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    from imapcheck.servers import dovecot

    server = dovecot.start(users=args.users, user_prefix=args.user_prefix)
    try:
        print(f"imap://{server.host}:{server.plain_port}   (STARTTLS offered)")
        print(f"imaps://{server.host}:{server.tls_port}")
        print(f"certificate: {server.root / 'cert.pem'}")
        first = server.accounts[0]
        print(f"users: {args.user_prefix}1 .. {args.user_prefix}{args.users}")
        if args.users <= 5:
            for account in server.accounts:
                print(f"  {account.user} {account.password}")
        else:
            print(f"  e.g. {first.user} {first.password} (all: {server.root / 'users'})")
        print("Ctrl-C stops the server.", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                signal.pause()
    finally:
        server.stop()
    return 0


def _clean(args: argparse.Namespace) -> int:
    from imapcheck.sandbox import leftovers, probe, remove_tree
    from imapcheck.session import Session
    from imapcheck.target import from_options

    target = from_options(args.server, user=args.user, password=args.password, tls=args.tls,
                          ca_file=args.ca_file, insecure=args.insecure)
    if target is None:
        print("imapcheck clean: give --server (or IMAPCHECK_SERVER)", file=sys.stderr)
        return 2
    with Session(target, validate=False) as session:
        session.connect()
        info = probe(session)
        found = leftovers(session, info)
        for name in found:
            failed = remove_tree(session, name, info.delimiter, must_start_with=name)
            print(f"{'could not remove' if failed else 'removed'} {name}")
        if not found:
            print("nothing to clean")
        session.logout()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imapcheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start a local Dovecot and print its address")
    serve.add_argument("--users", type=int, default=2, help="accounts to create (default 2)")
    serve.add_argument("--user-prefix", default="user", help="account names: PREFIX1..PREFIXn")
    serve.set_defaults(func=_serve)
    clean = sub.add_parser("clean", help="remove mailboxes left by interrupted runs")
    for option in ("--server", "--user", "--password", "--tls", "--ca-file"):
        clean.add_argument(option)
    clean.add_argument("--insecure", action="store_true")
    clean.set_defaults(func=_clean)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ImapcheckError as exc:
        print(f"imapcheck: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
