"""RFC 3501 §6.3.6-§6.3.9, §7.2.2: LIST wildcards and references, SUBSCRIBE, UNSUBSCRIBE, LSUB."""

from __future__ import annotations

import contextlib

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.session import Session
from imapcheck.wire.encode import astring
from imapcheck.wire.tokens import as_text
from imapcheck.wire.utf7 import encode_mailbox

# The tree made once for the module, relative to its top T ("/" stands for the delimiter).
TREE = ["a", "a/x", "a/x/y", "b", "bc", "m/deep"]  # "m" itself is never created


def mb(name: str):
    return astring(encode_mailbox(name))


def entries(session, command: str, ref: str, pattern: str) -> dict[str, tuple[set[str], str]]:
    """LIST/LSUB result as {wire name: (lower-cased attributes, delimiter)}."""
    reply = session.command(command, mb(ref), mb(pattern))
    assert reply.ok, f"{command} {ref!r} {pattern!r} failed: {reply.summary()}"
    out = {}
    for item in reply.of(command):
        attrs, delim, name = item.tokens[0], item.tokens[1], as_text(item.tokens[2])
        out[name] = ({str(a).lower() for a in attrs}, as_text(delim) or "")
    return out


@pytest.fixture(scope="module")
def tree(target, sandbox):
    """T with TREE below it; returns (T, delimiter)."""
    delim = sandbox.info.delimiter
    if not delim:
        pytest.skip("the server has no hierarchy (NIL delimiter)")
    session = Session(target, name="tree", validate=False)
    session.connect()
    session.login()
    top = sandbox.create(session, "list-tree")
    for rel in TREE:
        session.command("CREATE", mb(top + delim + rel.replace("/", delim)))
    yield top, delim
    try:
        sandbox.remove(session, top)
    except (ImapcheckError, OSError):
        pass  # the run's clean-up removes the rest
    finally:
        session.logout()


def rel(top: str, delim: str, names) -> set[str]:
    """Wire names below ``top`` as TREE-style relative paths."""
    prefix = encode_mailbox(top) + delim
    return {n[len(prefix) :].replace(delim, "/") for n in names if n.startswith(prefix)}


# -- LIST ---------------------------------------------------------------------------------------


@pytest.mark.rfc("3501", "6.3.8", "MUST")
def test_list_empty_name_returns_delimiter_and_root(imap):
    reply = imap.command("LIST", b'""', b'""')
    assert reply.ok, f'LIST "" "" must succeed; got {reply.summary()}'
    lines = reply.of("LIST")
    assert len(lines) == 1, f'LIST "" "" returns exactly one LIST response; got {len(lines)}'
    delim = lines[0].tokens[1]
    assert delim is None or (isinstance(delim, bytes | str) and len(delim) == 1), (
        f"'a hierarchy delimiter (or NIL if there is no hierarchy) is returned'; got {delim!r}"
    )
    attrs = {str(a).lower() for a in lines[0].tokens[0]}
    assert "\\noselect" in attrs, "the root name is not a mailbox and must carry \\Noselect (7.2.2)"


@pytest.mark.rfc("3501", "7.2.2", "MUST")
def test_all_names_use_the_same_delimiter(imap, tree):
    top, delim = tree
    found = entries(imap, "LIST", "", f"{top}{delim}*")
    delimiters = {d for _, d in found.values()}
    assert delimiters == {delim}, (
        "'All children of a top-level hierarchy node MUST use the same separator character'; "
        f'LIST "" "" said {delim!r}, the tree used {delimiters}'
    )


# pattern (relative to T) -> (names that must match, names that may also match)
PATTERNS = {
    "%": ({"a", "b", "bc", "m"}, set()),
    "*": ({"a", "a/x", "a/x/y", "b", "bc", "m/deep"}, {"m"}),
    "b%": ({"b", "bc"}, set()),
    "b*": ({"b", "bc"}, set()),
    "%/%": ({"a/x", "m/deep"}, set()),
    "a/%": ({"a/x"}, set()),
    "a/*": ({"a/x", "a/x/y"}, set()),
    "*y": ({"a/x/y"}, set()),
    "%y": (set(), set()),
    "a*x": ({"a/x"}, set()),
    "a": ({"a"}, set()),
    "nomatch%": (set(), set()),
}


