"""The ``imapcheck`` command: run the suite, serve a server, report, compare, matrix, clean."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from imapcheck.errors import ImapcheckError
from imapcheck.report.model import ReportFileError

EPILOG = """\
examples:
  imapcheck run                             the suite against a Dovecot it starts itself
  imapcheck run --server mail.example.org:993 --user u --password p
  imapcheck run --baseline baselines/my-server.toml -k fetch
  imapcheck compare reports/dovecot/20250101-120000 reports/dovecot/latest
  imapcheck matrix                          every server imapcheck can start, side by side

Reports are written to reports/<server>/<time>/ (report.html, report.json, summary.md,
junit.xml); reports/README.md documents report.json.
"""


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _let_pytest_clean_up(*_: object) -> None:
    """SIGINT while the suite runs: pytest gets it too, cleans up and ends; so do we, after."""


def _say(text: str) -> None:
    print(text, flush=True)


# -- run ------------------------------------------------------------------------------------


def _given(args: Sequence[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in args)


def _selects_tests(arg: str, suite: Path | None) -> bool:
    """A test file, node id, or directory of the suite (not an option's value like a path)."""
    path = Path(arg.split("::", 1)[0])
    if arg.startswith("-") or not path.exists():
        return False
    inside = suite is not None and path.resolve().is_relative_to(suite.resolve())
    return "::" in arg or path.suffix == ".py" or inside


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    from imapcheck.report import runner

    suite = runner.find_suite(args.suite)
    pytest_args = list(extra)
    if not any(_selects_tests(a, suite) for a in pytest_args):
        if suite is None:
            print(
                "imapcheck run: cannot find the conformance suite; give --suite DIR",
                file=sys.stderr,
            )
            return 2
        pytest_args.insert(0, runner.shown_path(suite))
    remote = _given(pytest_args, "--server") or os.environ.get("IMAPCHECK_SERVER")
    chosen = _given(pytest_args, "--baseline") or os.environ.get("IMAPCHECK_BASELINE")
    if suite is not None and not (remote or chosen or args.no_baseline):
        baseline = runner.default_baseline(suite)
        if baseline is not None:
            _say(
                f"imapcheck run: known failures from {runner.shown_path(baseline)} "
                "(--no-baseline: none)"
            )
            pytest_args += ["--baseline", runner.shown_path(baseline)]
    # a fresh interpreter: pytest must import imapcheck's plugins itself to rewrite their asserts
    # Ctrl-C reaches pytest too: wait while it removes the run's mailboxes (a handler, unlike
    # SIG_IGN, is not inherited, so pytest still gets its KeyboardInterrupt)
    previous = signal.signal(signal.SIGINT, _let_pytest_clean_up)
    try:
        return subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args], check=False
        ).returncode
    finally:
        signal.signal(signal.SIGINT, previous)


