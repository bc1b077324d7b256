"""ENABLE (RFC 5161): what may be enabled is enabled for the rest of the connection (seen in
CONDSTORE's MODSEQ data), everything else is ignored, and CAPABILITY does not change."""

from __future__ import annotations

import pytest
from helpers_ext import append_ok, message, text

from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("ENABLE")


def enabled(reply) -> list[str]:
    """Capabilities named by the ENABLED responses of a reply (upper case)."""
    return [text(tok).upper() for item in reply.of("ENABLED") for tok in item.tokens]


def enable(session, *names: bytes):
    reply = session.command("ENABLE", *names)
    assert reply.ok, f"ENABLE {b' '.join(names).decode()} failed: {reply.summary()}"
    return reply


def modseq_shown(session, box: str) -> bool:
    """STORE in ``box`` and tell whether the FETCH it causes carries MODSEQ."""
    append_ok(session, box, message(1, "enable"))
    session.select(encode_mailbox(box))
    reply = session.command("STORE", b"1", b"+FLAGS", b"(\\Flagged)")
    assert reply.ok, f"STORE failed: {reply.summary()}"
    return any("MODSEQ" in items for items in reply.fetches().values())


@pytest.mark.rfc("5161", "3.1", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_enable_condstore_takes_effect(imap, box):
    reply = enable(imap, b"CONDSTORE")
    assert "CONDSTORE" in enabled(reply), (
        "a supported extension that needs enabling MUST be enabled and listed in the ENABLED "
        f"response (RFC 5161 §3.1, §3.2), got {[str(u) for u in reply.of('ENABLED')]}"
    )
    assert modseq_shown(imap, box), (
        "after ENABLE CONDSTORE the server MUST include mod-sequence data in all subsequent "
        "untagged FETCH responses (RFC 4551 §1); the FETCH caused by STORE had no MODSEQ"
    )


@pytest.mark.rfc("5161", "3.1", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_enabled_extension_stays_enabled(imap, box):
    enable(imap, b"CONDSTORE")
    enable(imap, b"X-IMAPCHECK-UNKNOWN")
    assert modseq_shown(imap, box), (
        "once enabled, an extension remains active until the connection is closed (RFC 5161 "
        "§3.1); after a second ENABLE, STORE's FETCH response lost its MODSEQ"
    )


@pytest.mark.rfc("5161", "3.1", "MUST")
@pytest.mark.parametrize(
    "names",
    [(b"X-IMAPCHECK-UNKNOWN",), (b"IDLE", b"UIDPLUS", b"NAMESPACE")],
    ids=["unknown", "not-enableable"],
)
def test_other_arguments_are_ignored(imap, names):
    listed = enabled(enable(imap, *names))
    wrong = [name.decode() for name in names if name.decode() in listed]
    assert not wrong, (
        "an extension unknown to the server, or not meant to be enabled, MUST be ignored "
        f"(RFC 5161 §3.1), but ENABLED lists {wrong}"
    )


@pytest.mark.rfc("5161", "3.1", "MUST")
def test_enabled_response_sent_even_when_nothing_is_enabled(imap):
    reply = enable(imap, b"X-IMAPCHECK-UNKNOWN")
    assert reply.of("ENABLED"), (
        "if the ENABLE command is successful, the server MUST send an untagged ENABLED response "
        "(RFC 5161 §3.1); it 'may contain no capabilities' (§3.2), but ENABLE of an unknown "
        f"name completed {reply.summary()!r} without one"
    )


@pytest.mark.rfc("5161", "3.1", "MUST")
def test_capability_unchanged_by_enable(imap, server_info):
    before = imap.capability().copy()
    wanted = [c for c in ("CONDSTORE", "QRESYNC", "UTF8=ACCEPT") if server_info.has(c)]
    enable(imap, *(c.encode() for c in wanted or ["X-IMAPCHECK-UNKNOWN"]))
    after = imap.capability()
    assert after == before, (
        "the server MUST NOT change the CAPABILITY list as a result of ENABLE (RFC 5161 §3.1): "
        f"added {sorted(after - before)}, removed {sorted(before - after)}"
    )


@pytest.mark.rfc("5161", "3.1", "MUST")
@pytest.mark.requires("CONDSTORE")
def test_enable_is_not_valid_before_authentication(connect):
    session = connect(login=False)
    reply = session.command("ENABLE", b"CONDSTORE")
    assert not reply.ok, (
        "the ENABLE command is only valid in the authenticated state (RFC 5161 §3.1), and a "
        "command in an inappropriate state gets 'a BAD or NO' (RFC 3501 §3); before login the "
        f"server answered {reply.summary()}"
    )
