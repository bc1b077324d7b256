"""Headless Locust runs of the ready scenarios against a real Dovecot on loopback.

Locust runs in subprocesses (it patches sockets with gevent on import). Every run is short and
bounded by --run-time (or the capacity shape's limits) and by the subprocess timeout.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from imapcheck.load.base import Endpoint
from imapcheck.load.messages import make_message
from imapcheck.load.seed import seed_account
from imapcheck.servers import dovecot

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "load" / "locustfile.py"
SCENARIOS = {"MobileUser", "DesktopSyncUser", "WebmailUser", "PopDownloadUser", "WriterUser"}


@pytest.fixture(scope="module")
def server() -> Iterator[dovecot.DovecotServer]:
    running = dovecot.start(users=3, user_prefix="loadl")
    rng = random.Random(11)
    plan = {
        "INBOX": [make_message(rng, i) for i in range(20)],
        "Archive": [make_message(rng, i, kind="plain") for i in range(5)],
        "Trash": [],
    }
    endpoint = Endpoint(running.host, running.plain_port, timeout=20)
    try:
        for account in running.accounts:
            assert not seed_account(endpoint, account, plan).error  # type: ignore[arg-type]
        yield running
    finally:
        running.stop()


def users_file(tmp_path: Path, server: dovecot.DovecotServer, password: str | None = None) -> Path:
    path = tmp_path / "users.csv"
    path.write_text(
        "user,password\n" + "".join(f"{a.user},{password or a.password}\n" for a in server.accounts)
    )
    return path


def locust(
    tmp_path: Path, host: str, users: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run Locust headless in ``tmp_path``; CSV stats go to tmp_path/stats_*.csv."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--imap-users-file",
        str(users),
        "--csv",
        "stats",
        "--only-summary",
        "--stop-timeout",
        "1",
        *args,
    ]
    return subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=timeout, check=False
    )


def rows(tmp_path: Path, name: str) -> list[dict[str, str]]:
    with (tmp_path / f"stats_{name}.csv").open() as fh:
        return list(csv.DictReader(fh))


def explain(done: subprocess.CompletedProcess[str], tmp_path: Path) -> str:
    """What a failed run said: its output and Locust's failure and exception tables."""
    tables = "".join(
        (tmp_path / f"stats_{name}.csv").read_text()
        for name in ("failures", "exceptions")
        if (tmp_path / f"stats_{name}.csv").exists()
    )
    return f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}\n{tables}"


def requests_by_name(tmp_path: Path) -> dict[str, dict[str, str]]:
    return {row["Name"]: row for row in rows(tmp_path, "stats") if row["Type"] == "IMAP"}


def imap(server: dovecot.DovecotServer) -> str:
    return f"imap://{server.host}:{server.plain_port}"


def test_every_scenario_runs_without_failures(tmp_path, server) -> None:
    done = locust(
        tmp_path,
        imap(server),
        users_file(tmp_path, server),
        "-u",
        "15",
        "-r",
        "15",
        "-t",
        "8s",
        "--imap-think-scale",
        "0.05",
        "--imap-idle-seconds",
        "2",
        "--imap-report-dir",
        "report",
    )
    assert done.returncode == 0, explain(done, tmp_path)
    assert "Traceback" not in done.stderr
    stats = requests_by_name(tmp_path)
    assert all(row["Failure Count"] == "0" for row in stats.values()), stats
    for name in (
        "connect",
        "LOGIN",
        "SELECT",
        "IDLE",
        "IDLE push",
        "ENABLE",
        "LIST",
        "STATUS",
        "UID FETCH UID FLAGS RFC822.SIZE ENVELOPE",
        "UID FETCH BODY.PEEK[]",
        "UID FETCH UID RFC822.SIZE",
        "APPEND",
        "UID MOVE",
        "UID STORE +FLAGS.SILENT",
    ):
        assert name in stats, f"{name} never ran: {sorted(stats)}"
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert set(summary["bytes_by_scenario"]) == SCENARIOS
    assert summary["failures"] == 0 and summary["idle_push"]["requests"] > 0
    assert summary["peak_sessions"] > 0 and summary["samples"]
    pop = summary["bytes_per_user_hour"]["PopDownloadUser"]
    mobile = summary["bytes_per_user_hour"]["MobileUser"]
    assert pop["in"] > mobile["in"]  # downloading everything costs more than idling
    for png in ("latency.png", "bandwidth.png", "sessions.png", "bytes_per_user_hour.png"):
        assert (tmp_path / "report" / png).stat().st_size > 1000


