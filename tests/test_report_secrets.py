"""No secret reaches a report: options, command line, messages, tracebacks, transcripts."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from test_report_model import no_imapcheck_environment  # noqa: F401  (autouse)

from imapcheck.report.redact import REDACTED, Redactor, command_line, options

pytest_plugins = ("pytester",)

SENTINEL = "Sentinel-pw-7Qx9"
SENTINEL2 = "Second-pw-K2v8"


def sasl_forms(user: str, secret: str) -> list[str]:
    return [base64.b64encode(f"{a}\0{user}\0{secret}".encode()).decode() for a in ("", user)]


def test_redactor_scrubs_secrets_and_sasl_forms_everywhere():
    redactor = Redactor()
    redactor.add(SENTINEL, "alice")
    redactor.add("ab")  # too short to scrub safely; ignored like the transcript does
    plain = sasl_forms("alice", SENTINEL)[0]
    data = {"k": [f"pw={SENTINEL}", {f"x{SENTINEL}": plain}], "n": 3, "ab": "ab"}
    assert redactor.deep(data) == {
        "k": [f"pw={REDACTED}", {f"x{REDACTED}": REDACTED}],
        "n": 3,
        "ab": "ab",
    }


def test_options_and_command_line_hide_secret_values():
    shown = options(
        {
            "password": "x1",
            "password2": None,
            "api_key": "k",
            "user": "alice",
            "keyword": "fetch",
            "path": Path("/tmp/a"),
        }
    )
    assert shown == {
        "api_key": REDACTED,
        "keyword": "fetch",
        "password": REDACTED,
        "password2": None,
        "path": "/tmp/a",
        "user": "alice",
    }
    assert command_line(["--user", "a", "--password", "x1", "--password2=x2", "-k", "t"]) == [
        "--user",
        "a",
        "--password",
        REDACTED,
        f"--password2={REDACTED}",
        "-k",
        "t",
    ]


SUITE = """
import pytest

@pytest.mark.rfc("3501", "6.2.3", "MUST")
def test_login_then_fail(imap, pytestconfig):
    secret = pytestconfig.getoption("--password")
    reply = imap.command("NOOP")
    print("the password is", secret)
    assert not reply.ok, f"deliberate failure; the password was {secret}"

@pytest.mark.rfc("3501", "6.2.2", "MUST")
def test_authenticate_plain_then_fail(connect, target):
    session = connect(login=False)
    session.authenticate_plain()
    assert False, f"deliberate failure after AUTHENTICATE; accounts {target.accounts}"

@pytest.mark.rfc("3501", "6.2.3", "MUST")
def test_second_user(connect, target):
    session = connect(login=False)
    session.login(target.user2)
    assert False, f"second account: {target.user2.user} {target.user2.password}"
"""


@pytest.fixture(scope="module")
def dovecot_server():
    from imapcheck.errors import ServerUnavailable
    from imapcheck.servers import dovecot

    if dovecot.find_binary() is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    try:
        server = dovecot.start()
    except ServerUnavailable as exc:
        pytest.skip(f"Dovecot did not start: {exc}")
    server.add_user("sentinel", SENTINEL)
    server.add_user("sentinel2", SENTINEL2)
    yield server
    server.stop()


def test_sentinel_passwords_never_reach_report_files(pytester, dovecot_server, monkeypatch):
    monkeypatch.setenv("IMAPCHECK_USER2", "sentinel2")
    monkeypatch.setenv("IMAPCHECK_PASSWORD2", SENTINEL2)
    pytester.makepyfile(test_secret=SUITE)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "--server",
        f"127.0.0.1:{dovecot_server.plain_port}",
        "--user",
        "sentinel",
        f"--password={SENTINEL}",
        "--tls",
        "starttls",
        "--ca-file",
        str(dovecot_server.root / "cert.pem"),
        "--report-dir",
        str(out),
        "-l",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(failed=3)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert sorted(p.name for p in files) == [
        "junit.xml",
        "report.html",
        "report.json",
        "summary.md",
    ]
    forbidden = [
        SENTINEL,
        SENTINEL2,
        *sasl_forms("sentinel", SENTINEL),
        *sasl_forms("sentinel2", SENTINEL2),
    ]
    for path in files:
        text = path.read_text()
        for secret in forbidden:
            assert secret not in text, f"{secret!r} appears in {path.name}"
    report = (out.glob("*/latest/report.json").__next__()).read_text()
    # the check means something only if the places a secret would go were written
    assert "deliberate failure; the password was <redacted>" in report
    assert "AUTHENTICATE" in report and "LOGIN" in report
    assert '"password": "<redacted>"' in report and "--password=<redacted>" in report
