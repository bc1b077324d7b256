"""Load testing IMAP servers with Locust.

``from imapcheck.load import ImapUser, FastImapUser`` in a locustfile. Importing the users
imports Locust (which patches sockets for gevent), so they load lazily: the seed command and
the clients (``imapcheck.load.client``) work without Locust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imapcheck.load.shapes import CapacitySearchShape
    from imapcheck.load.users import FastImapUser, ImapUser, imap_task_guard, think

__all__ = ["CapacitySearchShape", "FastImapUser", "ImapUser", "imap_task_guard", "think"]

_WHERE = {
    "ImapUser": "imapcheck.load.users",
    "FastImapUser": "imapcheck.load.users",
    "imap_task_guard": "imapcheck.load.users",
    "think": "imapcheck.load.users",
    "CapacitySearchShape": "imapcheck.load.shapes",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'imapcheck.load' has no attribute {name!r}")
