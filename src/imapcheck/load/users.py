"""Locust users that speak IMAP: :class:`ImapUser` (imapclient) and :class:`FastImapUser`.

Both give a task ``self.imap`` (the same client interface) and ``self.open_session()``.
Every command becomes a Locust ``request`` event (request_type "IMAP", name = command shape,
response_length = bytes received, ``context["bytes_sent"]``). A failed command or connection is
one Locust failure; the task then ends quietly (no traceback) and the next one reconnects.
"""

from __future__ import annotations

import functools
import itertools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from locust import User, events
from locust.env import Environment
from locust.exception import RescheduleTask

from imapcheck.errors import ImapcheckError
from imapcheck.load import accounts as accounts_mod
from imapcheck.load.base import CommandFailed, ConnectionLost, Endpoint, LoadError, MailboxInfo
from imapcheck.load.client import FastClient
from imapcheck.load.iclient import ImapClientClient
from imapcheck.load.metrics import REQUEST_TYPE, recorder_for

log = logging.getLogger("imapcheck.load")
Client = FastClient | ImapClientClient
CLIENTS: dict[str, type[FastClient] | type[ImapClientClient]] = {
    "fast": FastClient,
    "imapclient": ImapClientClient,
}


def add_arguments(parser: Any) -> None:
    """The ``--imap-*`` options (Locust's parser: also settable in locust.conf / LOCUST_IMAP_*)."""

    def add(option: str, **kwargs: Any) -> None:
        env = "LOCUST_" + option.lstrip("-").upper().replace("-", "_")
        parser.add_argument(option, env_var=env, **kwargs)

    add("--imap-user", default="user%d", help="account name pattern, %%d = account number")
    add(
        "--imap-password",
        default="",
        is_secret=True,
        help="password (or pattern with %%d) of the pattern accounts",
    )
    add("--imap-accounts", type=int, default=10, help="number of pattern accounts (default 10)")
    add("--imap-first-account", type=int, default=1, help="number of the first account")
    add(
        "--imap-users-file",
        default="",
        help="CSV 'user,password' or Dovecot passwd-file with {PLAIN} passwords",
    )
    add(
        "--imap-tls",
        default="",
        choices=["", "plain", "starttls", "implicit"],
        help="TLS mode (default: implicit for imaps:// or port 993, else plain)",
    )
    add("--imap-ca-file", default="", help="CA certificate to verify the server with")
    add(
        "--imap-insecure",
        action="store_true",
        default=False,
        help="do not verify the server's certificate",
    )
    add("--imap-timeout", type=float, default=10.0, help="seconds to wait for any answer")
    add(
        "--imap-client",
        default="",
        choices=["", "fast", "imapclient"],
        help="client for every user (default: each class's own)",
    )
    add(
        "--imap-idle-seconds",
        type=float,
        default=25.0,
        help="longest IDLE before DONE and a new IDLE (default 25)",
    )
    add(
        "--imap-think-scale",
        type=float,
        default=1.0,
        help="multiply every user's think time (0.1 = ten times busier users)",
    )
    add(
        "--imap-report-dir",
        default="reports/load",
        help="where the PNG plots and summary go ('' = no report)",
    )


events.init_command_line_parser.add_listener(add_arguments)


@dataclass
class Settings:
    """Options resolved once per process."""

    endpoint: Endpoint
    accounts: list[accounts_mod.Account]
    client: str
    idle_seconds: float
    think_scale: float
    offset: int

    def __post_init__(self) -> None:
        self._counter = itertools.count()

    def next_account(self) -> accounts_mod.Account:
        return self.accounts[(next(self._counter) + self.offset) % len(self.accounts)]


_SETTINGS: dict[int, Settings] = {}


def settings_for(environment: Environment, host: str | None) -> Settings:
    """The ``--imap-*`` options of this process, checked once (errors name the option)."""
    key = id(environment)
    if key not in _SETTINGS:
        opts = environment.parsed_options
        get = functools.partial(getattr, opts)
        if not host:
            raise accounts_mod.AccountError("give the server: --host imap://HOST:PORT")
        endpoint = Endpoint.from_url(
            host,
            tls=get("imap_tls", "") or None,
            timeout=get("imap_timeout", 10.0),
            ca_file=get("imap_ca_file", "") or None,
            insecure=get("imap_insecure", False),
        )
        found = accounts_mod.load(
            get("imap_users_file", ""),
            get("imap_user", "user%d"),
            get("imap_password", ""),
            get("imap_accounts", 10),
            get("imap_first_account", 1),
        )
        index = getattr(environment.runner, "worker_index", 0) or 0
        _SETTINGS[key] = Settings(
            endpoint,
            found,
            get("imap_client", ""),
            get("imap_idle_seconds", 25.0),
            get("imap_think_scale", 1.0),
            offset=index * 7919,
        )
    return _SETTINGS[key]


def think(low: float, high: float) -> Callable[[Any], float]:
    """Like ``locust.between`` but scaled by ``--imap-think-scale``."""

    def wait_time(user: Any) -> float:
        scale = getattr(getattr(user, "settings", None), "think_scale", 1.0)
        return random.uniform(low, high) * scale

    return wait_time


