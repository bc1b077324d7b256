"""Syntax robustness (RFC 3501 §4, §5.5, §9): quoting, atoms, NIL, pipelining, long lines, case."""

from __future__ import annotations

import pytest
from helpers_fetch import (
    SYNTAX_SPECS,
    append,
    exists,
    fetch_items,
    flag_set,
    item,
    listed_names,
    lit,
    opened,
    search_result,
    syntax_box,
)

from imapcheck.wire.encode import Literal, quoted
from imapcheck.wire.utf7 import encode_mailbox

__all__ = ["syntax_box"]  # the module-scoped fixture
UNSEEN = (2, 3, 4)  # message 1 of SYNTAX_SPECS is \Seen


# -- quoted strings with escapes ------------------------------------------------------------


@pytest.mark.rfc("3501", "9", "MUST")
def test_quoted_mailbox_name_with_escaped_quote_and_backslash(connect, sandbox):
    session = connect()
    name = sandbox.name("quote") + '-say"hi"-C:\\x'
    reply = session.command("CREATE", quoted(encode_mailbox(name)))
    assert reply.status != "BAD", (
        f'a quoted string with \\" and \\\\ escapes is valid syntax (§9 QUOTED-CHAR); '
        f"CREATE got {reply.summary()}"
    )
    if reply.status == "NO":
        pytest.skip(f"the server does not allow this mailbox name: {reply.summary()}")
    found = listed_names(session.command("LIST", b'""', lit(name)))
    assert found == [name], f"LIST must return the name unescaped, {name!r}; got {found}"
    selected = session.command("SELECT", quoted(encode_mailbox(name)))
    assert selected.ok and exists(selected) == 0, (
        f"SELECT of the quoted name must open the new mailbox: {selected.summary()}"
    )


QUOTED_SEARCHES = [
    (rb'"say \"hi\""', [1], "an escaped double quote"),
    (rb'"\"hi\" there"', [1], "an escaped quote at the start"),
    (rb'"C:\\temp\\"', [2], "escaped backslashes"),
    (rb'"\\"', [2], "a lone escaped backslash"),
]


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize(
    ("argument", "want", "meaning"), QUOTED_SEARCHES, ids=[c[2] for c in QUOTED_SEARCHES]
)
def test_search_quoted_string_with_escapes(connect, syntax_box, argument, want, meaning):
    session = opened(connect, syntax_box)
    reply = session.command("SEARCH", b"SUBJECT", argument)
    assert reply.ok and search_result(reply) == want, (
        f"SEARCH SUBJECT {argument.decode()} ({meaning}) must match {want}; "
        f"server: {reply.summary()}, {search_result(reply)}"
    )


# -- atoms with every allowed special -------------------------------------------------------

KEYWORD = "k!#$&'+,-./:;<=>?@[^_`|}~"  # every ATOM-CHAR that is not alphanumeric


@pytest.mark.rfc("3501", "9", "MUST")
def test_keyword_atom_with_every_allowed_special(connect, mailbox):
    """flag-keyword = atom; ATOM-CHAR is any CHAR except atom-specials (§9)."""
    session = connect()
    append(session, mailbox, SYNTAX_SPECS[1])
    session.select(encode_mailbox(mailbox))
    stored = session.command("STORE", b"1", b"+FLAGS.SILENT", f"({KEYWORD})".encode())
    assert stored.ok, f"STORE +FLAGS ({KEYWORD}) is valid syntax; server said {stored.summary()}"
    flags = flag_set(fetch_items(session.command("FETCH", b"1", b"(FLAGS)"), 1).get("FLAGS"))
    assert KEYWORD.lower() in flags, f"FLAGS must then include {KEYWORD}; got {sorted(flags)}"
    found = session.command("SEARCH", b"KEYWORD", KEYWORD.encode())
    assert search_result(found) == [1], (
        f"SEARCH KEYWORD {KEYWORD} must find message 1; got {found.summary()} "
        f"{search_result(found)}"
    )


@pytest.mark.rfc("3501", "9", "MUST")
def test_mailbox_name_atom_with_specials(connect, sandbox):
    """A mailbox is an astring: an atom may hold specials, and ']' too (ASTRING-CHAR)."""
    session = connect()
    name = sandbox.name("atom") + "!#$&'+,-:;<=>?@[]^_`|}~"
    wire = encode_mailbox(name).encode()
    reply = session.command("CREATE", wire)
    assert reply.status != "BAD", f"CREATE {wire!r} is valid syntax; server said {reply.summary()}"
    if reply.status == "NO":
        pytest.skip(f"the server does not allow this mailbox name: {reply.summary()}")
    found = listed_names(session.command("LIST", b'""', wire))
    assert found == [name], f"LIST {wire!r} must return {name!r}; got {found}"
    selected = session.command("SELECT", wire)
    assert selected.ok, f"SELECT {wire!r} must open the mailbox: {selected.summary()}"


