"""Locust side of the load benchmark (run by benchmarks/load_benchmark.py).

``MixUser`` runs the raw loop's command mix through FastImapUser with no think time;
``IdleUser`` opens a session and stays in IDLE. Measurements go to the JSON file named by
IMAPCHECK_BENCH_OUT: commands, client CPU, exact latencies, and RSS per idle session.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from typing import Any

import gevent
from load_rawloop import MESSAGES, MIX
from locust import constant, events, task

from imapcheck.load import FastImapUser
from imapcheck.load.base import SESSIONS

SETUP = {"connect", "TLS handshake", "CAPABILITY", "LOGIN", "SELECT", "IDLE", "IDLE DONE"}
STATE: dict[str, Any] = {"latencies": [], "commands": 0}
_STAGGER = itertools.count()


class MixUser(FastImapUser):
    """The benchmark mix, back to back."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.step = next(_STAGGER) * 3  # sessions start at different points of the mix
        self.open_session("INBOX")

    @task
    def one_round(self) -> None:
        self.ensure_session("INBOX")
        imap = self.imap
        for _ in range(len(MIX)):
            step = self.step
            self.step += 1
            uid = str(step % MESSAGES + 1)
            kind = step % len(MIX)
            if kind == 0:
                imap.noop()
            elif kind == 1:
                imap.uid_fetch("1:*", "(UID FLAGS)")
            elif kind == 2:
                imap.uid_fetch(uid, "(BODY.PEEK[HEADER])")
            elif kind == 3:
                imap.uid_search("UNSEEN")
            elif kind == 4:
                imap.uid_store(uid, "+FLAGS.SILENT", "(\\Seen)")
            elif kind == 5:
                imap.uid_fetch(uid, "(BODY.PEEK[])")
            elif kind == 6:
                imap.uid_store(uid, "-FLAGS.SILENT", "(\\Seen)")
            else:
                imap.status("Archive", ("MESSAGES", "UNSEEN"))


class IdleUser(FastImapUser):
    """One session held in IDLE (renewed every --imap-idle-seconds)."""

    wait_time = constant(0)

    @task
    def hold(self) -> None:
        self.ensure_session("INBOX")
        self.imap.idle(self.settings.idle_seconds)


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@events.request.add_listener
def _on_request(name: str, response_time: float, exception: Any = None, **_: Any) -> None:
    if STATE.get("measuring") and name not in SETUP and exception is None:
        STATE["latencies"].append(response_time)


@events.test_start.add_listener
def _on_start(environment: Any, **_: Any) -> None:
    STATE["rss_before_kb"] = _rss_kb()
    gevent.spawn(_watch, environment)


def _watch(environment: Any) -> None:
    """Start measuring once every user has its session; for IdleUser, take RSS and stop."""
    target = environment.parsed_options.num_users
    deadline = time.monotonic() + 120
    while SESSIONS.open < target and time.monotonic() < deadline:
        gevent.sleep(0.2)
    STATE["sessions"] = SESSIONS.open
    if environment.user_classes and environment.user_classes[0] is IdleUser:
        gevent.sleep(2)  # let the last IDLE continuations arrive
        STATE["sessions"] = SESSIONS.open
        STATE["rss_idle_kb"] = _rss_kb()
        environment.runner.quit()
        return
    STATE.update(measuring=True, cpu0=time.process_time(), t0=time.perf_counter())


@events.test_stopping.add_listener
def _on_stopping(**_: Any) -> None:
    if STATE.get("measuring"):
        STATE.update(measuring=False, cpu1=time.process_time(), t1=time.perf_counter())


@events.quitting.add_listener
def _on_quit(**_: Any) -> None:
    out = os.environ.get("IMAPCHECK_BENCH_OUT")
    if not out:
        return
    latencies = sorted(STATE.pop("latencies"))
    result = {k: v for k, v in STATE.items() if not isinstance(v, bool)}
    if "t1" in STATE:
        count = len(latencies)
        elapsed, cpu = STATE["t1"] - STATE["t0"], STATE["cpu1"] - STATE["cpu0"]
        result.update(
            commands=count,
            seconds=elapsed,
            commands_per_s=count / elapsed,
            cpu_s=cpu,
            cpu_us_per_command=cpu / count * 1e6 if count else 0.0,
            p50_ms=latencies[count // 2] if count else 0.0,
            p95_ms=latencies[int(count * 0.95)] if count else 0.0,
        )
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
