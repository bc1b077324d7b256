"""SPECIAL-USE and CREATE-SPECIAL-USE (RFC 6154): the selection and return options of LIST,
the server's own special-use mailboxes (read only), CREATE (USE (...)) under the run prefix."""

from __future__ import annotations

import pytest
from helpers_ext import by_name, list_entries, mb

USES = frozenset(
    {"\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent", "\\trash", "\\important"}
)
EMBEDDED = {"Drafts": "\\drafts", "Junk": "\\junk", "Trash": "\\trash", "Sent": "\\sent"}


def uses(entry) -> frozenset[str]:
    return entry.attrs & USES


def listing(session, *args: bytes):
    reply = session.command("LIST", *args)
    assert reply.ok, f"LIST {b' '.join(args).decode()} failed: {reply.summary()}"
    return list_entries(reply)


@pytest.mark.rfc("6154", "2", "MUST")
@pytest.mark.requires("SPECIAL-USE", "LIST-EXTENDED")
def test_selection_option_returns_only_special_use_mailboxes(imap):
    entries = listing(imap, b"(SPECIAL-USE)", b'""', b"*")
    plain = [str(e) for e in entries if not uses(e)]
    assert not plain, (
        "LIST (SPECIAL-USE) returns only mailboxes that have a special-use attribute "
        f"(RFC 6154 §2); these have none: {plain}"
    )


@pytest.mark.rfc("6154", "2", "MUST")
@pytest.mark.requires("SPECIAL-USE", "LIST-EXTENDED")
def test_selection_option_agrees_with_return_option(imap):
    selected = {e.name: uses(e) for e in listing(imap, b"(SPECIAL-USE)", b'""', b"*")}
    everything = listing(imap, b'""', b"*", b"RETURN", b"(SPECIAL-USE)")
    returned = {e.name: uses(e) for e in everything if uses(e)}
    assert selected == returned, (
        "LIST (SPECIAL-USE) must select exactly the mailboxes that LIST RETURN (SPECIAL-USE) "
        f"marks with a special-use attribute, with the same attributes:\n  selection: "
        f"{selected}\n  return option: {returned}"
    )


@pytest.mark.rfc("6154", "2", "MUST")
@pytest.mark.requires("SPECIAL-USE", "LIST-EXTENDED")
def test_configured_special_use_mailboxes(imap, embedded_server):
    if embedded_server is None:
        pytest.skip("which mailboxes have which special use is known only for the embedded server")
    found = by_name(listing(imap, b'""', b"%", b"RETURN", b"(SPECIAL-USE)"))
    wrong = {
        name: sorted(uses(found[name])) if name in found else "not listed"
        for name, attr in EMBEDDED.items()
        if name not in found or uses(found[name]) != {attr}
    }
    assert not wrong, (
        "the embedded Dovecot configures Drafts/Junk/Trash/Sent with special_use; LIST RETURN "
        f"(SPECIAL-USE) must show exactly that attribute on each (RFC 6154 §2), got {wrong}"
    )


@pytest.mark.rfc("5258", "3", "MUST")
@pytest.mark.requires("SPECIAL-USE", "LIST-EXTENDED")
def test_selection_option_still_matches_the_pattern(imap, sandbox, box):
    special = listing(imap, b"(SPECIAL-USE)", b'""', b"*")
    if special:
        one = special[0].name
        names = [e.name for e in listing(imap, b"(SPECIAL-USE)", b'""', mb(one))]
        assert names == [one], f'LIST (SPECIAL-USE) "" {one!r} must list just it, got {names}'
    under = listing(imap, b"(SPECIAL-USE)", b'""', mb(sandbox.root + "*"))
    assert not under, (
        "the run's mailboxes have no special use, so LIST (SPECIAL-USE) over them must be empty "
        f"(selection options restrict the pattern's matches), got {[str(e) for e in under]}"
    )


@pytest.mark.rfc("5258", "3", "MUST")
@pytest.mark.requires("SPECIAL-USE", "LIST-EXTENDED")
def test_return_option_does_not_change_the_set(imap, sandbox, box):
    pattern = mb(sandbox.root + "*")
    plain = sorted(e.name for e in listing(imap, b'""', pattern))
    with_use = sorted(e.name for e in listing(imap, b'""', pattern, b"RETURN", b"(SPECIAL-USE)"))
    assert box in plain
    assert with_use == plain, (
        "a return option controls what is returned for each matched name, not which names "
        f"match: LIST gave {plain}, LIST RETURN (SPECIAL-USE) gave {with_use}"
    )


@pytest.mark.rfc("6154", "3", "MUST")
@pytest.mark.requires("CREATE-SPECIAL-USE", "LIST-EXTENDED")
def test_create_with_use_sets_the_attribute(imap, sandbox, box):
    name = sandbox.name("drafts")
    reply = imap.command("CREATE", mb(name), b"(USE (\\Drafts))")
    assert reply.ok, f"CREATE {name!r} (USE (\\Drafts)) failed: {reply.summary()}"
    found = by_name(listing(imap, b'""', mb(name), b"RETURN", b"(SPECIAL-USE)"))
    assert name in found and "\\drafts" in found[name].attrs, (
        "a mailbox created with USE (\\Drafts) must carry \\Drafts in LIST RETURN "
        f"(SPECIAL-USE) (RFC 6154 §3), got {found.get(name)}"
    )
    imap.command("DELETE", mb(name))


@pytest.mark.rfc("6154", "3", "MUST")
@pytest.mark.requires("CREATE-SPECIAL-USE")
def test_create_with_unusable_use_is_refused_whole(imap, sandbox, box):
    name = sandbox.name("bogus-use")
    reply = imap.command("CREATE", mb(name), b"(USE (\\X-Imapcheck-No-Such-Use))")
    exists = bool(list_entries(imap.command("LIST", b'""', mb(name))))
    if reply.ok:
        imap.command("DELETE", mb(name))
        pytest.skip("the server accepts an unknown special use; nothing to check")
    assert not exists, (
        "if the server cannot create a mailbox with the special use given, it MUST NOT create "
        f"the mailbox (RFC 6154 §3); CREATE said {reply.summary()} but {name!r} exists"
    )
    assert reply.status == "NO" and reply.code_named("USEATTR") is not None, (
        "a failure related to the special-use attribute is a tagged NO with the USEATTR response "
        f"code (RFC 6154 §3), got {reply.summary()}"
    )
