"""Keep secrets out of reports: drop secret options, and scrub known secrets from every string."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "<redacted>"
MIN_SECRET = 3  # shorter values would scrub ordinary text (the transcript uses the same limit)
_SECRET_NAME = re.compile(r"pass(word)?|secret|token|credential|api[_-]?key", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


class Redactor:
    """Replaces every registered secret, and the SASL PLAIN forms that carry it, everywhere."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None, user: str | None = None) -> None:
        if not secret or len(secret) < MIN_SECRET:
            return
        self._secrets.add(secret)
        if user:
            for authz in ("", user):
                blob = f"{authz}\0{user}\0{secret}".encode()
                self._secrets.add(base64.b64encode(blob).decode())

    def text(self, value: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def deep(self, value: Any) -> Any:
        """A copy of a JSON-like structure with secrets replaced in keys and values."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


def options(values: dict[str, Any]) -> dict[str, Any]:
    """Options as recorded in a report: secret-named ones are replaced, paths made strings."""
    shown: dict[str, Any] = {}
    for name, value in sorted(values.items()):
        if is_secret_name(name):
            shown[name] = REDACTED if value not in (None, "") else value
        elif value is None or isinstance(value, bool | int | float | str):
            shown[name] = value
        elif isinstance(value, list | tuple):
            shown[name] = [str(v) for v in value]
        else:
            shown[name] = str(value)
    return shown


def command_line(args: Iterable[str]) -> list[str]:
    """Command-line arguments with the values of secret-named options replaced."""
    shown: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            shown.append(REDACTED)
            hide_next = False
            continue
        if arg.startswith("-") and is_secret_name(arg):
            if "=" in arg:
                shown.append(arg.split("=", 1)[0] + "=" + REDACTED)
            else:
                shown.append(arg)
                hide_next = True
            continue
        shown.append(arg)
    return shown
