"""A small Markdown subset to HTML, for hand-written notes in the matrix page.

Headings, paragraphs, bullet lists, block quotes, fenced code, inline code, emphasis and links.
"""

from __future__ import annotations

import re
from html import escape

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")
_SAFE_URL = re.compile(r"^(https?://|#|[A-Za-z0-9._/-]+(#[\w.-]*)?$)")


def inline(text: str) -> str:
    """Inline Markdown of one line: code spans are kept verbatim, the rest escaped."""
    parts = _CODE.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"<code>{escape(part)}</code>")
            continue
        html = escape(part, quote=False)
        html = _STRONG.sub(r"<strong>\1</strong>", html)
        html = _LINK.sub(_link, html)
        out.append(html)
    return "".join(out)


def _link(match: re.Match[str]) -> str:
    label, url = match.group(1), match.group(2)
    if not _SAFE_URL.match(url):
        return match.group(0)
    return f'<a href="{escape(url)}">{label}</a>'


def render(text: str) -> str:
    """Block structure: a line-by-line pass closing lists and quotes as they end."""
    out: list[str] = []
    open_block = ""  # "ul", "blockquote", "p" or "pre"

    def close() -> None:
        nonlocal open_block
        if open_block:
            out.append(f"</{open_block}>")
        open_block = ""

    for raw in text.splitlines():
        line = raw.rstrip()
        if open_block == "pre":
            if line.startswith("```"):
                out.append("</code></pre>")
                open_block = ""
            else:
                out.append(escape(raw))
            continue
        if line.startswith("```"):
            close()
            out.append("<pre><code>")
            open_block = "pre"
        elif heading := re.match(r"^(#{1,4})\s+(.*)$", line):
            close()
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif item := re.match(r"^\s*[-*]\s+(.*)$", line):
            if open_block != "ul":
                close()
                out.append("<ul>")
                open_block = "ul"
            out.append(f"<li>{inline(item.group(1))}</li>")
        elif line.startswith(">"):
            if open_block != "blockquote":
                close()
                out.append("<blockquote>")
                open_block = "blockquote"
            out.append(inline(line[1:].strip()) + "<br>")
        elif not line.strip():
            close()
        elif open_block == "ul":  # a continuation of the last item
            out[-1] = out[-1].removesuffix("</li>") + " " + inline(line.strip()) + "</li>"
        else:
            if open_block != "p":
                close()
                out.append("<p>")
                open_block = "p"
            out.append(inline(line.strip()))
    if open_block == "pre":
        out.append("</code></pre>")
        open_block = ""
    close()
    return "\n".join(out)
