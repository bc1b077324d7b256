"""RFC 3501 §7.1 (greeting and status responses) and §2.2 (tags, command names)."""

from __future__ import annotations

import pytest

from imapcheck.session import Session


@pytest.mark.rfc("3501", "7.1", "MUST")
def test_greeting_is_ok_preauth_or_bye(connect):
    session = connect(login=False, tls="plain")
    assert session.greeting is not None
    assert session.greeting.kind in ("OK", "PREAUTH", "BYE"), (
        f"the greeting must be untagged OK, PREAUTH or BYE (§7.1); got {session.greeting}"
    )


@pytest.mark.rfc("3501", "7.1", "MUST")
def test_greeting_capability_code_matches_command(connect):
    """A CAPABILITY code in the greeting lists IMAP4rev1, as the CAPABILITY command does."""
    session = connect(login=False, tls="plain")
    assert session.greeting is not None
    code = session.greeting.code
    if code is None or code.name != "CAPABILITY":
        pytest.skip("the greeting carries no CAPABILITY response code")
    from_greeting = {str(w).upper() for w in code.args}
    assert "IMAP4REV1" in from_greeting, f"greeting capabilities lack IMAP4rev1: {from_greeting}"
    from_command = session.capability()
    assert from_greeting == from_command, (
        "capabilities in the greeting differ from the CAPABILITY command in the same state: "
        f"greeting-only {sorted(from_greeting - from_command)}, "
        f"command-only {sorted(from_command - from_greeting)}"
    )


@pytest.mark.rfc("3501", "7.1.3", "MUST")
@pytest.mark.parametrize("line", [b"FROBNICATE", b"XYZZY 1 2 3", b"SELECTX INBOX"])
def test_unknown_command_is_tagged_bad(connect, line):
    session = connect()
    name, *args = line.split(b" ")
    reply = session.command(name.decode(), *args)
    assert reply.status == "BAD", (
        f"an unknown command must be rejected with BAD and its tag; server said {reply.summary()}"
    )
    assert session.command("NOOP").ok, "the connection must stay usable after BAD"


@pytest.mark.rfc("3501", "7.1.3", "MUST")
def test_tag_without_command_is_bad(imap: Session):
    imap.send_raw(b"notag.1\r\n", expect_tag="notag.1")
    reply = imap.wait("notag.1")
    assert reply.status == "BAD", f"a tag with no command must be BAD; got {reply.summary()}"


@pytest.mark.rfc("3501", "7.1.3", "MUST")
@pytest.mark.parametrize(
    "raw",
    [
        b"+bad NOOP\r\n",
        b"a(b NOOP\r\n",
        b"a*b NOOP\r\n",
        b"a%b NOOP\r\n",
        b"a{b NOOP\r\n",
        b'a"b NOOP\r\n',
        b"a\\b NOOP\r\n",
    ],
    ids=[
        "plus-tag",
        "paren-tag",
        "star-tag",
        "percent-tag",
        "brace-tag",
        "quote-tag",
        "backslash-tag",
    ],
)
def test_invalid_tag_gets_bad(imap: Session, raw: bytes):
    """A tag with a character outside ASTRING-CHAR (or "+") is a protocol error: BAD."""
    imap.send_raw(raw)
    follow = imap.command("NOOP")
    bad = [u for u in follow.untagged if u.kind == "BAD"]
    tagged_bad = [v for v in imap.violations if "unknown or no tag" in v.reason]
    assert bad or tagged_bad, (
        f"the server must answer {raw!r} with BAD (untagged, as the tag is invalid); "
        f"it answered nothing before the next command's completion"
    )
    if tagged_bad:  # a tagged BAD echoing an invalid tag is itself what the grammar forbids
        assert all("BAD" in v.line for v in tagged_bad), f"unexpected reply: {tagged_bad}"
        imap.violations.clear()
    assert follow.ok, "the connection must stay usable after the BAD"


@pytest.mark.rfc("3501", "2.2.1", "MUST")
@pytest.mark.parametrize(
    "tag", ["1", "a.b", "X-9_z", "t]x", "Tag'", "0000000000000000", "}1", "a}b~|^`"]
)
def test_server_echoes_any_valid_tag(imap: Session, tag: str):
    """tag = 1*<any ASTRING-CHAR except "+">, so "]" (a resp-special) is allowed (§9), and
    so is "}" (only "{" is an atom-special)."""
    imap.send("NOOP", tag=tag)
    sentinel = imap.command("NOOP")  # the server answers in order; the tag has completed by now
    reply = imap.take(tag)
    rejected = [str(u) for u in sentinel.untagged if u.kind == "BAD"]
    assert reply is not None, (
        f'{tag!r} is a valid tag (§9: 1*<any ASTRING-CHAR except "+">) but the server '
        f"did not complete 'NOOP' with it; it said: {rejected or 'nothing'}"
    )
    assert reply.ok and reply.tag == tag, f"tag {tag!r} must come back unchanged with OK"


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize("name", ["noop", "NoOp", "capability"])
def test_command_names_are_case_insensitive(imap: Session, name: str):
    reply = imap.command(name)
    assert reply.ok, f"command names are case-insensitive (§9); {name!r} got {reply.summary()}"


@pytest.mark.rfc("3501", "5.5", "MUST")
def test_pipelined_commands_each_complete_once(imap: Session):
    """Ten pipelined commands: every tag completes exactly once, in any order the RFC allows."""
    tags = [imap.send("NOOP" if i % 2 else "CAPABILITY") for i in range(10)]
    replies = imap.wait_all(tags)
    assert [r.tag for r in replies] == tags
    assert all(r.ok for r in replies), [r.summary() for r in replies]
    assert not imap.violations, "no unexpected tagged responses"
    capability_replies = [r for i, r in enumerate(replies) if i % 2 == 0]
    assert sum(len(r.of("CAPABILITY")) for r in capability_replies) == 5, (
        "each pipelined CAPABILITY must produce one untagged CAPABILITY response"
    )


@pytest.mark.rfc("3501", "6.3.1", "SHOULD")
def test_select_ok_carries_read_write_code(imap: Session):
    reply = imap.select("INBOX")
    assert reply.code is not None and reply.code.name in ("READ-WRITE", "READ-ONLY"), (
        f"SELECT's tagged OK should carry [READ-WRITE] (§6.3.1); got {reply.summary()}"
    )
    assert reply.code.name == "READ-WRITE", "SELECT of INBOX must be read-write for its owner"