# -- NIL is a string where a string is expected ---------------------------------------------

NIL_FORMS = {"atom": b"NIL", "quoted": b'"NIL"', "literal": Literal(b"NIL")}


@pytest.mark.rfc("3501", "4.5", "MUST")
@pytest.mark.parametrize("form", list(NIL_FORMS))
def test_search_nil_is_the_string_nil(connect, syntax_box, form):
    """SUBJECT takes an astring: NIL as an atom is the three letters, not "nothing"."""
    session = opened(connect, syntax_box)
    reply = session.command("SEARCH", b"SUBJECT", NIL_FORMS[form])
    assert reply.ok and search_result(reply) == [3], (
        f"SEARCH SUBJECT NIL ({form}) must match message 3, whose subject is 'NIL'; "
        f"server: {reply.summary()}, {search_result(reply)}"
    )


@pytest.mark.rfc("3501", "4.5", "MUST")
@pytest.mark.parametrize("form", list(NIL_FORMS))
def test_mailbox_named_nil(connect, sandbox, form):
    """'a mailbox name of "NIL" is a mailbox named NIL' (§4.5): LIST <parent>/ NIL finds it."""
    session = connect()
    parent = sandbox.name(f"nil-{form}")
    child = parent + sandbox.info.delimiter + "NIL"
    assert session.command("CREATE", lit(child)).ok, "set-up: CREATE <parent>/NIL"
    reply = session.command("LIST", lit(parent + sandbox.info.delimiter), NIL_FORMS[form])
    assert reply.ok and listed_names(reply) == [child], (
        f"LIST <parent>/ NIL ({form}) must list the mailbox named NIL; "
        f"server: {reply.summary()}, {listed_names(reply)}"
    )


@pytest.mark.rfc("3501", "4.5", "MUST")
def test_envelope_subject_nil_string_versus_absent(connect, syntax_box):
    """Subject 'NIL' is sent as a string; a missing Subject is NIL (§4.5, §7.4.2)."""
    session = opened(connect, syntax_box)
    reply = session.command("FETCH", b"3:4", b"(ENVELOPE)")
    subjects = {
        seq: env[1] if isinstance(env, list) and len(env) > 1 else "?"
        for seq, env in ((s, fetch_items(reply, s).get("ENVELOPE")) for s in (3, 4))
    }
    assert subjects[3] == b"NIL", (
        f'the envelope subject of "Subject: NIL" must be the string "NIL", not NIL; '
        f"got {subjects[3]!r}"
    )
    assert subjects[4] is None, (
        f"a message without Subject must have NIL as envelope subject; got {subjects[4]!r}"
    )


# -- pipelining -----------------------------------------------------------------------------


def pooled(replies) -> tuple[dict[int, dict], list[int]]:
    """FETCH data and SEARCH numbers of pipelined replies taken together: a server may answer
    in any order, so untagged data may arrive before another command's completion (§5.5)."""
    fetched: dict[int, dict] = {}
    for reply in replies:
        for seq, items in reply.fetches().items():
            fetched.setdefault(seq, {}).update(items)
    return fetched, [n for reply in replies for n in search_result(reply)]


@pytest.mark.rfc("3501", "5.5", "MAY")
def test_pipelined_fetch_search_noop(connect, syntax_box):
    session = opened(connect, syntax_box)
    tags = [
        session.send("FETCH", b"2", b"(UID RFC822.SIZE)"),
        session.send("SEARCH", b"SUBJECT", b"NIL"),
        session.send("NOOP"),
    ]
    replies = session.wait_all(tags)
    assert all(r.ok for r in replies), (
        f"each pipelined command must complete OK: {[r.summary() for r in replies]}"
    )
    fetched, found = pooled(replies)
    want = {"UID": str(syntax_box.uid(2)), "RFC822.SIZE": str(len(SYNTAX_SPECS[1].raw))}
    assert fetched == {2: want}, f"the pipelined FETCH 2 must return {want}; got {fetched}"
    assert found == [3], f"the pipelined SEARCH SUBJECT NIL must return [3]; got {found}"


