"""IMAP's selective fetch versus POP-style full download, measured on the same mailbox.

*Browsing* (what an IMAP client does to show a mailbox and read one message): the message list
(UID, flags, size and the list headers of every message), the structure of one message and its
first text part. *Full download* (what a POP client does): the list of sizes, then every
message whole. Both count every IMAP byte each way, login and logout included.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapcheck.load.accounts import Account
from imapcheck.load.base import Endpoint
from imapcheck.load.client import FastClient

LIST_ITEMS = "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)])"


@dataclass(frozen=True)
class Traffic:
    bytes_in: int
    bytes_out: int

    @property
    def total(self) -> int:
        return self.bytes_in + self.bytes_out


@dataclass(frozen=True)
class Comparison:
    messages: int
    mailbox_bytes: int  # sum of RFC822.SIZE
    browsing: Traffic
    full_download: Traffic

    @property
    def ratio(self) -> float:
        """Browsing bytes as a fraction of full-download bytes."""
        return self.browsing.total / self.full_download.total if self.full_download.total else 0.0

    def describe(self) -> str:
        return (
            f"{self.messages} messages ({self.mailbox_bytes / 1024:.0f} KiB): browsing "
            f"{self.browsing.total / 1024:.1f} KiB, full download "
            f"{self.full_download.total / 1024:.1f} KiB, ratio {self.ratio:.3f} "
            f"(1 : {1 / self.ratio:.1f})"
            if self.ratio
            else "empty mailbox"
        )


def _session(endpoint: Endpoint, account: Account, mailbox: str) -> FastClient:
    client = FastClient(endpoint)
    client.connect()
    client.login(account.user, account.password)
    client.select(mailbox, readonly=True)
    return client


def browse(endpoint: Endpoint, account: Account, mailbox: str = "INBOX") -> Traffic:
    """List every message, open the newest one's first text part."""
    client = _session(endpoint, account, mailbox)
    listing = client.uid_fetch("1:*", LIST_ITEMS)
    uids = [m.uid for m in listing if m.uid is not None]
    if uids:
        newest = str(max(uids))
        client.uid_fetch(newest, "(BODYSTRUCTURE)")
        client.uid_fetch(newest, "(BODY.PEEK[1])")
    client.logout()
    return Traffic(client.meter.bytes_in, client.meter.bytes_out)


def download_all(
    endpoint: Endpoint, account: Account, mailbox: str = "INBOX"
) -> tuple[Traffic, int, int]:
    """List sizes, fetch every message whole; returns traffic, count and mailbox bytes."""
    client = _session(endpoint, account, mailbox)
    untagged, _ = client.command("UID FETCH", b"UID FETCH", b"1:*", b"(UID RFC822.SIZE)")
    sizes = {}
    for frame in untagged:
        words = frame.lines[0].replace(b"(", b" ").replace(b")", b" ").split()
        pairs = dict(zip(words[3::2], words[4::2], strict=False))
        if b"UID" in pairs and b"RFC822.SIZE" in pairs:
            sizes[int(pairs[b"UID"])] = int(pairs[b"RFC822.SIZE"])
    for uid in sorted(sizes):
        client.uid_fetch(str(uid), "(BODY.PEEK[])")
    client.logout()
    return Traffic(client.meter.bytes_in, client.meter.bytes_out), len(sizes), sum(sizes.values())


def compare(endpoint: Endpoint, account: Account, mailbox: str = "INBOX") -> Comparison:
    full, count, size = download_all(endpoint, account, mailbox)
    return Comparison(count, size, browse(endpoint, account, mailbox), full)
