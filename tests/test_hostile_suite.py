"""The conformance suite against hostile servers: it ends cleanly, in time, in bounded memory.

For each server of test_hostile_servers.HOSTILE, a representative subset of the suite runs as
a subprocess with ``--imap-timeout 2``. A server that is unusable from its greeting on must end
the run with one clear line; one that misbehaves only on NOOP must fail just those tests, each
within twice the timeout, and let the following tests run. Never a traceback through
imapcheck's code, never more than 200 MB of memory.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import LoopbackServer
from test_hostile_servers import GREETING, HOSTILE, PASSWORD, USER, FakeImap

ROOT = Path(__file__).resolve().parent.parent
SUBSET = ["conformance/test_rfc3501_any_state.py"]
IMAP_TIMEOUT = 2.0
SLACK = 1.5  # seconds of scheduling and collection on a busy 2-core machine
MAX_RSS_MB = 200
WALL_LIMIT = 120  # the child is killed after this; the test then fails on the time
EXPECTED = {
    "garbage-greeting": "sent no IMAP greeting",
    "silent": "to the greeting within 2s",
    "one-byte-per-second": "unfinished response arrived",
    "tls-handshake-failure": "TLS handshake with",
    "endless-line": "without a line end",
    "4gb-literal": "literal of 4294967296 bytes",
    "close-mid-literal": "closed the connection in the middle of a response",
    "untagged-flood": "untagged responses",
    "wrong-tags": "tag never sent",
    "nul-invalid-utf8": "NUL byte",
}


@dataclass
class Run:
    """One finished subprocess run of the suite."""

    returncode: int
    wall: float
    rss_mb: float
    output: str
    suite_time: float | None = None
    cases: list[tuple[str, str, float, str]] = field(default_factory=list)  # name, outcome, s, msg


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_suite(args: list[str], workdir: Path) -> Run:
    """Run pytest on the suite in a child; its own peak RSS comes from wait4."""
    junit = workdir / "junit.xml"
    out = workdir / "output.txt"
    command = [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "--no-report"]
    command += ["--junitxml", str(junit), "-o", "junit_family=xunit2"]
    started = time.monotonic()
    with out.open("wb") as sink:
        child = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        watchdog = threading.Timer(WALL_LIMIT, child.kill)
        watchdog.start()
        # wait4's ru_maxrss counts the forked copy of this (large) process before exec, so
        # the child's own peak is read from /proc (VmHWM belongs to the exec'd image only)
        peak_kb = 0
        try:
            while child.poll() is None:
                peak_kb = max(peak_kb, _vm_hwm_kb(child.pid))
                time.sleep(0.05)
        finally:
            watchdog.cancel()
    run = Run(
        child.returncode,
        time.monotonic() - started,
        peak_kb / 1024,
        out.read_text(errors="replace"),
    )
    if junit.exists():
        suite = ET.parse(junit).getroot().find("testsuite")
        assert suite is not None
        run.suite_time = float(suite.get("time", "0"))
        for case in suite.iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            outcome = "passed" if problem is None else problem.tag
            if case.find("skipped") is not None:
                outcome = "skipped"
            message = "" if problem is None else problem.get("message", "")
            run.cases.append((case.get("name", ""), outcome, float(case.get("time", 0)), message))
    return run


def hostile_args(port: int, tls: str) -> list[str]:
    return [
        *SUBSET,
        "--server",
        f"127.0.0.1:{port}",
        "--user",
        USER,
        "--password",
        PASSWORD,
        "--tls",
        tls,
        "--imap-timeout",
        str(IMAP_TIMEOUT),
        "-q",
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every hostile server's run, two at a time (the children mostly wait on timeouts)."""
    servers = {name: LoopbackServer(FakeImap(name).handle) for name in HOSTILE}

    def one(name: str) -> tuple[str, Run]:
        tls = "implicit" if name == "tls-handshake-failure" else "plain"
        workdir = tmp_path_factory.mktemp(name)
        return name, run_suite(hostile_args(servers[name].port, tls), workdir)

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(pool.map(one, HOSTILE))
    finally:
        for server in servers.values():
            server.close()


def _common(name: str, run: Run) -> None:
    assert run.returncode in (1, 2), f"{name}: pytest exit status {run.returncode}\n{run.output}"
    assert "Traceback" not in run.output, f"{name}: a traceback in the output\n{run.output}"
    assert "src/imapcheck/" not in run.output and "imapcheck/session.py" not in run.output, (
        f"{name}: imapcheck's internals in the output\n{run.output}"
    )
    assert run.rss_mb < MAX_RSS_MB, f"{name}: the run grew to {run.rss_mb:.0f} MB"


@pytest.mark.parametrize("name", [n for n, (when, _) in HOSTILE.items() if when == GREETING])
def test_unusable_server_ends_the_run_with_one_clear_line(runs, name):
    run = runs[name]
    _common(name, run)
    assert run.returncode == 2, f"{name}: an unusable target ends the run (status 2)"
    lines = [line for line in run.output.splitlines() if "imapcheck: " in line]
    assert lines and EXPECTED[name] in lines[0], (
        f"{name}: the run must end with one line naming the problem "
        f"({EXPECTED[name]!r})\n{run.output}"
    )
    assert run.suite_time is not None and run.suite_time < 2 * IMAP_TIMEOUT + SLACK, (
        f"{name}: the run took {run.suite_time}s after start-up"
    )


@pytest.mark.parametrize("name", [n for n, (when, _) in HOSTILE.items() if when != GREETING])
def test_misbehaviour_fails_only_its_tests_and_the_run_goes_on(runs, name):
    run = runs[name]
    _common(name, run)
    assert run.returncode == 1, f"{name}: failed tests, status 1\n{run.output}"
    failed = [case for case in run.cases if case[1] in ("failure", "error")]
    named = [case for case in failed if EXPECTED[name] in case[3]]
    assert named, f"{name}: no failure names the problem ({EXPECTED[name]!r})\n{run.output}"
    slow = [case for case in run.cases if case[2] > 2 * IMAP_TIMEOUT + SLACK]
    assert not slow, f"{name}: tests took longer than twice the timeout: {slow}"
    first = next(i for i, case in enumerate(run.cases) if case in named)
    assert any(case[1] == "passed" for case in run.cases[first + 1 :]), (
        f"{name}: the tests after the first failure must still run (and pass)\n{run.output}"
    )