@pytest.mark.rfc("3501", "6.3.8", "MUST")
@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_list_wildcards(imap, tree, pattern):
    top, delim = tree
    must, may = PATTERNS[pattern]
    got = rel(top, delim, entries(imap, "LIST", "", f"{top}{delim}{pattern.replace('/', delim)}"))
    assert must <= got <= must | may, (
        "'*' matches zero or more characters, '%' the same but not the hierarchy delimiter, and "
        f"matching levels of hierarchy are returned for a trailing '%': pattern T/{pattern} must "
        f"give {sorted(must)}, the server gave {sorted(got)}"
    )


@pytest.mark.rfc("3501", "6.3.8", "MUST")
def test_list_unselectable_level_has_noselect(imap, tree):
    """'m' exists only as the parent of m/deep: listed by '%', \\Noselect unless selectable."""
    top, delim = tree
    found = entries(imap, "LIST", "", f"{top}{delim}%")
    name = encode_mailbox(f"{top}{delim}m")
    assert name in found, "a trailing '%' must return the matching level of hierarchy 'm'"
    if "\\noselect" not in found[name][0]:
        select = imap.command("EXAMINE", mb(f"{top}{delim}m"))
        assert select.ok, (
            "levels of hierarchy that are 'not also selectable mailboxes ... are returned with "
            "the \\Noselect mailbox name attribute'; 'm' has none but EXAMINE said "
            f"{select.summary()}"
        )


REFERENCES = {  # (reference relative to T, pattern) -> names below T
    ("", "%"): {"a", "b", "bc", "m"},
    ("", "a/*"): {"a/x", "a/x/y"},
    ("a/", "%"): {"a/x"},
}


@pytest.mark.rfc("3501", "6.3.8", "SHOULD")
@pytest.mark.parametrize("case", list(REFERENCES), ids=lambda c: f"ref=T/{c[0]}+{c[1]}")
def test_list_reference_is_prefixed(imap, tree, case):
    top, delim = tree
    ref, pattern = case
    reference = f"{top}{delim}{ref.replace('/', delim)}"
    found = entries(imap, "LIST", reference, pattern.replace("/", delim))
    prefix = encode_mailbox(reference)
    assert all(n.startswith(prefix) for n in found), (
        "'Any part of the reference argument that is included in the interpreted form SHOULD "
        f"prefix the interpreted form'; with reference {prefix!r} LIST returned {sorted(found)}"
    )
    assert rel(top, delim, found) == REFERENCES[case], (
        f"LIST {prefix!r} {pattern!r} must be interpreted as {prefix + pattern!r}; got "
        f"{sorted(found)}"
    )


@pytest.mark.rfc("3501", "6.3.8", "MUST")
def test_list_names_are_valid_references(imap, tree):
    """'The name ... MUST be valid for use as a reference in LIST and LSUB commands.'"""
    top, delim = tree
    name = encode_mailbox(f"{top}{delim}a")
    found = entries(imap, "LIST", name + delim, "*")
    assert rel(top, delim, found) == {"a/x", "a/x/y"}, f"LIST with reference {name!r} failed"


# -- SUBSCRIBE / UNSUBSCRIBE / LSUB -------------------------------------------------------------


@pytest.fixture
def subscribed(imap):
    """Names the test subscribes to; unsubscribed afterwards (subscriptions outlive mailboxes)."""
    names: list[str] = []
    yield names
    if imap.connected:
        for name in names:
            with contextlib.suppress(ImapcheckError, OSError):
                imap.command("UNSUBSCRIBE", mb(name))


