"""What changed between two runs: tests that started or stopped failing, and the server itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imapcheck.report.markdown import cell, cite, first_line
from imapcheck.report.model import DEVIATING, SKIPPED, Report, TestResult


@dataclass
class Change:
    """One test whose outcome differs (``before``/``after`` is None when it did not run)."""

    test: TestResult
    before: str | None
    after: str | None

    def line(self) -> str:
        arrow = f"{self.before or 'absent'} → {self.after or 'absent'}"
        message = first_line(self.test.message) if self.after in DEVIATING else ""
        return f"- `{self.test.id}` {arrow} — {cite(self.test)}" + (
            f": {cell(message)}" if message else ""
        )


@dataclass
class Comparison:
    a: Report
    b: Report
    regressions: list[Change] = field(default_factory=list)  # did not deviate, now does
    fixes: list[Change] = field(default_factory=list)  # deviated, now passes
    changed: list[Change] = field(default_factory=list)  # any other outcome change
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    server: list[str] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, list[Change]]]:
        return [
            ("Newly failing", self.regressions),
            ("Now passing", self.fixes),
            ("Other changes", self.changed),
            ("New tests", self.added),
            ("Tests no longer run", self.removed),
        ]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "a": _describe(self.a),
            "b": _describe(self.b),
            "server": self.server,
        }
        for title, changes in self.sections:
            out[title.lower().replace(" ", "_")] = [
                {
                    "id": c.test.id,
                    "before": c.before,
                    "after": c.after,
                    "message": first_line(c.test.message),
                }
                for c in changes
            ]
        return out


def _describe(report: Report) -> str:
    server = report.server
    name = " ".join(p for p in (server.name, server.version) if p) or "server"
    return f"{name} · {report.run.started}"


def _set_change(label: str, before: list[str], after: list[str]) -> list[str]:
    out = []
    if added := sorted(set(after) - set(before)):
        out.append(f"{label} added: {', '.join(added)}")
    if gone := sorted(set(before) - set(after)):
        out.append(f"{label} removed: {', '.join(gone)}")
    return out


def compare(a: Report, b: Report) -> Comparison:
    """Compare run ``a`` (before) with run ``b`` (after)."""
    result = Comparison(a, b)
    before = {t.id: t for t in a.tests}
    after = {t.id: t for t in b.tests}
    for test_id, new in after.items():
        old = before.get(test_id)
        if old is None:
            result.added.append(Change(new, None, new.outcome))
        elif old.outcome == new.outcome:
            continue
        elif new.deviates and not old.deviates and old.outcome != SKIPPED:
            result.regressions.append(Change(new, old.outcome, new.outcome))
        elif old.deviates and not new.deviates and new.outcome != SKIPPED:
            result.fixes.append(Change(new, old.outcome, new.outcome))
        else:
            result.changed.append(Change(new, old.outcome, new.outcome))
    result.removed = [Change(t, t.outcome, None) for i, t in before.items() if i not in after]
    sa, sb = a.server, b.server
    for label, x, y in (
        ("greeting", sa.greeting, sb.greeting),
        ("version", sa.version, sb.version),
        ("ID", str(sa.id), str(sb.id)),
    ):
        if x != y:
            result.server.append(f"{label}: {x or '(none)'} → {y or '(none)'}")
    result.server += _set_change(
        "capabilities before login", sa.capabilities_before_login, sb.capabilities_before_login
    )
    result.server += _set_change("capabilities", sa.capabilities, sb.capabilities)
    return result


def render(c: Comparison) -> str:
    """The comparison as Markdown."""
    counts = ", ".join(f"{len(changes)} {title.lower()}" for title, changes in c.sections)
    out = [
        "# imapcheck compare",
        "",
        f"- A: {_describe(c.a)}",
        f"- B: {_describe(c.b)}",
        "",
        f"**{counts}**",
    ]
    for title, changes in c.sections:
        if changes:
            out += ["", f"## {title} ({len(changes)})", ""]
            out += [change.line() for change in changes]
    if c.server:
        out += ["", "## Server", ""] + [f"- {cell(line)}" for line in c.server]
    if not any(changes for _, changes in c.sections) and not c.server:
        out += ["", "No differences in test outcomes or in the server."]
    return "\n".join(out) + "\n"
