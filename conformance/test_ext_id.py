"""ID (RFC 2971): valid in every state, always answered with an ID response whose field/value
list keeps the limits of §3.3."""

from __future__ import annotations

import pytest

from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("ID")
CLIENT = b'("name" "imapcheck" "version" "1.0" "vendor" NIL)'


def server_id(reply):
    """The server's parameter list (None for NIL); asserts exactly one ID response."""
    assert reply.ok, f"{reply.command!r} failed: {reply.summary()}"
    found = reply.of("ID")
    assert len(found) == 1, (
        f"a server MUST send an ID response to an ID command (RFC 2971 §3.2), got {len(found)}"
    )
    tokens = found[0].tokens
    assert len(tokens) == 1, f"the ID response holds one list or NIL, got {tokens!r}"
    return tokens[0]


@pytest.mark.rfc("2971", "3.1", "MUST")
@pytest.mark.parametrize("state", ["not authenticated", "authenticated", "selected"])
def test_id_valid_in_every_state(connect, sandbox, state):
    session = connect(login=state != "not authenticated")
    if state == "selected":
        name = sandbox.create(session, "id-selected")
        session.select(encode_mailbox(name), readonly=True)
    server_id(session.command("ID", CLIENT))
    assert session.command("NOOP").ok, "the session is unusable after ID"


@pytest.mark.rfc("2971", "3.1", "MUST")
def test_id_nil_still_gets_the_server_list(imap):
    value = server_id(imap.command("ID", b"NIL"))
    assert value is None or isinstance(value, list), f"ID response must be a list or NIL: {value!r}"


@pytest.mark.rfc("2971", "3.3", "MUST")
def test_server_fields_keep_the_limits(imap):
    value = server_id(imap.command("ID", CLIENT))
    if value is None:
        return
    assert len(value) % 2 == 0, f"the ID list must hold field/value pairs, got {value!r}"
    fields = value[0::2]
    problems = []
    if len(fields) > 30:
        problems.append(f"{len(fields)} pairs (at most 30)")
    names = [f.lower() if isinstance(f, bytes) else f for f in fields]
    if len(set(names)) != len(names):
        problems.append(f"a field name repeats: {fields}")
    for field, val in zip(fields, value[1::2], strict=True):
        if not isinstance(field, bytes) or len(field) > 30:
            problems.append(f"field {field!r}: must be a string of at most 30 octets")
        if val is not None and (not isinstance(val, bytes) or len(val) > 1024):
            problems.append(f"value of {field!r}: must be NIL or a string of at most 1024 octets")
    assert not problems, "ID response breaks RFC 2971 §3.3:\n  " + "\n  ".join(problems)


@pytest.mark.rfc("2971", "3", "MUST")
def test_id_changes_nothing_else(imap, box):
    """ID is informational: the same commands behave the same before and after it."""
    before = imap.capability().copy()
    server_id(imap.command("ID", b'("name" "Thunderbird" "version" "1.0")'))
    assert imap.capability() == before, (
        "capabilities changed after ID (RFC 2971 §3: no operational changes)"
    )
    assert imap.select(encode_mailbox(box), readonly=True).ok
