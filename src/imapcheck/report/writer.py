"""Write a report's files into ``<root>/<server>/<timestamp>/`` and point ``latest`` at it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path

from imapcheck.report import html, junit, markdown
from imapcheck.report.model import Report

FILES = ("report.json", "report.html", "summary.md", "junit.xml")
LATEST = "latest"


def slug(name: str) -> str:
    """A directory name for a server: ``dovecot``, ``mail.example.org-993``."""
    text = re.sub(r"[^A-Za-z0-9._]+", "-", name).strip("-.")
    return text or "server"


def new_run_directory(root: Path, server: str, when: float | None = None) -> Path:
    """A fresh directory for one run, named by its UTC start time."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if when is None else when))
    base = root / slug(server)
    candidate, n = base / stamp, 1
    while candidate.exists():
        n += 1
        candidate = base / f"{stamp}-{n}"
    return candidate


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n"


def write_all(report: Report, directory: Path, *, json_too: bool = True) -> list[Path]:
    """Write report.json (unless ``json_too`` is false), report.html, summary.md, junit.xml."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = {
        "report.html": html.render(report),
        "summary.md": markdown.render(report),
        "junit.xml": junit.render(report),
    }
    if json_too:
        rendered = {"report.json": to_json(report), **rendered}
    paths = []
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def point_latest(directory: Path) -> None:
    """Make ``<server>/latest`` a relative symlink to this run (where symlinks work)."""
    link = directory.parent / LATEST
    with contextlib.suppress(OSError):
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(directory.name, link, target_is_directory=True)
