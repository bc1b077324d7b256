"""LIST-EXTENDED (RFC 5258): the examples of §5 replayed on their hierarchy, rebuilt under the
run prefix, and the rules of §3 (options, multiple patterns, \\NonExistent, CHILDINFO)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from helpers_ext import ListEntry, list_entries, mb, setup_session, wire

from imapcheck.errors import ImapcheckError

pytestmark = pytest.mark.requires("LIST-EXTENDED")

# the hierarchy of examples 1, 2, 8 and 9 (Ghost exists only as the parent of Ghost/Child)
EXISTING = [
    "Fruit", "Fruit/Apple", "Fruit/Banana", "Tofu", "Vegetable", "Vegetable/Broccoli",
    "Vegetable/Corn", "Foo", "Foo/Bar", "Foo/Baz", "Moo", "Ghost/Child", "foo2", "foo2/bar1",
    "foo2/bar2", "baz2", "baz2/bar2", "eps2", "eps2/mamba",
]  # fmt: skip
SUBSCRIBED = [
    "Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli", "Foo/Baz", "Ghost/Child",
    "foo2/bar1", "foo2/bar2", "baz2/bar2", "eps2", "eps2/mamba",
]  # fmt: skip
DELETED = "Fruit/Peach"  # subscribed, then deleted: \NonExistent
RELEVANT = frozenset({"\\subscribed", "\\nonexistent", "\\haschildren", "\\hasnochildren"})


@dataclass(frozen=True)
class Tree:
    root: str
    delimiter: str

    def name(self, rel: str) -> str:
        return self.root + self.delimiter + rel.replace("/", self.delimiter)

    def rel(self, name: str) -> str:
        return name[len(self.root) + 1 :].replace(self.delimiter, "/")

    def pattern(self, rel: str) -> bytes:
        return wire(self.name(rel))


@pytest.fixture(scope="module")
def tree(target, sandbox, server_info) -> Iterator[Tree]:
    with setup_session(target, "setup-listext") as session:
        made = Tree(sandbox.name("listext"), server_info.delimiter)
        for rel in [*EXISTING, DELETED]:
            reply = session.command("CREATE", mb(made.name(rel)))
            if not reply.ok:
                raise ImapcheckError(f"set-up CREATE {rel!r} failed: {reply.summary()}")
        for rel in SUBSCRIBED:
            session.command("SUBSCRIBE", mb(made.name(rel)))
        session.command("DELETE", mb(made.name(DELETED)))
    yield made
    with setup_session(target, "teardown-listext") as session:
        for rel in SUBSCRIBED:
            session.command("UNSUBSCRIBE", mb(made.name(rel)))
        sandbox.remove(session, made.root)


@dataclass(frozen=True)
class Want:
    """What one LIST response must show: ``attrs`` exactly (of RELEVANT), CHILDINFO or not."""

    attrs: frozenset[str] = frozenset()
    childinfo: bool = False
    loose: bool = False  # Ghost: \HasChildren/CHILDINFO as given, \NonExistent or \Noselect


def want(*attrs: str, childinfo: bool = False, loose: bool = False) -> Want:
    return Want(frozenset(a.lower() for a in attrs), childinfo, loose)


def run(imap, tree: Tree, *words: bytes) -> list[ListEntry]:
    reply = imap.command("LIST", *words)
    assert reply.ok, f"LIST {b' '.join(words).decode()} failed: {reply.summary()}"
    return [e for e in list_entries(reply) if e.name.startswith(tree.root + tree.delimiter)]


def compare(tree: Tree, entries: list[ListEntry], wanted: dict[str, Want], optional=()) -> list:
    problems, seen = [], set()
    for entry in entries:
        rel = tree.rel(entry.name)
        if rel in seen:
            problems.append(f"{rel}: more than one LIST response (§3.3 principle 1)")
        seen.add(rel)
        if rel not in wanted:
            if rel not in optional:
                problems.append(f"{rel}: not expected, got {entry}")
            continue
        spec = wanted[rel]
        got = entry.attrs & RELEVANT
        if spec.loose:
            gone = entry.has("\\NonExistent") or entry.has("\\Noselect")
            if not (spec.attrs <= got and gone):
                problems.append(f"{rel}: needs {sorted(spec.attrs)} and \\NonExistent, got {entry}")
        elif got != spec.attrs:
            problems.append(f"{rel}: attributes {sorted(got)}, expected {sorted(spec.attrs)}")
        if spec.childinfo and entry.childinfo != {"SUBSCRIBED"}:
            problems.append(f'{rel}: needs CHILDINFO ("SUBSCRIBED"), got {entry.extended}')
        if not spec.childinfo and entry.childinfo is not None:
            problems.append(f"{rel}: CHILDINFO not expected, got {entry.extended}")
    problems += [f"{rel}: missing" for rel in wanted if rel not in seen and not wanted[rel].loose]
    return problems


def explain(command: str, section: str, problems: list[str]) -> str:
    return f"{command} (RFC 5258 {section}) differs from the example:\n  " + "\n  ".join(problems)


SUBSCRIBED_WANT = {rel: want("\\Subscribed") for rel in SUBSCRIBED}
SUBSCRIBED_WANT[DELETED] = want("\\Subscribed", "\\NonExistent")
TOP_CHILDREN = {
    "Fruit": want("\\HasChildren"),
    "Tofu": want("\\HasNoChildren"),
    "Vegetable": want("\\HasChildren"),
    "Foo": want("\\HasChildren"),
    "Moo": want("\\HasNoChildren"),
    "foo2": want("\\HasChildren"),
    "baz2": want("\\HasChildren"),
    "eps2": want("\\HasChildren"),
    "Ghost": want("\\HasChildren", loose=True),
}


@pytest.mark.rfc("5258", "3.1", "MUST")
def test_example2_subscribed_selection(imap, tree):
    entries = run(imap, tree, b"(SUBSCRIBED)", b'""', tree.pattern("*"))
    problems = compare(tree, entries, SUBSCRIBED_WANT)
    assert not problems, explain(
        "LIST (SUBSCRIBED) lists exactly the subscribed names", "3.1", problems
    )


@pytest.mark.rfc("5258", "3.5", "MUST")
def test_subscribed_selection_is_not_lsub(imap, tree):
    entries = run(imap, tree, b"(SUBSCRIBED)", b'""', tree.pattern("%"))
    wanted = {"Vegetable": want("\\Subscribed"), "eps2": want("\\Subscribed")}
    problems = compare(tree, entries, wanted)
    assert not problems, explain(
        "LIST (SUBSCRIBED) must not list unsubscribed parents of subscribed names as LSUB does "
        "with \\Noselect", "3.5", problems
    )  # fmt: skip


@pytest.mark.rfc("5258", "4", "MUST")
def test_example3_children_return_option(imap, tree):
    entries = run(imap, tree, b"()", b'""', tree.pattern("%"), b"RETURN", b"(CHILDREN)")
    problems = compare(tree, entries, TOP_CHILDREN)
    assert not problems, explain("LIST () RETURN (CHILDREN)", "4", problems)


@pytest.mark.rfc("5258", "3.1", "MUST")
def test_example4_remote_adds_only_remote_mailboxes(imap, tree):
    entries = run(imap, tree, b"(REMOTE)", b'""', tree.pattern("%"), b"RETURN", b"(CHILDREN)")
    remote = [e for e in entries if e.has("\\Remote")]
    problems = compare(tree, [e for e in entries if not e.has("\\Remote")], TOP_CHILDREN)
    assert not problems and not remote, (
        explain(
            "LIST (REMOTE) applies the other options to local mailboxes as well", "3.1", problems
        )
        + f"\n  remote: {[str(e) for e in remote]}"
    )


@pytest.mark.rfc("5258", "3.1", "MUST")
def test_example5_remote_subscribed(imap, tree):
    entries = run(imap, tree, b"(REMOTE SUBSCRIBED)", b'""', tree.pattern("*"))
    problems = compare(tree, [e for e in entries if not e.has("\\Remote")], SUBSCRIBED_WANT)
    assert not problems, explain("LIST (REMOTE SUBSCRIBED)", "3.1", problems)


@pytest.mark.rfc("5258", "3.2", "MUST")
def test_example6_subscribed_return_option(imap, tree):
    entries = run(imap, tree, b"(REMOTE)", b'""', tree.pattern("*"), b"RETURN", b"(SUBSCRIBED)")
    wanted = {rel: want(*(["\\Subscribed"] if rel in SUBSCRIBED else [])) for rel in EXISTING}
    problems = compare(tree, entries, wanted, optional={"Ghost"})
    assert not problems, explain(
        "LIST RETURN (SUBSCRIBED) lists the existing mailboxes (not the deleted Fruit/Peach) with "
        "an accurate \\Subscribed", "3.2", problems
    )  # fmt: skip


@pytest.mark.rfc("5258", "3", "MUST")
def test_example7_multiple_patterns(imap, tree):
    patterns = b"(" + tree.pattern("Tofu") + b" " + tree.pattern("Fruit/%") + b")"
    entries = run(imap, tree, b'""', patterns)
    problems = compare(
        tree, entries, {rel: want() for rel in ("Tofu", "Fruit/Apple", "Fruit/Banana")}
    )
    assert not problems, explain("a name matches a pattern list if it matches one", "3", problems)


@pytest.mark.rfc("5258", "3", "SHOULD")
def test_name_matching_two_patterns_listed_once(imap, tree):
    patterns = b"(" + tree.pattern("Tofu") + b" " + tree.pattern("T*") + b")"
    names = [tree.rel(e.name) for e in run(imap, tree, b'""', patterns)]
    assert names == ["Tofu"], (
        "if a mailbox name matches multiple patterns, the server SHOULD return only a single "
        f"LIST response (§3); got {names}"
    )


@pytest.mark.rfc("5258", "3.5", "MUST")
def test_example8_recursivematch_childinfo(imap, tree):
    entries = run(imap, tree, b"(SUBSCRIBED RECURSIVEMATCH)", b'""', tree.pattern("%"))
    wanted = {
        "Fruit": want(childinfo=True),
        "Vegetable": want("\\Subscribed", childinfo=True),
        "Foo": want(childinfo=True),
        "foo2": want(childinfo=True),
        "baz2": want(childinfo=True),
        "eps2": want("\\Subscribed", childinfo=True),
        "Ghost": want(childinfo=True, loose=True),
    }
    problems = compare(tree, entries, wanted)
    assert not problems, explain(
        "LIST (SUBSCRIBED RECURSIVEMATCH) returns parents of subscribed names with CHILDINFO",
        "3.5", problems,
    )  # fmt: skip


@pytest.mark.rfc("5258", "3.5", "MUST")
def test_example9_childinfo_for_children_outside_pattern(imap, tree):
    entries = run(imap, tree, b"(RECURSIVEMATCH SUBSCRIBED)", b'""', tree.pattern("*2"))
    wanted = {
        "foo2": want(childinfo=True),
        "foo2/bar2": want("\\Subscribed"),
        "baz2/bar2": want("\\Subscribed"),
        "eps2": want("\\Subscribed", childinfo=True),
    }
    problems = compare(tree, entries, wanted, optional={"baz2"})
    assert not problems, explain('LIST (RECURSIVEMATCH SUBSCRIBED) "" *2', "3.5", problems)


@pytest.mark.rfc("5258", "3.5", "SHOULD")
def test_redundant_childinfo_suppressed(imap, tree):
    entries = run(imap, tree, b"(RECURSIVEMATCH SUBSCRIBED)", b'""', tree.pattern("*2"))
    baz2 = [str(e) for e in entries if tree.rel(e.name) == "baz2"]
    assert not baz2, (
        "servers SHOULD ONLY return a non-matching name with CHILDINFO if at least one matching "
        f"child is not also returned (§3.5); baz2's only subscribed child is listed, got {baz2}"
    )


@pytest.mark.rfc("5258", "3.1", "MUST")
@pytest.mark.parametrize("options", [b"(RECURSIVEMATCH)", b"(REMOTE RECURSIVEMATCH)"])
def test_recursivematch_alone_is_bad(imap, tree, options):
    reply = imap.command("LIST", options, b'""', tree.pattern("%"))
    assert reply.status == "BAD", (
        "RECURSIVEMATCH MUST NOT occur as the only selection option (or only with REMOTE); the "
        f"server MUST return BAD (§3.1), got {reply.summary()}"
    )


@pytest.mark.rfc("5258", "3", "MUST")
@pytest.mark.parametrize("where", ["selection", "return"])
def test_unknown_option_is_bad(imap, tree, where):
    option = b"(X-IMAPCHECK-UNKNOWN)"
    words = [option, b'""', tree.pattern("%")] if where == "selection" else [
        b'""', tree.pattern("%"), b"RETURN", option
    ]  # fmt: skip
    reply = imap.command("LIST", *words)
    assert reply.status == "BAD", (
        f"a server MUST respond to options it does not recognize with BAD (§3); an unknown "
        f"{where} option got {reply.summary()}"
    )


@pytest.mark.rfc("5258", "3", "MUST")
def test_repeated_option_acts_once(imap, tree):
    once = run(imap, tree, b"(SUBSCRIBED)", b'""', tree.pattern("*"))
    twice = run(imap, tree, b"(SUBSCRIBED SUBSCRIBED)", b'""', tree.pattern("*"))
    assert sorted(map(str, twice)) == sorted(map(str, once)), (
        "the server MUST act as if it received a repeated option only once (§3):\n  once: "
        f"{sorted(map(str, once))}\n  twice: {sorted(map(str, twice))}"
    )


@pytest.mark.rfc("5258", "3", "MUST")
def test_extended_list_empty_name_is_not_special(imap, tree):
    reply = imap.command("LIST", b"()", b'""', b'""')
    assert reply.ok and not reply.of("LIST"), (
        "an extended LIST MUST NOT treat the empty mailbox name as the request for the "
        f'delimiter (§3); LIST () "" "" gave {[str(u) for u in reply.of("LIST")]}'
    )
    entries = run(imap, tree, b'""', b'("" ' + tree.pattern("Tofu") + b")")
    assert [tree.rel(e.name) for e in entries] == ["Tofu"], (
        "an empty string among several patterns MUST be ignored for matching (§3), got "
        f"{[str(e) for e in entries]}"
    )


@pytest.mark.rfc("5258", "3.5", "MUST")
def test_no_childinfo_without_recursivematch(imap, tree):
    entries = run(imap, tree, b"(SUBSCRIBED)", b'""', tree.pattern("*"), b"RETURN", b"(CHILDREN)")
    with_info = [str(e) for e in entries if e.childinfo is not None]
    assert not with_info, (
        "CHILDINFO MUST NOT be returned unless the client specified RECURSIVEMATCH (§3.5), got "
        f"{with_info}"
    )


@pytest.mark.rfc("5258", "3", "MUST")
def test_no_extended_data_for_basic_list(imap, tree):
    reply = imap.command("LIST", b'""', tree.pattern("*"))
    extended = [str(u) for u in reply.of("LIST") if len(u.tokens) > 3]
    assert not extended, (
        "the server MUST NOT return extended data items unless the client used an extended "
        f"LIST command (§3); a basic LIST got {extended}"
    )
