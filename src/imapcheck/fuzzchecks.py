"""What the state machine checks in the server's answers (RFC 3501 §2.3, §6.4, §7.4)."""

from __future__ import annotations

from typing import Any

from imapcheck import fuzzmodel as fm
from imapcheck.session import Session
from imapcheck.wire.response import Reply
from imapcheck.wire.tokens import as_int, as_text


def uid_list(text: str) -> list[int]:
    """A uid-set in the order written (RFC 4315 §3: COPYUID's sets correspond in order)."""
    out: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition(":")
        a, b = int(low), int(high or low)
        out.extend(range(a, b + 1) if a <= b else range(a, b - 1, -1))
    return out


def apply_updates(view: list[int | None], reply: Reply, who: str) -> list[int | None]:
    """The session's view (UIDs by sequence number) after the reply's EXISTS and EXPUNGE."""
    view = list(view)
    for item in reply.untagged:
        if item.kind == "EXPUNGE" and item.number is not None:
            assert 1 <= item.number <= len(view), (
                f"{who}: '* {item.number} EXPUNGE' names no message: the session knows "
                f"{len(view)} (RFC 3501 §7.4.1)"
            )
            del view[item.number - 1]
        elif item.kind == "EXISTS" and item.number is not None:
            assert item.number >= len(view), (
                f"{who}: EXISTS went down from {len(view)} to {item.number} without EXPUNGE "
                "(RFC 3501 §7.3.1)"
            )
            view.extend([None] * (item.number - len(view)))
    return view


def same_view(view: list[int | None], box: fm.Mailbox, who: str) -> None:
    """EXISTS and EXPUNGE told the session exactly what the model holds."""
    assert len(view) == len(box.messages), (
        f"{who}: the session was told of {len(view)} messages (EXISTS/EXPUNGE), the "
        f"mailbox holds {len(box.messages)}"
    )
    for seq, (seen, message) in enumerate(zip(view, box.messages, strict=True), 1):
        assert seen is None or message.uid is None or seen == message.uid, (
            f"{who}: message {seq} should be UID {message.uid}, but the EXPUNGE responses "
            f"left UID {seen} there (RFC 3501 §7.4.1)"
        )


def look(session: Session, box: fm.Mailbox, who: str) -> list[int | None]:
    """UID FETCH 1:* (UID FLAGS): UIDs and flags as the model says; returns the UIDs."""
    reply = session.command("UID FETCH", b"1:*", b"(UID FLAGS)")
    assert reply.ok, f"{who}: UID FETCH 1:* failed: {reply.summary()}"
    fetched = reply.fetches()
    uids = [as_int(fetched[s].get("UID")) for s in sorted(fetched)]
    assert sorted(fetched) == list(range(1, len(box.messages) + 1)), (
        f"{who}: UID FETCH 1:* returned messages {sorted(fetched)}; the mailbox holds "
        f"{len(box.messages)}"
    )
    known = [u or 0 for u in uids]
    assert known == sorted(set(known)), f"{who}: UIDs not strictly ascending: {known}"
    problem = box.learn_uids(known)
    assert not problem, problem
    assert known == box.uids(), (
        f"{who}: UIDs must stay as they were given (RFC 3501 §2.3.1.1): expected "
        f"{box.uids()}, the server has {known}"
    )
    for seq, message in enumerate(box.messages, 1):
        got = fm.norm(fetched[seq].get("FLAGS") or [])
        assert got == fm.norm(message.flags), (
            f"{who}: flags of UID {message.uid} should be {sorted(fm.norm(message.flags))}, "
            f"the server has {sorted(got)}"
        )
    return list(known)


def check_fetch(
    seq: int,
    message: fm.Message,
    got: dict[str, Any],
    items: set[str],
    start: int,
    length: int,
) -> None:
    where = f"FETCH of message {seq} (UID {message.uid})"
    if "UID" in items or "UID" in got:
        assert as_int(got.get("UID")) == message.uid, f"{where}: UID {got.get('UID')}"
    if "RFC822.SIZE" in items:
        assert as_int(got.get("RFC822.SIZE")) == message.size, (
            f"{where}: RFC822.SIZE {got.get('RFC822.SIZE')}, the message has "
            f"{message.size} octets (RFC 3501 §6.4.5)"
        )
    for name in ("BODY[]", "BODY.PEEK[]"):
        if name in items:
            assert got.get("BODY[]") == message.data, (
                f"{where}: {name} is not the appended message byte for byte "
                f"({len(got.get('BODY[]') or b'')} octets vs {message.size})"
            )
    if "PARTIAL" in items:
        want = message.data[start : start + length]
        value = got.get(f"BODY[]<{start}>")
        assert value == want or (value is None and not want), (
            f"{where}: BODY.PEEK[]<{start}.{length}> must be octets {start}.."
            f"{start + length - 1} of the message (RFC 3501 §6.4.5); got "
            f"{len(value or b'')} octets"
        )
    if "INTERNALDATE" in items:
        moment = fm.parse_datetime(as_text(got.get("INTERNALDATE")) or "")
        assert moment == message.date, (
            f"{where}: INTERNALDATE {got.get('INTERNALDATE')}, appended with "
            f"{fm.imap_datetime(message.date)} (RFC 3501 §6.3.11)"
        )
    if "FLAGS" in items and "BODY[]" not in items:
        assert fm.norm(got.get("FLAGS") or []) == fm.norm(message.flags), (
            f"{where}: FLAGS {got.get('FLAGS')}, expected {sorted(message.flags)}"
        )
