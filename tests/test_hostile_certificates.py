"""Servers with bad certificates or old TLS: refused by default, findings with --insecure.

Throwaway Dovecots with an expired certificate, a certificate for another host, and a
self-signed one (not given with --ca-file) that also accepts TLS 1.0. Without --insecure a
session refuses each with a message naming the problem, and the suite ends with that one
line; with --insecure the suite runs on and conformance/test_security_certificates.py reports
exactly the problem the server has.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_hostile_suite import IMAP_TIMEOUT, Run, run_suite

from imapcheck.errors import ConnectError, ServerUnavailable
from imapcheck.servers import dovecot
from imapcheck.session import Session
from imapcheck.target import Credentials, Target

SUITE = ["conformance/test_security_certificates.py", "conformance/test_rfc3501_any_state.py"]
CERTIFICATE_TESTS = {
    "chain": "test_certificate_chain_is_trusted",
    "dates": "test_certificate_is_within_its_validity_period",
    "host": "test_certificate_names_the_host",
    "tls1.0": "test_tls_before_1_2_is_refused[TLSv1.0]",
    "tls1.1": "test_tls_before_1_2_is_refused[TLSv1.1]",
}
# server -> (certificate, ssl_min_protocol, trusted with --ca-file, the findings, their words)
SERVERS = {
    "expired": ("expired", "TLSv1.2", True, {"dates": "certificate has expired"}),
    "wrong-host": ("wrong-host", "TLSv1.2", True, {"host": "IP address mismatch"}),
    "self-signed-tls1": (
        "valid",
        "TLSv1",
        False,
        {
            "chain": "self-signed certificate",
            "tls1.0": "accepts a TLS 1.0 handshake",
            "tls1.1": "accepts a TLS 1.1 handshake",
        },
    ),
}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, dovecot.DovecotServer]]:
    if dovecot.find_binary() is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    started: dict[str, dovecot.DovecotServer] = {}
    try:
        for name, (certificate, protocol, _, _) in SERVERS.items():
            started[name] = dovecot.start(
                users=1, certificate=certificate, ssl_min_protocol=protocol
            )
    except ServerUnavailable as exc:
        pytest.skip(f"Dovecot did not start: {exc}")
    yield started
    for server in started.values():
        server.stop()


def _args(server: dovecot.DovecotServer, name: str, *extra: str) -> list[str]:
    account = server.accounts[0]
    args = ["--server", f"127.0.0.1:{server.plain_port}", "--tls", "starttls"]
    args += ["--user", account.user, "--password", account.password]
    args += ["--imap-timeout", str(IMAP_TIMEOUT), "-q", *extra]
    if SERVERS[name][2]:
        args += ["--ca-file", str(server.root / "cert.pem")]
    return args


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("expired", "not trusted: certificate has expired"),
        ("wrong-host", "not trusted: IP address mismatch"),
        ("self-signed-tls1", "not trusted: self-signed certificate"),
    ],
)
def test_verification_is_on_by_default(servers, name, words):
    server = servers[name]
    ca_file = str(server.root / "cert.pem") if SERVERS[name][2] else None
    account = Credentials(server.accounts[0].user, server.accounts[0].password)
    for port, mode in ((server.plain_port, "starttls"), (server.tls_port, "implicit")):
        target = Target("127.0.0.1", port, mode, (account,), ca_file=ca_file, timeout=5)
        with Session(target) as session, pytest.raises(ConnectError, match=words) as caught:
            session.connect()
        assert "--insecure" in str(caught.value), "the message says how to continue anyway"


def test_suite_refuses_an_untrusted_server_with_one_line(servers, tmp_path):
    run = run_suite([*SUITE, *_args(servers["expired"], "expired")], tmp_path)
    assert run.returncode == 2, run.output
    lines = [line for line in run.output.splitlines() if "imapcheck: " in line]
    assert lines and "certificate has expired" in lines[0] and "--insecure" in lines[0]
    assert "Traceback" not in run.output


@pytest.mark.parametrize("name", SERVERS)
def test_insecure_runs_on_and_reports_the_findings(servers, tmp_path, name):
    run: Run = run_suite([*SUITE, *_args(servers[name], name, "--insecure")], tmp_path)
    assert run.returncode == 1, run.output
    assert "Traceback" not in run.output and "src/imapcheck/" not in run.output
    outcome = {case[0]: case for case in run.cases}
    findings = SERVERS[name][3]
    for key, test in CERTIFICATE_TESTS.items():
        _, result, _, message = outcome[test]
        if key in findings:
            assert result == "failure", f"{name}: {test} must report the finding\n{run.output}"
            assert "security finding" in message and findings[key] in message, message
        else:
            assert result == "passed", f"{name}: {test} must pass: {message}"
    others = [case for case in run.cases if case[0] not in CERTIFICATE_TESTS.values()]
    assert others and all(case[1] == "passed" for case in others), (
        f"{name}: with --insecure the rest of the suite runs normally over TLS\n{run.output}"
    )
