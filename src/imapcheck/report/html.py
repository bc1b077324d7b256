"""``report.html``: one self-contained page (inline style and script, nothing fetched)."""

from __future__ import annotations

import json
from collections import Counter
from html import escape

from imapcheck.report.assets import CSP, CSS, REPORT_JS
from imapcheck.report.model import (
    FAILING,
    KNOWN,
    LEVELS,
    OUTCOMES,
    PASSED,
    SCHEMA_VERSION,
    Report,
    TestResult,
    section_title,
)

OUTCOME_LABELS = {
    "failed": "failed (MUST)",
    "warning": "warnings (SHOULD/MAY)",
    "error": "errors",
    "fixed": "fixed: remove from baseline",
    "known-failure": "known failures",
    "skipped": "skipped",
    "passed": "passed",
}
SINGULAR = {
    "warnings (SHOULD/MAY)": "warning (SHOULD/MAY)",
    "errors": "error",
    "known failures": "known failure",
}


def counted(outcome: str, number: int) -> str:
    """``3 known failures``, ``1 known failure``."""
    label = OUTCOME_LABELS[outcome]
    return f"{number} {SINGULAR.get(label, label) if number == 1 else label}"


def page(title: str, body: str, script: str) -> str:
    """The HTML document around ``body``."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{script}</script>\n</body></html>\n"
    )


def verdict(report: Report) -> str:
    """ "passed" or a short list of what fails the run."""
    counts = report.counts()
    bad = [counted(o, counts[o]) for o in OUTCOMES if o in FAILING and counts[o]]
    if bad:
        return "failed: " + ", ".join(bad)
    return f"passed ({counted(KNOWN, counts[KNOWN])})" if counts[KNOWN] else "passed"


def render(report: Report) -> str:
    server, run = report.server, report.run
    name = server.label or server.name or "server"
    counts = report.counts()
    text = verdict(report)
    head = (
        f"<header><h1>imapcheck report: {escape(name)}</h1>\n"
        f'<p class="verdict {"ok" if report.ok else "bad"}">{escape(text)}</p>\n'
        f'<p class="meta">{counts["total"]} tests · started {escape(run.started)} · '
        f"{run.duration:.1f} s · imapcheck {escape(run.imapcheck_version)} · "
        f"report schema {SCHEMA_VERSION}"
        + (f" · baseline <code>{escape(run.baseline)}</code>" if run.baseline else "")
        + "</p></header>\n"
    )
    buttons = "".join(
        f'<button type="button" class="count {o}{" zero" if not counts[o] else ""}" '
        f'data-only="{o}" title="show only these"><b>{counts[o]}</b>{OUTCOME_LABELS[o]}</button>'
        for o in OUTCOMES
    )
    return page(
        f"imapcheck: {name}: {text}",
        head
        + f'<div class="counts">{buttons}</div>\n'
        + _server(report)
        + _sections(report)
        + _tests(report),
        REPORT_JS,
    )


def _caps(words: list[str]) -> str:
    return "".join(f"<code>{escape(w)}</code>" for w in words) or "<i>none</i>"


def _server(report: Report) -> str:
    server, run = report.server, report.run
    rows = [
        (
            "Server",
            f"{server.name} {server.version}".strip()
            + (" (started by imapcheck)" if server.embedded else ""),
        ),
        ("Address", f"{server.address} ({server.tls})" if server.address else ""),
        ("Greeting", server.greeting),
    ]
    items = "".join(f"<dt>{k}</dt><dd><code>{escape(v)}</code></dd>" for k, v in rows if v)
    if server.id is not None:
        shown = ", ".join(f"{k}={v!s}" for k, v in server.id.items()) or "(empty)"
        items += f"<dt>ID</dt><dd><code>{escape(shown)}</code></dd>"
    items += f'<dt>Before login</dt><dd class="caps">{_caps(server.capabilities_before_login)}</dd>'
    items += f'<dt>After login</dt><dd class="caps">{_caps(server.capabilities)}</dd>'
    options = "".join(
        f"<tr><td><code>{escape(k)}</code></td><td><code>{escape(json.dumps(v))}</code></td></tr>"
        for k, v in run.options.items()
    )
    facts = (
        f"Python {run.python} · pytest {run.pytest} · {run.platform} · exit status "
        f"{run.exit_status} · command <code>{escape(' '.join(run.command))}</code>"
    )
    return (
        f"<h2>Server</h2><dl>{items}</dl>\n<details><summary>Run options</summary>"
        f'<p class="meta">{facts}</p><table>{options}</table></details>\n'
    )


def _bar(counter: Counter[str], total: int) -> str:
    spans = "".join(
        f'<span class="{o}" style="width:{100 * counter[o] / total:.2f}%"></span>'
        for o in OUTCOMES
        if counter[o]
    )
    return f'<div class="bar">{spans}</div>'


def _sections(report: Report) -> str:
    rows = []
    for key, level, group in report.by_section_and_level():
        counter = Counter(t.outcome for t in group)
        cells = "".join(f'<td class="n">{counter[o] or ""}</td>' for o in OUTCOMES)
        rows.append(
            f'<tr class="pick" data-pick="{escape(" ".join(key))}" '
            f'data-level="{escape(level)}" title="show these tests">'
            f"<td>{escape(section_title(key))}</td><td>{escape(level)}</td>"
            f'<td class="n">{len(group)}</td>{cells}<td>{_bar(counter, len(group))}</td></tr>'
        )
    header = "".join(f"<th>{escape(o)}</th>" for o in OUTCOMES)
    return (
        '<h2>By RFC section and level</h2><table class="sections"><thead><tr><th>Section</th>'
        f"<th>Level</th><th>Tests</th>{header}<th></th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table>\n"
    )


def _filters(report: Report) -> str:
    boxes = "".join(
        f'<label class="{o}"><input type="checkbox" name="outcome" value="{o}" checked> {o}</label>'
        for o in OUTCOMES
    )
    levels = "".join(f"<option>{lv}</option>" for lv in LEVELS)
    sections = "".join(
        f'<option value="{escape(" ".join(key))}">{escape(section_title(key))}</option>'
        for key in report.by_section()
    )
    return (
        f'<form class="filters" id="filters">{boxes}'
        f'<label>level <select name="level"><option value="">any</option>{levels}</select></label>'
        f'<label>section <select name="section"><option value="">any</option>{sections}'
        '</select></label><label>search <input type="search" name="q" size="18"></label>'
        '<button type="button" id="expand">expand shown</button>'
        '<button type="button" id="collapse">collapse all</button>'
        '<span id="shown" class="meta"></span></form>\n'
    )


def transcript_html(text: str) -> str:
    """A transcript with client, server and note lines told apart."""
    lines = []
    for line in text.splitlines():
        kind = line[:1] if line[:1] in ("C", "S") else "N"
        lines.append(f'<span class="{kind}">{escape(line)}</span>')
    return '<pre class="transcript">' + "\n".join(lines) + "</pre>"


def _test(test: TestResult) -> str:
    first = test.message.strip().splitlines()[0] if test.message.strip() else ""
    searchable = " ".join((test.id, test.message, test.doc, *test.capabilities)).lower()
    parts = []
    if test.doc:
        parts.append(f"<p>{escape(test.doc)}</p>")
    where = f"{test.file}:{test.line}" if test.line else test.file
    cites = "; ".join(" ".join(ref) for ref in test.refs)
    parts.append(
        f'<p class="meta"><code>{escape(test.id)}</code> · {escape(where)}'
        + (f" · RFC {escape(cites)}" if cites else "")
        + (f" · needs {escape(', '.join(test.capabilities))}" if test.capabilities else "")
        + "</p>"
    )
    if test.known_reason:
        parts.append(f'<p class="known-reason">Baseline: {escape(test.known_reason)}</p>')
    if test.message:
        parts.append(f'<pre class="message">{escape(test.message)}</pre>')
    for transcript in test.transcripts:
        parts.append(
            f"<details open><summary>transcript {escape(transcript.name)}</summary>"
            f"{transcript_html(transcript.text)}</details>"
        )
    if test.details:
        parts.append(
            f"<details><summary>traceback</summary><pre>{escape(test.details)}</pre></details>"
        )
    if test.server_log:
        parts.append(
            f"<details><summary>server log</summary><pre>{escape(test.server_log)}</pre></details>"
        )
    return (
        f'<details class="test {test.outcome}" id="{test.anchor}" data-outcome="{test.outcome}" '
        f'data-level="{escape(test.level)}" data-section="{escape(" ".join(test.section_key))}" '
        f'data-text="{escape(searchable)}"><summary><span class="badge">{test.outcome}</span>'
        f'<span class="level">{escape(test.level or "-")}</span><code>{escape(test.name)}</code> '
        f'<span class="dur">{test.duration:.2f} s</span>'
        + (f'<span class="msg">{escape(first[:200])}</span>' if test.outcome != PASSED else "")
        + f'</summary><div class="body">{"".join(parts)}</div></details>'
    )


def _tests(report: Report) -> str:
    groups = []
    for key, tests in report.by_section().items():
        items = "\n".join(_test(t) for t in tests)
        groups.append(
            f'<section class="group"><h3>{escape(section_title(key))}</h3>\n{items}</section>'
        )
    return '<h2 id="tests">Tests</h2>\n' + _filters(report) + "\n".join(groups) + "\n"
