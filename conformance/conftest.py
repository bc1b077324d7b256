"""Fixtures shared by the conformance tests (the plugin's fixtures come from imapcheck)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from imapcheck.errors import ImapcheckError
from imapcheck.sandbox import Sandbox
from imapcheck.session import Session


@pytest.fixture
def box(imap: Session, sandbox: Sandbox, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh mailbox created by the test's own session (so the transcript shows it),
    removed with its children afterwards while that session is still usable."""
    name = sandbox.create(imap, request.node.name)
    yield name
    if imap.connected:
        with contextlib.suppress(ImapcheckError, OSError):
            sandbox.remove(imap, name)
