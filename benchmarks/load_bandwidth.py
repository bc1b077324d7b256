"""IMAP selective fetch versus POP-style full download, on the same mailbox.

Starts the embedded Dovecot, seeds one INBOX (generated mix, or the corpus with --corpus) and
prints the bytes of browsing it the IMAP way and of downloading every message whole.

    python benchmarks/load_bandwidth.py [--messages 100] [--corpus]
"""

from __future__ import annotations

import argparse
import sys

from imapcheck.load.accounts import Account
from imapcheck.load.bandwidth import compare
from imapcheck.load.base import Endpoint
from imapcheck.load.messages import source
from imapcheck.load.seed import seed_account
from imapcheck.servers import dovecot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--corpus", action="store_true", help="seed the project's corpus")
    args = parser.parse_args(argv)
    messages, origin = source(args.messages, use_corpus=args.corpus, seed=1)
    server = dovecot.start(users=1, user_prefix="bandwidth")
    try:
        endpoint = Endpoint(server.host, server.plain_port, timeout=30)
        account = Account(server.accounts[0].user, server.accounts[0].password)
        seeded = seed_account(endpoint, account, {"INBOX": messages})
        if seeded.error:
            raise SystemExit(f"seeding failed: {seeded.error}")
        result = compare(endpoint, account)
    finally:
        server.stop()
    print(f"{origin} messages: {result.describe()}")
    for name, traffic in (("browsing", result.browsing), ("full download", result.full_download)):
        print(f"  {name + ':':<15} {traffic.bytes_in:>10} bytes in {traffic.bytes_out:>8} out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
