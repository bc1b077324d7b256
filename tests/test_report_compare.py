"""Comparing two runs: what started failing, what got fixed, what else moved."""

from __future__ import annotations

from test_report_model import make_report

from imapcheck.report.compare import compare, render

BEFORE = (
    ("test_stays", "6.1.1", "MUST", "passed"),
    ("test_breaks", "6.1.2", "MUST", "passed"),
    ("test_heals", "6.3.1", "MUST", "failed"),
    ("test_known_heals", "6.3.2", "MUST", "known-failure"),
    ("test_starts_skipping", "6.3.3", "MUST", "passed"),
    ("test_goes_away", "6.3.4", "MUST", "passed"),
    ("test_still_bad", "6.3.5", "MUST", "failed"),
)
AFTER = (
    ("test_stays", "6.1.1", "MUST", "passed"),
    ("test_breaks", "6.1.2", "MUST", "warning"),
    ("test_heals", "6.3.1", "MUST", "passed"),
    ("test_known_heals", "6.3.2", "MUST", "fixed"),
    ("test_starts_skipping", "6.3.3", "MUST", "skipped"),
    ("test_still_bad", "6.3.5", "MUST", "failed"),
    ("test_new", "6.3.6", "MUST", "failed"),
)


def ids(changes):
    return [c.test.name for c in changes]


def test_classifies_every_change():
    result = compare(make_report(*BEFORE), make_report(*AFTER))
    assert ids(result.regressions) == ["test_breaks"]
    assert ids(result.fixes) == ["test_heals", "test_known_heals"]
    assert ids(result.changed) == ["test_starts_skipping"]
    assert ids(result.added) == ["test_new"]
    assert ids(result.removed) == ["test_goes_away"]
    assert (result.regressions[0].before, result.regressions[0].after) == ("passed", "warning")


def test_skipped_to_failing_is_a_change_not_a_regression():
    before = make_report(("test_x", "6.1.1", "MUST", "skipped"))
    after = make_report(("test_x", "6.1.1", "MUST", "failed"))
    result = compare(before, after)
    assert result.regressions == [] and ids(result.changed) == ["test_x"]


def test_server_differences():
    before, after = make_report(), make_report()
    after.server.capabilities = ["ID", "IMAP4REV1", "MOVE"]
    after.server.greeting = "* OK new"
    lines = compare(before, after).server
    assert "capabilities added: MOVE" in lines
    assert "capabilities removed: IDLE" in lines
    assert "greeting: * OK [CAPABILITY IMAP4rev1 ID] ready. → * OK new" in lines


def test_markdown_and_json():
    result = compare(make_report(*BEFORE), make_report(*AFTER))
    text = render(result)
    assert (
        "**1 newly failing, 2 now passing, 1 other changes, 1 new tests, "
        "1 tests no longer run**" in text
    )
    assert (
        "## Newly failing (1)\n\n- `conformance/test_x.py::test_breaks` passed → warning — "
        "RFC 3501 §6.1.2 MUST: test_breaks: the server said NO" in text
    )
    data = result.to_dict()
    assert [c["id"] for c in data["newly_failing"]] == ["conformance/test_x.py::test_breaks"]
    assert data["tests_no_longer_run"][0]["after"] is None


def test_identical_runs():
    report = make_report(*BEFORE)
    assert "No differences" in render(compare(report, report))