def subscribe(session, subscribed: list[str], name: str) -> None:
    subscribed.append(name)
    reply = session.command("SUBSCRIBE", mb(name))
    assert reply.ok, f"SUBSCRIBE {name!r} failed: {reply.summary()}"


@pytest.mark.rfc("3501", "6.3.6", "MUST")
def test_subscribe_adds_name_to_lsub(imap, box, subscribed):
    subscribe(imap, subscribed, box)
    found = entries(imap, "LSUB", "", box)
    assert list(found) == [encode_mailbox(box)], (
        f"LSUB must return the subscribed name; got {found}"
    )


@pytest.mark.rfc("3501", "6.3.6", "MUST")
def test_subscription_persists_across_sessions(imap, connect, box, subscribed):
    subscribe(imap, subscribed, box)
    other = connect()
    assert encode_mailbox(box) in entries(other, "LSUB", "", box), (
        "the subscription is part of the server's set: a new session's LSUB must show it"
    )


@pytest.mark.rfc("3501", "6.3.7", "MUST")
def test_unsubscribe_removes_name_from_lsub(imap, box, subscribed):
    subscribe(imap, subscribed, box)
    reply = imap.command("UNSUBSCRIBE", mb(box))
    assert reply.ok, f"UNSUBSCRIBE of a subscribed name must succeed; got {reply.summary()}"
    assert not entries(imap, "LSUB", "", box), "LSUB still shows the unsubscribed name"


@pytest.mark.rfc("3501", "6.3.9", "MUST")
def test_subscription_survives_delete(imap, connect, box, subscribed):
    subscribe(imap, subscribed, box)
    assert imap.command("DELETE", mb(box)).ok
    found = entries(connect(), "LSUB", "", box)
    assert encode_mailbox(box) in found, (
        "'The server MUST NOT unilaterally remove an existing mailbox name from the subscription "
        f"list even if a mailbox by that name no longer exists'; LSUB returned {found}"
    )


@pytest.mark.rfc("3501", "6.3.9", "MUST")
def test_lsub_percent_returns_unsubscribed_parent_as_noselect(imap, box, subscribed, server_info):
    delim = server_info.delimiter
    leaf = delim.join([box, "parent", "leaf"])
    assert imap.command("CREATE", mb(leaf)).ok
    subscribe(imap, subscribed, leaf)
    found = entries(imap, "LSUB", "", f"{box}{delim}%")
    parent = encode_mailbox(f"{box}{delim}parent")
    assert list(found) == [parent], (
        "with 'foo/bar' subscribed but not 'foo', 'A \"%\" wildcard to LSUB must return foo, not "
        f"foo/bar'; LSUB {box}{delim}% returned {sorted(found)}"
    )
    assert "\\noselect" in found[parent][0], "the unsubscribed parent MUST be flagged \\Noselect"


@pytest.mark.rfc("3501", "6.3.9", "MUST")
@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("*", {"s1", "s1/s2", "s3"}), ("%", {"s1", "s3"}), ("s1/*", {"s1/s2"})],
    ids=["star", "percent", "child-star"],
)
def test_lsub_returns_only_subscribed_names(imap, box, subscribed, server_info, pattern, expected):
    delim = server_info.delimiter
    for rel_name in ("s1", "s1/s2", "s3", "not-subscribed"):
        assert imap.command("CREATE", mb(box + delim + rel_name.replace("/", delim))).ok
    for rel_name in ("s1", "s1/s2", "s3"):
        subscribe(imap, subscribed, box + delim + rel_name.replace("/", delim))
    found = entries(imap, "LSUB", "", f"{box}{delim}{pattern.replace('/', delim)}")
    assert rel(box, delim, found) == expected, (
        f"LSUB returns names 'from the set of names that the user has declared as being "
        f"subscribed', matched like LIST: pattern {pattern!r} must give {sorted(expected)}, got "
        f"{sorted(rel(box, delim, found))}"
    )