def _quiet(func: Callable[..., Any]) -> Callable[..., Any]:
    """A task whose IMAP failures were already reported: end it without a traceback."""

    @functools.wraps(func)
    def task(user: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(user, *args, **kwargs)
        except LoadError as exc:
            owner = getattr(user, "user", user)  # a TaskSet's tasks get the TaskSet
            if isinstance(exc, ConnectionLost) and hasattr(owner, "imap"):
                owner.imap.close()
            raise RescheduleTask() from None

    task.__dict__["_imapcheck_quiet"] = True
    return task


imap_task_guard = _quiet  # for tasks of TaskSets used by IMAP users


class _ImapUserBase(User):
    abstract = True
    client_class: ClassVar[type[FastClient] | type[ImapClientClient]] = FastClient
    reconnect_pause: ClassVar[float] = 1.0  # at least this long between failed reconnects

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        wrapped: dict[Any, Any] = {}
        tasks = []
        for item in cls.tasks:
            if (
                callable(item)
                and not isinstance(item, type)
                and not getattr(item, "_imapcheck_quiet", False)
            ):
                item = wrapped.setdefault(item, _quiet(item))
            tasks.append(item)
        cls.tasks = tasks

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.settings = settings_for(environment, self.host)
        self.account = self.settings.next_account()
        kind = self.settings.client
        client_class = CLIENTS[kind] if kind else self.client_class
        self.scenario = type(self).__name__
        self._context = {"scenario": self.scenario, "bytes_sent": 0}
        self.imap: Client = client_class(self.settings.endpoint, self._report)
        self.mailbox: MailboxInfo | None = None
        self._last_failure = 0.0

    def _report(
        self, name: str, elapsed_ms: float, bytes_in: int, bytes_out: int, error: LoadError | None
    ) -> None:
        self.environment.events.request.fire(
            request_type=REQUEST_TYPE,
            name=name,
            response_time=elapsed_ms,
            response_length=bytes_in,
            exception=error,
            response=None,
            context={"scenario": self.scenario, "bytes_sent": bytes_out},
        )

    def report(self, name: str, elapsed_ms: float, error: LoadError | None = None) -> None:
        """Report a measurement that is not a command (e.g. IDLE push latency)."""
        self._report(name, elapsed_ms, 0, 0, error)

    def open_session(
        self, mailbox: str | None = "INBOX", *, readonly: bool = False
    ) -> MailboxInfo | None:
        """Connect, log in and (unless ``mailbox`` is None) select; each step its own entry."""
        pause = self._last_failure + self.reconnect_pause - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # gevent-friendly under Locust
        try:
            self.imap.connect()
            self.imap.login(self.account.user, self.account.password)
            self.mailbox = self.imap.select(mailbox, readonly=readonly) if mailbox else None
        except LoadError:
            self._last_failure = time.monotonic()
            self.imap.close()
            raise
        return self.mailbox

    def ensure_session(self, mailbox: str | None = "INBOX") -> MailboxInfo | None:
        """Open a session unless one is open."""
        if not self.imap.connected:
            self.on_session_lost()
            return self.open_session(mailbox)
        return self.mailbox

    def on_session_lost(self) -> None:
        """Hook: a new session is about to be opened; forget per-session state."""

    def on_stop(self) -> None:
        if self.imap.busy:
            self.imap.close()
        else:
            self.imap.logout()


class FastImapUser(_ImapUserBase):
    """An IMAP user on the lean wire client: framing only, for throughput."""

    abstract = True
    client_class = FastClient


class ImapUser(_ImapUserBase):
    """An IMAP user on imapclient: realistic client-side parsing."""

    abstract = True
    client_class = ImapClientClient


__all__ = [
    "CommandFailed",
    "ConnectionLost",
    "FastImapUser",
    "ImapUser",
    "imap_task_guard",
    "think",
]


def _prune_by_tags(environment: Environment) -> None:
    """Drop user classes that ``--tags``/``--exclude-tags`` left without tasks."""
    opts = environment.parsed_options
    if not (getattr(opts, "tags", None) or getattr(opts, "exclude_tags", None)):
        return
    environment._filter_tasks_by_tags()
    keep = [cls for cls in environment.user_classes if cls.tasks]
    dropped = sorted(cls.__name__ for cls in environment.user_classes if not cls.tasks)
    if dropped:
        log.info("tags leave no task in %s: not spawned", ", ".join(dropped))
    environment.user_classes = keep


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    from locust.runners import MasterRunner, WorkerRunner

    from imapcheck.load import report

    runner = environment.runner
    recorder = recorder_for(environment, 3.0 if isinstance(runner, MasterRunner) else 2.0)
    _prune_by_tags(environment)
    if isinstance(runner, WorkerRunner):
        return
    try:
        settings_for(environment, environment.host)
    except (accounts_mod.AccountError, ValueError, ImapcheckError) as exc:
        log.error("imapcheck: %s", exc)
        raise SystemExit(2) from None
    opts = environment.parsed_options
    folder = getattr(opts, "imap_report_dir", "") if opts else ""
    if folder:

        def write(environment: Environment, **_: Any) -> None:
            report.write(environment, recorder, folder)

        environment.events.quitting.add_listener(write)
