"""report.html and matrix.html in headless Chromium: no console errors, and the filters work.

Talks to Chromium over the DevTools protocol on a pipe (``--remote-debugging-pipe``: commands
on fd 3, replies on fd 4, each a JSON message ended by a NUL byte). Skipped without Chromium
(``apt-get install chromium``).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_report_model import SAMPLE, make_report

from imapcheck.report import matrix, writer

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)
DEADLINE = 60.0

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"{CHROMIUM} is not installed (apt-get install chromium)",
)


class Browser:
    """A minimal DevTools client: one page, its console errors, and JavaScript evaluation."""

    def __init__(self, profile: Path, log: Path) -> None:
        self._commands_r, self._commands_w = os.pipe()
        self._replies_r, self._replies_w = os.pipe()
        script = f'exec "$@" 3<&{self._commands_r} 4>&{self._replies_w}'
        self.process = subprocess.Popen(
            ["bash", "-c", script, "bash", CHROMIUM, *FLAGS, f"--user-data-dir={profile}"],
            pass_fds=(self._commands_r, self._replies_w),
            stdin=subprocess.DEVNULL,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        os.close(self._commands_r)
        os.close(self._replies_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", session=self.session)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies_r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._replies_r, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + DEADLINE
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def open(self, path: Path) -> None:
        self.events.clear()
        self.call("Page.navigate", session=self.session, url=path.as_uri())
        self.wait_for("Page.loadEventFired")
        self.evaluate("1")  # let pending console events arrive first

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            session=self.session,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and browser errors (CSP, loads)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description") or details["text"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(params["entry"].get("text", ""))
        return found

    def close(self) -> None:
        with contextlib.suppress(OSError, EOFError, TimeoutError, RuntimeError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands_w)
        os.close(self._replies_r)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    root = tmp_path_factory.mktemp("chromium")
    log = root / "chromium.log"
    try:
        chrome = Browser(root / "profile", log)
    except (OSError, EOFError, TimeoutError) as exc:
        pytest.fail(f"Chromium did not start ({exc}); its output: {log.read_text()[-2000:]}")
    yield chrome
    chrome.close()
    shutil.rmtree(root / "profile", ignore_errors=True)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pages")
    runs = []
    for name in ("dovecot", "other"):
        report = make_report(*SAMPLE, name=name)
        if name == "other":
            report.tests[0].outcome, report.tests[0].message = "failed", "differs here"
        run = root / name / "20250101-120000"
        writer.write_all(report, run)
        runs.append(run)
    matrix.write(matrix.build(runs, root), root, "## What we found\n\n- *nothing* `odd`\n")
    return {"report": runs[0] / "report.html", "matrix": root / "matrix.html"}


def visible(browser: Browser, selector: str) -> int:
    return int(
        browser.evaluate(
            f"Array.prototype.filter.call(document.querySelectorAll({selector!r}),"
            " function (e) { return e.offsetParent !== null; }).length"
        )
    )


def test_report_opens_without_console_errors(browser, pages):
    browser.open(pages["report"])
    assert browser.errors() == []
    assert browser.evaluate("document.title").startswith("imapcheck: dovecot (embedded): failed")
    assert browser.evaluate("document.getElementById('shown').textContent") == "5 of 5 tests shown"


def test_report_filters(browser, pages):
    browser.open(pages["report"])
    browser.evaluate("document.querySelector('[data-only=failed]').click()")
    assert visible(browser, "details.test") == 1
    assert (
        browser.evaluate("document.querySelector('details.test:not([hidden])').dataset.outcome")
        == "failed"
    )
    browser.evaluate("""
        document.querySelectorAll('input[name=outcome]')
            .forEach(function (b) { b.checked = true; });
        var q = document.querySelector('input[name=q]');
        q.value = 'IDLE_TIMEOUT'; q.dispatchEvent(new Event('input', {bubbles: true}));
    """)
    assert visible(browser, "details.test") == 1
    browser.evaluate("""
        var q = document.querySelector('input[name=q]');
        q.value = ''; q.dispatchEvent(new Event('input', {bubbles: true}));
        document.querySelector('tr[data-pick="3501 6.1.2"]').click();
    """)
    assert visible(browser, "details.test") == 1
    assert visible(browser, "section.group") == 1
    assert browser.errors() == []


def test_report_link_opens_the_test_with_its_transcript(browser, pages):
    report = make_report(*SAMPLE)
    target = report.tests[1].anchor
    browser.open(pages["report"])
    browser.evaluate(f"window.location.hash = {target!r}")
    assert browser.evaluate(f"document.getElementById({target!r}).open") is True
    text = browser.evaluate(f"document.getElementById({target!r}).innerText")
    assert "S: a1 NO [ALERT] <b>" in text
    assert browser.errors() == []


def test_matrix_opens_without_console_errors_and_filters(browser, pages):
    browser.open(pages["matrix"])
    assert browser.errors() == []
    assert visible(browser, "tr.test") == 5
    browser.evaluate(
        "var d = document.querySelector('input[name=differ]'); d.checked = true;"
        "d.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    assert visible(browser, "tr.test") == 1
    assert visible(browser, "tr.section") == 1
    assert browser.evaluate("document.querySelector('.notes em, .notes code').tagName") == "CODE"
    assert browser.errors() == []


def test_the_check_sees_errors(browser, tmp_path):
    """The harness itself: a script error and a blocked external image are both reported."""
    from imapcheck.report.html import page

    bad = tmp_path / "bad.html"
    bad.write_text(
        page(
            "bad",
            '<img src="http://example.invalid/x.png" alt="">',
            "console.error('logged'); notDefined();",
        )
    )
    browser.open(bad)
    errors = "\n".join(browser.errors())
    assert "notDefined is not defined" in errors
    assert "logged" in errors
    assert "Content Security Policy" in errors
