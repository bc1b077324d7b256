"""Load benchmark: FastImapUser against a raw-socket loop, and Dovecot's imaptest when on PATH.

One embedded Dovecot, the same accounts, messages and command mix for every client:

1. latency: one session each; p50 of the mix (target: FastImapUser within 15 % of the raw loop)
2. throughput: ``--sessions`` sessions in one process each; commands/s, client CPU per command
   (targets against imaptest: at least 0.8x its commands/s, at most 2x its CPU per command)
3. idle: ``--idle-sessions`` sessions held in IDLE by one Locust process; RSS per session
   (target: at most 100 KB)

    python benchmarks/load_benchmark.py [--sessions 20] [--seconds 10] [--idle-sessions 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imapcheck.load.accounts import Account
from imapcheck.load.base import Endpoint
from imapcheck.load.messages import make_message
from imapcheck.load.seed import seed_account
from imapcheck.servers import dovecot

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
LOCUST = str(Path(sys.executable).with_name("locust"))
MESSAGES = 50
IMAPTEST_MISSING = (
    "imaptest is not on PATH (Debian bookworm does not package it; build it from "
    "Dovecot's imaptest sources): comparison with imaptest skipped"
)


def prepare(accounts: int) -> tuple[dovecot.DovecotServer, Path]:
    server = dovecot.start(users=accounts, user_prefix="bench")
    csv = Path(tempfile.mkdtemp(prefix="imapcheck-bench-")) / "users.csv"
    csv.write_text("".join(f"{a.user},{a.password}\n" for a in server.accounts))
    rng = random.Random(7)
    plan = {
        "INBOX": [make_message(rng, i, kind="plain") for i in range(1, MESSAGES + 1)],
        "Archive": [make_message(rng, i, kind="plain") for i in range(1, 11)],
    }
    endpoint = Endpoint(server.host, server.plain_port, timeout=30)
    for account in server.accounts:
        result = seed_account(endpoint, Account(account.user, account.password), plan)
        if result.error:
            raise SystemExit(f"seeding failed: {result.error}")
    return server, csv


def raw_loop(
    port: int, csv: Path, sessions: int, seconds: float, *, gevent: bool = False
) -> dict[str, float]:
    out = subprocess.run(
        [
            PYTHON,
            str(HERE / "load_rawloop.py"),
            "--port",
            str(port),
            "--users-file",
            str(csv),
            "--sessions",
            str(sessions),
            "--seconds",
            str(seconds),
            *(["--gevent"] if gevent else []),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    return json.loads(out.stdout)


def locust(
    port: int, csv: Path, user_class: str, users: int, seconds: float, *extra: str
) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="imapcheck-bench-")) / "result.json"
    env = dict(os.environ, IMAPCHECK_BENCH_OUT=str(out))
    rate = str(min(users, 250))
    command = [
        LOCUST,
        "-f",
        str(HERE / "load_locustfile.py"),
        user_class,
        "--headless",
        "-u",
        str(users),
        "-r",
        rate,
        "-t",
        f"{seconds:.0f}s",
        "--stop-timeout",
        "0",
        "--host",
        f"imap://127.0.0.1:{port}",
        "--imap-users-file",
        str(csv),
        "--imap-report-dir",
        "",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *extra,
    ]
    subprocess.run(command, env=env, capture_output=True, timeout=seconds + 180, check=False)
    if not out.exists():
        raise SystemExit(f"locust wrote no result: {' '.join(command)}")
    return json.loads(out.read_text())


def imaptest(port: int, csv: Path, sessions: int, seconds: float) -> dict[str, float] | None:
    binary = shutil.which("imaptest")
    if binary is None:
        return None
    userfile = csv.with_suffix(".imaptest")
    userfile.write_text(csv.read_text().replace(",", ":"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [
            binary,
            "host=127.0.0.1",
            f"port={port}",
            f"userfile={userfile}",
            f"clients={sessions}",
            f"secs={seconds:.0f}",
            "mbox=/dev/null",
            "-",
            "select=0",
            "noop=100",
            "fetch=100",
            "fetch2=100",
            "search=100",
            "store=100",
            "status=100",
            "logout=0",
            "append=0",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    totals = out.stdout.split("Totals:")[-1].splitlines()
    numbers = [int(n) for line in totals[2:3] for n in re.findall(r"\d+", line)]
    count = sum(numbers)
    if not count:
        print(f"imaptest output not understood:\n{out.stdout[-2000:]}{out.stderr[-500:]}")
        return None
    return {
        "commands": count,
        "commands_per_s": count / seconds,
        "cpu_us_per_command": cpu / count * 1e6,
    }


def median_run(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs."""
    keys = [k for k, v in rows[0].items() if isinstance(v, int | float)]
    return {k: statistics.median(row[k] for row in rows) for k in keys}


