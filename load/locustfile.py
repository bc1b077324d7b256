"""Ready IMAP load scenarios: mobile (IDLE), desktop sync (CONDSTORE), webmail, POP-like
download and a writer that delivers mail.

    imapcheck serve --users 20      # prints imap://127.0.0.1:PORT and the users file
    imapcheck seed --server imap://127.0.0.1:PORT --users-file USERS --messages 100
    locust --config load/locust.conf --host imap://127.0.0.1:PORT --imap-users-file USERS

Pick scenarios by class (``locust -f load/locustfile.py MobileUser WriterUser``) or by tag
(``--tags mobile writer``). Weights give the mix of a typical provider: most sessions are
phones idling and desktop clients syncing, webmail page views are short sessions, POP-style
downloads are rare but heavy, and writers bring the new mail that makes phones wake up.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import deque

from locust import tag, task

from imapcheck.load import FastImapUser, think
from imapcheck.load.base import CommandFailed, LoadError, MailboxInfo, push_sent_at
from imapcheck.load.messages import make_message
from imapcheck.load.metrics import PUSH_NAME

LIST_HEADERS = "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)]"
SEARCH_WORDS = ("budget", "meeting", "invoice", "release", "travel", "quota")


def newest(uidnext: int, count: int) -> str:
    """The UID set of (up to) the newest ``count`` messages."""
    return f"{max(1, uidnext - count)}:*"


class MobileUser(FastImapUser):
    """A phone: one long session in IDLE on INBOX; on a push it fetches the new headers."""

    weight = 35
    wait_time = think(0.5, 2.0)

    def on_start(self) -> None:
        self.uidnext = 0

    def on_session_lost(self) -> None:
        self.uidnext = 0

    @tag("mobile", "idle")
    @task(10)
    def wait_for_mail(self) -> None:
        box = self.ensure_session("INBOX")
        if not self.uidnext and box is not None:
            self.uidnext = box.uidnext
        idle_started = time.time()
        pushed = self.imap.idle(self.settings.idle_seconds)
        if pushed.exists is None or pushed.arrived is None:
            return
        new = self.imap.uid_fetch(f"{self.uidnext}:*", "(UID FLAGS BODY.PEEK[HEADER])")
        for message in new:
            if message.uid is None or message.uid < self.uidnext:
                continue  # "n:*" also returns the last message when nothing is newer
            self.uidnext = message.uid + 1
            sent = push_sent_at(message.data[0]) if message.data else None
            if sent is not None and sent >= idle_started:
                self.report(PUSH_NAME, max(0.0, (pushed.arrived - sent) * 1000.0))

    @tag("mobile")
    @task(2)
    def read_one(self) -> None:
        self.ensure_session("INBOX")
        if self.uidnext > 1:
            uid = str(random.randint(max(1, self.uidnext - 20), self.uidnext - 1))
            self.imap.uid_fetch(uid, "(BODY.PEEK[1]<0.16384>)")
            self.imap.uid_store(uid, "+FLAGS.SILENT", "(\\Seen)")

    @tag("mobile")
    @task(1)
    def network_change(self) -> None:
        """Phones lose their connection (cell to Wi-Fi): reconnect without LOGOUT."""
        self.imap.close()
        self.on_session_lost()
        self.ensure_session("INBOX")


class DesktopSyncUser(FastImapUser):
    """A desktop client: several folders, resync by UIDNEXT and CONDSTORE (RFC 7162)."""

    weight = 25
    wait_time = think(5.0, 15.0)

    def on_start(self) -> None:
        self.on_session_lost()

    def on_session_lost(self) -> None:
        self.known: dict[str, MailboxInfo] = {}
        self.folders: list[str] = []
        self.selected = ""

    def _login(self) -> None:
        if self.imap.connected:
            return
        self.on_session_lost()
        self.open_session(None)
        if b"CONDSTORE" in self.imap.capabilities:
            self.imap.enable("CONDSTORE")
        found = self.imap.list_mailboxes()
        self.folders = ["INBOX", *sorted(f for f in found if f != "INBOX")[:5]]

    def _select(self, name: str) -> MailboxInfo:
        info = self.imap.select(name)
        self.selected = name
        return info

    def _sync(self, name: str) -> None:
        info = self._select(name)
        old = self.known.get(name)
        if old is None or old.uidvalidity != info.uidvalidity:
            self.imap.uid_fetch("1:*", "(UID FLAGS)")
            self.imap.uid_fetch(newest(info.uidnext, 50), f"(UID RFC822.SIZE FLAGS {LIST_HEADERS})")
        else:
            if info.highestmodseq is None:
                self.imap.uid_fetch("1:*", "(UID FLAGS)")
            elif info.highestmodseq != old.highestmodseq and old.uidnext > 1:
                self.imap.uid_fetch(
                    f"1:{old.uidnext - 1}", "(UID FLAGS)", changedsince=old.highestmodseq
                )
            new = []
            if info.uidnext != old.uidnext:
                new = self.imap.uid_fetch(
                    f"{old.uidnext}:*", f"(UID RFC822.SIZE FLAGS {LIST_HEADERS})"
                )
            if info.exists != old.exists + len(new):
                self.imap.uid_search("ALL")  # find what vanished
        self.known[name] = info

    @tag("desktop", "sync")
    @task(8)
    def sync_folders(self) -> None:
        self._login()
        others = self.folders[1:]
        for name in ["INBOX", *random.sample(others, min(2, len(others)))]:
            self._sync(name)

    @tag("desktop")
    @task(3)
    def read_message(self) -> None:
        self._login()
        info = self._select("INBOX") if self.selected != "INBOX" else self.known.get("INBOX")
        if info is not None and info.uidnext > 1:
            uid = str(random.randint(max(1, info.uidnext - 50), info.uidnext - 1))
            self.imap.uid_fetch(uid, "(BODY.PEEK[])")
            self.imap.uid_store(uid, "+FLAGS.SILENT", "(\\Seen)")

    @tag("desktop")
    @task(1)
    def flag_message(self) -> None:
        self._login()
        info = self.known.get("INBOX")
        if info is None or info.uidnext <= 1:
            return
        if self.selected != "INBOX":
            self._select("INBOX")
        uid = str(random.randint(max(1, info.uidnext - 50), info.uidnext - 1))
        self.imap.uid_store(uid, random.choice(["+FLAGS.SILENT", "-FLAGS.SILENT"]), "(\\Flagged)")


class WebmailUser(FastImapUser):
    """Webmail: every page view is its own short session (connect, LOGIN, ..., LOGOUT)."""

    weight = 25
    wait_time = think(3.0, 10.0)

    def on_start(self) -> None:
        self.page: list[int] = []

    def _begin(self) -> MailboxInfo | None:
        self.imap.close()
        return self.open_session("INBOX")

    @tag("webmail")
    @task(6)
    def message_list(self) -> None:
        self._begin()
        for name in self.imap.list_mailboxes()[:6]:
            if name != "INBOX":
                self.imap.status(name, ("MESSAGES", "UNSEEN"))
        uids = self.imap.uid_search("ALL")
        self.page = uids[-50:]
        if self.page:
            self.imap.uid_fetch(
                f"{self.page[0]}:{self.page[-1]}", "(UID FLAGS RFC822.SIZE ENVELOPE)"
            )
        self.imap.logout()

    @tag("webmail")
    @task(3)
    def open_message(self) -> None:
        self._begin()
        if self.page:
            uid = str(random.choice(self.page))
            self.imap.uid_fetch(uid, "(UID RFC822.SIZE FLAGS BODYSTRUCTURE BODY.PEEK[HEADER])")
            self.imap.uid_fetch(uid, "(BODY.PEEK[1])")
            self.imap.uid_store(uid, "+FLAGS.SILENT", "(\\Seen)")
        self.imap.logout()

    @tag("webmail")
    @task(1)
    def search(self) -> None:
        self._begin()
        found = self.imap.uid_search(f'TEXT "{random.choice(SEARCH_WORDS)}"')
        if found:
            self.imap.uid_fetch(",".join(map(str, found[-20:])), "(UID FLAGS ENVELOPE)")
        self.imap.logout()


class PopDownloadUser(FastImapUser):
    """POP-style client: list everything, download every message, log out."""

    weight = 5
    wait_time = think(30.0, 90.0)

    @tag("pop")
    @task
    def download_everything(self) -> None:
        self.imap.close()
        self.open_session("INBOX")
        listing = self.imap.uid_fetch("1:*", "(UID RFC822.SIZE)")
        for message in listing:
            if message.uid is not None:
                self.imap.uid_fetch(str(message.uid), "(BODY.PEEK[])")
        self.imap.logout()


class WriterUser(FastImapUser):
    """New mail and housekeeping: APPEND to INBOX (stamped for push latency), flag changes,
    MOVE to Trash, Trash emptied with EXPUNGE. It only moves messages it appended."""

    weight = 10
    wait_time = think(2.0, 6.0)
    keep = 5  # appended messages left in INBOX before the oldest is moved away

    def on_start(self) -> None:
        self.rng = random.Random()
        self.appended: deque[int] = deque()
        self.trash_ready = False

    def on_session_lost(self) -> None:
        self.trash_ready = False

    def _session(self) -> None:
        self.ensure_session("INBOX")
        if not self.trash_ready:
            if "Trash" not in self.imap.list_mailboxes("", "Trash"):
                with contextlib.suppress(CommandFailed):  # another writer may be faster
                    self.imap.create("Trash")
            self.trash_ready = True

    @tag("writer", "write")
    @task(5)
    def deliver(self) -> None:
        self._session()
        message = make_message(self.rng, self.rng.randrange(10**6), sent_at=time.time())
        uid = self.imap.append("INBOX", message)
        if uid is not None:
            self.appended.append(uid)

    @tag("writer", "write")
    @task(3)
    def change_flags(self) -> None:
        self._session()
        if self.appended:
            uid = str(self.rng.choice(self.appended))
            self.imap.uid_store(
                uid, self.rng.choice(["+FLAGS.SILENT", "-FLAGS.SILENT"]), "(\\Flagged)"
            )

    @tag("writer", "write")
    @task(2)
    def file_away(self) -> None:
        self._session()
        while len(self.appended) > self.keep:
            self.imap.uid_move(str(self.appended.popleft()), "Trash")

    @tag("writer", "write")
    @task(1)
    def empty_trash(self) -> None:
        self._session()
        self.imap.select("Trash")
        found = self.imap.uid_search("ALL")
        if found:
            self.imap.uid_store(f"{found[0]}:{found[-1]}", "+FLAGS.SILENT", "(\\Deleted)")
            self.imap.expunge()
        self.imap.select("INBOX")

    def on_stop(self) -> None:
        if self.imap.connected and not self.imap.busy and self.appended:
            try:
                self.imap.uid_move(",".join(map(str, self.appended)), "Trash")
                self.appended.clear()
            except LoadError:
                pass
        super().on_stop()
