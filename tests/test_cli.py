"""The ``imapcheck`` command line: help, run, report, compare, matrix --from, seed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_report_model import make_report, no_imapcheck_environment  # noqa: F401

from imapcheck import cli
from imapcheck.report import runner, writer

# Hypothesis's plugin spends a second on its summary; these inner runs do not use it.
INNER = ("-p", "no:hypothesispytest")
COMMANDS = ("run", "serve", "report", "compare", "matrix", "clean", "seed")


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as stop:
        cli.main([*argv, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_lists_every_command(capsys):
    text = help_text(capsys)
    for command in COMMANDS:
        assert f"\n    {command} " in text, command
    assert "imapcheck run --server mail.example.org:993" in text


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("run", ["--suite", "--no-baseline", "--baseline FILE", "'pytest --help'"]),
        ("report", ["REPORT", "--out"]),
        ("compare", ["exit status 1: new failures", "--json"]),
        ("matrix", ["--servers", "--from", "--notes", "--timeout", "matrix.html"]),
        ("serve", ["--users"]),
        ("clean", ["--server"]),
    ],
)
def test_command_help(capsys, command, words):
    text = " ".join(help_text(capsys, command).split())
    for word in words:
        assert word in text, word


def test_no_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([])
    assert stop.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


def test_unknown_arguments_are_refused_outside_run_and_matrix(capsys, tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["compare", str(tmp_path), str(tmp_path), "-k", "x"])
    assert "unrecognized arguments: -k x" in capsys.readouterr().err


def test_report_renders_again_from_json(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.json").write_text(writer.to_json(make_report(("t", "6.1.1", "MUST", "failed"))))
    assert cli.main(["report", str(run / "report.json")]) == 0
    assert sorted(p.name for p in run.iterdir()) == sorted(writer.FILES)
    assert "failed: 1 failed (MUST)" in (run / "report.html").read_text()
    elsewhere = tmp_path / "copy"
    assert cli.main(["report", str(run), "--out", str(elsewhere)]) == 0
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(writer.FILES)
    assert f"wrote {elsewhere / 'report.html'}" in capsys.readouterr().out


def test_report_of_a_missing_file_says_so_in_one_line(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("imapcheck report: no report at ") and err.count("\n") == 1


def write(tmp_path: Path, name: str, *outcomes: tuple[str, str, str, str]) -> Path:
    run = tmp_path / name
    writer.write_all(make_report(*outcomes), run)
    return run


def test_compare_exit_status_follows_regressions(tmp_path, capsys):
    good = write(tmp_path, "a", ("t", "6.1.1", "MUST", "passed"))
    bad = write(tmp_path, "b", ("t", "6.1.1", "MUST", "failed"))
    assert cli.main(["compare", str(good), str(bad)]) == 1
    assert "## Newly failing (1)" in capsys.readouterr().out
    assert cli.main(["compare", str(bad), str(good), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in data["now_passing"]] == ["conformance/test_x.py::t"]


def test_matrix_from_existing_runs(tmp_path, capsys):
    runs = [
        write(tmp_path, "a", ("t", "6.1.1", "MUST", "passed")),
        write(tmp_path, "b", ("t", "6.1.1", "MUST", "failed")),
    ]
    (tmp_path / "findings.md").write_text("## What we found\n\nb fails t.\n")
    out = tmp_path
    assert cli.main(["matrix", "--from", *map(str, runs), "--out", str(out)]) == 0
    text = (out / "matrix.md").read_text()
    assert "b fails t." in text and "[✗](b/report.html#" in text
    assert (out / "matrix.html").is_file()


def test_matrix_list_names_dovecot_when_installed(capsys):
    available, _ = runner.server_registry()
    assert cli.main(["matrix", "--list"]) == 0
    names = available()
    expected = "\n".join(names) if names else "no server can be started here"
    assert capsys.readouterr().out == expected + "\n"


def test_seed_missing_says_so_in_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "imapcheck.load.seed", None)
    assert cli.main(["seed"]) == 2
    err = capsys.readouterr().err
    assert (
        err == "imapcheck seed: not available in this installation "
        "(imapcheck.load.seed is missing)\n"
    )


def test_seed_is_imported_only_when_asked_for(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "imapcheck.load.seed", raising=False)
    help_text(capsys, "compare")
    assert "imapcheck.load.seed" not in sys.modules


def test_seed_help_comes_from_the_module(capsys):
    pytest.importorskip("imapcheck.load.seed")
    text = help_text(capsys, "seed")
    assert text.startswith("usage: imapcheck seed")
    assert "--messages" in text and "--users-file" in text


def test_seed_runs_the_module(monkeypatch):
    seed = pytest.importorskip("imapcheck.load.seed")
    seen = []
    monkeypatch.setattr(seed, "run", lambda args: seen.append(args.messages) or 7)
    assert cli.main(["seed", "--server", "127.0.0.1:1", "--messages", "3"]) == 7
    assert seen == [3]


SUITE = """
import pytest

@pytest.mark.rfc("3501", "6.1.1", "MUST")
def test_one():
    pass

@pytest.mark.rfc("3501", "6.1.2", "MUST")
def test_two():
    pass
"""


def test_run_passes_pytest_arguments_and_writes_a_report(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_s.py").write_text(SUITE)
    reports = tmp_path / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "imapcheck.cli",
            "run",
            "--suite",
            str(suite),
            "--no-baseline",
            *INNER,
            "-k",
            "one",
            "--report-dir",
            str(reports),
            "--report-name",
            "x",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 deselected" in done.stdout
    data = json.loads((reports / "x" / "latest" / "report.json").read_text())
    assert [t["name"] for t in data["tests"]] == ["test_one"]


def test_run_adds_the_suite_unless_tests_are_chosen(tmp_path, monkeypatch):
    suite = tmp_path / "conformance"
    suite.mkdir()
    (suite / "test_a.py").write_text("")
    (tmp_path / "reports").mkdir()
    monkeypatch.chdir(tmp_path)
    calls: list[list[str]] = []
    monkeypatch.setattr(
        cli.subprocess,
        "run",
        lambda cmd, check: calls.append(cmd[3:]) or subprocess.CompletedProcess(cmd, 5),
    )
    assert cli.main(["run", "--no-baseline", "--report-dir", "reports", "-x"]) == 5
    assert cli.main(["run", "--no-baseline", "conformance/test_a.py::test_x", "-q"]) == 5
    assert cli.main(["run", "--no-baseline", "conformance"]) == 5
    assert calls == [
        ["conformance", "--report-dir", "reports", "-x"],
        ["conformance/test_a.py::test_x", "-q"],
        ["conformance"],
    ]


def test_default_baseline_matches_the_installed_dovecot(tmp_path):
    from imapcheck.servers import dovecot

    binary = dovecot.find_binary()
    if binary is None:
        pytest.skip("Dovecot is not installed")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    major_minor = ".".join(version.split(".")[:2])
    suite = tmp_path / "conformance"
    suite.mkdir()
    assert runner.default_baseline(suite) is None
    (tmp_path / "baselines").mkdir()
    wanted = tmp_path / "baselines" / f"dovecot-{major_minor}.toml"
    wanted.write_text("")
    assert runner.default_baseline(suite) == wanted
