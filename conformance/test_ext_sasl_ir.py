"""SASL-IR (RFC 4959): AUTHENTICATE PLAIN with the initial response on the command line, "="
for an empty one, invalid base64 refused; the classic exchange still works."""

from __future__ import annotations

import base64

import pytest

pytestmark = pytest.mark.requires("SASL-IR")


@pytest.fixture
def fresh(connect):
    """A connected, not yet authenticated session offering SASL-IR and AUTH=PLAIN."""
    session = connect(login=False)
    missing = [c for c in ("SASL-IR", "AUTH=PLAIN") if c not in session.capabilities]
    if missing:
        pytest.skip(f"server does not advertise {' and '.join(missing)} before login")
    return session


def plain(user: str, password: str) -> bytes:
    return base64.b64encode(f"\0{user}\0{password}".encode())


def authenticated(session) -> bool:
    return session.command("LIST", b'""', b'""').ok


def no_challenge(reply, what: str) -> None:
    assert not reply.continuations, (
        f"{what}: the initial response was on the command line, so PLAIN needs no challenge; "
        f"the server sent {[bytes(f.first_line) for f in reply.continuations]}"
    )


@pytest.mark.rfc("4959", "3", "MUST")
def test_initial_response_authenticates(fresh, target):
    user = target.user
    reply = fresh.authenticate("PLAIN", [plain(user.user, user.password)], initial_response=True)
    assert reply.ok, f"AUTHENTICATE PLAIN with an initial response failed: {reply.summary()}"
    no_challenge(reply, "AUTHENTICATE PLAIN <initial response>")
    assert authenticated(fresh), "after AUTHENTICATE ... OK the session is not authenticated"


@pytest.mark.rfc("4959", "3", "MUST")
def test_exchange_without_initial_response_still_works(fresh, target):
    user = target.user
    reply = fresh.authenticate("PLAIN", [plain(user.user, user.password)])
    assert reply.ok, (
        "servers that implement SASL-IR MUST support clients that omit the initial response "
        f"(RFC 4959 §3), got {reply.summary()}"
    )
    assert len(reply.continuations) == 1, "PLAIN without initial response takes one '+' challenge"


@pytest.mark.rfc("4959", "3", "MUST")
def test_pad_character_is_an_empty_response(fresh, target):
    reply = fresh.authenticate("PLAIN", [b""], initial_response=True)  # sends "="
    no_challenge(reply, "AUTHENTICATE PLAIN =")
    assert not reply.ok, (
        "'=' is a present, zero-length initial response (RFC 4959 §3), an empty PLAIN message "
        f"that cannot authenticate; got {reply.summary()}"
    )
    user = target.user
    again = fresh.authenticate("PLAIN", [plain(user.user, user.password)], initial_response=True)
    assert again.ok, f"the connection is unusable after the empty response: {again.summary()}"


@pytest.mark.rfc("4959", "3", "MUST")
@pytest.mark.parametrize("bad", [b"=AAA", b"AAA=BBB", b"AAAA*AAA"])
def test_invalid_base64_initial_response_refused(fresh, bad):
    reply = fresh.authenticate("PLAIN", [bad], initial_response=True)
    assert not reply.ok and not reply.continuations, (
        f"{bad.decode()!r} is not base64 (RFC 4959 §3: '=' only at the end); the server must "
        f"refuse it as a decoding error, got {reply.summary()}"
    )
    assert not authenticated(fresh), "invalid base64 authenticated the session"