def test_imapclient_users_run_the_same_scenarios(tmp_path, server) -> None:
    done = locust(
        tmp_path,
        imap(server),
        users_file(tmp_path, server),
        "-u",
        "10",
        "-r",
        "10",
        "-t",
        "5s",
        "--imap-think-scale",
        "0.05",
        "--imap-idle-seconds",
        "2",
        "--imap-client",
        "imapclient",
        "--imap-report-dir",
        "",
    )
    assert done.returncode == 0, explain(done, tmp_path)
    stats = requests_by_name(tmp_path)
    assert all(row["Failure Count"] == "0" for row in stats.values()), stats
    assert {"LOGIN", "SELECT", "UID SEARCH ALL"} <= set(stats)


def test_distributed_processes_with_tags(tmp_path, server) -> None:
    done = locust(
        tmp_path,
        imap(server),
        users_file(tmp_path, server),
        "--processes",
        "2",
        "-u",
        "6",
        "-r",
        "6",
        "-t",
        "5s",
        "--tags",
        "webmail",
        "writer",
        "--imap-think-scale",
        "0.05",
        "--imap-report-dir",
        "report",
    )
    assert done.returncode == 0, explain(done, tmp_path)
    assert "Traceback" not in done.stderr
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["workers"] == 2
    assert set(summary["bytes_by_scenario"]) == {"WebmailUser", "WriterUser"}
    assert summary["failures"] == 0 and summary["requests"] > 0
    assert all(v["in"] > 0 for v in summary["bytes_by_scenario"].values())


def test_unreachable_server_is_one_failure_row(tmp_path, server) -> None:
    done = locust(
        tmp_path,
        "imap://127.0.0.1:1",
        users_file(tmp_path, server),
        "-u",
        "8",
        "-r",
        "8",
        "-t",
        "2s",
        "--imap-report-dir",
        "",
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    failures = rows(tmp_path, "failures")
    assert len(failures) == 1, failures
    assert failures[0]["Name"] == "connect"
    assert failures[0]["Error"] == "cannot connect to 127.0.0.1:1: connection refused"
    assert int(failures[0]["Occurrences"]) >= 8


def test_wrong_password_is_one_failure_row(tmp_path) -> None:
    fresh = dovecot.start(users=2, user_prefix="loadw")  # its own: Dovecot penalises failures
    try:
        done = locust(
            tmp_path,
            imap(fresh),
            users_file(tmp_path, fresh, password="wrong"),
            "-u",
            "6",
            "-r",
            "6",
            "-t",
            "3s",
            "--imap-report-dir",
            "",
        )
    finally:
        fresh.stop()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    failures = rows(tmp_path, "failures")
    assert [(f["Name"], f["Error"]) for f in failures] == [
        ("LOGIN", "NO [AUTHENTICATIONFAILED] Authentication failed.")
    ]


def test_capacity_search_steps_up_and_reports(tmp_path, server) -> None:
    shape = str(ROOT / "load" / "capacity.py")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            f"{LOCUSTFILE},{shape}",
            "WebmailUser",
            "--headless",
            "--host",
            imap(server),
            "--imap-users-file",
            str(users_file(tmp_path, server)),
            "--imap-think-scale",
            "0.05",
            "--capacity-start",
            "2",
            "--capacity-step",
            "2",
            "--capacity-max-users",
            "4",
            "--capacity-step-seconds",
            "2.5",
            "--capacity-spawn-rate",
            "10",
            "--capacity-p95-ms",
            "5000",
            "--capacity-time-limit",
            "30",
            "--imap-report-dir",
            "report",
            "--only-summary",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, explain(done, tmp_path)
    capacity = json.loads((tmp_path / "report" / "summary.json").read_text())["capacity"]
    assert capacity["sustainable_users"] == 4
    assert [step["users"] for step in capacity["steps"]] == [2, 4]
    assert "max-users" in capacity["reason"]
    assert "largest sustainable load 4 users" in done.stderr


def test_capacity_search_stops_when_commands_fail(tmp_path, server) -> None:
    shape = str(ROOT / "load" / "capacity.py")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            f"{LOCUSTFILE},{shape}",
            "WebmailUser",
            "--headless",
            "--host",
            "imap://127.0.0.1:1",
            "--imap-users-file",
            str(users_file(tmp_path, server)),
            "--capacity-start",
            "2",
            "--capacity-step",
            "2",
            "--capacity-step-seconds",
            "3",
            "--capacity-time-limit",
            "20",
            "--imap-think-scale",
            "0.01",
            "--imap-report-dir",
            "report",
            "--only-summary",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    capacity = json.loads((tmp_path / "report" / "summary.json").read_text())["capacity"]
    assert capacity["sustainable_users"] == 0, explain(done, tmp_path)
    assert capacity["reason"] == "failure ratio 100.00% > 1.00%"
    assert capacity["steps"][0]["sustainable"] is False
