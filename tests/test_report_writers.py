"""The files a run writes: HTML (self-contained), Markdown summary, JUnit XML, the directory."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from test_report_model import SAMPLE, make_report

from imapcheck.report import html, junit, markdown, writer
from imapcheck.report.model import Transcript


class Resources(HTMLParser):
    """Collects what a page would fetch, the ids it defines and its elements."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        for name in ("src", "href", "action", "data", "poster"):
            value = found.get(name)
            if value is not None and not value.startswith("#"):
                self.fetches.append(f"{tag} {name}={value}")
        if tag == "link":
            self.fetches.append(f"link {found}")


def parsed(page: str) -> Resources:
    parser = Resources()
    parser.feed(page)
    return parser


def test_html_is_self_contained():
    page = html.render(make_report(*SAMPLE))
    found = parsed(page)
    assert found.fetches == []
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"url\(|@import|https?://", page)
    assert found.tags.count("script") == 1 and found.tags.count("style") == 1


def test_html_has_counts_sections_filters_and_transcripts():
    report = make_report(*SAMPLE)
    page = html.render(report)
    found = parsed(page)
    assert len(found.ids) == len(set(found.ids))
    for test in report.tests:
        assert test.anchor in found.ids
    assert 'data-only="failed" title="show only these"><b>1</b>failed (MUST)' in page
    assert "RFC 3501 §6.3.10" in page and "(no RFC cited)" in page
    assert 'name="outcome" value="warning"' in page and 'name="q"' in page
    # transcripts are escaped and their lines told apart
    assert '<span class="S">S: a1 NO [ALERT] &lt;b&gt;</span>' in page
    assert "<b>" not in page.split("<body>")[1].replace("<b>1</b>", "").replace("<b>0</b>", "")
    assert "failed: 1 failed (MUST), 1 warning (SHOULD/MAY), 1 error" in page


def test_html_escapes_everything_the_server_sent():
    report = make_report(("test_x", "6.1.1", "MUST", "failed"))
    report.server.greeting = '* OK <script>alert("x")</script>'
    report.tests[0].message = "</pre><script>bad()</script>"
    report.tests[0].transcripts = [Transcript("s1<i>", "S: * OK <img src=x onerror=y>")]
    page = html.render(report)
    assert page.count("<script>") == 1
    assert "<img src=x" not in page and "s1<i>" not in page


def test_markdown_summary():
    text = markdown.render(make_report(*SAMPLE))
    assert text.startswith("# imapcheck: dovecot (embedded)\n")
    assert "| RFC 3501 §6.1.2 | MUST | 1 | 1 |" in text
    assert (
        "## Failures (MUST)\n\n- `conformance/test_x.py::test_noop` — RFC 3501 §6.1.2 MUST: "
        "test_noop: the server said NO" in text
    )
    assert "## Warnings (SHOULD/MAY failures)" in text
    assert "- 1 x no reason given" in text
    assert "Greeting: `* OK [CAPABILITY IMAP4rev1 ID] ready.`" in text


def test_markdown_cells_do_not_break_tables():
    report = make_report(("test_x[a|b]", "6.1.1", "MUST", "failed"))
    report.tests[0].message = "left | right\nsecond line"
    text = markdown.render(report)
    assert "left \\| right" in text and "second line" not in text


def test_junit_counts_and_kinds():
    report = make_report(*SAMPLE, ("test_known", "6.1.3", "MUST", "known-failure"))
    report.tests[0].message = "control \x01 character"
    root = ET.fromstring(junit.render(report))
    suite = root.find("testsuite")
    assert suite is not None
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == ("6", "2", "1", "2")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["test_noop"].find("failure").get("type") == "MUST"
    assert cases["test_idle_timeout"].find("failure").get("type") == "warning"
    assert cases["test_uncited"].find("error") is not None
    assert cases["test_known"].find("skipped").get("type") == "known-failure"
    assert cases["test_capability"].find("failure") is None
    assert "C: a1 NOOP" in cases["test_noop"].find("system-out").text
    props = {p.get("name"): p.get("value") for p in cases["test_noop"].iter("property")}
    assert props == {"rfc": "3501", "section": "6.1.2", "level": "MUST"}
    assert cases["test_noop"].get("classname") == "conformance.test_x"


def test_run_directories_are_unique_and_latest_follows(tmp_path):
    report = make_report(*SAMPLE)
    first = writer.new_run_directory(tmp_path, "127.0.0.1:1143", when=0)
    writer.write_all(report, first)
    writer.point_latest(first)
    second = writer.new_run_directory(tmp_path, "127.0.0.1:1143", when=0)
    assert first.name == "19700101-000000" and second.name == "19700101-000000-2"
    assert first.parent.name == "127.0.0.1-1143"
    writer.write_all(report, second)
    writer.point_latest(second)
    assert (first.parent / "latest").resolve() == second.resolve()
    assert sorted(p.name for p in second.iterdir()) == sorted(writer.FILES)


def test_slug():
    assert writer.slug("dovecot") == "dovecot"
    assert writer.slug("[::1]:993") == "1-993"
    assert writer.slug("../../etc") == "etc"
    assert writer.slug("") == "server"
