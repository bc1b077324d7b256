"""Known failures of one server, so that a run fails only on what changed.

A baseline is a TOML file::

    server = "dovecot 2.3.19.1"

    [[known_failure]]
    test = "conformance/test_rfc3501_fetch.py::test_body_peek"
    rfc = "RFC 3501 §6.4.5 MUST"
    reason = "BODY.PEEK sets \\Seen on this server"

A listed test that fails is reported as a known failure (pytest shows it as xfailed). A failure
not listed fails the run; a listed test that passes fails the run until it is removed.
With ``update=True`` every failure is accepted and the file is rewritten at the end.
"""

from __future__ import annotations

import json
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from imapcheck.report.model import TestResult

HEADER = """\
# imapcheck baseline: the known failures of one server.
# A listed test that fails is a known failure; a new failure fails the run, and so does a
# listed test that passes ("remove it from the baseline"). Give each entry a reason.
# Rewrite from a run with: imapcheck run --baseline {name} --update-baseline
"""


class BaselineError(Exception):
    """The baseline file cannot be used."""


@dataclass
class Entry:
    test: str
    reason: str
    rfc: str = ""


@dataclass
class Baseline:
    """A loaded baseline and what this run did with it."""

    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    update: bool = False
    server: str = ""
    matched: dict[str, str] = field(default_factory=dict)  # failed as expected: test -> reason
    fixed: dict[str, str] = field(default_factory=dict)  # listed, but passed
    added: dict[str, str] = field(default_factory=dict)  # update mode: new failures
    removed: set[str] = field(default_factory=set)  # update mode: listed tests that passed

    @classmethod
    def load(cls, path: str | Path, *, update: bool = False) -> Baseline:
        where = Path(path)
        if not where.exists():
            if update:
                return cls(where, update=True)
            raise BaselineError(
                f"baseline {where} does not exist (create it with --update-baseline)"
            )
        try:
            data = tomllib.loads(where.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BaselineError(f"baseline {where} is not valid TOML: {exc}") from None
        entries: dict[str, Entry] = {}
        for number, raw in enumerate(data.get("known_failure", []), 1):
            test, reason = raw.get("test"), raw.get("reason")
            if not isinstance(test, str) or not test:
                raise BaselineError(f"baseline {where}: known_failure #{number} has no test id")
            if not isinstance(reason, str) or not reason.strip():
                raise BaselineError(
                    f"baseline {where}: {test} has no reason (say why it is expected to fail)"
                )
            entries[test] = Entry(test, reason.strip(), str(raw.get("rfc", "")))
        return cls(where, entries, update, str(data.get("server", "")))

    def apply(self, report: pytest.TestReport) -> None:
        """Turn a known failure into an expected one, and a known failure that passes into a
        failure (in update mode: accept both). Called on each report as it is made."""
        if report.when not in ("setup", "call"):
            return
        test = report.nodeid
        entry = self.entries.get(test)
        if report.failed:
            if entry is None and not self.update:
                return
            if entry is None:
                reason = _first_line(report)
                self.added[test] = reason
            else:
                reason = entry.reason
            self.matched[test] = reason
            report.outcome = "skipped"
            report.wasxfail = f"known failure: {reason}"
        elif report.passed and report.when == "call" and entry is not None:
            if self.update:
                self.removed.add(test)
                return
            self.fixed[test] = entry.reason
            report.outcome = "failed"
            report.longrepr = (
                f"{test} is a known failure in the baseline {self.path}, but it passes now: "
                f"remove it from the baseline (its reason was: {entry.reason})"
            )

    def summary(self) -> str:
        """One line for the terminal."""
        if self.update:
            total = len(self.entries) + len(self.added) - len(self.removed)
            return (
                f"baseline {self.path} updated: {len(self.added)} added, "
                f"{len(self.removed)} removed, {_known(total)}"
            )
        text = f"baseline {self.path}: {_known(len(self.matched))}"
        if self.fixed:
            text += f", {len(self.fixed)} now pass (remove them from the baseline)"
        return text

    def write(self, results: list[TestResult], server: str = "") -> None:
        """Rewrite the file: entries for tests that did not run are kept as they were."""
        by_id = {t.id: t for t in results}
        entries = {k: v for k, v in self.entries.items() if k not in self.removed}
        for test, reason in self.added.items():
            result = by_id.get(test)
            rfc = ""
            if result is not None and result.rfc:
                rfc = f"RFC {result.rfc} §{result.section} {result.level}".strip()
            entries[test] = Entry(test, reason, rfc)
        lines = [HEADER.format(name=self.path.as_posix())]
        lines.append(f"server = {_toml_str(server or self.server)}")
        lines.append(f"updated = {_toml_str(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))}")
        for test in sorted(entries):
            entry = entries[test]
            lines += ["", "[[known_failure]]", f"test = {_toml_str(entry.test)}"]
            if entry.rfc:
                lines.append(f"rfc = {_toml_str(entry.rfc)}")
            lines.append(f"reason = {_toml_str(entry.reason)}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _known(number: int) -> str:
    return f"{number} known failure{'' if number == 1 else 's'}"


def _first_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(crash.message) if crash is not None else report.longreprtext
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = line.removeprefix("AssertionError: ")
    return (line[:300] + "...") if len(line) > 300 else (line or "fails")


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON escapes are valid TOML, except that DEL must be escaped)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
