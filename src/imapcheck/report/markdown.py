"""``summary.md``: the run in a page of Markdown (for CI job summaries and pull requests)."""

from __future__ import annotations

from collections import Counter

from imapcheck.report.html import counted, verdict
from imapcheck.report.model import (
    ERROR,
    FAILED,
    FIXED,
    KNOWN,
    OUTCOMES,
    SKIPPED,
    WARNING,
    Report,
    TestResult,
    section_title,
)

LISTED = (
    (FAILED, "Failures (MUST)"),
    (WARNING, "Warnings (SHOULD/MAY failures)"),
    (ERROR, "Errors"),
    (FIXED, "Known failures that pass now (remove them from the baseline)"),
    (KNOWN, "Known failures"),
)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell, on one line."""
    return " ".join(text.split()).replace("|", "\\|")


def first_line(text: str, limit: int = 200) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def cite(test: TestResult) -> str:
    return f"RFC {test.rfc} §{test.section} {test.level}" if test.rfc else "no RFC cited"


def render(report: Report) -> str:
    server, run = report.server, report.run
    counts = report.counts()
    name = server.label or server.name or "server"
    out = [
        f"# imapcheck: {name}",
        "",
        f"**{verdict(report)}** · {counts['total']} tests in {run.duration:.1f} s · "
        f"started {run.started} · imapcheck {run.imapcheck_version}",
        "",
        " · ".join(counted(o, counts[o]) for o in OUTCOMES if counts[o]),
        "",
    ]
    if server.greeting:
        out += [f"Greeting: `{server.greeting}`", ""]
    if server.version:
        out += [f"Server version: {server.version}", ""]
    if run.baseline:
        out += [f"Baseline: `{run.baseline}`", ""]
    out += [
        "## By RFC section",
        "",
        "| Section | Level | Tests | " + " | ".join(OUTCOMES) + " |",
        "|---|---|--:|" + "--:|" * len(OUTCOMES),
    ]
    for key, level, group in report.by_section_and_level():
        counter = Counter(t.outcome for t in group)
        numbers = " | ".join(str(counter[o] or "") for o in OUTCOMES)
        out.append(f"| {section_title(key)} | {level or '-'} | {len(group)} | {numbers} |")
    for outcome, title in LISTED:
        chosen = [t for t in report.tests if t.outcome == outcome]
        if not chosen:
            continue
        out += ["", f"## {title}", ""]
        for test in chosen:
            reason = f" (baseline: {cell(test.known_reason)})" if test.known_reason else ""
            out.append(f"- `{test.id}` — {cite(test)}: {cell(first_line(test.message))}{reason}")
    skipped = Counter(first_line(t.message) for t in report.tests if t.outcome == SKIPPED)
    if skipped:
        out += ["", "## Skipped", ""]
        out += [
            f"- {count} x {cell(reason) or 'no reason given'}"
            for reason, count in skipped.most_common()
        ]
    return "\n".join(out) + "\n"
