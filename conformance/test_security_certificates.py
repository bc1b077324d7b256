"""Security: the server's certificate and TLS versions (RFC 8314 §4.4, RFC 8996 §4-§5).

Each check isolates one problem, whatever ``--insecure`` says: the chain is trusted (by
``--ca-file`` or the system's CAs), the certificate is in its validity period, it names the
host imapcheck connected to (RFC 3501 §11.1), and TLS 1.0 and 1.1 are refused. With
``--insecure`` the rest of the suite runs on and these checks report what verification
would have refused.
"""

from __future__ import annotations

import ssl
import warnings

import pytest
from test_security_tls import attach, insecure_context, open_tls

from imapcheck.target import Target
from imapcheck.transcript import Transcript

NO_CHECK_TIME = 0x200000  # X509_V_FLAG_NO_CHECK_TIME: judge the chain, not the dates
FINDING = "security finding: the certificate of {address} {problem} ({code}: {message})"


def _tls_target(target: Target, tls_target: Target) -> Target:
    if tls_target.tls_mode == "implicit":
        return tls_target
    if target.tls_mode == "plain":
        pytest.skip("the target is tested without TLS (--tls plain)")
    return target


def _verify(
    request, target: Target, context: ssl.SSLContext
) -> ssl.SSLCertVerificationError | None:
    """Handshake with ``context``; the verification error, or None when it verified."""
    log = Transcript("raw-tls")
    attach(request, log)
    try:
        with open_tls(target, context, log) as tls:
            log.note(f"TLS established: {tls.version()}; certificate verified")
    except ssl.SSLCertVerificationError as exc:
        log.note(f"certificate verification failed: {exc.verify_message}")
        return exc
    except (ssl.SSLError, OSError) as exc:
        pytest.fail(f"TLS handshake with {target.address} failed: {exc}", pytrace=False)
    return None


def _leaf_pem(request, target: Target) -> str:
    """The server's own certificate, fetched without verifying it."""
    log = Transcript("raw-tls-fetch")
    attach(request, log)
    with open_tls(target, insecure_context(), log) as tls:
        der = tls.getpeercert(binary_form=True)
    if not der:
        pytest.fail("the server presented no certificate", pytrace=False)
    return ssl.DER_cert_to_PEM_cert(der)


def _trusting_leaf(pem: str, *, check: str) -> ssl.SSLContext:
    """A context that trusts exactly the server's certificate and judges only ``check``:
    its ``dates`` or the ``host`` name."""
    context = ssl.create_default_context(cadata=pem)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    if check == "dates":
        context.check_hostname = False
    else:
        context.verify_flags |= NO_CHECK_TIME
    return context


def _finding(target: Target, problem: str, error: ssl.SSLCertVerificationError) -> str:
    return FINDING.format(
        address=target.address,
        problem=problem,
        code=error.verify_code,
        message=error.verify_message,
    )


@pytest.mark.rfc("8314", "4.4", "MUST")
def test_certificate_chain_is_trusted(request, target, tls_target, server_info):
    tls = _tls_target(target, tls_target)
    context = ssl.create_default_context(cafile=tls.ca_file)
    context.check_hostname = False
    context.verify_flags |= NO_CHECK_TIME
    error = _verify(request, tls, context)
    trust = f"--ca-file {tls.ca_file}" if tls.ca_file else "the system's CA certificates"
    assert error is None, (
        _finding(tls, f"is not trusted by {trust}", error)
        + ". RFC 8314 §4.4: servers MUST maintain valid certificates; a client verifying as "
        "RFC 8314 §5.3 asks refuses this server. A self-signed certificate is acceptable only "
        "when given explicitly with --ca-file."
    )


@pytest.mark.rfc("8314", "4.4", "MUST")
def test_certificate_is_within_its_validity_period(request, target, tls_target, server_info):
    tls = _tls_target(target, tls_target)
    error = _verify(request, tls, _trusting_leaf(_leaf_pem(request, tls), check="dates"))
    assert error is None, (
        _finding(tls, "is outside its validity period", error)
        + ". RFC 8314 §4.4: servers MUST maintain valid certificates"
    )


@pytest.mark.rfc("8314", "4.4", "MUST")
def test_certificate_names_the_host(request, target, tls_target, server_info):
    tls = _tls_target(target, tls_target)
    error = _verify(request, tls, _trusting_leaf(_leaf_pem(request, tls), check="host"))
    assert error is None, (
        _finding(tls, f"does not name {tls.host!r}, the host imapcheck connected to", error)
        + ". RFC 3501 §11.1: the client MUST check the server hostname it used against the "
        "certificate; RFC 8314 §4.4: servers MUST maintain valid certificates"
    )


def _old_version_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    context = insecure_context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    context.set_ciphers("ALL:@SECLEVEL=0")  # OpenSSL 3 offers TLS < 1.2 only at level 0
    return context


@pytest.mark.parametrize(
    ("version", "section"),
    [
        pytest.param(
            ssl.TLSVersion.TLSv1, "4", id="TLSv1.0", marks=pytest.mark.rfc("8996", "4", "MUST")
        ),
        pytest.param(
            ssl.TLSVersion.TLSv1_1, "5", id="TLSv1.1", marks=pytest.mark.rfc("8996", "5", "MUST")
        ),
    ],
)
def test_tls_before_1_2_is_refused(request, target, tls_target, server_info, version, section):
    tls = _tls_target(target, tls_target)
    name = "TLS 1.0" if version == ssl.TLSVersion.TLSv1 else "TLS 1.1"
    log = Transcript("raw-tls-version")
    attach(request, log)
    try:
        with open_tls(tls, _old_version_context(version), log) as sock:
            negotiated = sock.version()
    except ssl.SSLError as exc:
        if "NO_PROTOCOLS_AVAILABLE" in str(exc) or "NO_CIPHERS_AVAILABLE" in str(exc):
            pytest.skip(f"this machine's OpenSSL cannot offer {name}: {exc}")
        log.note(f"{name} refused: {exc}")
        return
    except (ConnectionError, OSError) as exc:
        log.note(f"{name} refused: {exc}")
        return
    pytest.fail(
        f"security finding: {tls.address} accepts a {name} handshake (negotiated {negotiated}). "
        f"RFC 8996 §{section}: '{name} MUST NOT be used'; RFC 8314 §4.1 asks servers to drop "
        "old TLS versions. Configure TLS 1.2 as the minimum (e.g. Dovecot: ssl_min_protocol = "
        "TLSv1.2)",
        pytrace=False,
    )
