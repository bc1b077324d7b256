"""QUOTA (RFC 2087, RFC 9208): GETQUOTAROOT/GETQUOTA responses, and usage that follows what
the test appends, copies and expunges."""

from __future__ import annotations

import pytest
from helpers_ext import append_ok, mb, message, text

from imapcheck.wire.encode import astring
from imapcheck.wire.utf7 import decode_mailbox, encode_mailbox

pytestmark = pytest.mark.requires("QUOTA")


def quotas(reply) -> dict[str, dict[str, tuple[int, int]]]:
    """{root: {RESOURCE: (usage, limit)}} from the QUOTA responses; asserts the triplet shape."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for item in reply.of("QUOTA"):
        assert len(item.tokens) == 2 and isinstance(item.tokens[1], list), (
            f"QUOTA response is quota root and a list of triplets (RFC 2087 §5.1): {item}"
        )
        values = item.tokens[1]
        assert len(values) % 3 == 0, f"the QUOTA list holds triplets (§5.1): {item}"
        resources = {}
        for i in range(0, len(values), 3):
            name, usage, limit = (text(t) for t in values[i : i + 3])
            assert usage.isdigit() and limit.isdigit(), f"usage and limit are numbers: {item}"
            resources[name.upper()] = (int(usage), int(limit))
        out[text(item.tokens[0])] = resources
    return out


def quotaroot(session, name: str):
    reply = session.command("GETQUOTAROOT", mb(name))
    assert reply.ok, f"GETQUOTAROOT {name!r} failed: {reply.summary()}"
    return reply


def usage(session, name: str) -> dict[str, int]:
    """Usage per resource summed over the quota roots of ``name``."""
    total: dict[str, int] = {}
    for resources in quotas(quotaroot(session, name)).values():
        for resource, (used, _limit) in resources.items():
            total[resource] = total.get(resource, 0) + used
    return total


@pytest.mark.rfc("2087", "4.3", "MUST")
def test_getquotaroot_names_mailbox_and_gives_each_root(imap, box):
    reply = quotaroot(imap, box)
    roots_lines = reply.of("QUOTAROOT")
    assert len(roots_lines) == 1, f"GETQUOTAROOT returns one QUOTAROOT response, got {roots_lines}"
    tokens = roots_lines[0].tokens
    assert decode_mailbox(text(tokens[0])) == box, (
        f"the QUOTAROOT response names the mailbox asked first (§5.2), got {text(tokens[0])!r}"
    )
    roots = [text(t) for t in tokens[1:]]
    given = quotas(reply)
    assert set(given) == set(roots), (
        "for each listed quota root GETQUOTAROOT also returns its QUOTA response (RFC 2087 "
        f"§4.3): roots {roots}, QUOTA responses for {sorted(given)}"
    )


@pytest.mark.rfc("2087", "4.2", "MUST")
def test_getquota_agrees_with_getquotaroot(imap, box):
    given = quotas(quotaroot(imap, box))
    if not given:
        pytest.skip("the mailbox has no quota root")
    for root, resources in given.items():
        reply = imap.command("GETQUOTA", astring(root))
        assert reply.ok, f"GETQUOTA {root!r} failed: {reply.summary()}"
        assert quotas(reply).get(root) == resources, (
            f"GETQUOTA {root!r} returns the root's usage and limits (§4.2): "
            f"{quotas(reply)} vs {resources} from GETQUOTAROOT"
        )


@pytest.mark.rfc("2087", "4.2", "MUST")
def test_getquota_of_unknown_root_is_no(imap):
    reply = imap.command("GETQUOTA", b'"imapcheck-no-such-quota-root"')
    assert reply.status == "NO", (
        f"'NO - getquota error: no such quota root' (§4.2), got {reply.summary()}"
    )


def needs(resources: dict[str, int], name: str) -> None:
    if name not in resources:
        pytest.skip(f"the quota root does not limit {name}")


@pytest.mark.rfc("9208", "5.2", "MUST")
def test_message_usage_counts_appends_copies_and_expunges(imap, box, sandbox):
    before = usage(imap, box)
    needs(before, "MESSAGE")
    for n in (1, 2, 3):
        append_ok(imap, box, message(n, "quota"))
    appended = usage(imap, box)["MESSAGE"]
    other = sandbox.create(imap, "quota-copy")
    imap.select(encode_mailbox(box))
    assert imap.command("COPY", b"1:2", mb(other)).ok, "COPY failed"
    copied = usage(imap, box)["MESSAGE"]
    imap.command("STORE", b"1:3", b"+FLAGS.SILENT", b"(\\Deleted)")
    imap.command("EXPUNGE")
    expunged = usage(imap, box)["MESSAGE"]
    steps = [before["MESSAGE"], appended, copied, expunged]
    start = steps[0]
    assert steps == [start, start + 3, start + 5, start + 2], (
        "MESSAGE usage is the exact number of messages in the root's mailboxes (RFC 9208 §5.2): "
        f"expected {[start, start + 3, start + 5, start + 2]} after append 3, copy 2, expunge 3, "
        f"got {steps}"
    )
    imap.command("UNSELECT" if "UNSELECT" in imap.capabilities else "CLOSE")
    imap.command("DELETE", mb(other))


@pytest.mark.rfc("2087", "3", "SHOULD")
def test_storage_usage_grows_by_appended_size(imap, box):
    before = usage(imap, box)
    needs(before, "STORAGE")
    raws = [message(n, "quota", b"q" * 20_000 + b"\r\n") for n in (1, 2, 3)]
    for raw in raws:
        append_ok(imap, box, raw)
    grown = usage(imap, box)["STORAGE"] - before["STORAGE"]
    kib = sum(map(len, raws)) / 1024
    assert int(kib) - 1 <= grown <= int(kib) + 2, (
        "STORAGE is the sum of the messages' RFC822.SIZE in units of 1024 octets (RFC 2087 §3): "
        f"appending {sum(map(len, raws))} octets (~{kib:.1f} KiB) must add about that: {grown}"
    )
