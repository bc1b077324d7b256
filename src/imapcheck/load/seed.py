"""``imapcheck seed``: fill accounts with messages so that a load run has data to read.

Each account gets ``--messages`` messages in INBOX and ``--folder-messages`` in each extra
folder (created when missing), plus an empty Trash. Seeding tops up: run it again and only the
missing messages are appended. Messages come from the project's corpus when it is available,
else from a reproducible generated mix (``--generated`` forces that).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from imapcheck.errors import ImapcheckError
from imapcheck.load import accounts as accounts_mod
from imapcheck.load import messages
from imapcheck.load.base import Endpoint, LoadError
from imapcheck.load.client import FastClient


@dataclass
class SeedResult:
    user: str
    counts: dict[str, int]
    added: int
    error: str = ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``seed`` subcommand's options."""
    add = parser.add_argument
    add(
        "--server",
        "--host",
        dest="server",
        required=True,
        help="imap://HOST:PORT (plain), imaps://HOST:PORT (implicit TLS) or HOST:PORT",
    )
    add("--users-file", help="CSV 'user,password' or Dovecot passwd-file with {PLAIN} passwords")
    add("--user", default="user%d", help="account name pattern, %%d = number (default user%%d)")
    add("--password", default="", help="password, or a pattern with %%d")
    add("--accounts", type=int, default=10, help="number of pattern accounts (default 10)")
    add("--first-account", type=int, default=1, help="number of the first pattern account")
    add("--messages", type=int, default=100, help="messages in each INBOX (default 100)")
    add(
        "--folder-messages",
        type=int,
        default=None,
        help="messages in each extra folder (default: a fifth of --messages)",
    )
    add("--folders", default="Archive,Sent,Work", help="extra folders, comma-separated")
    add(
        "--tls",
        choices=("plain", "starttls", "implicit"),
        default=None,
        help="TLS mode (default: implicit for imaps:// or port 993, else plain)",
    )
    add("--ca-file", help="CA certificate to verify the server with")
    add("--insecure", action="store_true", help="do not verify the server's certificate")
    add("--timeout", type=float, default=30.0, help="seconds to wait for any answer")
    add("--generated", action="store_true", help="use generated messages even if a corpus exists")
    add("--seed", type=int, default=1, help="random seed of the generated messages")
    add("--parallel", type=int, default=4, help="accounts seeded at once (default 4)")


def plan(args: argparse.Namespace) -> tuple[dict[str, list[bytes]], str]:
    """Messages per folder, the same for every account; and where they came from."""
    inbox, origin = messages.source(args.messages, use_corpus=not args.generated, seed=args.seed)
    per_folder = args.messages // 5 if args.folder_messages is None else args.folder_messages
    out = {"INBOX": inbox}
    for index, name in enumerate(f for f in args.folders.split(",") if f.strip()):
        out[name.strip()], _ = messages.source(
            per_folder, use_corpus=not args.generated, seed=args.seed + 1 + index
        )
    out.setdefault("Trash", [])
    return out, origin


def seed_account(
    endpoint: Endpoint, account: accounts_mod.Account, folders: dict[str, list[bytes]]
) -> SeedResult:
    """Top up one account to the planned counts."""
    client = FastClient(endpoint)
    counts: dict[str, int] = {}
    added = 0
    try:
        client.connect()
        client.login(account.user, account.password)
        existing = set(client.list_mailboxes())
        for name, wanted in folders.items():
            if name not in existing:
                client.create(name)
            have = client.select(name).exists
            for data in wanted[have:]:
                client.append(name, data)
                added += 1
            counts[name] = max(have, len(wanted))
        client.logout()
    except LoadError as exc:
        client.close()
        return SeedResult(account.user, counts, added, str(exc))
    return SeedResult(account.user, counts, added)


def run(args: argparse.Namespace) -> int:
    """Seed every account; print one line per account. 0 when all succeeded, else 1."""
    try:
        endpoint = Endpoint.from_url(
            args.server,
            tls=args.tls,
            timeout=args.timeout,
            ca_file=args.ca_file,
            insecure=args.insecure,
        )
        found = accounts_mod.load(
            args.users_file, args.user, args.password, args.accounts, args.first_account
        )
    except (ImapcheckError, ValueError) as exc:
        print(f"imapcheck seed: {exc}", file=sys.stderr)
        return 2
    folders, origin = plan(args)
    print(f"seeding {len(found)} account(s) on {endpoint.address} with {origin} messages")
    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        for result in pool.map(lambda a: seed_account(endpoint, a, folders), found):
            shown = ", ".join(f"{name} {count}" for name, count in result.counts.items())
            if result.error:
                failed += 1
                print(f"  {result.user}: FAILED: {result.error}")
            else:
                print(f"  {result.user}: {shown} (+{result.added})")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="imapcheck seed", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
