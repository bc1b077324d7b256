"""Fuzzing profiles, the fuzz sessions, and what a run executed.

``--fuzz-profile quick|default|thorough`` picks the Hypothesis settings profile
``imapcheck-<name>`` (quick unless given). Every fuzz test runs Hypothesis in *rounds* of
``examples`` each until ``rounds`` are done or its time ``budget`` is spent (checked between
rounds), so even the thorough profile stops by itself. Failing examples are kept in
``.hypothesis/`` at the repository root and replayed first on the next run.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from imapcheck.errors import ImapcheckError
from imapcheck.fuzzsession import FuzzSession
from imapcheck.knownbugs import KnownBug, known_bugs
from imapcheck.sandbox import Sandbox
from imapcheck.target import Target

PROFILES = {
    # name: (examples per round, rounds, seconds per test, state machine steps)
    "quick": (20, 1, 4.0, 20),
    "default": (200, 5, 120.0, 40),
    "thorough": (1000, 100_000, 1800.0, 80),
}
# a test scales the profile's examples by its own weight (a state machine run costs more)
WEIGHTS = {"valid": 1.0, "malformed": 2.0, "model": 0.4}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("imapcheck-fuzz", "imapcheck: fuzzing")
    group.addoption(
        "--fuzz-profile",
        choices=sorted(PROFILES),
        default="quick",
        help="how hard to fuzz: quick (CI, seconds), default (minutes), thorough (hours)",
    )
    group.addoption(
        "--fuzz-budget",
        type=float,
        default=None,
        help="seconds per fuzz test (overrides the profile's)",
    )


def _register(root: Path) -> None:
    database = DirectoryBasedExampleDatabase(str(root / ".hypothesis" / "examples"))
    for name, (examples, _rounds, _budget, steps) in PROFILES.items():
        settings.register_profile(
            f"imapcheck-{name}",
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,  # every example talks to a server over the network
            database=None if name == "quick" else database,
            # the grammar strategies build large examples by design (long lines, literals)
            suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow],
            print_blob=True,
            # quick is the CI gate: the same examples every run, so CI fails on regressions
            # only; default and thorough explore new ground every run
            derandomize=name == "quick",
        )


@dataclass
class FuzzRun:
    """The chosen profile, and counts of what the fuzz tests executed."""

    name: str
    examples: int
    rounds: int
    budget: float
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def settings(self, weight: str, **changes: object) -> settings:
        parent = settings.get_profile(f"imapcheck-{self.name}")
        examples = max(1, round(self.examples * WEIGHTS[weight]))
        return settings(parent, max_examples=examples, **changes)

    def repeat(self, test: str, run: Callable[[], None]) -> None:
        """Call ``run`` (one Hypothesis run) until the rounds or the time budget are used up."""
        deadline = time.monotonic() + self.budget
        for _ in range(self.rounds):
            run()
            self.count(test, "rounds")
            if time.monotonic() >= deadline:
                break

    def count(self, test: str, what: str, n: int = 1) -> None:
        entry = self.counts.setdefault(test, {})
        entry[what] = entry.get(what, 0) + n


_RUN_KEY = pytest.StashKey[FuzzRun]()


def pytest_configure(config: pytest.Config) -> None:
    _register(config.rootpath)
    name = config.getoption("--fuzz-profile")
    examples, rounds, budget, _steps = PROFILES[name]
    given = config.getoption("--fuzz-budget")
    config.stash[_RUN_KEY] = FuzzRun(name, examples, rounds, given if given else budget)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run = terminalreporter.config.stash.get(_RUN_KEY, None)
    if run is None or not run.counts:
        return
    terminalreporter.section(f"imapcheck fuzz ({run.name} profile)")
    for test, counts in sorted(run.counts.items()):
        detail = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        terminalreporter.write_line(f"{test}: {detail}")


@pytest.fixture(scope="session")
def fuzz(pytestconfig: pytest.Config) -> FuzzRun:
    """The profile and the run's counters."""
    return pytestconfig.stash[_RUN_KEY]


@pytest.fixture(scope="session")
def fuzz_target(target: Target, embedded_server: object) -> Target:
    """Where fuzz sessions connect: the embedded Dovecot's port without STARTTLS (it permits
    plaintext login on loopback, and a handshake per example would dominate the run), or the
    target as given."""
    if embedded_server is not None:
        return target.with_port(target.port, "plain")
    return target


class CrashWatch:
    """New crash reports in the embedded server's log (nothing to read for --server)."""

    PATTERN = re.compile(r"Panic|Fatal|killed with signal|segfault|core dumped", re.IGNORECASE)
    END = re.compile(r"killed with signal", re.IGNORECASE)  # the master's word comes last

    def __init__(self, log: Path | None) -> None:
        self.log = log
        self.offset = log.stat().st_size if log is not None and log.exists() else 0

    def new(self) -> list[str]:
        if self.log is None or not self.log.exists():
            return []
        with self.log.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits
        self.offset += len(complete)
        lines = complete.decode("utf-8", "replace").splitlines()
        return [line for line in lines if self.PATTERN.search(line)]

    def expect(self, timeout: float = 3.0) -> list[str]:
        """All the lines of an expected crash: the process's own report (Panic, backtrace)
        and its parent's "killed with signal" after it, polled until that last one appears."""
        deadline = time.monotonic() + timeout
        found = self.new()
        while self.log is not None and time.monotonic() < deadline:
            if any(self.END.search(line) for line in found):
                break
            time.sleep(0.05)
            found += self.new()
        return found


@pytest.fixture
def crashes(embedded_server: Any) -> CrashWatch:
    """``crashes.new()``: crash lines the embedded server logged since the last call."""
    return CrashWatch(embedded_server.log_path if embedded_server is not None else None)


@pytest.fixture(scope="session")
def bugs(server_info: Any) -> list[KnownBug]:
    """The server's known bugs (imapcheck.knownbugs), which the fuzzers count, not fail on."""
    return known_bugs(server_info.greeting)


@pytest.fixture
def open_session(
    request: pytest.FixtureRequest, fuzz_target: Target
) -> Iterator[Callable[..., FuzzSession]]:
    """Factory: a connected (and by default logged-in) FuzzSession, closed after the test."""
    made: list[FuzzSession] = []

    def factory(*, login: bool = True, name: str = "fz") -> FuzzSession:
        session = FuzzSession(fuzz_target, name=name)
        made.append(session)
        session.connect()
        if login:
            session.login()
        return session

    yield factory
    for session in made:
        with contextlib.suppress(ImapcheckError, OSError):
            session.close()


@pytest.fixture
def box_pair(target: Target, sandbox: Sandbox, request: pytest.FixtureRequest) -> Iterator[tuple]:
    """Two fresh mailboxes under the run prefix, removed after the test."""
    with sandbox.fresh(target, "fuzz-a", "fuzz-b", session_class=FuzzSession) as names:
        yield names