def show(name: str, row: dict[str, float] | None, note: str = "") -> None:
    if row is None:
        print(f"  {name:<24} {note}")
        return
    rate, cpu = row.get("commands_per_s", 0), row.get("cpu_us_per_command", 0)
    p50, p95 = row.get("p50_ms", float("nan")), row.get("p95_ms", float("nan"))
    print(f"  {name:<24} {rate:>10.0f} {cpu:>12.1f} {p50:>10.3f} {p95:>10.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=20, help="sessions for throughput")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed run")
    parser.add_argument("--idle-sessions", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per client")
    parser.add_argument("--out", default="reports/load/benchmark.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    server, csv = prepare(args.accounts)
    port, secs = server.plain_port, args.seconds
    runs: dict[str, list[dict[str, float]]] = {}

    def record(name: str, row: dict[str, float]) -> None:
        runs.setdefault(name, []).append(row)

    try:
        for _round in range(args.rounds):  # interleaved, so that drift hits every client alike
            record("lat_raw", raw_loop(port, csv, 1, secs))
            record("lat_raw_gevent", raw_loop(port, csv, 1, secs, gevent=True))
            record("lat_fast", locust(port, csv, "MixUser", 1, secs + 3))
            record("thr_raw", raw_loop(port, csv, args.sessions, secs))
            record("thr_fast", locust(port, csv, "MixUser", args.sessions, secs + 3))
        thr_imaptest = imaptest(port, csv, args.sessions, secs)
        idle = locust(port, csv, "IdleUser", args.idle_sessions, 150, "--imap-idle-seconds", "120")
    finally:
        server.stop()
    best = {name: median_run(rows) for name, rows in runs.items()}
    lat_raw, lat_gevent, lat_fast = best["lat_raw"], best["lat_raw_gevent"], best["lat_fast"]
    thr_raw, thr_fast = best["thr_raw"], best["thr_fast"]
    per_session_kb = (idle.get("rss_idle_kb", 0) - idle.get("rss_before_kb", 0)) / max(
        idle.get("sessions", 0), 1
    )
    header = f"  {'':<24} {'commands/s':>10} {'CPU us/cmd':>12} {'p50 ms':>10} {'p95 ms':>10}"
    print(f"latency, 1 session each ({secs:g} s, median of {args.rounds} runs):\n{header}")
    show("raw socket loop", lat_raw)
    show("raw loop on gevent", lat_gevent)
    show("FastImapUser (Locust)", lat_fast)
    print(f"throughput, {args.sessions} sessions in one process ({secs:g} s):\n{header}")
    show("raw socket loop", thr_raw)
    show("FastImapUser (Locust)", thr_fast)
    show("imaptest", thr_imaptest, IMAPTEST_MISSING)
    print("ratios, FastImapUser / raw loop:")
    print(
        f"  p50 latency {lat_fast['p50_ms'] / lat_raw['p50_ms'] - 1:+.1%} (target within 15 %); "
        f"against the raw loop on gevent {lat_fast['p50_ms'] / lat_gevent['p50_ms'] - 1:+.1%}"
    )
    print(
        f"  commands/s {thr_fast['commands_per_s'] / thr_raw['commands_per_s']:.2f}x, "
        f"CPU per command {thr_fast['cpu_us_per_command'] / thr_raw['cpu_us_per_command']:.2f}x"
    )
    if thr_imaptest:
        print("ratios, FastImapUser / imaptest:")
        print(
            f"  commands/s {thr_fast['commands_per_s'] / thr_imaptest['commands_per_s']:.2f}x "
            f"(target >= 0.8), CPU per command "
            f"{thr_fast['cpu_us_per_command'] / thr_imaptest['cpu_us_per_command']:.2f}x "
            "(target <= 2)"
        )
    print(
        f"idle: {idle.get('sessions', 0)} sessions in IDLE held by one Locust process, "
        f"{per_session_kb:.1f} KB RSS per session (target <= 100 KB)"
    )
    result = {
        "runs": runs,
        "median": best,
        "imaptest": thr_imaptest,
        "idle": dict(idle, kb_per_session=per_session_kb),
        "sessions": args.sessions,
        "seconds": secs,
        "rounds": args.rounds,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(f"({time.monotonic() - started:.0f} s; figures in {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
