"""Syntax robustness of the server (RFC 3501 §4, §9): literals, quoting, atoms, NIL, case."""

from __future__ import annotations

import pytest
from helpers_fetch import (
    SYNTAX_SPECS,
    exists,
    fetch_items,
    item,
    listed_names,
    lit,
    opened,
    search_result,
    send_pieces,
    syntax_box,
)

from imapcheck.wire.encode import Literal
from imapcheck.wire.utf7 import encode_mailbox

__all__ = ["syntax_box"]  # the module-scoped fixture

# -- literals in every astring position -----------------------------------------------------


@pytest.mark.rfc("3501", "4.3", "MUST")
def test_login_with_two_literals_gets_two_continuations(connect, target):
    session = connect(login=False)
    account = target.user
    session.transcript.add_secret(account.password)
    reply = session.command(
        "LOGIN", Literal(account.user.encode()), Literal(account.password.encode())
    )
    assert reply.ok, f"LOGIN with both arguments as literals must succeed: {reply.summary()}"
    assert len(reply.continuations) == 2, (
        "the server must send a command continuation request ('+') before each literal; "
        f"got {len(reply.continuations)}"
    )
    assert session.command("SELECT", b"INBOX").ok, "the session is authenticated afterwards"


@pytest.mark.rfc("3501", "6.3.1", "MUST")
@pytest.mark.parametrize("verb", ["SELECT", "EXAMINE"])
def test_select_mailbox_as_literal(connect, syntax_box, verb):
    session = connect()
    reply = session.command(verb, lit(syntax_box.name))
    assert reply.ok and exists(reply) == len(SYNTAX_SPECS), (
        f"{verb} with the mailbox name as a literal must open it ({len(SYNTAX_SPECS)} EXISTS); "
        f"server: {reply.summary()}, EXISTS {exists(reply)}"
    )


@pytest.mark.rfc("3501", "6.3.3", "MUST")
def test_create_mailbox_as_literal(connect, sandbox):
    session = connect()
    name = sandbox.name("literal-create")
    reply = session.command("CREATE", lit(name))
    assert reply.ok, f"CREATE with a literal name must succeed: {reply.summary()}"
    found = listed_names(session.command("LIST", b'""', lit(name)))
    assert found == [name], f"LIST must then show {name!r}; got {found}"


@pytest.mark.rfc("3501", "6.3.8", "MUST")
def test_list_reference_and_pattern_as_literals(connect, sandbox, syntax_box):
    session = connect()
    delimiter = sandbox.info.delimiter
    parent, _, leaf = syntax_box.name.rpartition(delimiter)
    reply = session.command("LIST", lit(parent + delimiter), lit(leaf))
    assert reply.ok and listed_names(reply) == [syntax_box.name], (
        f"LIST {{reference}} {{pattern}} as literals must list {syntax_box.name!r}; "
        f"server: {reply.summary()}, {listed_names(reply)}"
    )


@pytest.mark.rfc("3501", "6.3.10", "MUST")
def test_status_mailbox_as_literal(connect, syntax_box):
    session = connect()
    reply = session.command("STATUS", lit(syntax_box.name), b"(MESSAGES)")
    counts = [u.items.get("MESSAGES") for u in reply.of("STATUS")]
    assert reply.ok and counts == [str(len(SYNTAX_SPECS))], (
        f"STATUS {{literal}} (MESSAGES) must report {len(SYNTAX_SPECS)}; "
        f"server: {reply.summary()}, {counts}"
    )


@pytest.mark.rfc("3501", "6.3.11", "MUST")
def test_append_mailbox_and_message_as_literals(connect, mailbox):
    session = connect()
    message = b"Subject: appended\r\n\r\nbody\r\n"
    reply = session.command("APPEND", lit(mailbox), Literal(message))
    assert reply.ok and len(reply.continuations) == 2, (
        "APPEND {mailbox} {message} must be accepted, with a continuation for each literal; "
        f"server: {reply.summary()}, {len(reply.continuations)} continuation(s)"
    )
    session.select(encode_mailbox(mailbox), readonly=True)
    size = fetch_items(session.command("FETCH", b"1", b"(RFC822.SIZE)"), 1).get("RFC822.SIZE")
    assert size == str(len(message)), f"the appended message must be {len(message)} octets: {size}"


@pytest.mark.rfc("3501", "6.3.6", "MUST")
def test_subscribe_and_lsub_with_literals(connect, syntax_box):
    session = connect()
    subscribed = session.command("SUBSCRIBE", lit(syntax_box.name))
    found = listed_names(session.command("LSUB", Literal(b""), lit(syntax_box.name)))
    session.command("UNSUBSCRIBE", lit(syntax_box.name))
    assert subscribed.ok and found == [syntax_box.name], (
        f"SUBSCRIBE {{literal}} then LSUB {{literal}} {{literal}} must list {syntax_box.name!r}; "
        f"server: {subscribed.summary()}, {found}"
    )


@pytest.mark.rfc("3501", "6.4.4", "MUST")
def test_search_header_name_and_value_as_literals(connect, syntax_box):
    session = opened(connect, syntax_box)
    reply = session.command("SEARCH", b"HEADER", Literal(b"X-Tag"), Literal(b"q"))
    assert reply.ok and search_result(reply) == [1], (
        f"SEARCH HEADER {{X-Tag}} {{q}} must match message 1; "
        f"server: {reply.summary()}, {search_result(reply)}"
    )


@pytest.mark.rfc("3501", "4.3", "MUST")
def test_zero_length_literal_is_the_empty_string(connect, syntax_box):
    """{0} is the empty string; HEADER X-Tag "" matches every message with that header."""
    session = opened(connect, syntax_box)
    reply = session.command("SEARCH", b"HEADER", b"X-Tag", Literal(b""))
    assert reply.ok and len(reply.continuations) == 1, (
        f"a {{0}} literal still needs a continuation and is valid: {reply.summary()}"
    )
    assert set(search_result(reply)) == {1, 3}, (
        f"HEADER X-Tag {{0}} must match the messages with an X-Tag header [1, 3]; "
        f"got {search_result(reply)}"
    )


@pytest.mark.rfc("3501", "6.4.5", "MUST")
def test_fetch_header_field_name_as_literal(connect, syntax_box):
    """header-fld-name is an astring (§9), so a literal may name the field."""
    session = opened(connect, syntax_box)
    tag = session.next_tag().encode()
    reply = send_pieces(
        session, [tag + b" FETCH 2 (BODY.PEEK[HEADER.FIELDS ({7}\r\n", b"Subject)])\r\n"]
    )
    items = fetch_items(reply, 2)
    assert reply.ok and len(reply.continuations) == 1, (
        f"FETCH with a literal header field name must succeed: {reply.summary()}"
    )
    value = item(items, "BODY[HEADER.FIELDS (SUBJECT)]")
    assert value == b"Subject: C:\\temp\\new\r\n\r\n", (
        "BODY[HEADER.FIELDS ({7}Subject)] must return the Subject line and the blank line; "
        f"got {items}"
    )
