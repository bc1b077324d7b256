"""Malformed input: mutations of generated commands, and seeds from known bug classes.

Whatever arrives, the server must answer it (a tagged or untagged BAD/NO) or end the session
with BYE (RFC 3501 §7.1, §7.1.5); it must never hang, never drop the connection without a
word, never send non-grammatical output, and never crash (a new connection still logs in).

Only commands whose mangled copies still cannot write outside the selected sandbox mailbox are
mutated (:data:`~imapcheck.syntax.strategies.MUTATION_SAFE`): a truncated ``DELETE`` could name
one of the account's own mailboxes. Mailbox names with broken modified UTF-7 are generated
whole, under the run prefix.
"""

from __future__ import annotations

import pytest
from helpers_fuzz import (
    attach,
    capabilities,
    context,
    grammar_problems,
    mb,
    say,
    server_up,
    session_in,
)
from hypothesis import given, note

from imapcheck.fuzzsession import FuzzSession
from imapcheck.syntax.generate import Generated
from imapcheck.syntax.mutations import Mutant, bad_mailbox_override, mutants
from imapcheck.syntax.strategies import MUTATION_DROPS, MUTATION_SAFE, commands


def verdict(session: FuzzSession, data: bytes, fuzz_target, crashes, bugs, count) -> str:
    """'' if the server coped with ``data``, else what went wrong (RFC 3501 §7.1)."""
    result = session.probe(data)
    say(session.transcript.render())
    if result.skipped:
        say(f"no verdict: {result.skipped}")
        return ""
    problems = []
    if result.hang:
        problems.append(f"the server hung: {result.hang}")
    elif result.closed and not result.bye:
        # a SHOULD (RFC 3501 §7.1.5), kept visible by test_found.py::test_closing_is_announced
        say("the server closed the connection without BYE")
        count("closed without BYE")
    elif result.noop is not None and not result.noop.ok and not result.bye:
        problems.append(f"NOOP after the input failed: {result.noop.summary()}")
    problems += [
        f"not grammatical: {v}" for v in grammar_problems(session, bugs, count, tags=False)
    ]
    problems += [f"the server logged a crash: {line}" for line in crashes.new()]
    down = server_up(fuzz_target)
    if down:
        problems.append(f"a new connection cannot log in afterwards: {down}")
    return "\n".join(problems)


@pytest.mark.rfc("3501", "7.1", "MUST")
@pytest.mark.parametrize("state", ["not authenticated", "selected"])
def test_mutated_commands(
    state, fuzz, fuzz_target, sandbox, box_pair, open_session, request, crashes, bugs
):
    before, after = capabilities(fuzz_target)
    caps = before if state == "not authenticated" else after
    ctx = context(sandbox, box_pair, caps, extra_drops=MUTATION_DROPS)
    strategy = mutants(commands(ctx, state, only=MUTATION_SAFE))
    name = f"malformed[{state}]"

    @fuzz.settings("malformed")
    @given(mutant=strategy)
    def example(mutant: Mutant) -> None:
        session = session_in(open_session, state, box_pair[0], request)
        note(str(mutant))
        fuzz.count(name, "examples")
        fuzz.count(name, f"mutation {mutant.kind}")
        problem = verdict(session, mutant.data, fuzz_target, crashes, bugs, counter(fuzz, name))
        fuzz.count(name, "commands", session.commands_sent + 1)
        session.close()
        assert not problem, f"{mutant}\n{problem}"

    fuzz.repeat(name, example)


@pytest.mark.rfc("3501", "5.1.3", "SHOULD")
def test_invalid_modified_utf7(
    fuzz, fuzz_target, sandbox, box_pair, open_session, request, crashes, bugs
):
    """Mailbox names that are not modified UTF-7, in every command that takes one."""
    _, caps = capabilities(fuzz_target)
    override = bad_mailbox_override(sandbox.root, sandbox.info.delimiter)
    ctx = context(sandbox, box_pair, caps, extra_overrides=(("mailbox", override),))
    names = [
        "create",
        "delete",
        "rename",
        "select",
        "examine",
        "status",
        "subscribe",
        "unsubscribe",
        "list",
        "lsub",
        "append",
        "getquotaroot",
    ]
    strategy = commands(ctx, "authenticated", only=names)

    @fuzz.settings("malformed")
    @given(command=strategy)
    def example(command: Generated) -> None:
        session = open_session()
        attach(request, session)
        note(str(command))
        fuzz.count("utf7", "examples")
        data = command.wire(session.next_tag())
        problem = verdict(session, data, fuzz_target, crashes, bugs, counter(fuzz, "utf7"))
        fuzz.count("utf7", "commands", session.commands_sent)
        session.close()
        assert not problem, f"{command}\n{problem}"

    fuzz.repeat("utf7", example)


def counter(fuzz, name: str):
    return lambda what: fuzz.count(name, what)


# -- seeds: known bug classes ---------------------------------------------------------------

