"""The unpacked-package cache: control fields, libraries to install, versions, processes."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import packages

BUNDLE = packages.Bundle("demo", ("demo-server", "libdemo1"), also_install=("guile-3.0-libs",))

CONTROL = """\
Package: demo-server
Version: 1:3.15-4+b1
Depends: libdemo1 (= 1:3.15-4), adduser, libc6 (>= 2.34), default-mta | mail-transport-agent,
 libgamin0 | libfam0, perl:any, guile-3.0-libs, libssl3:amd64 (>= 3.0)
Description: a demo
 with a continuation line

Package: libdemo1
Version: 1:3.15-4
Depends: libc6, debconf (>= 0.5) | debconf-2.0
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache in a private directory, seen as an ordinary user (no ``nobody`` to run as)."""
    monkeypatch.setenv("IMAPCHECK_CACHE", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    return tmp_path


def test_depends_keep_first_alternative_without_versions_or_arch():
    assert packages.parse_depends("a (>= 1), b | c, d:any , e:amd64 (<< 2)") == [
        "a",
        "b",
        "d",
        "e",
    ]
    assert packages.parse_depends("") == []


def test_control_records_split_paragraphs_and_join_continuations():
    first, second = packages.control_records(CONTROL)
    assert first["Package"] == "demo-server" and second["Package"] == "libdemo1"
    assert first["Depends"].endswith("perl:any, guile-3.0-libs, libssl3:amd64 (>= 3.0)")
    assert first["Description"] == "a demo with a continuation line"


def test_needed_libraries_are_libraries_and_named_extras_not_the_bundle_itself():
    needed = packages.needed_libraries(BUNDLE, packages.control_records(CONTROL))
    assert needed == ["libc6", "libgamin0", "guile-3.0-libs", "libssl3"]


def test_cache_dir_follows_the_environment_then_the_user(monkeypatch, tmp_path):
    monkeypatch.setenv("IMAPCHECK_CACHE", str(tmp_path))
    assert BUNDLE.root == tmp_path / "servers" / "demo" / "root"
    monkeypatch.delenv("IMAPCHECK_CACHE")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert packages.cache_dir() == Path("/var/cache/imapcheck")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert packages.cache_dir() == tmp_path / "xdg" / "imapcheck"


def _mark(libraries: list[str]) -> None:
    BUNDLE.home.mkdir(parents=True)
    marker = {"packages": {"demo-server": "1:3.15-4+b1", "libdemo1": "1:3.15-4"}}
    marker["libraries"] = libraries  # type: ignore[assignment]
    (BUNDLE.home / packages.MARKER).write_text(json.dumps(marker))


def test_versions_come_from_the_unpacking_record(cache):
    assert packages.unpacked_versions(BUNDLE) is None
    assert packages.problem(BUNDLE) == f"demo is not unpacked in {BUNDLE.home}"
    _mark(["libc6"])
    assert packages.unpacked_versions(BUNDLE) == {
        "demo-server": "1:3.15-4+b1",
        "libdemo1": "1:3.15-4",
    }
    assert packages.upstream_version(BUNDLE, "demo-server") == "3.15 (Debian 3.15-4+b1)"
    assert packages.library_packages(BUNDLE) == ["libc6"]


def test_a_record_for_other_packages_counts_as_not_unpacked(cache):
    BUNDLE.home.mkdir(parents=True)
    (BUNDLE.home / packages.MARKER).write_text('{"packages": {"demo-server": "1"}}')
    assert packages.unpacked_versions(BUNDLE) is None


def test_problem_names_the_missing_libraries_and_the_line_to_install_them(cache):
    _mark(["libc6", "libimapcheck-not-a-package0"])
    assert packages.problem(BUNDLE) == (
        "demo needs: apt-get install --no-install-recommends libimapcheck-not-a-package0"
    )


def test_nothing_missing_is_no_problem(cache):
    _mark(["libc6"])
    assert packages.problem(BUNDLE) is None
    assert packages.require(BUNDLE, "hint") == BUNDLE.root


def test_root_is_told_when_nobody_could_not_reach_the_binaries(cache, monkeypatch):
    _mark(["libc6"])
    cache.chmod(0o700)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert packages.problem(BUNDLE) == (
        f"nobody cannot enter {cache}: set IMAPCHECK_CACHE to a directory outside it"
    )


def test_require_says_how_to_get_it(cache):
    with pytest.raises(ServerUnavailable, match=r"demo is not unpacked .*; run this"):
        packages.require(BUNDLE, "run this")


def test_an_ordinary_user_gets_the_apt_line_instead_of_an_install(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(ServerUnavailable) as caught:
        packages.install_packages(["libfoo1", "libbar2"], lambda _line: None, why="demo")
    assert str(caught.value) == (
        "demo needs packages; as root run: apt-get install --no-install-recommends libfoo1 libbar2"
    )


def test_library_path_lists_the_directories_with_shared_objects(tmp_path):
    (tmp_path / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    (tmp_path / "usr/lib/x86_64-linux-gnu/libdemo.so.9").write_bytes(b"")
    (tmp_path / "usr/lib/courier").mkdir(parents=True)
    (tmp_path / "usr/lib/courier/libauth.so").write_bytes(b"")
    (tmp_path / "usr/bin").mkdir()
    (tmp_path / "usr/bin/solo").write_bytes(b"")
    assert packages.library_path(tmp_path) == (
        f"{tmp_path}/usr/lib/courier:{tmp_path}/usr/lib/x86_64-linux-gnu"
    )


def test_run_as_is_nobody_for_root_and_oneself_otherwise():
    uid, _gid, name = packages.run_as()
    if os.geteuid() == 0:
        assert name == "nobody" and uid != 0
    else:
        assert uid == os.geteuid()


# A program that leaves the server's process group, as couriertcpd does.
LEAVER = "import os, time; os.setpgid(0, 0); open('left', 'w').close(); time.sleep(60)"


def test_stop_ends_processes_that_made_their_own_group_and_removes_the_directory(tmp_path):
    root = tmp_path / "server"
    root.mkdir()
    server = packages.UnpackedServer(
        name="demo",
        host="127.0.0.1",
        plain_port=9,
        tls_port=9,
        accounts=[],
        root=root,
        log_path=root / "demo.log",
    )
    env = dict(os.environ)
    first = server.spawn([sys.executable, "-c", "import time; time.sleep(60)"], env, as_user=False)
    second = server.spawn([sys.executable, "-c", LEAVER], env, as_user=False)
    deadline = time.monotonic() + 10
    while not (root / "left").exists():  # the leaver has made its own group
        assert second.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    assert server.pgid == first.pid
    groups = server.groups()
    assert groups == {first.pid, second.pid}
    assert packages.group_members(first.pid) == [first.pid]
    assert server.running()
    server.stop()
    assert first.returncode is not None and second.returncode is not None
    assert not any(packages.group_members(group) for group in groups)
    assert not root.exists()
