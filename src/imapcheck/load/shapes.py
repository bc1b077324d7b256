"""Capacity search: ramp users step by step until p95 latency or the failure ratio is too high.

Each step holds a user count for ``--capacity-step-seconds``; after the ramp-up of the step,
its window of IMAP commands is judged. The largest count whose window stayed under both
thresholds is the sustainable capacity; it is logged and written to the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from locust import LoadTestShape, events

from imapcheck.load.metrics import Histogram, command_histogram, recorder_for

log = logging.getLogger("imapcheck.load")


def add_arguments(parser: Any) -> None:

    def add(option: str, **kwargs: Any) -> None:
        env = "LOCUST_" + option.lstrip("-").upper().replace("-", "_")
        parser.add_argument(option, env_var=env, **kwargs)

    add("--capacity-start", type=int, default=10, help="users in the first step")
    add("--capacity-step", type=int, default=10, help="users added per step")
    add("--capacity-step-seconds", type=float, default=30.0, help="length of a step")
    add("--capacity-spawn-rate", type=float, default=10.0, help="users started per second")
    add("--capacity-max-users", type=int, default=1000, help="stop searching here")
    add("--capacity-p95-ms", type=float, default=500.0, help="p95 latency threshold (ms)")
    add(
        "--capacity-max-failure-ratio",
        type=float,
        default=0.01,
        help="failure ratio threshold (0.01 = 1 %%)",
    )
    add(
        "--capacity-time-limit",
        type=float,
        default=900.0,
        help="end the search after this many seconds in any case",
    )


events.init_command_line_parser.add_listener(add_arguments)


@dataclass
class CapacityConfig:
    start: int = 10
    step: int = 10
    step_seconds: float = 30.0
    spawn_rate: float = 10.0
    max_users: int = 1000
    p95_ms: float = 500.0
    max_failure_ratio: float = 0.01
    time_limit: float = 900.0

    @classmethod
    def from_options(cls, opts: Any) -> CapacityConfig:
        values = {
            n: getattr(opts, f"capacity_{n}")
            for n in cls.__dataclass_fields__
            if hasattr(opts, f"capacity_{n}")
        }
        return cls(**values)


@dataclass
class Step:
    users: int
    started: float
    baseline: Histogram | None = None
    verdict: dict[str, Any] = field(default_factory=dict)


def judge(window: Histogram, config: CapacityConfig) -> tuple[bool, str]:
    """Whether one step's window of commands is sustainable, and why not."""
    if window.requests == 0:
        return False, "no command completed in the step"
    p95 = window.percentile(0.95) or 0.0
    if p95 > config.p95_ms:
        return False, f"p95 {p95:.0f} ms > {config.p95_ms:g} ms"
    if window.failure_ratio > config.max_failure_ratio:
        return False, (f"failure ratio {window.failure_ratio:.2%} > {config.max_failure_ratio:.2%}")
    return True, ""


class CapacitySearchShape(LoadTestShape):
    """Step the user count up until a threshold is crossed; report the last good count."""

    config: CapacityConfig | None = None  # None: from the --capacity-* options

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[Step] = []
        self.result: dict[str, Any] | None = None

    def _config(self) -> CapacityConfig:
        if self.config is not None:
            return self.config
        env = self.runner.environment if self.runner else None
        return CapacityConfig.from_options(env.parsed_options if env else None)

    def reset_time(self) -> None:
        super().reset_time()
        self.steps, self.result = [], None

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None
        config = self._config()
        now = self.get_run_time()
        if self.result is not None:
            return None
        if not self.steps:
            self.steps.append(Step(config.start, now))
        step = self.steps[-1]
        elapsed = now - step.started
        settle = min(config.step_seconds / 3, step.users / max(config.spawn_rate, 0.001) + 2)
        stats = self.runner.environment.stats
        if step.baseline is None and elapsed >= settle:
            step.baseline = command_histogram(stats)
        if now > config.time_limit:
            return self._finish(f"time limit {config.time_limit:g} s reached")
        if elapsed < config.step_seconds or step.baseline is None:
            return step.users, config.spawn_rate
        window = command_histogram(stats).minus(step.baseline)
        ok, why = judge(window, config)
        step.verdict = {
            "users": step.users,
            "requests": window.requests,
            "failures": window.failures,
            "p95_ms": window.percentile(0.95),
            "failure_ratio": round(window.failure_ratio, 4),
            "sustainable": ok,
        }
        log.info("capacity step %d users: %s", step.users, "ok" if ok else why)
        if not ok:
            return self._finish(why)
        if step.users >= config.max_users:
            return self._finish(f"--capacity-max-users {config.max_users} reached")
        self.steps.append(Step(min(step.users + config.step, config.max_users), now))
        return self.steps[-1].users, config.spawn_rate

    def _finish(self, reason: str) -> tuple[int, float] | None:
        good = [s.users for s in self.steps if s.verdict.get("sustainable")]
        self.result = {
            "sustainable_users": max(good, default=0),
            "reason": reason,
            "steps": [s.verdict for s in self.steps if s.verdict],
        }
        log.info(
            "capacity: largest sustainable load %d users (%s)",
            self.result["sustainable_users"],
            reason,
        )
        if self.runner is not None:
            recorder_for(self.runner.environment).capacity = self.result
        return None  # tells Locust to stop
