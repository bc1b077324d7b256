"""Baselines: known failures are expected, anything else that changed fails the run."""

from __future__ import annotations

import json
import tomllib

import pytest
from test_report_model import no_imapcheck_environment  # noqa: F401  (autouse)

from imapcheck.report.baseline import Baseline, BaselineError

pytest_plugins = ("pytester",)
# Hypothesis's plugin spends a second on its summary; these inner runs do not use it.
INNER = ("-p", "no:hypothesispytest")

SUITE = """
import os
import pytest

@pytest.mark.rfc("3501", "6.1.1", "MUST")
def test_good():
    pass

@pytest.mark.rfc("3501", "6.1.2", "MUST")
def test_known_bad():
    assert False, "NOOP must succeed; server said BAD"

@pytest.mark.rfc("3501", "7.1", "SHOULD")
def test_sometimes():
    assert not os.environ.get("BREAK"), "the text SHOULD be human-readable"

@pytest.fixture
def broken():
    raise RuntimeError("setup exploded")

@pytest.mark.rfc("3501", "6.3.1", "MUST")
def test_setup_fails(broken):
    pass
"""

KNOWN = """
[[known_failure]]
test = "test_suite.py::test_known_bad"
reason = "server answers BAD to NOOP (vendor bug 123)"

[[known_failure]]
test = "test_suite.py::test_setup_fails"
reason = "fixture cannot create mailboxes here"
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        *INNER, "--report-dir", str(pytester.path / "out"), "--report-name", "s", "-rxXfE", *args
    )


def latest(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "out" / "s" / "latest" / "report.json").read_text())


def test_listed_failures_are_expected(suite, monkeypatch):
    monkeypatch.delenv("BREAK", raising=False)
    baseline = suite.path / "known.toml"
    baseline.write_text(KNOWN)
    result = run(suite, "--baseline", str(baseline))
    assert result.ret == 0
    result.assert_outcomes(passed=2, xfailed=2)
    result.stdout.fnmatch_lines(
        [
            f"imapcheck: baseline {baseline}: 2 known failures",
            "imapcheck: passed (2 known failures); report *",
        ]
    )
    result.stdout.fnmatch_lines(["*XFAIL*test_known_bad*known failure: server answers BAD*"])
    tests = {t["name"]: t for t in latest(suite)["tests"]}
    assert tests["test_known_bad"]["outcome"] == "known-failure"
    assert tests["test_known_bad"]["known_reason"] == "server answers BAD to NOOP (vendor bug 123)"
    assert tests["test_known_bad"]["message"].startswith("NOOP must succeed")
    assert tests["test_setup_fails"]["outcome"] == "known-failure"
    assert latest(suite)["run"]["baseline"] == str(baseline)


def test_a_new_failure_fails_the_run(suite, monkeypatch):
    monkeypatch.setenv("BREAK", "1")
    baseline = suite.path / "known.toml"
    baseline.write_text(KNOWN)
    result = run(suite, "--baseline", str(baseline))
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1, xfailed=2)
    result.stdout.fnmatch_lines(["FAILED test_suite.py::test_sometimes*"])
    assert {t["name"]: t["outcome"] for t in latest(suite)["tests"]}["test_sometimes"] == "warning"


def test_a_known_failure_that_passes_fails_the_run(suite, monkeypatch):
    monkeypatch.delenv("BREAK", raising=False)
    baseline = suite.path / "known.toml"
    baseline.write_text(
        KNOWN + '\n[[known_failure]]\ntest = "test_suite.py::test_good"\nreason = "used to fail"\n'
    )
    result = run(suite, "--baseline", str(baseline))
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*test_suite.py::test_good is a known failure in the baseline*but it passes now: "
            "remove it from the baseline*",
            "*1 now pass (remove them from the baseline)",
        ]
    )
    good = {t["name"]: t for t in latest(suite)["tests"]}["test_good"]
    assert good["outcome"] == "fixed"
    assert good["known_reason"] == "used to fail"


def test_update_writes_the_failures_and_keeps_reasons(suite, monkeypatch):
    monkeypatch.setenv("BREAK", "1")
    baseline = suite.path / "known.toml"
    baseline.write_text(
        KNOWN + '\n[[known_failure]]\ntest = "test_suite.py::test_good"\n'
        'reason = "used to fail"\n\n[[known_failure]]\n'
        'test = "test_other.py::test_not_run"\nreason = "kept"\n'
    )
    result = run(suite, "--baseline", str(baseline), "--update-baseline")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [f"imapcheck: baseline {baseline} updated: 1 added, 1 removed, 4 known failures"]
    )
    data = tomllib.loads(baseline.read_text())
    entries = {e["test"]: e for e in data["known_failure"]}
    assert sorted(entries) == [
        "test_other.py::test_not_run",
        "test_suite.py::test_known_bad",
        "test_suite.py::test_setup_fails",
        "test_suite.py::test_sometimes",
    ]
    assert entries["test_suite.py::test_known_bad"]["reason"].endswith("(vendor bug 123)")
    assert entries["test_other.py::test_not_run"]["reason"] == "kept"
    added = entries["test_suite.py::test_sometimes"]
    assert added["reason"] == "the text SHOULD be human-readable"
    assert added["rfc"] == "RFC 3501 §7.1 SHOULD"
    monkeypatch.setenv("BREAK", "1")
    assert run(suite, "--baseline", str(baseline)).ret == 0  # the rewritten file holds


def test_update_creates_a_missing_file(suite, monkeypatch):
    monkeypatch.delenv("BREAK", raising=False)
    baseline = suite.path / "new" / "server.toml"
    assert run(suite, "--baseline", str(baseline), "--update-baseline").ret == 0
    data = tomllib.loads(baseline.read_text())
    assert data["server"] == "s"
    assert [e["test"] for e in data["known_failure"]] == [
        "test_suite.py::test_known_bad",
        "test_suite.py::test_setup_fails",
    ]


def test_baseline_from_environment(suite, monkeypatch):
    monkeypatch.delenv("BREAK", raising=False)
    baseline = suite.path / "known.toml"
    baseline.write_text(KNOWN)
    monkeypatch.setenv("IMAPCHECK_BASELINE", str(baseline))
    assert run(suite).ret == 0


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ('[[known_failure]]\ntest = "t::a"\n', "t::a has no reason"),
        ('[[known_failure]]\nreason = "why"\n', "#1 has no test id"),
        ("[[known_failure\n", "is not valid TOML"),
    ],
)
def test_unusable_baseline_is_a_usage_error(suite, content, complaint):
    baseline = suite.path / "bad.toml"
    baseline.write_text(content)
    result = run(suite, "--baseline", str(baseline))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert complaint in result.stderr.str()


def test_missing_baseline_and_update_without_file_are_usage_errors(suite):
    result = run(suite, "--baseline", str(suite.path / "nope.toml"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "does not exist (create it with --update-baseline)" in result.stderr.str()
    result = run(suite, "--update-baseline")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--update-baseline needs --baseline FILE" in result.stderr.str()


def test_written_file_survives_awkward_text(tmp_path):
    path = tmp_path / "b.toml"
    baseline = Baseline(path, update=True)
    odd = 'quote " backslash \\ tab \t newline \n del \x7f é ✓'
    baseline.added['t.py::test_x["a"]'] = odd
    baseline.write([], server="srv")
    loaded = Baseline.load(path)
    assert loaded.entries['t.py::test_x["a"]'].reason == odd.strip()
    assert loaded.server == "srv"
    with pytest.raises(BaselineError):
        Baseline.load(tmp_path / "missing.toml")
