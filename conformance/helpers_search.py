"""The SEARCH mailbox: eight messages chosen so that every key has a discriminating answer."""

from __future__ import annotations

import base64
import quopri
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from helpers_fetch import PLACEHOLDER, Box, Spec, filled_box

from imapcheck.sandbox import Sandbox
from imapcheck.target import Target


@dataclass(frozen=True)
class Mail:
    """A message for SEARCH tests, described by what the keys look at (decoded text)."""

    sender: str
    to: str
    subject: str
    sent: str  # the Date: header as written
    received: str  # internal date, "DD-Mon-YYYY"
    body: str
    flags: tuple[str, ...] = ()
    cc: str = ""
    bcc: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    encoding: str = "7bit"  # 7bit, 8bit or quoted-printable
    pad: int = 0  # filler lines, to give the message a distinctive size

    @property
    def text(self) -> str:
        filler = "".join(
            f"filler line {n:03d} to give this message its size.\n" for n in range(self.pad)
        )
        return self.body + filler

    def header(self, name: str) -> str:
        """Decoded header text ("" when absent), for the expected answers."""
        fields = {
            "from": self.sender,
            "to": self.to,
            "cc": self.cc,
            "bcc": self.bcc,
            "subject": self.subject,
            "date": self.sent,
        }
        fields.update((k.lower(), v) for k, v in self.extra)
        return fields.get(name.lower(), "")

    @property
    def raw(self) -> bytes:
        subject = self.subject
        if not subject.isascii():
            subject = "=?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
        lines = [f"From: {self.sender}", f"To: {self.to}"]
        lines += [f"Cc: {self.cc}"] if self.cc else []
        lines += [f"Bcc: {self.bcc}"] if self.bcc else []
        lines += [f"Subject: {subject}", f"Date: {self.sent}"]
        lines += [f"{k}: {v}" for k, v in self.extra]
        charset = "us-ascii" if self.text.isascii() else "utf-8"
        lines += [
            "MIME-Version: 1.0",
            f"Content-Type: text/plain; charset={charset}",
            f"Content-Transfer-Encoding: {self.encoding}",
        ]
        head = "\r\n".join(lines).encode() + b"\r\n\r\n"
        body = self.text.encode()
        if self.encoding == "quoted-printable":
            body = quopri.encodestring(body)
        return head + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    @property
    def size(self) -> int:
        return len(self.raw)

    @property
    def spec(self) -> Spec:
        return Spec(self.raw, self.flags, f"{self.received} 12:00:00 +0000")


def _mail(n: int, **kw) -> Mail:
    extra = (("Message-ID", f"<m{n}@imapcheck.example>"), *kw.pop("extra", ()))
    return Mail(extra=extra, **kw)


SEARCH_MAILS = [
    _mail(
        1,
        sender='"Alice Liddell" <alice@example.org>',
        to="bob@example.net",
        subject="Quarterly report",
        sent="Mon, 1 Feb 2021 09:00:00 +0000",
        received="01-Feb-2021",
        body="The numbers are in.\nSee the attached sheet.\n",
        flags=("\\Seen", "\\Answered", "$Label1"),
        extra=(("X-Imapcheck-Tag", "alpha"),),
    ),
    _mail(
        2,
        sender="Bob Example <bob@example.net>",
        to="alice@example.org",
        cc="carol@example.com",
        subject="Re: Quarterly report",
        sent="Mon, 15 Mar 2021 23:30:00 -0800",
        received="15-Mar-2021",
        body="Mind the zebra crossing on the way.\n",
        flags=("\\Flagged",),
    ),
    _mail(
        3,
        sender="carol@example.com",
        to="dave@example.net",
        bcc="alice@example.org",
        subject="Lunch on Friday?",
        sent="Tue, 16 Mar 2021 00:30:00 +0900",
        received="16-Mar-2021",
        body="Shall we meet at noon?\n",
        flags=("\\Deleted", "\\Seen"),
    ),
    _mail(
        4,
        sender="dave@example.net",
        to="carol@example.com, alice@example.org",
        cc="Erin <erin@example.org>",
        subject="zebra sighting",
        sent="Mon, 19 Apr 2021 10:00:00 +0200",
        received="20-Apr-2021",
        body="Saw one near the river.\n",
        flags=("\\Draft", "$Label1", "$Label2"),
        extra=(("X-Imapcheck-Tag", "beta"),),
        pad=60,
    ),
    _mail(
        5,
        sender="erin@example.org",
        to="bob@example.net",
        subject="Grüße",
        sent="Thu, 9 Jun 2022 18:00:00 +0000",
        received="10-Jun-2022",
        body="Grüße aus Köln.\n",
        encoding="quoted-printable",
    ),
    _mail(
        6,
        sender="bob@example.net",
        to="erin@example.org",
        cc="dave@example.net",
        bcc="frank@example.com",
        subject="Meeting notes",
        sent="Thu, 30 Jun 2022 16:00:00 +0000",
        received="01-Jul-2022",
        body="Agenda items:\n",
        flags=("\\Seen", "\\Flagged", "\\Answered"),
        extra=(("X-Imapcheck-Tag", "alpha beta"),),
        pad=15,
    ),
    _mail(
        7,
        sender="alice@example.org",
        to="erin@example.org",
        subject="Budget: Q3",
        sent="Sat, 2 Jul 2022 08:00:00 -0400",
        received="02-Jul-2022",
        body="Please review the budget.\nStraße 5\n",
        flags=("$Label2",),
        encoding="8bit",
    ),
    _mail(
        8,
        sender="frank@example.com",
        to="alice@example.org",
        subject="quarterly REPORT draft",
        sent="Sun, 3 Jul 2022 12:00:00 +0000",
        received="02-Jul-2022",
        body="Draft attached.\n",
        flags=("\\Seen",),
    ),
]

# placeholders at positions 1, 2 and 7 are expunged: UIDs are then 3-6 and 8-11
SEARCH_SPECS = [
    PLACEHOLDER,
    PLACEHOLDER,
    *(m.spec for m in SEARCH_MAILS[:4]),
    PLACEHOLDER,
    *(m.spec for m in SEARCH_MAILS[4:]),
]
SEARCH_EXPUNGED = (1, 2, 7)


@pytest.fixture(scope="module")
def search_box(target: Target, sandbox: Sandbox) -> Iterator[Box]:
    """The eight SEARCH_MAILS in a mailbox under the run prefix (read with EXAMINE only)."""
    with filled_box(target, sandbox, "search", SEARCH_SPECS, expunged=SEARCH_EXPUNGED) as box:
        yield box
