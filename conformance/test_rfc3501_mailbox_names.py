"""RFC 3501 §5.1, §5.1.3, §6.3.5: INBOX in any case, RENAME INBOX, modified UTF-7 names."""

from __future__ import annotations

import contextlib

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.wire.encode import Literal, astring, quoted
from imapcheck.wire.tokens import as_text
from imapcheck.wire.utf7 import encode_mailbox

MESSAGE = b"From: a@example.org\r\nSubject: names test\r\n\r\nhello\r\n"
STATUS_ITEMS = b"(MESSAGES UIDNEXT UIDVALIDITY)"

# (id, name as the user sees it, its modified UTF-7 form as RFC 3501 §5.1.3 defines it)
INTERNATIONAL = [
    ("ampersand", "Tom & Jerry", "Tom &- Jerry"),
    ("latin1", "café", "caf&AOk-"),
    ("non-bmp", "clef 𝄞 sign", "clef &2DTdHg- sign"),
    ("cjk", "台北日本語", "&U,BTF2XlZyyKng-"),
    ("mixed", "Ünïcødé ✓ done", "&ANw-n&AO8-c&APg-d&AOk- &JxM- done"),
]


def mb(name: str):
    return astring(encode_mailbox(name))


def status(session, wire: bytes) -> dict[str, int] | None:
    reply = session.command("STATUS", wire, STATUS_ITEMS)
    if not reply.ok:
        return None
    out: dict[str, int] = {}
    for item in reply.of("STATUS"):
        out.update({k: int(str(v)) for k, v in item.items.items()})
    return out


def listed_names(session, pattern: bytes) -> list[str]:
    reply = session.command("LIST", b'""', pattern)
    assert reply.ok, f"LIST failed: {reply.summary()}"
    return [as_text(u.tokens[2]) or "" for u in reply.of("LIST")]


# -- INBOX ----------------------------------------------------------------------------------------


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize("spelling", ["inbox", "InBoX", "iNBOX"])
def test_inbox_any_case_status(imap, spelling):
    reference = status(imap, b"INBOX")
    assert reference is not None, "STATUS INBOX must succeed"
    other = status(imap, spelling.encode())
    assert other == reference, (
        f"'All case variants of INBOX (e.g., \"iNbOx\") MUST be interpreted as INBOX': STATUS "
        f"{spelling} gave {other}, STATUS INBOX gave {reference}"
    )


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize("spelling", ["inbox", "InBoX", '"iNbOx"'])
def test_inbox_any_case_examine(imap, spelling):
    first = imap.command("EXAMINE", b"INBOX")
    assert first.ok, f"EXAMINE INBOX failed: {first.summary()}"
    second = imap.command("EXAMINE", spelling.encode())
    assert second.ok, f"EXAMINE {spelling} must open INBOX; got {second.summary()}"
    exists = ([u.number for u in second.of("EXISTS")], [u.number for u in first.of("EXISTS")])
    assert exists[0] == exists[1], f"EXISTS differs: {exists[0]} vs {exists[1]}"
    assert str(second.code_named("UIDVALIDITY")) == str(first.code_named("UIDVALIDITY")), (
        f"EXAMINE {spelling} opened a mailbox with another UIDVALIDITY than INBOX"
    )


@pytest.mark.rfc("3501", "6.3.8", "MUST")
@pytest.mark.parametrize("pattern", [b"INBOX", b"*", b"%"])
def test_list_includes_inbox(imap, pattern):
    reply = imap.command("LIST", b'""', pattern)
    names = {as_text(u.tokens[2]): u for u in reply.of("LIST")}
    assert "INBOX" in {n.upper() for n in names if n}, (
        f"'The special name INBOX is included in the output from LIST' for pattern "
        f"{pattern.decode()}; got {sorted(n for n in names if n)}"
    )
    inbox = next(u for n, u in names.items() if n and n.upper() == "INBOX")
    attrs = {str(a).lower() for a in inbox.tokens[0]}
    assert "\\noselect" not in attrs, "INBOX is selectable, yet LIST marks it \\Noselect"


def _destructive_ok(server_info, request) -> None:
    if server_info.inbox_messages and not request.config.getoption("--allow-destructive"):
        pytest.skip(
            "INBOX is not empty: RENAME INBOX runs only on an empty INBOX or with "
            "--allow-destructive"
        )


@pytest.fixture
def renamed_inbox(imap, sandbox, server_info, request):
    """RENAME INBOX to a sandbox name after adding one marker message; restores INBOX after."""
    _destructive_ok(server_info, request)
    before = status(imap, b"INBOX") or {}
    count, marker_uid = before.get("MESSAGES", 0), before.get("UIDNEXT", 1)
    assert imap.command("APPEND", b"INBOX", Literal(MESSAGE)).ok
    target = sandbox.name("old-inbox")
    reply = imap.command("RENAME", b"INBOX", mb(target))
    yield reply, target, count
    with contextlib.suppress(ImapcheckError, OSError):
        if reply.ok:  # copy INBOX's own messages back (not the marker, the last one)
            imap.select(target)
            if count == 0 or imap.command("COPY", f"1:{count}".encode(), b"INBOX").ok:
                imap.command("UNSELECT" if "UNSELECT" in imap.capabilities else "CLOSE")
                sandbox.remove(imap, target)
        else:  # take the marker out of INBOX again
            imap.select("INBOX")
            imap.command(
                "UID", b"STORE", f"{marker_uid}:*".encode(), b"+FLAGS.SILENT", b"(\\Deleted)"
            )
            if "UIDPLUS" in imap.capabilities:
                imap.command("UID", b"EXPUNGE", f"{marker_uid}:*".encode())
            elif count == 0:
                imap.command("EXPUNGE")


