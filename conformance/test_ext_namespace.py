"""NAMESPACE (RFC 2342): the response's shape, and a personal namespace that agrees with LIST."""

from __future__ import annotations

import pytest
from helpers_ext import list_entries, mb, text

from imapcheck.wire.encode import astring
from imapcheck.wire.tokens import Token
from imapcheck.wire.utf7 import encode_mailbox

pytestmark = pytest.mark.requires("NAMESPACE")
CLASSES = ("personal", "other users'", "shared")


def namespaces(session) -> list[Token]:
    reply = session.command("NAMESPACE")
    assert reply.ok, f"NAMESPACE failed: {reply.summary()}"
    found = reply.of("NAMESPACE")
    assert len(found) == 1, f"NAMESPACE must return one untagged NAMESPACE response, got {found}"
    return found[0].tokens


def personal(session) -> list[tuple[str, str | None]]:
    tokens = namespaces(session)
    first = tokens[0] if tokens else None
    if not isinstance(first, list):
        return []
    return [(text(ns[0]), text(ns[1]) or None) for ns in first if isinstance(ns, list)]


@pytest.mark.rfc("2342", "6", "MUST")
def test_response_has_three_namespace_classes(imap):
    tokens = namespaces(imap)
    assert len(tokens) == 3, (
        "the NAMESPACE response is Namespace SP Namespace SP Namespace (personal, other users', "
        f"shared; RFC 2342 §6), got {len(tokens)} elements: {tokens!r}"
    )
    for label, value in zip(CLASSES, tokens, strict=True):
        if value is None:
            continue
        assert isinstance(value, list) and value, f"the {label} namespace is neither NIL nor a list"
        for ns in value:
            assert isinstance(ns, list) and len(ns) >= 2, f"{label} namespace entry {ns!r}"
            assert isinstance(ns[0], bytes), f"{label} prefix must be a string, got {ns[0]!r}"
            delimiter = ns[1]
            assert delimiter is None or (isinstance(delimiter, bytes) and len(delimiter) == 1), (
                f"{label} delimiter must be one quoted character or NIL, got {delimiter!r}"
            )
            extensions = ns[2:]
            assert len(extensions) % 2 == 0, f"{label} extension data is not name/list pairs"
            for index in range(0, len(extensions), 2):
                assert isinstance(extensions[index + 1], list), (
                    f"{label} extension {extensions[index]!r} must carry a list of strings"
                )


@pytest.mark.rfc("2342", "5", "MUST")
def test_personal_delimiter_is_the_list_delimiter(imap, sandbox, box):
    found = personal(imap)
    if not found:
        pytest.skip("the server announces no personal namespace")
    prefix, delimiter = found[0]
    reply = imap.command("LIST", b'""', mb(sandbox.root))
    entries = list_entries(reply)
    assert entries, f"LIST of the run's own mailbox {sandbox.root!r} returned nothing"
    assert entries[0].delimiter == delimiter, (
        f"NAMESPACE gives the personal namespace {prefix!r} the delimiter {delimiter!r}, but LIST "
        f"reports {entries[0].delimiter!r} for {sandbox.root!r}, a mailbox in that namespace"
    )


@pytest.mark.rfc("2342", "5", "MUST")
def test_mailboxes_under_personal_prefix_are_listed(imap, sandbox, box):
    prefix = personal(imap)[0][0] if personal(imap) else ""
    assert sandbox.root.startswith(prefix)
    reply = imap.command("LIST", b'""', astring(encode_mailbox(prefix) + "%"))
    names = {entry.name for entry in list_entries(reply)}
    assert sandbox.root in names, (
        f"LIST of the personal namespace ({prefix!r} + %) must show {sandbox.root!r}, a mailbox "
        f"created there (the prefix lets a client list its namespace, RFC 2342 §5); got {names}"
    )


@pytest.mark.rfc("2342", "4", "MUST")
def test_namespace_valid_in_selected_state(imap, box):
    before = namespaces(imap)
    imap.select(encode_mailbox(box), readonly=True)
    assert namespaces(imap) == before, "NAMESPACE must answer the same in the selected state"


@pytest.mark.rfc("2342", "4", "MUST")
def test_namespace_not_before_authentication(connect):
    session = connect(login=False)
    reply = session.command("NAMESPACE")
    assert not reply.ok, (
        "NAMESPACE is valid in the Authenticated and Selected state (RFC 2342 §4); before login "
        f"the server must refuse it, but it answered {reply.summary()}"
    )
