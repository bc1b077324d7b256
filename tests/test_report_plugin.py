"""The report plugin inside a real pytest run: what it records and what it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report_model import no_imapcheck_environment  # noqa: F401  (autouse)

pytest_plugins = ("pytester",)
# Hypothesis's plugin spends a second on its summary; these inner runs do not use it.
INNER = ("-p", "no:hypothesispytest")

# Stands in for the plugin's capability check, so these runs need no IMAP server.
CONFTEST = """
import pytest

@pytest.fixture(autouse=True)
def _imapcheck_requires(request):
    for mark in request.node.iter_markers("requires"):
        for capability in mark.args:
            pytest.skip(f"server does not advertise {capability}")
"""

SUITE = '''
import pytest

@pytest.mark.rfc("3501", "6.1.1", "MUST")
def test_pass():
    """CAPABILITY lists IMAP4rev1.

    More words that stay out of the report.
    """

@pytest.mark.rfc("3501", "6.1.2", "MUST")
def test_must_fails(record_property):
    record_property("transcript:s1", "C: a1 NOOP\\nS: a1 BAD nope")
    assert False, "NOOP must succeed; server said BAD"

@pytest.mark.rfc("3501", "7.1", "SHOULD")
def test_should_fails():
    assert False, "the text SHOULD be human-readable"

@pytest.mark.rfc("2177", "3", "MUST")
@pytest.mark.requires("IDLE")
def test_needs_idle():
    pass

@pytest.fixture
def broken():
    raise RuntimeError("setup exploded")

@pytest.mark.rfc("3501", "6.3.1", "MUST")
def test_setup_error(broken):
    pass

@pytest.mark.rfc("3501", "6.3.1", "MUST")
@pytest.mark.rfc("3501", "6.3.2", "SHOULD")
@pytest.mark.parametrize("state", ["a b", "c|d"])
def test_params(state):
    pass

def test_own_unit_test():
    pass
'''


def run_suite(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, Path]:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "out"
    result = pytester.runpytest(*INNER, "--report-dir", str(out), "--report-name", "fake", *args)
    return result, out


def only_run(out: Path) -> Path:
    runs = [p for p in (out / "fake").iterdir() if not p.is_symlink()]
    assert len(runs) == 1, runs
    return runs[0]


def test_every_conformance_test_is_recorded(pytester):
    result, out = run_suite(pytester)
    result.assert_outcomes(passed=4, failed=2, skipped=1, errors=1)
    run = only_run(out)
    assert sorted(p.name for p in run.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "summary.md",
    ]
    data = json.loads((run / "report.json").read_text())
    tests = {t["name"]: t for t in data["tests"]}
    assert "test_own_unit_test" not in tests  # cites no RFC and uses no server
    assert {n: t["outcome"] for n, t in tests.items()} == {
        "test_pass": "passed",
        "test_must_fails": "failed",
        "test_should_fails": "warning",
        "test_needs_idle": "skipped",
        "test_setup_error": "error",
        "test_params[a b]": "passed",
        "test_params[c|d]": "passed",
    }
    assert data["summary"]["total"] == 7
    assert data["run"]["exit_status"] == 1
    assert data["server"]["name"] == "fake"


def test_failure_carries_message_transcript_and_citation(pytester):
    _, out = run_suite(pytester)
    data = json.loads((only_run(out) / "report.json").read_text())
    tests = {t["name"]: t for t in data["tests"]}
    failed = tests["test_must_fails"]
    assert failed["message"].startswith("NOOP must succeed; server said BAD")
    assert "assert False" in failed["details"]
    assert failed["transcripts"] == [{"name": "s1", "text": "C: a1 NOOP\nS: a1 BAD nope"}]
    assert (failed["rfc"], failed["section"], failed["level"]) == ("3501", "6.1.2", "MUST")
    assert failed["file"] == "test_suite.py" and failed["line"] == 10  # its first decorator
    assert failed["duration"] > 0
    assert tests["test_pass"]["doc"] == "CAPABILITY lists IMAP4rev1."
    assert tests["test_needs_idle"]["capabilities"] == ["IDLE"]
    assert tests["test_needs_idle"]["message"] == "server does not advertise IDLE"
    assert "setup exploded" in tests["test_setup_error"]["message"]
    # the marker nearest the function comes first, as pytest's get_closest_marker sees it
    assert tests["test_params[a b]"]["refs"] == [
        ["3501", "6.3.2", "SHOULD"],
        ["3501", "6.3.1", "MUST"],
    ]
    assert tests["test_params[a b]"]["section"] == "6.3.2"


def test_terminal_names_the_report_and_the_verdict(pytester):
    result, out = run_suite(pytester)
    result.stdout.fnmatch_lines(
        [
            "imapcheck: failed: 1 failed (MUST), 1 warning (SHOULD/MAY), 1 error; report *"
            "report.html (also report.json, summary.md, junit.xml)",
        ]
    )
    assert (out / "fake" / "latest").resolve() == only_run(out).resolve()


def test_two_runs_get_two_directories(pytester):
    run_suite(pytester)
    _, out = run_suite(pytester)
    runs = sorted(p for p in (out / "fake").iterdir() if not p.is_symlink())
    assert len(runs) == 2
    assert (out / "fake" / "latest").resolve() == runs[-1].resolve()


def test_no_report_writes_nothing(pytester):
    result, out = run_suite(pytester, "--no-report")
    result.assert_outcomes(passed=4, failed=2, skipped=1, errors=1)
    assert not out.exists()
    assert "imapcheck: failed" not in result.stdout.str()


def test_selection_reports_only_what_ran(pytester):
    _, out = run_suite(pytester, "-k", "test_pass or unit")
    data = json.loads((only_run(out) / "report.json").read_text())
    assert [t["name"] for t in data["tests"]] == ["test_pass"]
    assert data["run"]["options"]["keyword"] == "test_pass or unit"
    assert data["run"]["exit_status"] == 0


def test_runs_without_conformance_tests_write_no_report(pytester):
    pytester.makepyfile(test_unit="def test_one():\n    pass\n")
    out = pytester.path / "out"
    pytester.runpytest(*INNER, "--report-dir", str(out)).assert_outcomes(passed=1)
    assert not out.exists()


def test_collect_only_writes_no_report(pytester):
    result, out = run_suite(pytester, "--collect-only")
    assert result.ret == 0
    assert not out.exists()


def test_report_dir_defaults_to_reports_at_the_root(pytester, monkeypatch):
    monkeypatch.delenv("IMAPCHECK_REPORT_DIR", raising=False)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_one='import pytest\n\n@pytest.mark.rfc("3501", "6.1.1", "MUST")\n'
        "def test_one():\n    pass\n"
    )
    sub = pytester.mkdir("elsewhere")
    monkeypatch.chdir(sub)
    pytester.runpytest(*INNER, str(pytester.path), "--report-name", "x").assert_outcomes(passed=1)
    assert (pytester.path / "reports" / "x" / "latest" / "report.json").is_file()


def test_an_unwritable_report_dir_is_reported_not_fatal(pytester):
    blocker = pytester.path / "blocker"
    blocker.write_text("a file where the report directory should go")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest(*INNER, "--report-dir", str(blocker / "sub"))
    result.assert_outcomes(passed=4, failed=2, skipped=1, errors=1)
    result.stdout.fnmatch_lines([f"imapcheck: could not write {blocker}*"])
    assert result.ret == 1


def test_own_tests_using_the_server_are_not_reported_but_suites_are():
    from imapcheck.report.collect import wanted

    class Item:
        def __init__(self, nodeid: str, fixtures: tuple[str, ...]) -> None:
            self.nodeid, self.fixturenames = nodeid, fixtures

        def get_closest_marker(self, name: str) -> None:
            return None

    assert not wanted(Item("tests/test_session.py::test_x", ("target",)))
    assert wanted(Item("fuzz/test_grammar.py::test_x", ("target",)))
    assert not wanted(Item("fuzz/test_grammar.py::test_y", ("tmp_path",)))