@pytest.mark.rfc("3501", "7.1.3", "MUST")
def test_pipelined_bad_command_does_not_disturb_neighbours(connect, syntax_box):
    session = opened(connect, syntax_box)
    tags = [
        session.send("FETCH", b"1", b"(UID)"),
        session.send("FROBNICATE", b"1"),
        session.send("SEARCH", b"UNSEEN"),
    ]
    first, bad, last = replies = session.wait_all(tags)
    assert bad.status == "BAD", f"an unknown command must be BAD: {bad.summary()}"
    assert first.ok and last.ok, f"its neighbours must succeed: {first.summary()}, {last.summary()}"
    fetched, found = pooled(replies)
    assert fetched == {1: {"UID": str(syntax_box.uid(1))}}, (
        f"the FETCH before it must be answered normally; got FETCH data {fetched}"
    )
    assert sorted(found) == list(UNSEEN), f"the SEARCH after it must return {UNSEEN}: {found}"


# -- long command lines ---------------------------------------------------------------------


@pytest.mark.rfc("2683", "3.2.1.5", "SHOULD")
@pytest.mark.parametrize("length", [4000, 7900])
def test_long_sequence_set_is_accepted(connect, syntax_box, length):
    """'a server should allow for a command line of at least 8000 octets' (RFC 2683)."""
    session = opened(connect, syntax_box)
    numbers = ",".join(str(n % 3 + 2) for n in range(length // 2))[: length - 40].rstrip(",")
    reply = session.command("FETCH", numbers.encode(), b"(UID)")
    assert reply.ok, f"FETCH with a {len(numbers)}-octet sequence set: {reply.summary()}"
    got = {seq: items.get("UID") for seq, items in reply.fetches().items()}
    want = {seq: str(syntax_box.uid(seq)) for seq in (2, 3, 4)}
    assert got == want, f"the long set names messages 2-4 only; got FETCH data for {got}"


@pytest.mark.rfc("2683", "3.2.1.5", "SHOULD")
def test_long_uid_search_set(connect, syntax_box):
    session = opened(connect, syntax_box)
    uid = syntax_box.uid(3)
    spread = ",".join(str(uid + 1000 + n) for n in range(900))  # about 4,500 octets
    reply = session.command("UID SEARCH", b"UID", f"{spread},{uid}".encode())
    assert reply.ok and search_result(reply) == [uid], (
        f"UID SEARCH UID <long set> must return only the existing UID {uid}; "
        f"server: {reply.summary()}, {search_result(reply)}"
    )


# -- case-insensitive command names and keywords --------------------------------------------


def _case_checks(box):
    size2 = str(len(SYNTAX_SPECS[1].raw))
    return {
        "fetch": (
            ("fetch", b"2", b"(uid)"),
            lambda r: fetch_items(r, 2).get("UID") == str(box.uid(2)),
        ),
        "FeTcH": (
            ("FeTcH", b"2", b"(Rfc822.Size)"),
            lambda r: fetch_items(r, 2).get("RFC822.SIZE") == size2,
        ),
        "uid-fetch": (
            ("uid fetch", str(box.uid(3)).encode(), b"(flags)"),
            lambda r: fetch_items(r, 3).get("UID") == str(box.uid(3)),
        ),
        "search": (("search", b"subject", b"nil"), lambda r: search_result(r) == [3]),
        "uid-search": (
            ("Uid Search", b"unseen"),
            lambda r: set(search_result(r)) == {box.uid(n) for n in UNSEEN},
        ),
        "body-peek": (
            ("fetch", b"2", b"body.peek[header.fields (subject)]"),
            lambda r: (
                item(fetch_items(r, 2), "BODY[HEADER.FIELDS (SUBJECT)]")
                == b"Subject: C:\\temp\\new\r\n\r\n"
            ),
        ),
        "noop": (("nOoP",), lambda r: True),
    }


CASE_IDS = ["fetch", "FeTcH", "uid-fetch", "search", "uid-search", "body-peek", "noop"]


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize("ident", CASE_IDS)
def test_command_names_are_case_insensitive(connect, syntax_box, ident):
    session = connect()
    session.command("examine", lit(syntax_box.name))
    assert session.state == "selected", "lower-case 'examine' must open the mailbox"
    (name, *args), check = _case_checks(syntax_box)[ident]
    reply = session.command(name, *args)
    assert reply.ok and check(reply), (
        f"'{name} {b' '.join(args).decode()}' must work like upper case (§9 note 1: "
        f"implementations MUST accept keywords case-insensitively); server: {reply.summary()}, "
        f"{[str(u) for u in reply.untagged]}"
    )
