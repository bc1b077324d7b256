"""CHILDREN (RFC 3348) and the CHILDREN return option (RFC 5258 §4): \\HasChildren and
\\HasNoChildren follow the hierarchy as children are created, renamed and deleted."""

from __future__ import annotations

import pytest
from helpers_ext import list_entries, mb


def attrs_of(session, name: str, extended: bool) -> frozenset[str] | None:
    words = [b'""', mb(name)] + ([b"RETURN", b"(CHILDREN)"] if extended else [])
    reply = session.command("LIST", *words)
    assert reply.ok, f"LIST {name!r} failed: {reply.summary()}"
    found = [e for e in list_entries(reply) if e.name == name]
    return found[0].attrs if found else None


def check(attrs, has_children: bool, extended: bool, when: str) -> None:
    """Accurate when given; with RETURN (CHILDREN) it must also be given (RFC 5258 §4)."""
    assert attrs is not None, f"{when}: the mailbox was not listed"
    right, wrong = ("\\haschildren", "\\hasnochildren")[:: 1 if has_children else -1]
    assert wrong not in attrs, f"{when}: LIST shows {wrong} (attributes {sorted(attrs)})"
    if extended:
        assert right in attrs, (
            f"{when}: with RETURN (CHILDREN) the server MUST return {right} (RFC 5258 §4), "
            f"got {sorted(attrs)}"
        )


@pytest.mark.rfc("3348", "3", "MUST")
@pytest.mark.requires("CHILDREN")
@pytest.mark.parametrize("extended", [False, True], ids=["list", "return-children"])
def test_flags_flip_as_child_is_created_and_deleted(imap, box, server_info, extended):
    if extended and not server_info.has("LIST-EXTENDED"):
        pytest.skip("server does not advertise LIST-EXTENDED")
    kid = box + server_info.delimiter + "kid"
    check(attrs_of(imap, box, extended), False, extended, "before a child exists")
    assert imap.command("CREATE", mb(kid)).ok, f"CREATE {kid!r} failed"
    check(attrs_of(imap, box, extended), True, extended, f"after CREATE {kid!r}")
    assert imap.command("DELETE", mb(kid)).ok, f"DELETE {kid!r} failed"
    check(attrs_of(imap, box, extended), False, extended, f"after DELETE {kid!r}")


@pytest.mark.rfc("3348", "3", "MUST")
@pytest.mark.requires("CHILDREN")
def test_flags_flip_when_only_child_is_renamed_away(imap, box, server_info, sandbox):
    kid, moved = box + server_info.delimiter + "kid", sandbox.name("moved-kid")
    imap.command("CREATE", mb(kid))
    check(attrs_of(imap, box, False), True, False, f"with child {kid!r}")
    reply = imap.command("RENAME", mb(kid), mb(moved))
    assert reply.ok, f"RENAME {kid!r} {moved!r} failed: {reply.summary()}"
    check(attrs_of(imap, box, False), False, False, f"after renaming {kid!r} away")
    check(attrs_of(imap, moved, False), False, False, "the renamed child")
    imap.command("DELETE", mb(moved))


@pytest.mark.rfc("3348", "3", "MUST")
@pytest.mark.requires("CHILDREN")
def test_parent_of_grandchild_only_has_children(imap, box, server_info):
    d = server_info.delimiter
    middle = box + d + "middle"
    imap.command("CREATE", mb(middle + d + "leaf"))
    check(attrs_of(imap, box, False), True, False, "a mailbox with a grandchild")
    attrs = attrs_of(imap, middle, False)
    if attrs is not None:
        check(attrs, True, False, "the intermediate name (possibly \\Noselect)")


@pytest.mark.rfc("3348", "3", "MUST")
@pytest.mark.requires("CHILDREN")
def test_never_contradictory_attributes(imap, sandbox, box):
    problems = []
    for pattern in (b"%", mb(sandbox.root + "*")):
        for entry in list_entries(imap.command("LIST", b'""', pattern)):
            if entry.has("\\HasChildren") and entry.has("\\HasNoChildren"):
                problems.append(f"{entry}: both \\HasChildren and \\HasNoChildren")
            if entry.has("\\HasChildren") and entry.has("\\NoInferiors"):
                problems.append(f"{entry}: both \\HasChildren and \\NoInferiors")
    assert not problems, (
        "it is an error to return both \\HasChildren and \\HasNoChildren, or \\HasChildren "
        "with \\NoInferiors (RFC 3348 §3):\n  " + "\n  ".join(problems)
    )
