"""One table across servers: rows are RFC sections and their tests, columns are servers.

Built from the runs' ``report.json`` files; every cell that is not a pass links to the test in
that run's ``report.html`` (which opens it with its transcripts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from imapcheck.report import mdlite
from imapcheck.report.assets import MATRIX_JS
from imapcheck.report.html import page
from imapcheck.report.markdown import cell, cite, first_line
from imapcheck.report.model import (
    DEVIATING,
    ERROR,
    FAILED,
    FIXED,
    KNOWN,
    PASSED,
    SKIPPED,
    WARNING,
    Report,
    TestResult,
    load,
    section_sort_key,
    section_title,
)

SYMBOLS = {
    PASSED: "✓",
    FAILED: "✗",
    WARNING: "⚠",
    ERROR: "E",
    KNOWN: "✗ᵏ",
    FIXED: "✓ᶠ",
    SKIPPED: "-",
}
LEGEND = (
    "✓ passed · ✗ failed (MUST) · ⚠ failed a SHOULD/MAY · E error · ✗ᵏ known failure "
    "(baseline) · ✓ᶠ passes but is in the baseline · - skipped · blank: not run"
)


@dataclass
class Column:
    """One server's run."""

    report: Report
    href: str  # report.html, relative to the directory the matrix is written to

    @property
    def name(self) -> str:
        server = self.report.server
        return server.name or server.label or "server"

    @property
    def title(self) -> str:
        version = self.report.server.version.split(" (")[0]
        return f"{self.name} {version}".strip()

    def link(self, test: TestResult) -> str:
        return f"{self.href}#{test.anchor}"


@dataclass
class Row:
    test: TestResult  # the first run's result: id, name, citation
    cells: list[TestResult | None] = field(default_factory=list)

    @property
    def outcomes(self) -> set[str]:
        return {c.outcome for c in self.cells if c is not None}

    @property
    def differs(self) -> bool:
        return len(self.outcomes) > 1

    @property
    def failing(self) -> bool:
        return bool(self.outcomes & DEVIATING)


@dataclass
class Matrix:
    columns: list[Column]
    sections: dict[tuple[str, str], list[Row]]


def build(runs: list[Path], out_dir: Path) -> Matrix:
    """The matrix of the runs in ``runs`` (directories holding report.json), for ``out_dir``."""
    columns = []
    for run in runs:
        where = run.resolve()
        report = load(where)
        href = os.path.relpath(where / "report.html", out_dir.resolve())
        columns.append(Column(report, Path(href).as_posix()))
    rows: dict[str, Row] = {}
    for index, column in enumerate(columns):
        for test in column.report.tests:
            row = rows.setdefault(test.id, Row(test, [None] * len(columns)))
            row.cells[index] = test
    sections: dict[tuple[str, str], list[Row]] = {}
    for row in rows.values():
        sections.setdefault(row.test.section_key, []).append(row)
    ordered = {key: sections[key] for key in sorted(sections, key=section_sort_key)}
    return Matrix(columns, ordered)


def _tally(rows: list[Row], index: int) -> str:
    ran = [r.cells[index] for r in rows if r.cells[index] is not None]
    counted = [t for t in ran if t is not None and t.outcome != SKIPPED]
    good = sum(t.outcome in (PASSED, FIXED) for t in counted)
    return f"{good}/{len(counted)}" if ran else ""


def _counts(report: Report) -> str:
    counts = report.counts()
    return (
        f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[WARNING]} warnings, "
        f"{counts[ERROR]} errors, {counts[KNOWN]} known, {counts[SKIPPED]} skipped"
    )


def render_markdown(matrix: Matrix, notes: str = "") -> str:
    cols = matrix.columns
    out = [
        "# imapcheck matrix",
        "",
        "| Server | Greeting | Results | Report |",
        "|---|---|---|---|",
    ]
    for col in cols:
        greeting = cell(col.report.server.greeting)[:120]
        out.append(
            f"| {cell(col.title)} | `{greeting}` | {_counts(col.report)} | "
            f"[report.html]({col.href}) |"
        )
    out += [
        "",
        LEGEND,
        "",
        "| RFC section / test | Level | " + " | ".join(cell(c.title) for c in cols) + " |",
        "|---|---|" + ":-:|" * len(cols),
    ]
    for key, rows in matrix.sections.items():
        tallies = " | ".join(_tally(rows, i) for i in range(len(cols)))
        out.append(f"| **{section_title(key)}** | | {tallies} |")
        for row in rows:
            marks = []
            for col, test in zip(cols, row.cells, strict=True):
                if test is None:
                    marks.append("")
                elif test.outcome == PASSED:
                    marks.append(SYMBOLS[PASSED])
                else:
                    marks.append(f"[{SYMBOLS[test.outcome]}]({col.link(test)})")
            out.append(f"| {cell(row.test.name)} | {row.test.level} | {' | '.join(marks)} |")
    out += ["", "## Deviations by server", ""]
    for col in cols:
        failing = [t for t in col.report.tests if t.deviates]
        out += [f"### {col.title}", ""]
        out += [
            f"- {cite(t)} `{cell(t.name)}`: {cell(first_line(t.message))} "
            f"([transcript]({col.link(t)}))"
            for t in failing
        ] or ["- none"]
        out.append("")
    if notes.strip():
        out += [notes.strip(), ""]
    return "\n".join(out)


