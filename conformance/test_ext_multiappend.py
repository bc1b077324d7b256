"""MULTIAPPEND (RFC 3502): several messages in one APPEND, all or none; with UIDPLUS one
APPENDUID for all of them."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers_ext import mb, message, number, seq_list, status, text, uids
from helpers_fetch import flag_set

from imapcheck.wire.encode import Literal, quoted
from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("MULTIAPPEND")
RAWS = [message(n, "multiappend") for n in (1, 2, 3)]
FLAGS = [("\\Seen",), ("\\Flagged", "$Imapcheck"), ()]
DATES = ["01-Feb-2021 12:00:00 +0000", None, "15-Mar-2022 08:30:00 -0500"]


def three_messages() -> list:
    args: list = []
    for raw, flags, date in zip(RAWS, FLAGS, DATES, strict=True):
        args += [("(" + " ".join(flags) + ")").encode()] if flags else []
        args += [quoted(date)] if date else []
        args.append(Literal(raw))
    return args


def instant(date: str) -> float:
    return datetime.strptime(date.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp()


def count(session, name: str) -> int:
    return status(session, name, "MESSAGES")["MESSAGES"]


@pytest.mark.rfc("3502", "6.3.11", "MUST")
def test_appends_every_message_in_order(imap, box):
    reply = imap.command("APPEND", mb(box), *three_messages())
    assert reply.ok, f"APPEND of three messages failed: {reply.summary()}"
    imap.select(encode_mailbox(box), readonly=True)
    fetched = imap.command("FETCH", b"1:*", b"(FLAGS INTERNALDATE BODY.PEEK[])").fetches()
    assert sorted(fetched) == [1, 2, 3], f"expected 3 messages, found {sorted(fetched)}"
    problems = []
    for seq, (raw, flags, date) in enumerate(zip(RAWS, FLAGS, DATES, strict=True), 1):
        items = fetched[seq]
        if items.get("BODY[]") != raw:
            problems.append(f"message {seq}: body is not message {seq} as sent")
        if flag_set(items.get("FLAGS")) - {"\\recent"} != {f.lower() for f in flags}:
            problems.append(f"message {seq}: flags {items.get('FLAGS')}, sent {flags}")
        if date and instant(text(items.get("INTERNALDATE"))) != instant(date):
            problems.append(
                f"message {seq}: INTERNALDATE {items.get('INTERNALDATE')!r}, sent {date}"
            )
    assert not problems, (
        "each message of a MULTIAPPEND is appended with its own flags and date-time, in the "
        "order given (RFC 3502 §6.3.11):\n  " + "\n  ".join(problems)
    )


@pytest.mark.rfc("3502", "6.3.11", "MUST")
@pytest.mark.requires("UIDPLUS")
def test_appenduid_names_every_message(imap, box):
    reply = imap.command("APPEND", mb(box), *three_messages())
    assert reply.ok, f"APPEND of three messages failed: {reply.summary()}"
    code = reply.code_named("APPENDUID")
    assert code is not None and len(code.args) == 2, f"no APPENDUID code: {reply.summary()}"
    listed = seq_list(code.args[1])
    imap.select(encode_mailbox(box), readonly=True)
    validity = number(
        imap.command("STATUS", mb(box), b"(UIDVALIDITY)").of("STATUS")[0].items["UIDVALIDITY"]
    )
    assert listed == uids(imap) and number(code.args[0]) == validity, (
        "with UIDPLUS, APPENDUID returns as many UIDs as messages appended, in append order, "
        f"without extraneous UIDs or '*' (RFC 3502): APPENDUID {code.raw!r}, mailbox UIDs "
        f"{uids(imap)}, UIDVALIDITY {validity}"
    )


@pytest.mark.rfc("3502", "6.3.11", "MUST")
def test_zero_length_literal_cancels_the_whole_append(imap, box):
    reply = imap.command("APPEND", mb(box), Literal(RAWS[0]), Literal(b""))
    assert reply.status == "NO", (
        f"a zero-length message literal is an error and MUST return NO (§6.3.11): {reply.summary()}"
    )
    assert count(imap, box) == 0, (
        "if the append is unsuccessful (including cancelled), the mailbox MUST be restored to "
        "its state before the APPEND; no partial appending (RFC 3502 §6.3.11)"
    )


@pytest.mark.rfc("3502", "6.3.11", "MUST")
def test_bad_date_in_a_later_message_cancels_the_whole_append(imap, box):
    reply = imap.command(
        "APPEND", mb(box), Literal(RAWS[0]), quoted("31-Foo-2021 25:61:00 +9999"), Literal(RAWS[1])
    )
    assert not reply.ok, f"APPEND with an invalid date-time succeeded: {reply.summary()}"
    assert count(imap, box) == 0, (
        "the first message must not remain after the APPEND failed on the second (no partial "
        "appending, RFC 3502 §6.3.11)"
    )


@pytest.mark.rfc("3502", "6.3.11", "MUST")
def test_missing_mailbox_gives_trycreate_and_no_mailbox(imap, sandbox):
    name = sandbox.name("multiappend-missing")
    reply = imap.command("APPEND", mb(name), Literal(RAWS[0]), Literal(RAWS[1]))
    assert reply.status == "NO" and reply.code_named("TRYCREATE") is not None, (
        f"APPEND to a missing mailbox: NO with [TRYCREATE] (§6.3.11), got {reply.summary()}"
    )
    assert not imap.command("LIST", b'""', mb(name)).of("LIST"), (
        "the server MUST NOT automatically create the mailbox (§6.3.11)"
    )


@pytest.mark.rfc("3502", "6.3.11", "SHOULD")
def test_selected_session_is_told_of_new_messages(imap, box):
    imap.select(encode_mailbox(box))
    reply = imap.command("APPEND", mb(box), *three_messages())
    assert reply.ok, f"APPEND failed: {reply.summary()}"
    counts = [u.number for u in reply.of("EXISTS")]
    assert counts and counts[-1] == 3, (
        "if the mailbox is selected, the server SHOULD notify the client immediately via an "
        f"untagged EXISTS (§6.3.11); the APPEND reply carried {counts}"
    )
