"""``junit.xml``: the run for CI systems that read JUnit XML (one testsuite, one testcase each).

SHOULD/MAY failures are ``<failure type="warning">``; known failures from the baseline are
``<skipped type="known-failure">``, as pytest writes expected failures.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from imapcheck.report.model import (
    ERROR,
    FAILED,
    FIXED,
    KNOWN,
    SKIPPED,
    WARNING,
    Report,
    TestResult,
)

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text XML 1.0 can hold: control characters become visible escapes."""
    return _INVALID_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _case(test: TestResult) -> ET.Element:
    module, _, name = test.id.rpartition("::")
    case = ET.Element(
        "testcase",
        classname=_clean(module.replace("/", ".").removesuffix(".py")),
        name=_clean(name or test.id),
        time=f"{test.duration:.3f}",
    )
    if test.file:
        case.set("file", test.file)
    if test.line:
        case.set("line", str(test.line))
    properties = ET.SubElement(case, "properties")
    for key, value in (
        ("rfc", test.rfc),
        ("section", test.section),
        ("level", test.level),
        ("capabilities", " ".join(test.capabilities)),
        ("known_reason", test.known_reason),
    ):
        if value:
            ET.SubElement(properties, "property", name=key, value=_clean(value))
    message = _clean(test.message.strip().splitlines()[0] if test.message.strip() else "")
    kind = {
        FAILED: "failure",
        WARNING: "failure",
        FIXED: "failure",
        ERROR: "error",
        KNOWN: "skipped",
        SKIPPED: "skipped",
    }.get(test.outcome)
    if kind is not None:
        label = test.outcome if test.outcome in (WARNING, KNOWN, FIXED) else test.level
        detail = ET.SubElement(case, kind, message=message, type=label or test.outcome)
        if kind != "skipped":
            detail.text = _clean(test.message + ("\n\n" + test.details if test.details else ""))
    if test.transcripts or test.server_log:
        out = ET.SubElement(case, "system-out")
        chunks = [f"--- transcript {t.name} ---\n{t.text}" for t in test.transcripts]
        if test.server_log:
            chunks.append(f"--- server log ---\n{test.server_log}")
        out.text = _clean("\n\n".join(chunks))
    return case


def render(report: Report) -> str:
    counts = report.counts()
    name = report.server.label or report.server.name or "imapcheck"
    suite = ET.Element(
        "testsuite",
        name=_clean(f"imapcheck {name}"),
        tests=str(counts["total"]),
        failures=str(counts[FAILED] + counts[WARNING] + counts[FIXED]),
        errors=str(counts[ERROR]),
        skipped=str(counts[SKIPPED] + counts[KNOWN]),
        time=f"{report.run.duration:.3f}",
        timestamp=report.run.started,
    )
    for test in report.tests:
        suite.append(_case(test))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
