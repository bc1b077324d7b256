"""What a load run measures beyond Locust's own stats: bytes per scenario, sessions, time series.

Each process keeps a :class:`Recorder`. Workers send their byte counts and session gauge to the
master with every stats report; the master (or a local runner) samples once per interval the
command latency percentiles, bandwidth, users per scenario and open sessions for the report.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import RequestStats, calculate_response_time_percentile

from imapcheck.load.base import SESSIONS

REQUEST_TYPE = "IMAP"
PUSH_NAME = "IDLE push"  # APPEND by a writer -> EXISTS at an idler: a latency, not a command
NOT_COMMANDS = frozenset({PUSH_NAME})
_KEY = "imapcheck"


@dataclass
class Histogram:
    """Response times (ms buckets as Locust rounds them) with request and failure counts."""

    times: Counter[int] = field(default_factory=Counter)
    requests: int = 0
    failures: int = 0

    def minus(self, earlier: Histogram) -> Histogram:
        times = Counter(self.times)
        times.subtract(earlier.times)
        return Histogram(+times, self.requests - earlier.requests, self.failures - earlier.failures)

    def percentile(self, share: float) -> float | None:
        count = sum(self.times.values())
        if not count:
            return None
        return float(calculate_response_time_percentile(dict(self.times), count, share))

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def command_histogram(stats: RequestStats) -> Histogram:
    """All IMAP commands together (IDLE push latency left out)."""
    out = Histogram()
    for (name, method), entry in stats.entries.items():
        if method != REQUEST_TYPE or name in NOT_COMMANDS:
            continue
        out.times.update(entry.response_times)
        out.requests += entry.num_requests
        out.failures += entry.num_failures
    return out


@dataclass
class Sample:
    t: float
    users: int
    sessions: int
    rps: float
    failures_per_s: float
    p50: float | None
    p95: float | None
    p99: float | None
    bytes_in_per_s: float
    bytes_out_per_s: float
    users_by_scenario: dict[str, int]


class Recorder:
    """Byte counts per scenario, the sessions gauge and (master/local) the time series."""

    def __init__(self, environment: Environment, interval: float = 2.0) -> None:
        self.environment = environment
        self.interval = interval
        self.bytes_in: Counter[str] = Counter()
        self.bytes_out: Counter[str] = Counter()
        self._sent_in: Counter[str] = Counter()  # what a worker has reported so far
        self._sent_out: Counter[str] = Counter()
        self.worker_sessions: dict[str, tuple[int, int]] = {}
        self.samples: list[Sample] = []
        self.user_seconds: dict[str, float] = {}
        self.peak_sessions = 0
        self.capacity: dict[str, Any] | None = None
        self.started: float | None = None
        self._sampler: gevent.Greenlet | None = None
        self._last: tuple[float, Histogram, int, int] | None = None
        events = environment.events
        events.request.add_listener(self.on_request)
        events.report_to_master.add_listener(self.on_report_to_master)
        events.worker_report.add_listener(self.on_worker_report)
        events.test_start.add_listener(self.on_test_start)
        events.test_stop.add_listener(self.on_test_stop)

    # -- every process -----------------------------------------------------------------------

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int,
        context: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        if request_type != REQUEST_TYPE:
            return
        if context:
            scenario = context.get("scenario", "?")
            self.bytes_in[scenario] += response_length or 0
            self.bytes_out[scenario] += context.get("bytes_sent", 0)
        else:
            self.bytes_in["?"] += response_length or 0

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        delta_in, delta_out = self.bytes_in - self._sent_in, self.bytes_out - self._sent_out
        data[_KEY] = {
            "in": dict(delta_in),
            "out": dict(delta_out),
            "sessions": SESSIONS.open,
            "peak": SESSIONS.peak,
        }
        self._sent_in.update(delta_in)
        self._sent_out.update(delta_out)

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        report = data.get(_KEY)
        if not report:
            return
        self.bytes_in.update(report.get("in", {}))
        self.bytes_out.update(report.get("out", {}))
        self.worker_sessions[client_id] = (int(report["sessions"]), int(report["peak"]))

    @property
    def sessions(self) -> int:
        if isinstance(self.environment.runner, MasterRunner):
            return sum(open_ for open_, _peak in self.worker_sessions.values())
        return SESSIONS.open

    # -- master or local: the time series ------------------------------------------------------

    def on_test_start(self, environment: Environment, **_: Any) -> None:
        for counter in (self.bytes_in, self.bytes_out, self._sent_in, self._sent_out):
            counter.clear()
        if isinstance(environment.runner, WorkerRunner) or self._sampler is not None:
            return
        self.samples.clear()
        self.user_seconds.clear()
        self.worker_sessions.clear()
        self.started = time.monotonic()
        self._last = (self.started, Histogram(), 0, 0)
        self._sampler = gevent.spawn(self._sample_forever)

    def on_test_stop(self, environment: Environment, **_: Any) -> None:
        if self._sampler is not None:
            self.sample()
            self._sampler.kill(block=False)
            self._sampler = None

    def _sample_forever(self) -> None:
        while True:
            gevent.sleep(self.interval)
            self.sample()

    def sample(self) -> None:
        runner = self.environment.runner
        if runner is None or self.started is None:
            return
        now = time.monotonic()
        hist = command_histogram(self.environment.stats)
        total_in, total_out = sum(self.bytes_in.values()), sum(self.bytes_out.values())
        if isinstance(runner, MasterRunner):
            by_class = dict(runner.reported_user_classes_count)
        else:
            by_class = dict(runner.user_classes_count)
        self.peak_sessions = max(self.peak_sessions, self.sessions)
        if self._last is None:
            return
        then, earlier, in0, out0 = self._last
        span = max(now - then, 1e-6)
        window = hist.minus(earlier)
        for name, count in by_class.items():
            self.user_seconds[name] = self.user_seconds.get(name, 0.0) + count * span
        self.samples.append(
            Sample(
                t=round(now - self.started, 3),
                users=sum(by_class.values()),
                sessions=self.sessions,
                rps=window.requests / span,
                failures_per_s=window.failures / span,
                p50=window.percentile(0.5),
                p95=window.percentile(0.95),
                p99=window.percentile(0.99),
                bytes_in_per_s=(total_in - in0) / span,
                bytes_out_per_s=(total_out - out0) / span,
                users_by_scenario=by_class,
            )
        )
        self._last = (now, hist, total_in, total_out)

    def bytes_per_user_hour(self) -> dict[str, dict[str, float]]:
        """Per scenario: bytes in and out per hour of one user's session."""
        out = {}
        for scenario in sorted(set(self.bytes_in) | set(self.bytes_out)):
            hours = self.user_seconds.get(scenario, 0.0) / 3600.0
            if hours <= 0:
                continue
            out[scenario] = {
                "in": self.bytes_in[scenario] / hours,
                "out": self.bytes_out[scenario] / hours,
                "user_hours": hours,
            }
        return out


_RECORDERS: dict[int, Recorder] = {}


def recorder_for(environment: Environment, interval: float = 2.0) -> Recorder:
    """The environment's recorder, created (and its listeners added) on first use."""
    key = id(environment)
    if key not in _RECORDERS:
        _RECORDERS[key] = Recorder(environment, interval)
    return _RECORDERS[key]
