"""The result model: one :class:`Report` per run, one :class:`TestResult` per test.

Serialised as ``report.json``; the schema is documented in ``reports/README.md`` and versioned
by :data:`SCHEMA_VERSION` (readers refuse a newer major version).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

SCHEMA = "imapcheck-report"
SCHEMA_VERSION = 1

# Outcomes, in the order reports show them.
FAILED = "failed"  # a MUST-level (or uncited) check failed
WARNING = "warning"  # a SHOULD- or MAY-level check failed
ERROR = "error"  # setup or teardown went wrong
FIXED = "fixed"  # listed in the baseline as a known failure, but passed
KNOWN = "known-failure"  # failed, and listed in the baseline (or marked xfail)
SKIPPED = "skipped"
PASSED = "passed"
OUTCOMES = (FAILED, WARNING, ERROR, FIXED, KNOWN, SKIPPED, PASSED)
# Outcomes that fail the run (a warning fails the pytest run too; reports show it apart).
FAILING = frozenset({FAILED, WARNING, ERROR, FIXED})
# Outcomes where the server did not do what the test asked, whatever the baseline says.
DEVIATING = frozenset({FAILED, WARNING, ERROR, KNOWN})
LEVELS = ("MUST", "SHOULD", "MAY")
NO_SECTION = ("", "")


class ReportFileError(Exception):
    """A report file that is missing, not JSON, or not a report this version reads."""


@dataclass
class Transcript:
    """The wire record of one session a test used."""

    name: str
    text: str


@dataclass
class TestResult:
    """What happened to one test."""

    __test__ = False  # not a pytest test class

    id: str
    outcome: str = PASSED
    name: str = ""
    file: str = ""
    line: int | None = None
    doc: str = ""
    rfc: str = ""
    section: str = ""
    level: str = ""
    refs: list[list[str]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    duration: float = 0.0
    message: str = ""
    details: str = ""
    known_reason: str = ""
    transcripts: list[Transcript] = field(default_factory=list)
    server_log: str = ""

    @property
    def section_key(self) -> tuple[str, str]:
        return (self.rfc, self.section) if self.rfc else NO_SECTION

    @property
    def anchor(self) -> str:
        return anchor(self.id)

    @property
    def deviates(self) -> bool:
        return self.outcome in DEVIATING


@dataclass
class ServerFacts:
    """The server as the run saw it."""

    name: str = ""
    label: str = ""
    address: str = ""
    tls: str = ""
    embedded: bool = False
    version: str = ""
    greeting: str = ""
    id: dict[str, str | None] | None = None
    capabilities_before_login: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)


@dataclass
class RunFacts:
    """When, how and with what the run happened (options never hold secrets)."""

    started: str = ""
    finished: str = ""
    duration: float = 0.0
    exit_status: int | None = None
    imapcheck_version: str = ""
    python: str = ""
    pytest: str = ""
    platform: str = ""
    command: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    baseline: str = ""
    baseline_updated: bool = False


@dataclass
class Report:
    """One conformance run."""

    run: RunFacts = field(default_factory=RunFacts)
    server: ServerFacts = field(default_factory=ServerFacts)
    tests: list[TestResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Tests per outcome (every outcome present, zeros included) and the total."""
        found = Counter(t.outcome for t in self.tests)
        counts = {outcome: found.get(outcome, 0) for outcome in OUTCOMES}
        counts["total"] = len(self.tests)
        return counts

    @property
    def ok(self) -> bool:
        """True when nothing fails the run."""
        return not any(t.outcome in FAILING for t in self.tests)

    def by_section(self) -> dict[tuple[str, str], list[TestResult]]:
        """Tests grouped by (rfc, section), sections in RFC order."""
        groups: dict[tuple[str, str], list[TestResult]] = {}
        for test in self.tests:
            groups.setdefault(test.section_key, []).append(test)
        return {key: groups[key] for key in sorted(groups, key=section_sort_key)}

    def by_section_and_level(self) -> list[tuple[tuple[str, str], str, list[TestResult]]]:
        """(section, level, tests) in RFC order, MUST before SHOULD before MAY."""
        rows = []
        for key, tests in self.by_section().items():
            levels = sorted({t.level for t in tests}, key=_level_order)
            rows += [(key, level, [t for t in tests if t.level == level]) for level in levels]
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "run": asdict(self.run),
            "server": asdict(self.server),
            "summary": self.counts(),
            "tests": [asdict(t) for t in self.tests],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        if data.get("schema") != SCHEMA:
            raise ReportFileError("not an imapcheck report (no 'schema': 'imapcheck-report')")
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise ReportFileError(
                f"report schema version {version!r} is newer than this imapcheck reads "
                f"({SCHEMA_VERSION}): upgrade imapcheck"
            )
        tests = []
        for raw in data.get("tests", []):
            test = _build(TestResult, raw)
            test.transcripts = [_build(Transcript, t) for t in raw.get("transcripts", [])]
            tests.append(test)
        return cls(
            _build(RunFacts, data.get("run", {})),
            _build(ServerFacts, data.get("server", {})),
            tests,
        )


def _build(kind: Any, raw: dict[str, Any]) -> Any:
    """A dataclass from a dict, ignoring keys this version does not know (forward compatible)."""
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in raw.items() if k in names})


def anchor(test_id: str) -> str:
    """A stable HTML id for a test: readable, and unique through a short hash."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", test_id.rsplit("::", 1)[-1]).strip("-")[:60]
    return f"t-{slug}-{hashlib.sha1(test_id.encode()).hexdigest()[:8]}"


def _level_order(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _number_key(text: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\s]", text))


def section_sort_key(key: tuple[str, str]) -> tuple[Any, ...]:
    """RFC number then section, numerically (6.3.10 after 6.3.9); uncited tests last."""
    rfc, section = key
    return (not rfc, _number_key(rfc), _number_key(section))


def section_title(key: tuple[str, str]) -> str:
    rfc, section = key
    return f"RFC {rfc} §{section}" if rfc else "(no RFC cited)"


def load(path: str | Path) -> Report:
    """Read a report from ``report.json`` or from the directory that holds it."""
    where = Path(path)
    if where.is_dir():
        where = where / "report.json"
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportFileError(f"no report at {where}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportFileError(f"cannot read {where}: {exc}") from None
    try:
        return Report.from_dict(data)
    except ReportFileError as exc:
        raise ReportFileError(f"{where}: {exc}") from None
