"""Running the suite for the command line: finding it, a default baseline, and the matrix runs."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imapcheck.report import writer
from imapcheck.report.collect import dovecot_version, server_version
from imapcheck.report.model import load

SOURCE_ROOT = Path(__file__).resolve().parents[3]  # the checkout, for an editable install


def find_suite(given: str | None = None) -> Path | None:
    """The conformance suite: ``given``, else ./conformance, else the checkout's."""
    if given:
        path = Path(given)
        return path if path.exists() else None
    for candidate in (Path.cwd() / "conformance", SOURCE_ROOT / "conformance"):
        if candidate.is_dir():
            return candidate
    return None


def default_baseline(suite: Path) -> Path | None:
    """The committed baseline for the installed Dovecot (``baselines/dovecot-2.3.toml``)."""
    from imapcheck.servers import dovecot

    binary = dovecot.find_binary()
    version = dovecot_version(binary) if binary else ""
    major_minor = ".".join(version.split(" ")[0].split(".")[:2])
    candidate = suite.resolve().parent / "baselines" / f"dovecot-{major_minor}.toml"
    return candidate if major_minor and candidate.is_file() else None


def server_registry() -> tuple[Callable[[], list[str]], Callable[[str], Any]]:
    """(available, start) from servers/registry.py, or Dovecot alone while it is missing."""
    try:
        registry = importlib.import_module("imapcheck.servers.registry")
    except ModuleNotFoundError as exc:
        if exc.name != "imapcheck.servers.registry":
            raise
        from imapcheck.servers import dovecot

        def available() -> list[str]:
            return ["dovecot"] if dovecot.find_binary() else []

        def start(name: str) -> Any:
            if name != "dovecot":
                raise ValueError(f"unknown server {name!r}")
            return dovecot.start()

        return available, start
    return registry.available, registry.start


def suite_command(
    server: Any, name: str, suite: Path, report_root: Path, extra: list[str]
) -> tuple[list[str], dict[str, str]]:
    """The pytest command line and environment that test a started server (secrets in env)."""
    env = dict(os.environ)
    for index, account in enumerate(server.accounts[:2]):
        suffix = "" if index == 0 else "2"
        env[f"IMAPCHECK_USER{suffix}"] = account.user
        env[f"IMAPCHECK_PASSWORD{suffix}"] = account.password
    cert = Path(getattr(server, "cert_path", "") or server.root / "cert.pem")
    tls = ["--ca-file", str(cert)] if cert.is_file() else ["--insecure"]
    command = [
        sys.executable,
        "-m",
        "pytest",
        shown_path(suite),
        "-q",
        "--tb=no",  # failures are in the report; the terminal shows progress and the verdict
        "-p",
        "no:cacheprovider",
        "--server",
        f"{server.host}:{server.plain_port}",
        "--tls",
        "auto",
        *tls,
        "--report-dir",
        shown_path(report_root),
        "--report-name",
        name,
        *extra,
    ]
    return command, env


def shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (reports show it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run_matrix(
    names: list[str],
    suite: Path,
    report_root: Path,
    extra: list[str],
    timeout: float,
    say: Callable[[str], None],
) -> list[Path]:
    """Start each server in turn, run the suite against it, and return its report directory."""
    _available, start = server_registry()
    runs = []
    for number, name in enumerate(names, 1):
        prefix = f"[{number}/{len(names)}] {name}:"
        began = time.monotonic()
        say(f"{prefix} starting")
        try:
            server = start(name)
        except Exception as exc:  # any launcher failure: report it, go on with the others
            say(f"{prefix} could not start: {exc}")
            continue
        try:
            version = server_version(server)
            say(
                f"{prefix} {version or 'version unknown'} on {server.host}:{server.plain_port}; "
                "running the suite"
            )
            command, env = suite_command(server, name, suite, report_root, extra)
            try:
                subprocess.run(command, env=env, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                say(f"{prefix} the suite did not finish in {timeout:g} s; stopped")
        finally:
            server.stop()
        latest = report_root / writer.slug(name) / writer.LATEST
        if not (latest / "report.json").is_file():
            say(f"{prefix} no report was written")
            continue
        run = latest.resolve()
        report = load(run)
        if version and not report.server.version:
            report.server.version = version
            writer.write_all(report, run)
        counts = report.counts()
        say(
            f"{prefix} {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['warning']} warnings, {counts['skipped']} skipped "
            f"({time.monotonic() - began:.0f} s) -> {run}"
        )
        runs.append(run)
    return runs
