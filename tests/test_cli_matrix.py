"""``imapcheck matrix`` end to end: start servers from the registry, run the suite, one table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report_model import no_imapcheck_environment  # noqa: F401  (autouse)

from imapcheck import cli
from imapcheck.report import runner

SUITE = Path(__file__).resolve().parents[1] / "conformance"


def test_matrix_runs_the_suite_against_dovecot(tmp_path, capsys):
    available, _ = runner.server_registry()
    if "dovecot" not in available():
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    out = tmp_path / "reports"
    code = cli.main(
        [
            "matrix",
            "--servers",
            "dovecot",
            "--out",
            str(out),
            "--suite",
            str(SUITE),
            "-k",
            "noop",
            "-p",
            "no:hypothesispytest",
        ]
    )
    assert code == 0
    said = capsys.readouterr().out
    assert "[1/1] dovecot: starting" in said
    assert f"wrote {out / 'matrix.html'}" in said
    report = json.loads((out / "dovecot" / "latest" / "report.json").read_text())
    assert report["server"]["name"] == "dovecot"
    assert report["server"]["version"].startswith("2.")
    assert report["summary"]["total"] > 0
    assert all("noop" in t["id"].lower() for t in report["tests"])
    text = (out / "matrix.md").read_text()
    assert f"| dovecot {report['server']['version'].split(' (')[0]} |" in text
    assert "test_noop" in text
    # the accounts' passwords went to the child through the environment, not its command line
    assert "--password" not in " ".join(report["run"]["command"])


class FakeServer:
    def __init__(self, root: Path) -> None:
        self.host, self.plain_port, self.root = "127.0.0.1", 9, root
        self.accounts: list = []
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_a_server_that_cannot_start_is_reported_and_skipped(tmp_path, monkeypatch, capsys):
    started: list[FakeServer] = []

    def start(name: str) -> FakeServer:
        if name == "broken":
            raise RuntimeError("no such binary")
        started.append(FakeServer(tmp_path))
        return started[-1]

    monkeypatch.setattr(runner, "server_registry", lambda: (lambda: ["broken", "mute"], start))
    monkeypatch.setattr(runner.subprocess, "run", lambda *a, **k: None)
    code = cli.main(["matrix", "--out", str(tmp_path), "--suite", str(SUITE)])
    assert code == 2
    captured = capsys.readouterr()
    assert "[1/2] broken: could not start: no such binary" in captured.out
    assert "[2/2] mute: no report was written" in captured.out
    assert "imapcheck matrix: no run produced a report" in captured.err
    assert started and started[0].stopped
