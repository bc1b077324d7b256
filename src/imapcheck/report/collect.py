"""Turn pytest items and reports into :class:`TestResult` objects, and learn about the server."""

from __future__ import annotations

import contextlib
import subprocess
from typing import Any

import pytest

from imapcheck import __version__
from imapcheck.errors import ImapcheckError
from imapcheck.report.model import (
    ERROR,
    FAILED,
    FIXED,
    KNOWN,
    PASSED,
    SKIPPED,
    WARNING,
    ServerFacts,
    TestResult,
    Transcript,
)
from imapcheck.session import Session
from imapcheck.wire.tokens import as_text

MAX_DETAILS = 50_000  # characters of traceback kept per test
TRANSCRIPT_PREFIX = "transcript:"
OWN_TESTS = "tests"  # imapcheck's own test directory


def wanted(item: pytest.Item) -> bool:
    """A conformance check: it cites an RFC, or talks to the server under test from outside
    imapcheck's own tests (``tests/``, which test imapcheck, not the server)."""
    if item.get_closest_marker("rfc") is not None:
        return True
    own = item.nodeid.split("/", 1)[0] == OWN_TESTS
    return not own and "target" in getattr(item, "fixturenames", ())


def skeleton(item: pytest.Item) -> TestResult:
    """A result holding what is known before the test runs: where it is and what it cites."""
    path, line, _ = item.location
    refs = [[str(a) for a in mark.args] for mark in item.iter_markers("rfc")]
    rfc, section, level = (refs[0] + ["", "", ""])[:3] if refs else ("", "", "")
    capabilities = [str(c) for mark in item.iter_markers("requires") for c in mark.args]
    doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
    return TestResult(
        id=item.nodeid,
        name=item.name,
        file=path,
        line=None if line is None else line + 1,
        doc=doc.strip().split("\n\n", 1)[0].replace("\n", " ").strip(),
        rfc=rfc,
        section=section,
        level=level,
        refs=refs,
        capabilities=capabilities,
    )


def _message(report: pytest.TestReport) -> tuple[str, str]:
    """(short message, full details) of a failed or skipped report."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        message = str(longrepr[2]).removeprefix("Skipped: ")
        return message, ""
    crash = getattr(longrepr, "reprcrash", None)
    details = report.longreprtext
    if len(details) > MAX_DETAILS:
        details = details[:MAX_DETAILS] + f"\n... {len(details) - MAX_DETAILS} more characters"
    if crash is not None:
        return str(crash.message).removeprefix("AssertionError: "), details
    lines = details.strip().splitlines()
    return (lines[-1] if lines else ""), details


def update(
    test: TestResult, report: pytest.TestReport, *, known_reason: str = "", fixed: bool = False
) -> None:
    """Fold one phase (setup, call or teardown) of a test into its result."""
    test.duration = round(test.duration + report.duration, 4)
    have = {t.name for t in test.transcripts}
    for key, value in report.user_properties:
        name = str(key).removeprefix(TRANSCRIPT_PREFIX)
        if name != key and name not in have:
            test.transcripts.append(Transcript(name, str(value)))
            have.add(name)
    for title, text in report.sections:
        if title.endswith("server log") and not test.server_log:
            test.server_log = text
    xfail = getattr(report, "wasxfail", None)
    if report.when == "teardown":
        if report.failed:
            message, details = _message(report)
            if test.outcome == PASSED:
                test.outcome, test.message = ERROR, f"error in teardown: {message}"
            test.details = (test.details + "\n\n" + details).strip()
        return
    if fixed:
        test.outcome, test.message = FIXED, str(report.longrepr)
        test.known_reason = known_reason
    elif report.passed:
        test.outcome = PASSED
    elif report.skipped and xfail is not None:
        test.outcome, test.known_reason = KNOWN, known_reason or str(xfail)
        test.message, test.details = _message(report)
    elif report.skipped:
        test.outcome = SKIPPED
        test.message, _ = _message(report)
    elif report.when == "setup":
        test.outcome = ERROR
        test.message, test.details = _message(report)
    else:
        test.outcome = WARNING if test.level in ("SHOULD", "MAY") else FAILED
        test.message, test.details = _message(report)


# -- the server -------------------------------------------------------------------------------


def server_facts(target: Any, info: Any, embedded: Any) -> ServerFacts:
    """What the run knows of the server from the plugin's target, probe and embedded server."""
    facts = ServerFacts(
        label=str(getattr(target, "name", "") or getattr(target, "address", "")),
        address=str(getattr(target, "address", "")),
        tls=str(getattr(target, "tls_mode", "")),
        embedded=embedded is not None,
        greeting=str(getattr(info, "greeting", "")),
        capabilities_before_login=sorted(getattr(info, "capabilities_before_login", ())),
        capabilities=sorted(getattr(info, "capabilities", ())),
    )
    if embedded is not None:
        facts.name = str(embedded.name)
        facts.version = server_version(embedded)
    else:
        facts.name = facts.address.replace("[", "").replace("]", "")
    return facts


def dovecot_version(binary: str) -> str:
    """``2.3.19.1 (9b53102964)`` from ``dovecot --version``; "" when it cannot tell."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=5)
        return done.stdout.strip()
    return ""


def server_version(server: Any) -> str:
    """A started server's version, when its launcher (or, for Dovecot, its binary) tells it."""
    version = getattr(server, "version", None)
    if version:
        return str(version)
    binary = getattr(server, "binary", "")
    if getattr(server, "name", "") == "dovecot" and binary:
        return dovecot_version(binary)
    return ""


def probe_id(target: Any, capabilities: set[str]) -> dict[str, str | None] | None:
    """The server's answer to ID (RFC 2971), before login; None when ID is not advertised."""
    if "ID" not in {c.upper() for c in capabilities}:
        return None
    session = Session(target, name="id", validate=False)
    try:
        session.connect()
        reply = session.command("ID", f'("name" "imapcheck" "version" "{__version__}")'.encode())
    except (ImapcheckError, OSError):
        return None
    finally:
        with contextlib.suppress(ImapcheckError, OSError):
            session.logout()
    found: dict[str, str | None] = {}
    for item in reply.of("ID"):
        params = item.tokens[0] if item.tokens else None
        if isinstance(params, list):
            for key, value in zip(params[::2], params[1::2], strict=False):
                if not isinstance(key, list) and not isinstance(value, list):
                    found[as_text(key) or ""] = as_text(value)
    return found
