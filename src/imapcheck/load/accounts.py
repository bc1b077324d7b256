"""Accounts for load and seeding: a name pattern (``user%d``) or a file of credentials.

A file is either CSV (``user,password`` per line, an optional ``user,password`` header) or a
Dovecot passwd-file with clear-text passwords (``user:{PLAIN}secret::::::``), such as the
``users`` file of the server ``imapcheck serve`` starts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

_CLEAR_SCHEMES = ("{PLAIN}", "{CLEARTEXT}", "{CLEAR}")


@dataclass(frozen=True)
class Account:
    user: str
    password: str = field(repr=False)


class AccountError(ValueError):
    """The account options or file cannot be used."""


def from_pattern(user: str, password: str, count: int, first: int = 1) -> list[Account]:
    """``count`` accounts; ``%d`` in the user name or password becomes the account number."""
    if count < 1:
        raise AccountError("the number of accounts must be at least 1")
    numbered = "%d" in user
    if not numbered and count > 1:
        count = 1  # a fixed name is one account, however many users share it
    return [
        Account(user % n if numbered else user, password % n if "%d" in password else password)
        for n in range(first, first + count)
    ]


def from_file(path: str | Path) -> list[Account]:
    """Read a CSV or passwd-file of accounts (see the module docstring)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AccountError(f"cannot read accounts file {path}: {exc.strerror}") from None
    accounts = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "," not in stripped and ":" in stripped:
            accounts.append(_passwd_line(stripped, path, number))
            continue
        row = next(csv.reader(io.StringIO(stripped)))
        if len(row) < 2:
            raise AccountError(f"{path}:{number}: expected 'user,password'")
        if number == 1 and row[0].strip().lower() in ("user", "username", "login"):
            continue
        accounts.append(Account(row[0].strip(), row[1]))
    if not accounts:
        raise AccountError(f"no accounts in {path}")
    return accounts


def _passwd_line(line: str, path: str | Path, number: int) -> Account:
    user, _, rest = line.partition(":")
    secret = rest.split(":", 1)[0]
    for scheme in _CLEAR_SCHEMES:
        if secret.upper().startswith(scheme):
            return Account(user, secret[len(scheme) :])
    if secret.startswith("{"):
        raise AccountError(
            f"{path}:{number}: the password of {user!r} is hashed; give clear-text passwords "
            "(CSV 'user,password' or passwd-file '{PLAIN}')"
        )
    return Account(user, secret)


def load(
    users_file: str | None, user: str, password: str, count: int, first: int = 1
) -> list[Account]:
    """The accounts the options describe: the file when given, else the pattern."""
    if users_file:
        return from_file(users_file)
    return from_pattern(user, password, count, first)
