"""Commands generated from the grammar, in each state: answered, grammatical, harmless.

For every generated command: a tagged completion (OK, NO or BAD) within the timeout (RFC 3501
§2.2.2), every server line grammatical (RFC 3501 §9), the connection still usable (a NOOP
works) and the server still up (a new connection logs in).

Each example runs on a fresh connection, so a command that changes state cannot leak into the
next one. Commands that change the session are handled, not avoided:

- LOGOUT: the server must send BYE before its OK (RFC 3501 §6.1.3) and close; no NOOP after.
- STARTTLS (plain connections only: it is not advertised after TLS): the handshake is done.
- COMPRESS DEFLATE: the deflate layer is installed, then the NOOP runs compressed.
- AUTHENTICATE: responses follow each ``+``; when the server asks for more, ``*`` cancels.
- IDLE: DONE follows the ``+``. SELECT, EXAMINE, CLOSE, UNSELECT simply change the state.
- A server may end the session with BYE (Dovecot does after DELETE of the selected mailbox):
  that passes; closing without BYE does not.
- LOGIN and AUTHENTICATE are left out against a server given with --server: their random
  credentials always fail, and a real server may throttle or lock the account.
"""

from __future__ import annotations

import pytest
from helpers_fuzz import (
    capabilities,
    context,
    grammar_problems,
    server_up,
    session_in,
)
from hypothesis import given, note

from imapcheck.errors import ConnectionClosed, ImapcheckError, ImapTimeout
from imapcheck.syntax.generate import Generated
from imapcheck.syntax.strategies import commands

STATES = ("not authenticated", "authenticated", "selected")


def check_logout(session, reply) -> None:
    assert reply.ok, f"LOGOUT must succeed (RFC 3501 §6.1.3): {reply.summary()}"
    assert reply.of("BYE"), "RFC 3501 §6.1.3: the server MUST send BYE before the OK to LOGOUT"
    try:
        after = session.command("NOOP", timeout=5)
    except ConnectionClosed:
        return
    raise AssertionError(
        "RFC 3501 §6.1.3: after LOGOUT's OK the server must close the connection; "
        f"it answered a NOOP instead: {after.summary()}"
    )


@pytest.mark.rfc("3501", "2.2.2", "MUST")
@pytest.mark.parametrize("state", STATES)
def test_generated_commands(
    state,
    fuzz,
    fuzz_target,
    sandbox,
    box_pair,
    open_session,
    embedded_server,
    request,
    crashes,
    bugs,
):
    before, after = capabilities(fuzz_target)
    caps = before if state == "not authenticated" else after
    exclude = () if embedded_server is not None else ("login", "authenticate")
    strategy = commands(context(sandbox, box_pair, caps), state, exclude=exclude)
    name = f"valid[{state}]"

    @fuzz.settings("valid")
    @given(command=strategy)
    def example(command: Generated) -> None:
        session = session_in(open_session, state, box_pair[0], request)
        note(f"command: {command}")
        fuzz.count(name, "examples")
        try:
            check(session, command)
        finally:
            fuzz.count(name, "commands", session.commands_sent)
            note(session.transcript.render())
            session.close()
        problem = server_up(fuzz_target)
        assert not problem, f"after {command.name}, a new connection cannot log in: {problem}"
        logged = crashes.new()
        assert not logged, f"after {command.name} the server logged a crash: {logged}"

    def check(session, command: Generated) -> None:
        try:
            reply = session.run(command)
        except ImapTimeout as exc:
            raise AssertionError(
                f"no tagged completion (RFC 3501 §2.2.2): {exc}\n{session.transcript.render()}"
            ) from None
        except ConnectionClosed as exc:
            known = next((b for b in bugs if b.crash and b.crash(command)), None)
            if known is not None:  # counted; its log lines are taken so as not to blame others
                fuzz.count(name, f"known bug: {known.name}")
                crashes.expect()
                return
            raise AssertionError(
                f"the server dropped the connection instead of answering {command.name}: {exc}\n"
                f"new connection: {server_up(fuzz_target) or 'logs in'}\n"
                f"{session.transcript.render()}"
            ) from None
        assert reply.status in ("OK", "NO", "BAD")
        known = next((b for b in bugs if b.rejected and b.rejected(command, reply.status)), None)
        if known is not None:  # what follows is the known bug's doing: count it, go on
            fuzz.count(name, f"known bug: {known.name}")
            return
        if command.name == "LOGOUT":
            check_logout(session, reply)
        else:
            try:
                noop = session.command("NOOP")
            except ConnectionClosed as exc:
                if not session.saw_bye():
                    raise AssertionError(
                        f"connection dropped after {command.name}: {exc}"
                    ) from None
                # e.g. DELETE of the selected mailbox: a server may end the session, with BYE
                fuzz.count(name, f"session ended with BYE after {command.name}")
            except ImapcheckError as exc:
                raise AssertionError(f"connection unusable after {command.name}: {exc}") from None
            else:
                assert noop.ok, f"NOOP after {command.name} failed: {noop.summary()}"
        problems = grammar_problems(session, bugs, lambda what: fuzz.count(name, what))
        assert not problems, "server output does not match RFC 3501 §9:\n" + "\n".join(problems)

    fuzz.repeat(name, example)
