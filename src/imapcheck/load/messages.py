"""Messages for load: a reproducible mix of sizes and MIME shapes, or the project's corpus.

The generated mix follows what mailboxes hold: mostly short text mails, some HTML newsletters
(multipart/alternative), a few with an attachment (which dominate the bytes).
"""

from __future__ import annotations

import base64
import random
import time
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid

from imapcheck.load.base import PUSH_HEADER

_WORDS = (
    "meeting",
    "report",
    "budget",
    "draft",
    "review",
    "schedule",
    "invoice",
    "project",
    "update",
    "team",
    "lunch",
    "quarter",
    "release",
    "server",
    "backup",
    "storage",
    "network",
    "mailbox",
    "quota",
    "customer",
    "support",
    "ticket",
    "agenda",
    "notes",
    "travel",
    "summary",
    "decision",
    "question",
    "answer",
    "proposal",
    "contract",
    "delivery",
    "monday",
    "friday",
)


def _text(rng: random.Random, size: int) -> str:
    lines, length = [], 0
    while length < size:
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 12))).capitalize() + "."
        lines.append(line)
        length += len(line) + 2
    return "\r\n".join(lines)


def make_message(
    rng: random.Random,
    index: int = 0,
    *,
    kind: str | None = None,
    sent_at: float | None = None,
    sender: str = "load@example.org",
    recipient: str = "user@example.org",
) -> bytes:
    """One RFC 5322 message. ``kind``: "plain" (60 %), "alternative" (28 %), "attachment"
    (12 %) when not given; ``sent_at`` adds the push-latency header."""
    if kind is None:
        roll = rng.random()
        kind = "plain" if roll < 0.60 else "alternative" if roll < 0.88 else "attachment"
    subject = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 6))).capitalize()
    date = datetime.fromtimestamp(time.time() - rng.randint(0, 90 * 86400), UTC)
    headers = [
        f"From: Sender {index} <{sender}>",
        f"To: <{recipient}>",
        f"Subject: {subject} #{index}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: {make_msgid(f'm{index}.{rng.randrange(10**9)}', 'example.org')}",
        "MIME-Version: 1.0",
    ]
    if sent_at is not None:
        headers.append(f"{PUSH_HEADER}: {sent_at:.6f}")
    body_text = _text(rng, rng.randint(400, 4000))
    if kind == "plain":
        headers.append("Content-Type: text/plain; charset=utf-8")
        body = body_text
    else:
        boundary = f"=_b{rng.randrange(10**12)}"
        mixed = kind == "attachment"
        headers.append(
            f'Content-Type: multipart/{"mixed" if mixed else "alternative"}; boundary="{boundary}"'
        )
        parts = [f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body_text}"]
        if mixed:
            blob = rng.randbytes(rng.randint(30_000, 300_000))
            encoded = base64.encodebytes(blob).decode().replace("\n", "\r\n")
            parts.append(
                'Content-Type: application/pdf; name="doc.pdf"\r\n'
                "Content-Transfer-Encoding: base64\r\n"
                'Content-Disposition: attachment; filename="doc.pdf"\r\n\r\n' + encoded
            )
        else:
            html = "".join(f"<p>{line}</p>\r\n" for line in _text(rng, 6000).split("\r\n"))
            parts.append(
                f"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>\r\n{html}"
                "</body></html>"
            )
        body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--"
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


def generated(count: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    return [make_message(rng, i) for i in range(1, count + 1)]


def corpus_messages() -> list[bytes]:
    """The project's corpus (imapcheck.corpus), or [] when it is not available."""
    try:
        from imapcheck import corpus
    except ImportError:
        return []
    source = getattr(corpus, "all_messages", None)
    if source is None:
        return []
    try:
        return [bytes(m.data) for m in source()]
    except (OSError, ValueError, AttributeError):
        return []


def source(count: int, *, use_corpus: bool = True, seed: int = 1) -> tuple[list[bytes], str]:
    """``count`` messages: the corpus cycled when available (and asked for), else generated."""
    if use_corpus:
        found = corpus_messages()
        if found:
            return [found[i % len(found)] for i in range(count)], "corpus"
    return generated(count, seed), "generated"
