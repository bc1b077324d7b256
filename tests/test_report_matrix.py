"""The cross-server matrix built from runs' report.json files."""

from __future__ import annotations

from pathlib import Path

from test_report_model import make_report
from test_report_writers import parsed

from imapcheck.report import matrix, mdlite, writer


def write_run(root: Path, name: str, *outcomes: tuple[str, str, str, str]) -> Path:
    run = root / name / "20250101-120000"
    writer.write_all(make_report(*outcomes, name=name), run)
    return run


def two_servers(root: Path) -> list[Path]:
    return [
        write_run(
            root,
            "dovecot",
            ("test_a", "6.1.1", "MUST", "passed"),
            ("test_b", "6.1.1", "MUST", "passed"),
            ("test_c", "7.1", "SHOULD", "passed"),
        ),
        write_run(
            root,
            "cyrus",
            ("test_a", "6.1.1", "MUST", "passed"),
            ("test_b", "6.1.1", "MUST", "failed"),
            ("test_c", "7.1", "SHOULD", "warning"),
            ("test_d", "7.2", "MUST", "skipped"),
        ),
    ]


def test_rows_are_sections_and_tests_columns_servers(tmp_path):
    built = matrix.build(two_servers(tmp_path), tmp_path)
    assert [c.name for c in built.columns] == ["dovecot", "cyrus"]
    assert list(built.sections) == [("3501", "6.1.1"), ("3501", "7.1"), ("3501", "7.2")]
    rows = {r.test.name: r for rs in built.sections.values() for r in rs}
    assert [c.outcome if c else None for c in rows["test_b"].cells] == ["passed", "failed"]
    assert rows["test_d"].cells[0] is None
    assert rows["test_b"].differs and not rows["test_a"].differs
    assert rows["test_c"].failing and not rows["test_a"].failing


def test_markdown_links_each_failure_to_its_transcript(tmp_path):
    runs = two_servers(tmp_path)
    text = matrix.render_markdown(matrix.build(runs, tmp_path), "## What we found\n\nA note.")
    anchor = make_report(("test_b", "6.1.1", "MUST", "failed")).tests[0].anchor
    link = f"cyrus/20250101-120000/report.html#{anchor}"
    assert f"| test_b | MUST | ✓ | [✗]({link}) |" in text
    assert "| **RFC 3501 §6.1.1** | | 2/2 | 1/2 |" in text
    assert "| test_d | MUST |  | [-](" in text
    assert (
        f"- RFC 3501 §6.1.1 MUST `test_b`: test_b: the server said NO ([transcript]({link}))"
        in text
    )
    assert "### dovecot 2.3.19.1\n\n- none" in text
    assert text.rstrip().endswith("## What we found\n\nA note.")
    # the link resolves to the run's report, which has the anchor
    target = tmp_path / link.split("#")[0]
    assert anchor in parsed(target.read_text()).ids


def test_html_matrix_links_and_rows(tmp_path):
    out = tmp_path / "out"
    paths = matrix.write(matrix.build(two_servers(tmp_path), out), out)
    assert [p.name for p in paths] == ["matrix.md", "matrix.html"]
    page = paths[1].read_text()
    found = parsed(page)
    links = [f.split("href=", 1)[1] for f in found.fetches]
    assert all(link.startswith("../") for link in links)
    for link in links:
        assert (out / link.split("#")[0]).is_file()
    assert page.count('class="test"') == 4
    assert 'data-differ="1" data-failing="1"' in page


def test_notes_markdown_subset():
    html = mdlite.render(
        "# Found\n\n- **Bold** and `<code>`\n  continued\n\n> RFC says\n"
        "> MUST\n\n[link](https://example.org/x) [bad](javascript:alert(1))\n"
        "```\n<raw>\n```\n"
    )
    assert "<h1>Found</h1>" in html
    assert "<li><strong>Bold</strong> and <code>&lt;code&gt;</code> continued</li>" in html
    assert "<blockquote>\nRFC says<br>\nMUST<br>\n</blockquote>" in html
    assert '<a href="https://example.org/x">link</a>' in html
    assert "javascript" not in html.replace("[bad](javascript:alert(1))", "")
    assert "<pre><code>\n&lt;raw&gt;\n</code></pre>" in html
