"""A sentinel password never leaves imapcheck: not in output, JUnit, reports, transcripts, logs.

The suite's authentication and TLS checks run against a dedicated Dovecot whose accounts have
sentinel passwords (with a quote and a backslash, so escaped forms are covered too). A small
plugin fails every test after it ran, so that every session's transcript is written out:
stdout with -vv -l -rA, pytest's JUnit XML with all logging, imapcheck's report directory
(report.json, report.html, summary.md, junit.xml), pytest's log file and the server's log.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import dovecot
from imapcheck.session import Session
from imapcheck.target import Credentials, Target

ROOT = Path(__file__).resolve().parent.parent
CORE, CORE2 = "Q7zK3mWv", "R2xP8nTq"  # what any encoding of the passwords still contains
SENTINEL = f'Sx"{CORE}\\u9'
SENTINEL2 = f"Ty\\{CORE2}%b"
SUITE = [
    "conformance/test_security_auth.py",
    "conformance/test_ext_sasl_ir.py",
    "conformance/test_security_tls.py",
    "conformance/test_rfc3501_not_authenticated.py",
    "conformance/test_rfc3501_any_state.py",
]
FORCE_FAIL = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    yield
    raise AssertionError("failed on purpose: every transcript is written out")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[dovecot.DovecotServer]:
    if dovecot.find_binary() is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    try:
        started = dovecot.start(users=0)
    except ServerUnavailable as exc:
        pytest.skip(f"Dovecot did not start: {exc}")
    started.add_user("sentinel", SENTINEL)
    started.add_user("sentinel2", SENTINEL2)
    yield started
    started.stop()


def forbidden() -> list[str]:
    forms = [CORE, CORE2]
    for user, secret in (("sentinel", SENTINEL), ("sentinel2", SENTINEL2)):
        for blob in (f"\0{user}\0{secret}", f"{user}\0{user}\0{secret}", secret):
            forms.append(base64.b64encode(blob.encode()).decode())
    return forms


def test_sentinel_password_appears_nowhere(server, tmp_path):
    (tmp_path / "imapcheck_force_fail.py").write_text(FORCE_FAIL)
    reports, junit, log = tmp_path / "reports", tmp_path / "junit.xml", tmp_path / "pytest.log"
    command = [sys.executable, "-m", "pytest", *SUITE, "-p", "imapcheck_force_fail"]
    command += ["--server", f"127.0.0.1:{server.plain_port}", "--tls", "starttls"]
    command += ["--ca-file", str(server.root / "cert.pem"), "--user", "sentinel"]
    command += ["--password", SENTINEL, "-vv", "-l", "-rA", "-p", "no:cacheprovider"]
    command += ["--junitxml", str(junit), "-o", "junit_logging=all", "--report-dir", str(reports)]
    command += ["--log-file", str(log), "--log-file-level", "DEBUG"]
    env = dict(os.environ, IMAPCHECK_USER2="sentinel2", IMAPCHECK_PASSWORD2=SENTINEL2)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    # the check means something only if authentication happened and was written out
    assert "AUTHENTICATE PLAIN" in output and "LOGIN" in output and "<redacted>" in output
    assert "failed on purpose" in output and " passed" not in output.splitlines()[-1]
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".py"]
    written += [server.root / "dovecot.log"]
    names = {p.name for p in written}
    assert {"junit.xml", "pytest.log", "report.json", "report.html", "summary.md"} <= names
    places = {"stdout/stderr": output}
    places.update({str(p): p.read_text(errors="replace") for p in written})
    leaks = [
        f"{secret!r} in {where}"
        for where, text in places.items()
        for secret in forbidden()
        if secret in text
    ]
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)


def test_quoted_password_is_redacted_in_every_form(loopback_server):
    """A password with a quote and a backslash goes out escaped: that form is redacted too."""
    received: list[bytes] = []

    def accept_login(conn: socket.socket) -> None:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
        while data := conn.recv(4096):
            received.append(data)
            tag = data.split(b" ", 1)[0]
            conn.sendall(tag + b" OK [CAPABILITY IMAP4rev1] done\r\n")

    server = loopback_server(accept_login)
    target = Target("127.0.0.1", server.port, "plain", (Credentials("u", SENTINEL),), timeout=5)
    with Session(target) as session:
        session.connect()
        session.login()
    sent = b"".join(received)
    assert b'"Sx\\"' + CORE.encode() in sent, "the server got the escaped quoted form"
    shown = str(session.transcript)
    assert CORE not in shown and "<redacted>" in shown, shown