# -- serve and clean ------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from imapcheck.servers import dovecot

    server = dovecot.start(users=args.users, user_prefix=args.user_prefix)
    try:
        print(f"imap://{server.host}:{server.plain_port}   (STARTTLS offered)")
        print(f"imaps://{server.host}:{server.tls_port}")
        print(f"certificate: {server.root / 'cert.pem'}")
        first = server.accounts[0]
        print(f"users: {args.user_prefix}1 .. {args.user_prefix}{args.users}")
        if args.users <= 5:
            for account in server.accounts:
                print(f"  {account.user} {account.password}")
        else:
            print(f"  e.g. {first.user} {first.password} (all: {server.root / 'users'})")
        print(f"LOCUST_IMAP_USERS_FILE={server.root / 'users'}   (accounts for load tests)")
        print("Ctrl-C stops the server.", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                signal.pause()
    finally:
        server.stop()
    return 0


def _clean(args: argparse.Namespace) -> int:
    from imapcheck.sandbox import leftovers, probe, remove_tree
    from imapcheck.session import Session
    from imapcheck.target import from_options

    target = from_options(
        args.server,
        user=args.user,
        password=args.password,
        tls=args.tls,
        ca_file=args.ca_file,
        insecure=args.insecure,
    )
    if target is None:
        print("imapcheck clean: give --server (or IMAPCHECK_SERVER)", file=sys.stderr)
        return 2
    with Session(target, validate=False) as session:
        session.connect()
        info = probe(session)
        found = leftovers(session, info)
        for name in found:
            failed = remove_tree(session, name, info.delimiter, must_start_with=name)
            print(f"{'could not remove' if failed else 'removed'} {name}")
        if not found:
            print("nothing to clean")
        session.logout()
    return 0


# -- report, compare, matrix ----------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    from imapcheck.report import model, writer

    for given in args.reports:
        source = Path(given)
        report = model.load(source)
        folder = source if source.is_dir() else source.parent
        out = Path(args.out) if args.out else folder
        same = out.resolve() == folder.resolve()
        for path in writer.write_all(report, out, json_too=not same):
            _say(f"wrote {path}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from imapcheck.report import compare, model

    result = compare.compare(model.load(args.a), model.load(args.b))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(compare.render(result), end="")
    return 1 if result.regressions else 0


def _matrix(args: argparse.Namespace, extra: list[str]) -> int:
    from imapcheck.report import matrix, runner

    out = Path(args.out)
    if args.runs:
        runs = [Path(r) for r in args.runs]
    else:
        available, _start = runner.server_registry()
        names = [n for n in args.servers.split(",") if n] if args.servers else available()
        if args.list:
            print("\n".join(available()) or "no server can be started here")
            return 0
        if not names:
            print(
                "imapcheck matrix: no server can be started here (apt-get install dovecot-imapd)",
                file=sys.stderr,
            )
            return 2
        suite = runner.find_suite(args.suite)
        if suite is None:
            print(
                "imapcheck matrix: cannot find the conformance suite; give --suite DIR",
                file=sys.stderr,
            )
            return 2
        runs = runner.run_matrix(names, suite, out.resolve(), extra, args.timeout, _say)
    if not runs:
        print("imapcheck matrix: no run produced a report", file=sys.stderr)
        return 2
    notes_file = Path(args.notes) if args.notes else out / "findings.md"
    notes = notes_file.read_text(encoding="utf-8") if notes_file.is_file() else ""
    for path in matrix.write(matrix.build(runs, out), out, notes):
        _say(f"wrote {path}")
    return 0


# -- seed (load test data), provided by imapcheck.load.seed ---------------------------------


def _load_seed() -> ModuleType | None:
    try:
        return importlib.import_module("imapcheck.load.seed")
    except ModuleNotFoundError as exc:
        if exc.name in ("imapcheck.load.seed", "imapcheck.load"):
            return None
        raise


def _seed_missing(_args: argparse.Namespace) -> int:
    print(
        "imapcheck seed: not available in this installation (imapcheck.load.seed is missing)",
        file=sys.stderr,
    )
    return 2


def _add_seed(sub: argparse._SubParsersAction, wanted: bool) -> None:
    text = "fill an account with mailboxes and messages for load tests"
    seed = sub.add_parser("seed", help=text, description=text, allow_abbrev=False)
    module = _load_seed() if wanted else None
    if module is None:
        seed.set_defaults(func=_seed_missing)
        return
    module.add_arguments(seed)
    seed.set_defaults(func=module.run)


# -- the parser -----------------------------------------------------------------------------


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imapcheck",
        description="Check an IMAP server against the RFCs: run the conformance suite, read and "
        "compare its reports, and put servers side by side.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, **kwargs: object) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, allow_abbrev=False, **kwargs)  # type: ignore[arg-type]

    run = command(
        "run",
        "run the conformance suite (any other argument goes to pytest)",
        usage="imapcheck run [-h] [--suite DIR] [--no-baseline] [pytest arguments ...]",
        epilog="Every pytest option works here, e.g. --server HOST[:PORT] --user U --password P "
        "--tls, -k EXPR, -x, --baseline FILE, --update-baseline, --report-dir DIR, --no-report. "
        "'pytest --help' lists them all (group 'imapcheck').",
    )
    run.add_argument("--suite", metavar="DIR", help="the suite (default: ./conformance)")
    run.add_argument(
        "--no-baseline",
        action="store_true",
        help="no default baseline (the committed one for the local Dovecot)",
    )
    run.set_defaults(func=_run, extra_ok=True)

    serve = command("serve", "start a local Dovecot and print its address; Ctrl-C stops it")
    serve.add_argument("--users", type=int, default=2, help="accounts to create (default 2)")
    serve.add_argument("--user-prefix", default="user", help="account names: PREFIX1..PREFIXn")
    serve.set_defaults(func=_serve)

    report = command("report", "render report.html, summary.md and junit.xml again from JSON")
    report.add_argument(
        "reports",
        nargs="+",
        metavar="REPORT",
        help="a report.json, or the run directory holding it",
    )
    report.add_argument("--out", metavar="DIR", help="write there (default: next to the JSON)")
    report.set_defaults(func=_report)

    compare = command("compare", "what changed between two runs (exit status 1: new failures)")
    compare.add_argument("a", metavar="A", help="the earlier run (report.json or its directory)")
    compare.add_argument("b", metavar="B", help="the later run")
    compare.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    compare.set_defaults(func=_compare)

    matrix = command(
        "matrix",
        "run the suite against every server imapcheck can start; one table of all",
        usage="imapcheck matrix [-h] [--servers A,B] [--list] [--out DIR] [--from RUN ...]\n"
        "                        [--notes FILE] [--suite DIR] [--timeout SECONDS]\n"
        "                        [pytest arguments ...]",
        epilog="Writes OUT/matrix.md and OUT/matrix.html, and each server's report under "
        "OUT/<server>/<time>/. Other arguments go to pytest (e.g. -k).",
    )
    matrix.add_argument("--servers", metavar="A,B", help="only these (default: all available)")
    matrix.add_argument("--list", action="store_true", help="list the servers that can start")
    matrix.add_argument(
        "--out", metavar="DIR", default="reports", help="where to write (default: reports/)"
    )
    matrix.add_argument(
        "--from",
        dest="runs",
        nargs="+",
        metavar="RUN",
        help="build from these existing runs instead of running the suite",
    )
    matrix.add_argument(
        "--notes", metavar="FILE", help="Markdown to append as findings (default: OUT/findings.md)"
    )
    matrix.add_argument("--suite", metavar="DIR", help="the suite (default: ./conformance)")
    matrix.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="stop one server's run after this long (default 900)",
    )
    matrix.set_defaults(func=_matrix, extra_ok=True)

    clean = command("clean", "remove mailboxes left by interrupted runs")
    for option in ("--server", "--user", "--password", "--tls", "--ca-file"):
        clean.add_argument(option)
    clean.add_argument("--insecure", action="store_true")
    clean.set_defaults(func=_clean)

    positional = [a for a in argv if not a.startswith("-")]
    _add_seed(sub, wanted=bool(positional) and positional[0] == "seed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "extra_ok", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if getattr(args, "extra_ok", False):
            return int(args.func(args, extra))
        return int(args.func(args))
    except ImapcheckError as exc:
        print(f"imapcheck: {exc}", file=sys.stderr)
        return 2
    except ReportFileError as exc:
        print(f"imapcheck {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