def _cell_html(col: Column, test: TestResult | None) -> str:
    if test is None:
        return '<td class="cell" title="not run"></td>'
    symbol = SYMBOLS[test.outcome]
    tip = escape(f"{test.outcome}: {first_line(test.message)}" if test.message else test.outcome)
    if test.outcome == PASSED:
        return f'<td class="cell passed" title="{tip}"><span>{symbol}</span></td>'
    return (
        f'<td class="cell {test.outcome}" title="{tip}">'
        f'<a href="{escape(col.link(test))}">{symbol}</a></td>'
    )


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _deviations_html(cols: list[Column]) -> str:
    parts = []
    for col in cols:
        items = "".join(
            f"<li>{escape(cite(t))} <code>{escape(t.name)}</code>: "
            f'{escape(first_line(t.message))} (<a href="{escape(col.link(t))}">transcript</a>)</li>'
            for t in col.report.tests
            if t.deviates
        )
        parts.append(f"<h3>{escape(col.title)}</h3><ul>{items or '<li>none</li>'}</ul>")
    return "".join(parts)


def render_html(matrix: Matrix, notes: str = "") -> str:
    cols = matrix.columns
    summary = "".join(
        f"<tr><td>{escape(c.title)}</td><td><code>{escape(c.report.server.greeting)}</code></td>"
        f'<td>{escape(_counts(c.report))}</td><td><a href="{escape(c.href)}">report</a></td></tr>'
        for c in cols
    )
    heads = "".join(f"<th>{escape(c.title)}</th>" for c in cols)
    body = []
    for key, rows in matrix.sections.items():
        tallies = "".join(f'<td class="cell">{_tally(rows, i)}</td>' for i in range(len(cols)))
        body.append(
            f'<tr class="section"><td>{escape(section_title(key))}</td><td></td>{tallies}</tr>'
        )
        for row in rows:
            text = " ".join((row.test.id, *(first_line(c.message) for c in row.cells if c)))
            cells = "".join(_cell_html(c, t) for c, t in zip(cols, row.cells, strict=True))
            body.append(
                f'<tr class="test" data-differ="{int(row.differs)}" '
                f'data-failing="{int(row.failing)}" data-text="{escape(text.lower())}">'
                f'<td><code title="{escape(row.test.id)}">{escape(row.test.name)}</code></td>'
                f"<td>{escape(row.test.level)}</td>{cells}</tr>"
            )
    deviations = sum(
        1 for rows in matrix.sections.values() for r in rows for t in r.cells if t and t.deviates
    )
    tests = sum(len(r) for r in matrix.sections.values())
    form = (
        '<form class="filters" id="filters"><label><input type="checkbox" name="differ"> '
        'only where servers differ</label><label><input type="checkbox" name="failing"> '
        'only with a failure</label><label>search <input type="search" name="q" size="18">'
        '</label><span id="shown" class="meta"></span></form>'
    )
    notes_html = f'<div class="notes">{mdlite.render(notes)}</div>' if notes.strip() else ""
    html_body = (
        "<header><h1>imapcheck matrix</h1>"
        f'<p class="meta">{_plural(len(cols), "server")} · {_plural(tests, "test")} · '
        f"{_plural(deviations, 'result')} that deviate from the RFCs</p></header>"
        "<h2>Servers</h2><table><thead><tr><th>Server</th><th>Greeting</th><th>Results</th>"
        f"<th></th></tr></thead><tbody>{summary}</tbody></table>"
        f'<h2>Results</h2><p class="meta">{escape(LEGEND)}</p>{form}'
        f'<table class="matrix"><thead><tr><th>RFC section / test</th><th>Level</th>{heads}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<h2>Deviations by server</h2>{_deviations_html(cols)}{notes_html}"
    )
    return page("imapcheck matrix", html_body, MATRIX_JS)


def write(matrix: Matrix, out_dir: Path, notes: str = "") -> list[Path]:
    """Write matrix.md and matrix.html into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, html = out_dir / "matrix.md", out_dir / "matrix.html"
    md.write_text(render_markdown(matrix, notes), encoding="utf-8")
    html.write_text(render_html(matrix, notes), encoding="utf-8")
    return [md, html]
