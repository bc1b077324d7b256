"""Random operation sequences on two mailboxes, checked step by step against a model.

See :mod:`imapcheck.fuzzmachine`: APPEND (corpus messages, random flags, keywords and dates),
STORE (FLAGS, +FLAGS, -FLAGS, .SILENT), COPY and MOVE between the two, EXPUNGE and UID EXPUNGE,
FETCH (flags, size, UID, INTERNALDATE, BODY[] bytes, partials), SEARCH programs evaluated on the
model, and a second session polling with NOOP. A failure shows the shrunk steps and both
sessions' transcripts.
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from imapcheck.fuzzmachine import MachineEnv, machine
from imapcheck.knownbugs import known_bugs


@pytest.mark.rfc("3501", "2.3.1.1", "MUST")
def test_mailbox_model(fuzz, fuzz_target, sandbox, server_info):
    env = MachineEnv(fuzz_target, sandbox, known_bugs=known_bugs(server_info.greeting))
    name = "model"

    def one_round() -> None:
        run_state_machine_as_test(machine(env), settings=fuzz.settings("model"))

    try:
        fuzz.repeat(name, one_round)
    finally:
        env.close()
        for what, count in env.counts.items():
            fuzz.count(name, what, count)
