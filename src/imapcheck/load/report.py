"""The end-of-run report: summary.json, summary.md and PNG plots (matplotlib) in one folder.

Locust's own HTML and CSV (``--html``, ``--csv``) are written next to it by Locust.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from locust.env import Environment

from imapcheck.load.metrics import PUSH_NAME, REQUEST_TYPE, Recorder, Sample

log = logging.getLogger("imapcheck.load")


def summarize(environment: Environment, recorder: Recorder) -> dict[str, Any]:
    """Everything the report shows, as plain data."""
    stats = environment.stats
    commands = []
    push: dict[str, Any] | None = None
    for (name, method), entry in sorted(stats.entries.items()):
        if method != REQUEST_TYPE:
            continue
        row = {
            "name": name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "avg_ms": round(entry.avg_response_time, 2),
            "avg_bytes_in": round(entry.avg_content_length, 1),
        }
        if name == PUSH_NAME:
            push = row
        else:
            commands.append(row)
    samples = recorder.samples
    duration = samples[-1].t if samples else 0.0
    total_in, total_out = sum(recorder.bytes_in.values()), sum(recorder.bytes_out.values())
    worker_peaks = sum(peak for _open, peak in recorder.worker_sessions.values())
    return {
        "host": environment.host,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
        "duration_s": duration,
        "workers": len(recorder.worker_sessions),
        "peak_users": max((s.users for s in samples), default=0),
        "peak_sessions": max(
            recorder.peak_sessions, worker_peaks, max((s.sessions for s in samples), default=0)
        ),
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "bytes_in": total_in,
        "bytes_out": total_out,
        "bytes_in_per_s": total_in / duration if duration else None,
        "bytes_out_per_s": total_out / duration if duration else None,
        "bytes_by_scenario": {
            s: {"in": recorder.bytes_in[s], "out": recorder.bytes_out[s]}
            for s in sorted(set(recorder.bytes_in) | set(recorder.bytes_out))
        },
        "bytes_per_user_hour": recorder.bytes_per_user_hour(),
        "idle_push": push,
        "commands": commands,
        "errors": [
            {"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
            for e in stats.errors.values()
        ],
        "capacity": recorder.capacity,
        "samples": [asdict(s) for s in samples],
    }


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"# IMAP load run against {summary['host']}",
        "",
        f"{summary['duration_s']:.0f} s, peak {summary['peak_users']} users / "
        f"{summary['peak_sessions']} open sessions, {summary['requests']} requests, "
        f"{summary['failures']} failures.",
        "",
        "| command | requests | failures | p50 ms | p95 ms | p99 ms | avg bytes in |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in summary["commands"]:
        lines.append(
            f"| {row['name']} | {row['requests']} | {row['failures']} | {row['p50_ms']} "
            f"| {row['p95_ms']} | {row['p99_ms']} | {row['avg_bytes_in']:.0f} |"
        )
    push = summary["idle_push"]
    if push:
        lines += [
            "",
            f"IDLE push latency (APPEND -> EXISTS), {push['requests']} pushes: "
            f"p50 {push['p50_ms']} ms, p95 {push['p95_ms']} ms, p99 {push['p99_ms']} ms.",
        ]
    lines += [
        "",
        "| scenario | bytes in | bytes out | in per user-hour | out per user-hour |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    per_hour = summary["bytes_per_user_hour"]
    for scenario, counts in summary["bytes_by_scenario"].items():
        hour = per_hour.get(scenario, {})
        lines.append(
            f"| {scenario} | {counts['in']} | {counts['out']} | "
            f"{_size(hour.get('in'))} | {_size(hour.get('out'))} |"
        )
    if summary["errors"]:
        lines += ["", "| failed | error | occurrences |", "| --- | --- | ---: |"]
        lines += [f"| {e['name']} | {e['error']} | {e['occurrences']} |" for e in summary["errors"]]
    capacity = summary["capacity"]
    if capacity:
        lines += [
            "",
            f"Capacity: largest sustainable load {capacity['sustainable_users']} users "
            f"({capacity['reason']}).",
        ]
    return "\n".join(lines) + "\n"


def _size(value: float | None) -> str:
    if value is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}"
        value /= 1024
    return "-"


def plot(summary: dict[str, Any], samples: list[Sample], folder: Path) -> list[Path]:
    """The PNGs: latency percentiles, bandwidth and sessions over time, bytes per user-hour."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("imapcheck: matplotlib is not installed; no plots (pip install matplotlib)")
        return []
    written = []
    t = [s.t for s in samples]

    def save(fig: Any, name: str) -> None:
        path = folder / name
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(8, 4))
    for key, label in (("p50", "p50"), ("p95", "p95"), ("p99", "p99")):
        ax.plot(t, [getattr(s, key) for s in samples], label=label)
    ax.set(title="IMAP command latency", xlabel="seconds", ylabel="ms")
    ax.legend()
    save(fig, "latency.png")

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(t, [s.bytes_in_per_s / 1024 for s in samples], label="received")
    ax.plot(t, [s.bytes_out_per_s / 1024 for s in samples], label="sent")
    ax.set(title="Bandwidth (IMAP bytes)", xlabel="seconds", ylabel="KiB/s")
    ax.legend()
    save(fig, "bandwidth.png")

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(t, [s.users for s in samples], label="users")
    ax.plot(t, [s.sessions for s in samples], label="open IMAP sessions")
    ax.set(title="Concurrency", xlabel="seconds", ylabel="count")
    ax.legend()
    save(fig, "sessions.png")

    per_hour = summary["bytes_per_user_hour"]
    names = list(per_hour)
    fig, ax = plt.subplots(figsize=(8, 4))
    received = [per_hour[n]["in"] / 2**20 for n in names]
    ax.bar(names, received, label="received")
    ax.bar(names, [per_hour[n]["out"] / 2**20 for n in names], bottom=received, label="sent")
    ax.set(title="Bytes per user-hour by scenario", ylabel="MiB")
    totals = [per_hour[n]["in"] + per_hour[n]["out"] for n in names]
    if totals and min(totals) > 0 and max(totals) / min(totals) > 50:
        ax.set_yscale("log")
    ax.legend()
    save(fig, "bytes_per_user_hour.png")
    return written


def write(environment: Environment, recorder: Recorder, folder: str | Path) -> Path:
    """Write the report; returns the folder."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(environment, recorder)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    (out / "summary.md").write_text(markdown(summary))
    plot(summary, recorder.samples, out)
    log.info("imapcheck: load report in %s", out)
    return out
