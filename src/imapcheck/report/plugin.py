"""pytest hooks that collect every conformance test's result and write the run's reports.

Registered through the ``pytest11`` entry point ``imapcheck_report``. A run that executed at least
one conformance test (one citing an RFC or using the server under test) writes
``<report dir>/<server>/<timestamp>/`` with report.json, report.html, summary.md and junit.xml.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from imapcheck import __version__
from imapcheck.report import collect, writer
from imapcheck.report.baseline import Baseline, BaselineError
from imapcheck.report.html import verdict
from imapcheck.report.model import Report, RunFacts, ServerFacts, TestResult
from imapcheck.report.redact import Redactor, command_line, options

ENV_REPORT_DIR = "IMAPCHECK_REPORT_DIR"
ENV_BASELINE = "IMAPCHECK_BASELINE"
RECORDED_OPTIONS = (
    "server",
    "user",
    "password",
    "user2",
    "password2",
    "tls",
    "ca_file",
    "insecure",
    "imap_timeout",
    "allow_destructive",
    "syntax",
    "keyword",
    "markexpr",
    "baseline",
    "update_baseline",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("imapcheck-report", "imapcheck: reports and baselines")
    group.addoption(
        "--report-dir",
        metavar="DIR",
        help="write reports to DIR/<server>/<time>/ (default: reports/ at the project root; "
        f"env {ENV_REPORT_DIR})",
    )
    group.addoption(
        "--report-name",
        metavar="NAME",
        help="the server's name in the report and its path (default: name or address)",
    )
    group.addoption("--no-report", action="store_true", help="write no report files")
    group.addoption(
        "--baseline",
        metavar="FILE",
        help="known failures (TOML): listed failures are expected; a new failure, or a listed "
        f"test that passes, fails the run (env {ENV_BASELINE})",
    )
    group.addoption(
        "--update-baseline",
        action="store_true",
        help="accept this run's failures and rewrite the --baseline FILE",
    )


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller reports
        return
    config.pluginmanager.register(ReportPlugin(config), "imapcheck-report-collector")


class ReportPlugin:
    """Per-run state: results by test id, what the server said, the baseline."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: dict[str, TestResult] = {}
        self.ran: list[str] = []
        self.server: ServerFacts | None = None
        self.redactor = Redactor()
        self.started = time.time()
        self.written: Path | None = None
        self.verdict = ""
        self.problem = ""
        for suffix in ("", "2"):
            self.redactor.add(
                config.getoption(f"--password{suffix}", None),
                config.getoption(f"--user{suffix}", None),
            )
            self.redactor.add(
                os.environ.get(f"IMAPCHECK_PASSWORD{suffix}"),
                os.environ.get(f"IMAPCHECK_USER{suffix}"),
            )
        self.baseline: Baseline | None = None
        path = config.getoption("--baseline") or os.environ.get(ENV_BASELINE)
        if config.getoption("--update-baseline") and not path:
            raise pytest.UsageError("--update-baseline needs --baseline FILE (the file to write)")
        if path:
            try:
                self.baseline = Baseline.load(path, update=config.getoption("--update-baseline"))
            except BaselineError as exc:
                raise pytest.UsageError(str(exc)) from None

    # -- collecting -------------------------------------------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            if collect.wanted(item):
                self.results[item.nodeid] = collect.skeleton(item)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        yield
        if self.server is None:
            self._observe(item)

    def _observe(self, item: pytest.Item) -> None:
        funcargs: dict[str, Any] = getattr(item, "funcargs", {})
        target, info = funcargs.get("target"), funcargs.get("server_info")
        if target is None or info is None:
            return
        for account in getattr(target, "accounts", ()):
            self.redactor.add(account.password, account.user)
        self.server = collect.server_facts(target, info, funcargs.get("embedded_server"))
        capabilities = set(info.capabilities) | set(info.capabilities_before_login)
        self.server.id = collect.probe_id(target, capabilities)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if self.baseline is not None and item.nodeid in self.results:
            self.baseline.apply(report)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.results.get(report.nodeid)
        if test is None:
            return
        if report.when == "setup":
            self.ran.append(report.nodeid)
        known, fixed = "", False
        if self.baseline is not None:
            known = self.baseline.matched.get(report.nodeid) or self.baseline.fixed.get(
                report.nodeid, ""
            )
            fixed = report.when == "call" and report.nodeid in self.baseline.fixed
        collect.update(test, report, known_reason=known, fixed=fixed)

    # -- writing ----------------------------------------------------------------------------

    def build(self, exitstatus: int) -> Report:
        """The run as a report, with every known secret scrubbed from every string."""
        finished = time.time()
        config = self.config
        values = {name: getattr(config.option, name, None) for name in RECORDED_OPTIONS}
        run = RunFacts(
            started=_iso(self.started),
            finished=_iso(finished),
            duration=round(finished - self.started, 3),
            exit_status=int(exitstatus),
            imapcheck_version=__version__,
            python=platform.python_version(),
            pytest=pytest.__version__,
            platform=platform.platform(terse=True),
            command=command_line(config.invocation_params.args),
            options=options({k: v for k, v in values.items() if v not in (None, False, "")}),
            baseline=str(self.baseline.path) if self.baseline else "",
            baseline_updated=bool(self.baseline and self.baseline.update),
        )
        tests = [self.results[test_id] for test_id in dict.fromkeys(self.ran)]
        server = self.server or ServerFacts()
        named = config.getoption("--report-name")
        if named:
            server.name = server.label = named
        report = Report(run, server, tests)
        return Report.from_dict(self.redactor.deep(report.to_dict()))

    def report_root(self) -> Path:
        given = self.config.getoption("--report-dir") or os.environ.get(ENV_REPORT_DIR)
        if given:
            return self.config.invocation_params.dir / given
        return self.config.rootpath / "reports"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.ran:
            return
        report = self.build(exitstatus)
        try:
            if self.baseline is not None and self.baseline.update:
                server = f"{report.server.name} {report.server.version}".strip()
                self.baseline.write(report.tests, server)
            if self.config.getoption("--no-report") or self.config.option.collectonly:
                return
            name = report.server.name or "unknown-server"
            directory = writer.new_run_directory(self.report_root(), name, self.started)
            writer.write_all(report, directory)
        except OSError as exc:
            self.problem = f"could not write {exc.filename or 'the report'}: {exc.strerror or exc}"
            return
        writer.point_latest(directory)
        self.written = directory
        self.verdict = verdict(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        if self.problem:
            write(f"imapcheck: {self.problem}", red=True)
        if self.baseline is not None and self.ran:
            write(f"imapcheck: {self.baseline.summary()}")
        if self.written is not None:
            where = _shown_path(self.written / "report.html")
            write(
                f"imapcheck: {self.verdict}; report {where} (also report.json, summary.md, "
                "junit.xml)"
            )


def _iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