NUL_QUOTED = [  # CVE-2019-11500: Dovecot's parser and NUL in quoted strings
    b'LOGIN "us\0er" "pass"',
    b'LOGIN "\\\0" "x"',
    b'ID ("name" "a\0b" "version" "\\\0")',
    b'AUTHENTICATE "PLAIN\0"',
]
NUL_QUOTED_AUTH = [
    b'EXAMINE "%(root)s\0"',
    b'STATUS "%(root)s\0x" (MESSAGES)',
    b'LIST "" "%(root)s/\\\0*"',
    b'ID ("\0" NIL)',
]
NUL_QUOTED_SELECTED = [
    b'SEARCH SUBJECT "a\0b"',
    b'SEARCH HEADER "\0" "\\\0"',
    b'FETCH 1 (BODY.PEEK[HEADER.FIELDS ("\0")])',
    b'STORE 1 +FLAGS ("\0")',
]


@pytest.mark.rfc("3501", "9", "MUST")
@pytest.mark.parametrize(
    "state, line",
    [("not authenticated", x) for x in NUL_QUOTED]
    + [("authenticated", x) for x in NUL_QUOTED_AUTH]
    + [("selected", x) for x in NUL_QUOTED_SELECTED],
)
def test_nul_in_quoted_string(
    state, line, fuzz, fuzz_target, sandbox, box_pair, open_session, crashes, bugs
):
    session = session_in(open_session, state, box_pair[0])
    root = sandbox.root.encode()
    data = b"n1 " + (line.replace(b"%(root)s", root)) + b"\r\n"
    problem = verdict(session, data, fuzz_target, crashes, bugs, counter(fuzz, "nul"))
    assert not problem, f"{data!r}\n{problem}"


@pytest.mark.rfc("3501", "6.2.1", "MUST")
def test_commands_pipelined_after_starttls(fuzz_target, open_session):
    """Plaintext sent with STARTTLS must not be executed once TLS is up (command injection)."""
    session = open_session(login=False)
    if "STARTTLS" not in session.capabilities:
        pytest.skip("the fuzz connection does not offer STARTTLS")
    from imapcheck.errors import ConnectError, ConnectionClosed

    try:
        reply = session.send_with_starttls(b"inj1 CAPABILITY\r\ninj2 NOOP\r\n")
    except (ConnectError, ConnectionClosed):
        return  # the server treated the plaintext as a broken handshake: nothing was executed
    assert reply.ok, f"STARTTLS refused: {reply.summary()}"
    probe = session.probe(b"after1 NOOP\r\n")
    injected = [
        e.data for e in session.transcript.entries if e.direction == "S" and e.data[:4] == b"inj"
    ]
    assert not injected, (
        "RFC 3501 §6.2.1: TLS negotiation begins right after STARTTLS's OK, so the plaintext "
        f"commands sent with it must not be executed; the server answered them over TLS: "
        f"{injected}"
    )
    assert probe.noop is not None or probe.bye, f"session unusable after STARTTLS: {probe}"
    assert not server_up(fuzz_target)


def hostile_message(session: FuzzSession, box: str, message: bytes, fetches: list[bytes]) -> str:
    """APPEND ``message`` to ``box``, then FETCH/SEARCH it; '' if all went well."""
    from imapcheck.errors import ImapcheckError
    from imapcheck.wire.encode import Literal

    try:
        appended = session.command("APPEND", mb(box), Literal(message))
        if not appended.ok:
            return ""  # refusing such a message is allowed (RFC 3501 §6.3.11: NO)
        session.select(box)
        for item in fetches:
            verb, _, rest = item.partition(b" ")
            reply = session.command(verb.decode(), rest)
            if reply.status == "BAD":
                return f"{item!r} answered BAD: {reply.summary()}"
        noop = session.command("NOOP")
    except ImapcheckError as exc:
        return f"{exc}\n{session.transcript.render()}"
    problems = [f"not grammatical: {v}" for v in grammar_problems(session, [], lambda _: None)]
    if not noop.ok:
        problems.append(f"NOOP failed: {noop.summary()}")
    return "\n".join(problems)


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize(
    "kind, depth", [("multipart", 60), ("multipart", 101), ("multipart", 400), ("message", 150)]
)
def test_deeply_nested_mime(kind, depth, fuzz_target, box_pair, open_session):
    from imapcheck import corpus

    message = corpus.build_nested_mime(depth, kind=kind)
    deep = b".".join([b"1"] * min(depth, 120))
    fetches = [
        b"FETCH * (BODYSTRUCTURE)",
        b"FETCH * (BODY)",
        b"FETCH * (BODY.PEEK[" + deep + b"] BODY.PEEK[" + deep + b".MIME])",
        b"SEARCH TEXT level",
    ]
    session = open_session()
    problem = hostile_message(session, box_pair[1], message, fetches)
    assert not problem, f"{kind} nested {depth} deep: {problem}"
    assert not server_up(fuzz_target)


@pytest.mark.rfc("3501", "7.4.2", "MUST")
@pytest.mark.parametrize("count", [1000, 10_000])
def test_thousands_of_addresses(count, fuzz_target, box_pair, open_session):
    from imapcheck import corpus

    message = corpus.build_many_addresses(count)
    fetches = [
        b"FETCH * (ENVELOPE)",
        b"FETCH * (BODY.PEEK[HEADER.FIELDS (TO CC)])",
        b"SEARCH TO user%d@example.org" % count,
        b"SEARCH CC carol",
    ]
    session = open_session()
    problem = hostile_message(session, box_pair[1], message, fetches)
    assert not problem, f"{count} addresses: {problem}"
    assert not server_up(fuzz_target)
