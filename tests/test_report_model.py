"""The result model: JSON round trip, counting, grouping, and refusing what it cannot read."""

from __future__ import annotations

import json
import os

import pytest

from imapcheck.report.model import (
    SCHEMA_VERSION,
    Report,
    ReportFileError,
    RunFacts,
    ServerFacts,
    TestResult,
    Transcript,
    anchor,
    load,
    section_sort_key,
)
from imapcheck.report.writer import to_json


@pytest.fixture(autouse=True)
def no_imapcheck_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs started by a test see only the options it gives (no IMAPCHECK_BASELINE etc.)."""
    for name in [n for n in os.environ if n.startswith("IMAPCHECK_")]:
        monkeypatch.delenv(name)


def make_report(*outcomes: tuple[str, str, str, str], name: str = "dovecot") -> Report:
    """A report with one test per (test name, section, level, outcome)."""
    tests = []
    for test_name, section, level, outcome in outcomes:
        failing = outcome not in ("passed", "skipped")
        tests.append(
            TestResult(
                id=f"conformance/test_x.py::{test_name}",
                name=test_name,
                outcome=outcome,
                rfc="3501" if section else "",
                section=section,
                level=level,
                refs=[["3501", section, level]] if section else [],
                duration=0.01,
                message=f"{test_name}: the server said NO\nmore detail" if failing else "",
                transcripts=[Transcript("s1", "C: a1 NOOP\nS: a1 NO [ALERT] <b>")]
                if failing
                else [],
            )
        )
    server = ServerFacts(
        name=name,
        label=f"{name} (embedded)",
        version="2.3.19.1 (9b53102964)",
        greeting="* OK [CAPABILITY IMAP4rev1 ID] ready.",
        capabilities=["ID", "IMAP4REV1", "IDLE"],
        id={"name": name.capitalize()},
    )
    run = RunFacts(started="2025-01-01T12:00:00Z", duration=1.5, imapcheck_version="0.1.0")
    return Report(run, server, tests)


SAMPLE = (
    ("test_capability", "6.1.1", "MUST", "passed"),
    ("test_noop", "6.1.2", "MUST", "failed"),
    ("test_idle_timeout", "6.3.10", "SHOULD", "warning"),
    ("test_select", "6.3.9", "MUST", "skipped"),
    ("test_uncited", "", "", "error"),
)


def test_json_round_trip_keeps_everything():
    report = make_report(*SAMPLE)
    data = json.loads(to_json(report))
    assert data["schema"] == "imapcheck-report"
    assert data["schema_version"] == SCHEMA_VERSION
    again = Report.from_dict(data)
    assert again == report
    assert again.tests[1].transcripts == [Transcript("s1", "C: a1 NOOP\nS: a1 NO [ALERT] <b>")]


def test_summary_counts_every_outcome():
    counts = make_report(*SAMPLE).counts()
    assert counts == {
        "failed": 1,
        "warning": 1,
        "error": 1,
        "fixed": 0,
        "known-failure": 0,
        "skipped": 1,
        "passed": 1,
        "total": 5,
    }


def test_ok_only_without_failing_outcomes():
    assert make_report(("a", "6.1.1", "MUST", "passed"), ("b", "6.1.1", "MUST", "skipped")).ok
    assert make_report(("a", "6.1.1", "MUST", "known-failure")).ok
    for bad in ("failed", "warning", "error", "fixed"):
        assert not make_report(("a", "6.1.1", "MUST", bad)).ok, bad


def test_sections_sort_numerically_and_uncited_last():
    keys = list(make_report(*SAMPLE).by_section())
    assert keys == [
        ("3501", "6.1.1"),
        ("3501", "6.1.2"),
        ("3501", "6.3.9"),
        ("3501", "6.3.10"),
        ("", ""),
    ]
    assert section_sort_key(("2177", "3")) < section_sort_key(("3501", "2.2"))
    assert section_sort_key(("3501", "9")) < section_sort_key(("3501", "10"))


def test_newer_schema_is_refused_with_advice():
    data = make_report(*SAMPLE).to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ReportFileError, match="upgrade imapcheck"):
        Report.from_dict(data)


def test_unknown_keys_are_ignored():
    data = make_report(*SAMPLE).to_dict()
    data["tests"][0]["added_later"] = 1
    data["server"]["also_new"] = "x"
    assert Report.from_dict(data).tests[0].name == "test_capability"


def test_load_explains_missing_and_broken_files(tmp_path):
    with pytest.raises(ReportFileError, match="no report at"):
        load(tmp_path)
    (tmp_path / "report.json").write_text("{not json")
    with pytest.raises(ReportFileError, match="cannot read"):
        load(tmp_path)
    (tmp_path / "report.json").write_text('{"schema": "other"}')
    with pytest.raises(ReportFileError, match="not an imapcheck report"):
        load(tmp_path / "report.json")


def test_anchor_is_stable_unique_and_html_safe():
    a = anchor("conformance/test_x.py::test_a[not authenticated]")
    assert a == anchor("conformance/test_x.py::test_a[not authenticated]")
    assert a != anchor("conformance/test_y.py::test_a[not authenticated]")
    assert a.startswith("t-test_a-not-authenticated-")
    assert all(c.isalnum() or c in "-_" for c in a)


def test_section_and_level_rows_put_must_first():
    report = make_report(
        ("a", "6.1.1", "SHOULD", "passed"),
        ("b", "6.1.1", "MUST", "failed"),
        ("c", "6.1.1", "MUST", "passed"),
        ("d", "", "", "passed"),
    )
    rows = [
        (key, level, [t.name for t in tests]) for key, level, tests in report.by_section_and_level()
    ]
    assert rows == [
        (("3501", "6.1.1"), "MUST", ["b", "c"]),
        (("3501", "6.1.1"), "SHOULD", ["a"]),
        (("", ""), "", ["d"]),
    ]
