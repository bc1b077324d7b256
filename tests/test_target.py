"""Parsing --server and building a Target from options and environment."""

from __future__ import annotations

import pytest

from imapcheck.errors import TargetError
from imapcheck.target import from_options, parse_server


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("mail.example.org", "mail.example.org", None),
        ("mail.example.org:993", "mail.example.org", 993),
        ("127.0.0.1:1143", "127.0.0.1", 1143),
        ("[::1]:993", "::1", 993),
        ("[::1]", "::1", None),
        ("::1", "::1", None),
        ("imaps://mail.example.org", "mail.example.org", 993),
        ("imap://mail.example.org:1143/", "mail.example.org", 1143),
    ],
)
def test_parse_server(text, host, port):
    assert parse_server(text) == (host, port)


@pytest.mark.parametrize("text", ["", "host:port", "host:99999", "a b", "[::1", "host:993:1"])
def test_parse_server_rejects(text):
    with pytest.raises(TargetError):
        parse_server(text)


def test_tls_defaults_by_port():
    implicit = from_options("h:993", user="u", password="p", env={})
    assert implicit is not None and implicit.tls_mode == "implicit"
    other = from_options("h:143", user="u", password="p", env={})
    assert other is not None and other.tls_mode == "auto"
    forced = from_options("h:993", user="u", password="p", tls="plain", env={})
    assert forced is not None and forced.tls_mode == "plain"
    no_port = from_options("h", user="u", password="p", tls="starttls", env={})
    assert no_port is not None and no_port.port == 143


def test_environment_fallback_and_second_account():
    env = {
        "IMAPCHECK_SERVER": "h:1993",
        "IMAPCHECK_USER": "a",
        "IMAPCHECK_PASSWORD": "pa",
        "IMAPCHECK_USER2": "b",
        "IMAPCHECK_PASSWORD2": "pb",
        "IMAPCHECK_TLS": "implicit",
    }
    target = from_options(None, env=env)
    assert target is not None
    assert (target.host, target.port, target.tls_mode) == ("h", 1993, "implicit")
    assert target.user.user == "a" and target.user2 is not None and target.user2.user == "b"
    assert "pa" not in repr(target) and "pb" not in repr(target)


def test_no_server_means_embedded():
    assert from_options(None, env={}) is None


@pytest.mark.parametrize(
    "kwargs", [{}, {"user": "u"}, {"user": "u", "password": "p", "tls": "tls1"}]
)
def test_incomplete_options_rejected(kwargs):
    with pytest.raises(TargetError):
        from_options("h:993", env={}, **kwargs)