@pytest.mark.rfc("3501", "6.3.5", "SHOULD")
def test_rename_inbox_is_permitted(renamed_inbox):
    reply, _, _ = renamed_inbox
    assert reply.ok, (
        f"'Renaming INBOX is permitted, and has special behavior'; server said {reply.summary()}"
    )


@pytest.mark.rfc("3501", "6.3.5", "MUST")
def test_rename_inbox_moves_messages_and_keeps_inbox(imap, renamed_inbox):
    reply, target, before = renamed_inbox
    inbox = status(imap, b"INBOX")
    assert inbox is not None, "INBOX must still exist after RENAME INBOX, whatever the outcome"
    if not reply.ok:
        assert inbox["MESSAGES"] == before + 1, "a refused RENAME INBOX must leave INBOX intact"
        return
    assert inbox["MESSAGES"] == 0, (
        f"RENAME INBOX 'moves all messages in INBOX ... leaving INBOX empty'; INBOX still has "
        f"{inbox['MESSAGES']}"
    )
    moved = status(imap, astring(encode_mailbox(target)))
    assert moved is not None and moved["MESSAGES"] == before + 1, (
        f"the new mailbox must hold INBOX's {before + 1} messages; STATUS said {moved}"
    )


# -- modified UTF-7 -------------------------------------------------------------------------------


@pytest.mark.rfc("3501", "5.1.3", "MUST")
@pytest.mark.parametrize(
    ("name", "wire"), [p[1:] for p in INTERNATIONAL], ids=[p[0] for p in INTERNATIONAL]
)
def test_international_name_round_trip(imap, box, server_info, name, wire):
    assert encode_mailbox(name) == wire  # the suite's own encoder agrees with the RFC
    full = f"{box}{server_info.delimiter}{name}"
    full_wire = encode_mailbox(full)
    created = imap.command("CREATE", quoted(full_wire))
    assert created.ok, f"CREATE {full_wire!r} failed: {created.summary()}"
    names = listed_names(imap, quoted(f"{encode_mailbox(box)}{server_info.delimiter}*"))
    assert full_wire in names, (
        f"servers 'MUST preserve the exact form of the modified BASE64 portion'; LIST returned "
        f"{names} instead of {full_wire!r}"
    )
    assert imap.command("APPEND", quoted(full_wire), Literal(MESSAGE)).ok
    found = status(imap, quoted(full_wire))
    assert found is not None and found["MESSAGES"] == 1, (
        f"the international mailbox must be usable by its name; STATUS said {found}"
    )


@pytest.mark.rfc("3501", "5.1.3", "MUST")
def test_rename_to_international_name(imap, box, sandbox):
    assert imap.command("APPEND", mb(box), Literal(MESSAGE)).ok
    new = sandbox.name("renamed") + " 日本語"
    wire = encode_mailbox(new)
    assert imap.command("RENAME", mb(box), quoted(wire)).ok
    assert wire in listed_names(imap, quoted(wire)), f"LIST must return {wire!r} exactly"
    found = status(imap, quoted(wire))
    assert found is not None and found["MESSAGES"] == 1, "the renamed mailbox lost its message"
    sandbox.remove(imap, new)


@pytest.mark.rfc("3501", "5.1.3", "MUST")
def test_utf7_names_are_distinct_from_their_ascii_look_alikes(imap, box, server_info):
    """'&-' is '&': a name with a literal '&-' text differs from one with an encoded char."""
    base = f"{encode_mailbox(box)}{server_info.delimiter}"
    amp, accented = base + "x&-AOk-", base + "x&AOk-"
    for wire in (amp, accented):
        assert imap.command("CREATE", quoted(wire)).ok, f"CREATE {wire!r} failed"
    assert imap.command("APPEND", quoted(accented), Literal(MESSAGE)).ok
    counts = (status(imap, quoted(amp)), status(imap, quoted(accented)))
    assert counts[0] and counts[1] and (counts[0]["MESSAGES"], counts[1]["MESSAGES"]) == (0, 1), (
        f"{amp!r} ('x&AOk-' as text) and {accented!r} ('xé') are different mailboxes; "
        f"STATUS said {counts}"
    )


@pytest.mark.rfc("3501", "5.1.3", "SHOULD")
@pytest.mark.parametrize(
    "bad",
    ["a&b", "&Jjo!", "&U,BTFw-&ZeVnLIqe-", "&AGE-"],
    ids=["bare-ampersand", "no-shift-back", "superfluous-shift", "encoded-ascii"],
)
def test_invalid_modified_utf7_refused(imap, box, server_info, bad):
    wire = f"{encode_mailbox(box)}{server_info.delimiter}{bad}"
    reply = imap.command("CREATE", quoted(wire))
    assert not reply.ok, (
        "servers SHOULD verify that a name with '&' given to CREATE is correct modified UTF-7 "
        f"with no superfluous shifts and no encoded printable ASCII; CREATE {bad!r} got "
        f"{reply.summary()}"
    )
    assert wire not in listed_names(imap, quoted(wire)), "the refused CREATE left a mailbox"
