"""The suite never harms the account under test, even when interrupted; `imapcheck clean` works.

A dedicated Dovecot's first account is seeded with 1,000 messages in 20 folders (INBOX too,
with flags, keywords, dates and a \\Deleted message), the second with a few. The whole
conformance suite (and fuzz/ when it has tests) then runs against it in a subprocess; after it,
and after a run stopped with Ctrl-C, and after `imapcheck clean`, every folder must be
byte-for-byte and flag-for-flag what it was, and no run prefix may be left.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import dovecot
from imapcheck.session import Session
from imapcheck.target import Credentials, Target
from imapcheck.wire.encode import Arg, Literal, astring, quoted
from imapcheck.wire.tokens import as_text
from imapcheck.wire.utf7 import decode_mailbox, encode_mailbox

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [
    "INBOX",
    "Archive",
    "Archive/2023",
    "Archive/2024",
    "Archive/2024/Q1",
    "Entwürfe",
    "Old Stuff",
    "Projects",
    "Projects/imapcheck notes",
    "Receipts",
    "Sent",
    "Drafts",
    "Trash",
    "Junk",
    "Lists/dovecot",
    "Lists/ietf-imap",
    "Travel",
    "Family",
    "Work [2024]",
    "Zzz",
]
MESSAGES = 1000
FLAG_SETS = [
    b"()",
    b"(\\Seen)",
    b"(\\Seen \\Flagged)",
    b"(\\Answered \\Seen $Forwarded)",
    b"(\\Draft)",
    b"(\\Seen todo Project-X)",
    b"($Junk)",
    b"(\\Deleted \\Seen)",  # an expunge anywhere outside the sandbox would take it
]
SUITE_TIMEOUT = 900
CTRL_C_SUBSET = ["conformance/test_rfc3501_mailboxes.py", "conformance/test_rfc3501_store.py"]
IGNORED_ATTRIBUTES = {"\\MARKED", "\\UNMARKED"}


def message(folder: str, number: int) -> bytes:
    """A reproducible message; every tenth is multipart, every seventh 8-bit."""
    body = "".join(
        f"line {line} of message {number} in {folder}\r\n" for line in range(number % 23)
    )
    headers = (
        f"From: Sender {number % 7} <s{number % 7}@example.org>\r\n"
        f"To: owner@example.org\r\nSubject: {folder} #{number}\r\n"
        f"Message-ID: <{number}.{zlib.crc32(folder.encode())}@safety.example>\r\n"
        f"Date: Mon, {1 + number % 28:02d} Jan 2024 10:{number % 60:02d}:00 +0100\r\n"
    )
    if number % 10 == 0:
        headers += 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n'
        body = f"--b\r\nContent-Type: text/plain\r\n\r\n{body}--b--\r\n"
    elif number % 7 == 0:
        headers += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        headers += "Content-Transfer-Encoding: 8bit\r\n"
        body += "Grüße, déjà vu, 日本語\r\n"
    return (headers + "\r\n" + body).encode()


def seed(session: Session, folders: list[str], total: int) -> None:
    """Create the folders and APPEND ``total`` messages round-robin: one MULTIAPPEND per folder
    (RFC 3502), else pipelined APPENDs, with non-synchronizing literals (LITERAL+)."""
    assert "LITERAL+" in session.capabilities, "seeding pipelines non-synchronizing literals"
    for folder in folders:
        if folder != "INBOX":
            session.command("CREATE", astring(encode_mailbox(folder)))  # NO if it exists
        session.command("SUBSCRIBE", astring(encode_mailbox(folder)))
    tags = []
    for index, folder in enumerate(folders):
        messages: list[Arg] = []
        for number in range(index, total, len(folders)):
            date = f"{1 + number % 28:02d}-Feb-2023 {number % 24:02d}:{number % 60:02d}:07 +0000"
            messages += [FLAG_SETS[number % len(FLAG_SETS)], quoted(date)]
            messages.append(Literal(message(folder, number), non_sync=True))
        mailbox = astring(encode_mailbox(folder))
        if "MULTIAPPEND" in session.capabilities:
            tags.append(session.send("APPEND", mailbox, *messages))
        else:
            tags += [
                session.send("APPEND", mailbox, *messages[i : i + 3])
                for i in range(0, len(messages), 3)
            ]
    assert all(reply.ok for reply in session.wait_all(tags))


def snapshot(session: Session) -> dict[str, object]:
    """Folders, subscriptions, and per folder UIDVALIDITY, UIDNEXT and every message."""
    state: dict[str, object] = {}
    folders: dict[str, list[str]] = {}
    for item in session.command("LIST", b'""', b'"*"').of("LIST"):
        attributes = item.tokens[0] if isinstance(item.tokens[0], list) else []
        shown = sorted(str(a) for a in attributes if str(a).upper() not in IGNORED_ATTRIBUTES)
        folders[decode_mailbox(as_text(item.tokens[2]) or "")] = shown
    state["folders"] = folders
    lsub = session.command("LSUB", b'""', b'"*"').of("LSUB")
    state["subscribed"] = sorted(decode_mailbox(as_text(i.tokens[2]) or "") for i in lsub)
    for folder, attributes in sorted(folders.items()):
        if "\\Noselect" in attributes or "\\NonExistent" in attributes:
            continue
        reply = session.select(encode_mailbox(folder), readonly=True)
        codes = {c.name: " ".join(map(str, c.args)) for c in reply.codes()}
        exists = reply.of("EXISTS")[-1].number if reply.of("EXISTS") else 0
        messages = []
        if exists:
            fetch = session.command(
                "FETCH", b"1:*", b"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
            )
            for _, items in sorted(fetch.fetches().items()):
                flags = items.get("FLAGS")
                flag_set = sorted(str(f) for f in flags if str(f) != "\\Recent") if flags else []
                body = items.get("BODY[]")
                messages.append(
                    (
                        as_text(items.get("UID")),
                        flag_set,
                        as_text(items.get("INTERNALDATE")),
                        as_text(items.get("RFC822.SIZE")),
                        hashlib.sha256(body if isinstance(body, bytes) else b"").hexdigest(),
                    )
                )
        state[folder] = (codes.get("UIDVALIDITY"), codes.get("UIDNEXT"), exists, messages)
    session.command("UNSELECT" if "UNSELECT" in session.capabilities else "CLOSE")
    return state


def difference(before: dict[str, object], after: dict[str, object]) -> str:
    """What changed, readably (first few differences)."""
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            lines.append(f"{key}:\n  before: {str(before.get(key))[:600]}")
            lines.append(f"  after:  {str(after.get(key))[:600]}")
    return "\n".join(lines[:20])


class Account:
    def __init__(self, server: dovecot.DovecotServer, index: int) -> None:
        self.server = server
        self.credentials = Credentials(server.accounts[index].user, server.accounts[index].password)
        self.target = Target(
            "127.0.0.1",
            server.plain_port,
            "starttls",
            (self.credentials,),
            ca_file=str(server.root / "cert.pem"),
            timeout=30,
        )

    def session(self) -> Session:
        session = Session(self.target, validate=False)
        session.connect()
        session.login()
        return session

    def snapshot(self) -> dict[str, object]:
        with self.session() as session:
            return snapshot(session)


@pytest.fixture(scope="module")
def accounts() -> Iterator[tuple[Account, Account, dict[str, object], dict[str, object]]]:
    """The two seeded accounts and their snapshots before anything ran."""
    if dovecot.find_binary() is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    try:
        server = dovecot.start(users=2, user_prefix="owner")
    except ServerUnavailable as exc:
        pytest.skip(f"Dovecot did not start: {exc}")
    try:
        first, second = Account(server, 0), Account(server, 1)
        with first.session() as session:
            seed(session, FOLDERS, MESSAGES)
        with second.session() as session:
            seed(session, ["INBOX", "Shared notes"], 6)
        yield first, second, first.snapshot(), second.snapshot()
    finally:
        server.stop()


def suite_command(first: Account, second: Account, *paths: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        *paths,
        "--server",
        first.target.address,
        "--tls",
        "starttls",
        "--ca-file",
        first.target.ca_file or "",
        "--user",
        first.credentials.user,
        "--password",
        first.credentials.password,
        "--user2",
        second.credentials.user,
        "--password2",
        second.credentials.password,
        "--no-report",
        "-p",
        "no:cacheprovider",
    ]


def assert_untouched(accounts) -> None:
    first, second, before_first, before_second = accounts
    for account, before in ((first, before_first), (second, before_second)):
        after = account.snapshot()
        folders = after["folders"]
        assert isinstance(folders, dict)
        left = [name for name in folders if "imapcheck-" in name]
        assert not left, f"run prefixes left in {account.credentials.user}: {left}"
        assert after == before, (
            f"the account {account.credentials.user} changed:\n{difference(before, after)}"
        )


def test_seeded_account_has_what_the_test_needs(accounts):
    before = accounts[2]
    folders = before["folders"]
    assert isinstance(folders, dict) and set(FOLDERS) <= set(folders)
    counted = sum(len(before[name][3]) for name in FOLDERS)  # type: ignore[index]
    assert counted == MESSAGES
    inbox = before["INBOX"]
    assert isinstance(inbox, tuple) and inbox[2] > 0, "INBOX is seeded (destructive tests skip)"


def test_whole_suite_leaves_the_account_untouched(accounts, tmp_path):
    """conformance/ and fuzz/ run at once (two runs, two prefixes), as two users might."""
    first, second, *_ = accounts
    parts = ["conformance"] + (["fuzz"] if list((ROOT / "fuzz").glob("test_*.py")) else [])
    children = {}
    for part in parts:
        sink = (tmp_path / f"{part}.txt").open("wb")
        command = [*suite_command(first, second, part), "-q", "-rs"]
        children[part] = (subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=sink), sink)
    for part, (child, sink) in children.items():
        try:
            status = child.wait(timeout=SUITE_TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            sink.close()
        output = (tmp_path / f"{part}.txt").read_text(errors="replace")
        assert status in (0, 1), f"{part}: the run did not complete ({status}):\n{output[-5000:]}"
        assert " passed" in output, output[-3000:]
    skips = (tmp_path / "conformance.txt").read_text(errors="replace").splitlines()
    assert any(line.startswith("SKIPPED") and "INBOX is not empty" in line for line in skips), (
        "the destructive INBOX tests must skip, and say so, when INBOX is not empty"
    )
    assert_untouched(accounts)


@pytest.mark.parametrize("how", ["pytest", "imapcheck run"])
def test_ctrl_c_removes_the_run_prefix(accounts, tmp_path, how):
    """SIGINT while tests run: to pytest alone, or to the process group as a terminal does."""
    first, second, *_ = accounts
    command = suite_command(first, second, *CTRL_C_SUBSET)
    if how == "imapcheck run":  # the same arguments, through the command line tool
        command[1:3] = ["-m", "imapcheck.cli", "run", "--no-baseline"]
    with (tmp_path / "output.txt").open("wb") as sink:
        child = subprocess.Popen(
            [*command, "-v"],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            with first.session() as watcher:
                deadline = time.monotonic() + 60
                while not _run_prefixes(watcher) and time.monotonic() < deadline:
                    assert child.poll() is None, "the run ended before it created its prefix"
                    time.sleep(0.05)  # polling another process's progress
                assert _run_prefixes(watcher), "the run never created its prefix"
            if how == "pytest":
                child.send_signal(signal.SIGINT)
            else:
                os.killpg(child.pid, signal.SIGINT)
            status = child.wait(timeout=60)
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    output = (tmp_path / "output.txt").read_text(errors="replace")
    # A signal that lands after the last test leaves a finished run (status 1, with the
    # baseline-less Dovecot failures); either way nothing of the run may stay behind.
    assert status in (1, 2), f"the run neither finished nor was interrupted:\n{output[-3000:]}"
    if status == 2:
        assert "KeyboardInterrupt" in output
    assert_untouched(accounts)


def test_snapshot_sees_a_changed_flag(accounts):
    """The comparison means something: one keyword on one message is a difference."""
    first, _, before, _ = accounts
    with first.session() as session:
        session.select("Zzz")
        assert session.command("STORE", b"1", b"+FLAGS.SILENT", b"(imapcheck-canary)").ok
        changed = snapshot(session)
        session.select("Zzz")
        assert session.command("STORE", b"1", b"-FLAGS.SILENT", b"(imapcheck-canary)").ok
    assert changed != before and "imapcheck-canary" in difference(before, changed)
    assert_untouched(accounts)


def _run_prefixes(session: Session) -> list[str]:
    reply = session.command("LIST", b'""', b'"imapcheck-%"')
    return [as_text(item.tokens[2]) or "" for item in reply.of("LIST")]


def test_imapcheck_clean_removes_only_leftovers(accounts):
    first = accounts[0]
    leftover = "imapcheck-20200101000000-abcdef"
    only_subscribed = "imapcheck-20200101000001-bbbbbb"  # its mailbox is gone, not its subscription
    decoys = ["imapcheck", "my-imapcheck-20200101000000-abcdef", "Archive/imapcheck-2020-aaaaaa"]
    with first.session() as session:
        for name in [leftover, f"{leftover}/box-1", f"{leftover}/box-1/deep", *decoys]:
            assert session.command("CREATE", astring(encode_mailbox(name))).ok
        assert session.command("CREATE", astring(f"{only_subscribed}/gone")).ok
        appended = session.command(
            "APPEND", astring(f"{leftover}/box-1"), Literal(message("leftover", 1))
        )
        assert appended.ok
        for name in (f"{leftover}/box-1", f"{only_subscribed}/gone"):
            assert session.command("SUBSCRIBE", astring(name)).ok
        assert session.command("DELETE", astring(f"{only_subscribed}/gone")).ok
    command = [sys.executable, "-m", "imapcheck.cli", "clean", "--server", first.target.address]
    command += ["--tls", "starttls", "--ca-file", first.target.ca_file or ""]
    command += ["--user", first.credentials.user, "--password", first.credentials.password]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"removed {leftover}" in done.stdout and f"removed {only_subscribed}" in done.stdout
    assert first.credentials.password not in done.stdout + done.stderr
    with first.session() as session:
        names = {as_text(i.tokens[2]) for i in session.command("LIST", b'""', b'"*"').of("LIST")}
        assert not [n for n in names if n and n.startswith(leftover)], names
        assert set(decoys) <= names, "clean removes only top-level imapcheck-<run id> trees"
        for name in reversed(decoys):
            assert session.command("DELETE", astring(name)).ok
    assert_untouched(accounts)
