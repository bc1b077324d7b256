"""The registry of real servers: names, availability, on-demand install, the small command."""

from __future__ import annotations

import pytest

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import dovecot, packages, registry


def test_every_server_is_known_and_nothing_else():
    assert registry.SERVERS == ("dovecot", "cyrus", "courier", "mailutils")
    for call in (registry.ready, registry.install, registry.start):
        with pytest.raises(ValueError, match="unknown server 'exchange'; known: dovecot, cyrus"):
            call("exchange")


def test_available_lists_what_is_ready_or_installable_in_registry_order():
    found = registry.available()
    assert found == [name for name in registry.SERVERS if name in found]
    if dovecot.find_binary():
        assert "dovecot" in found
    for name in registry.UNPACKED:
        if registry.ready(name):
            assert name in found


def test_start_without_install_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("IMAPCHECK_CACHE", str(tmp_path))  # an empty cache: nothing unpacked
    assert not registry.ready("cyrus")
    with pytest.raises(ServerUnavailable) as caught:
        registry.start("cyrus", auto_install=False)
    message = str(caught.value)
    assert message.startswith(f"cyrus is not unpacked in {tmp_path}/servers/cyrus;")
    assert "python -m imapcheck.servers.registry install cyrus" in message


def test_list_prints_one_state_per_server(capsys):
    assert registry.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(registry.SERVERS)
    for line in lines:
        name, state = line.split()
        assert state in ("ready", "installable", "unavailable")
        assert (state == "ready") == registry.ready(name)


def test_check_reports_failures_in_its_exit_status(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("IMAPCHECK_CACHE", str(tmp_path))

    def refuse(name: str, say: packages.Say = packages.say_stderr) -> None:
        raise ServerUnavailable(f"{name} cannot be had here")

    monkeypatch.setattr(registry, "install", refuse)
    assert registry.main(["check", "courier"]) == 1
    assert "imapcheck: courier: courier cannot be had here" in capsys.readouterr().err
