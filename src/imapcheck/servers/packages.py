"""Debian server packages fetched with ``apt-get download``, unpacked with ``dpkg -x``, and run.

Cyrus and Courier conflict with ``dovecot-imapd`` at the package level (they all provide
``imap-server``), so they are never installed: their ``.deb`` files are unpacked into a cache
directory and run from there with ``LD_LIBRARY_PATH``. Only the shared libraries they link
against (which conflict with nothing) are installed with apt, and only when running as root;
otherwise the error names the exact ``apt-get install`` line.

Cache: ``$IMAPCHECK_CACHE/servers/<name>``, else ``/var/cache/imapcheck/servers/<name>`` for
root (its binaries then run as ``nobody``, who cannot enter ``/root``), else
``$XDG_CACHE_HOME/imapcheck/servers/<name>`` (``~/.cache/...``).
"""

from __future__ import annotations

import ctypes  # noqa: F401  (die_with_parent imports it in a child that may not read sys.path)
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imapcheck.errors import ServerUnavailable
from imapcheck.servers.common import Account, RunningServer, die_with_parent

Say = Callable[[str], None]
MARKER = "imapcheck-unpacked.json"
_APT_TIMEOUT = 900.0  # seconds for a download


def say_stderr(line: str) -> None:
    print(f"imapcheck: {line}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Bundle:
    """The packages one server is unpacked from, and what else it needs installed."""

    name: str
    packages: tuple[str, ...]
    also_install: tuple[str, ...] = ()  # run-time needs whose names do not start with "lib"

    @property
    def home(self) -> Path:
        return cache_dir() / "servers" / self.name

    @property
    def root(self) -> Path:
        """Where the packages are unpacked (``<root>/usr/...``)."""
        return self.home / "root"


def cache_dir() -> Path:
    if os.environ.get("IMAPCHECK_CACHE"):
        return Path(os.environ["IMAPCHECK_CACHE"])
    if os.geteuid() == 0:
        return Path("/var/cache/imapcheck")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imapcheck"


def _run(argv: Sequence[str], timeout: float, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run a packaging tool, its output as text; a missing tool or a hang is ServerUnavailable."""
    try:
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, **kw
        )
    except FileNotFoundError:
        raise ServerUnavailable(f"{argv[0]} is not available (Debian/Ubuntu only)") from None
    except subprocess.TimeoutExpired:
        raise ServerUnavailable(f"{' '.join(argv[:3])} did not finish in {timeout:g} s") from None


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E:")]
    return (errors or lines or ["no output"])[0]


def parse_depends(text: str) -> list[str]:
    """Package names of a Depends field: first of each alternative, no versions or arch."""
    names = []
    for group in text.split(","):
        first = group.split("|")[0].strip()
        name = first.split("(")[0].strip().split(":")[0]
        if name:
            names.append(name)
    return names


def control_records(text: str) -> list[dict[str, str]]:
    """Debian control paragraphs (``apt-cache show``, ``dpkg-deb -f``) as dicts."""
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current:
                records.append(current)
            current, key = {}, ""
        elif line[:1] in (" ", "\t") and key:
            current[key] += " " + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    return records


def needed_libraries(bundle: Bundle, records: Sequence[Mapping[str, str]]) -> list[str]:
    """What must be installed for the unpacked binaries to run: their libraries (not the
    maintainer scripts' tools, an MTA or the other packages of the bundle)."""
    wanted: list[str] = []
    for record in records:
        for name in parse_depends(record.get("Depends", "")):
            keep = name.startswith("lib") or name in bundle.also_install
            if keep and name not in bundle.packages and name not in wanted:
                wanted.append(name)
    wanted.extend(n for n in bundle.also_install if n not in wanted)
    return wanted


def library_packages(bundle: Bundle) -> list[str]:
    """The bundle's library packages: recorded at unpacking, else from apt's lists."""
    marker = _marker(bundle)
    if marker is not None:
        return list(marker["libraries"])
    done = _run(["apt-cache", "show", "--no-all-versions", *bundle.packages], timeout=120)
    records = control_records(done.stdout)
    known = {record.get("Package") for record in records}
    if missing := [p for p in bundle.packages if p not in known]:
        raise ServerUnavailable(
            f"apt does not know {' '.join(missing)}: run 'apt-get update' "
            "(Debian bookworm has them)"
        )
    return needed_libraries(bundle, records)


def not_installed(names: Sequence[str]) -> list[str]:
    if not names:
        return []
    done = _run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *names], 60)
    installed = {
        line.split()[0] for line in done.stdout.splitlines() if line.endswith(" installed")
    }
    return [n for n in names if n not in installed]


def _marker(bundle: Bundle) -> dict[str, Any] | None:
    try:
        marker = json.loads((bundle.home / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or set(marker.get("packages", ())) != set(bundle.packages):
        return None
    return marker


def unpacked_versions(bundle: Bundle) -> dict[str, str] | None:
    """{package: version} of the unpacked packages, or None when they are not (all) there."""
    marker = _marker(bundle)
    return None if marker is None else {str(k): str(v) for k, v in marker["packages"].items()}


def unpack(bundle: Bundle, say: Say = say_stderr) -> Path:
    """Download the bundle's packages and unpack them into the cache; returns the root."""
    bundle.home.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:  # the servers run as nobody, who must reach the binaries
        for path in (cache_dir(), cache_dir() / "servers", bundle.home):
            path.chmod(0o755)
    staging = Path(tempfile.mkdtemp(prefix="unpack-", dir=bundle.home))
    try:
        debs = staging / "debs"
        debs.mkdir()
        say(f"{bundle.name}: downloading {' '.join(bundle.packages)} (apt-get download)")
        sandbox = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
        done = _run(["apt-get", *sandbox, "download", *bundle.packages], _APT_TIMEOUT, cwd=debs)
        if done.returncode != 0:
            raise ServerUnavailable(
                f"apt-get download {' '.join(bundle.packages)} failed: "
                f"{_first_line(done.stderr)} (try 'apt-get update')"
            )
        tree = staging / "root"
        records = []
        for deb in sorted(debs.glob("*.deb")):
            say(f"{bundle.name}: unpacking {deb.name} (dpkg -x)")
            done = _run(["dpkg-deb", "-x", str(deb), str(tree)], 300)
            if done.returncode != 0:
                raise ServerUnavailable(f"dpkg -x {deb.name} failed: {_first_line(done.stderr)}")
            records.extend(control_records(_run(["dpkg-deb", "-f", str(deb)], 60).stdout))
        versions = {r.get("Package", ""): r.get("Version", "") for r in records}
        if set(versions) != set(bundle.packages):
            raise ServerUnavailable(f"{bundle.name}: downloaded {sorted(versions)} only")
        tree.chmod(0o755)
        if bundle.root.exists():
            shutil.rmtree(bundle.root)
        tree.rename(bundle.root)
        marker = {"packages": versions, "libraries": needed_libraries(bundle, records)}
        (bundle.home / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        return bundle.root
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_packages(names: Sequence[str], say: Say = say_stderr, *, why: str = "") -> None:
    """``apt-get install`` ``names`` as root; otherwise raise with the line to run."""
    line = "apt-get install --no-install-recommends " + " ".join(names)
    if os.geteuid() != 0:
        raise ServerUnavailable(f"{why or 'imapcheck'} needs packages; as root run: {line}")
    say(f"{why}: installing {' '.join(names)} ({line})".lstrip(": "))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = _run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *names], 1800, env=env
    )
    if done.returncode != 0:
        raise ServerUnavailable(f"{line} failed: {_first_line(done.stderr or done.stdout)}")


def install(bundle: Bundle, say: Say = say_stderr) -> Path:
    """Unpack the bundle (unless it is) and install its missing libraries; returns the root."""
    if unpacked_versions(bundle) is None:
        unpack(bundle, say)
    missing = not_installed(library_packages(bundle))
    if missing:
        install_packages(missing, say, why=bundle.name)
    return bundle.root


def problem(bundle: Bundle) -> str | None:
    """Why the bundle cannot run now (None: it can): not unpacked, or libraries missing."""
    if unpacked_versions(bundle) is None:
        return f"{bundle.name} is not unpacked in {bundle.home}"
    closed = [p for p in bundle.root.parents if not p.stat().st_mode & 0o001]
    if os.geteuid() == 0 and closed:  # the servers run as nobody
        return f"nobody cannot enter {closed[0]}: set IMAPCHECK_CACHE to a directory outside it"
    try:
        missing = not_installed(library_packages(bundle))
    except ServerUnavailable as exc:
        return str(exc)
    if missing:
        return f"{bundle.name} needs: apt-get install --no-install-recommends {' '.join(missing)}"
    return None


def installable(bundle: Bundle) -> bool:
    """Whether :func:`install` can succeed here (apt knows the packages; root if needed)."""
    try:
        missing = not_installed(library_packages(bundle))
    except ServerUnavailable:  # no apt, or apt does not know the packages
        return False
    return bool(shutil.which("apt-get")) and (not missing or os.geteuid() == 0)


def write_accounts(root: Path, accounts: Sequence[Account]) -> Path:
    """``root/users``: the accounts as CSV ``user,password`` (for load tests), mode 0600."""
    users = root / "users"
    users.write_text("".join(f"{a.user},{a.password}\n" for a in accounts))
    users.chmod(0o600)
    return users


def require(bundle: Bundle, hint: str) -> Path:
    """The unpacked root, or ServerUnavailable saying what is missing and how to get it."""
    reason = problem(bundle)
    if reason:
        raise ServerUnavailable(f"{reason}; {hint}")
    return bundle.root


def upstream_version(bundle: Bundle, package: str) -> str:
    """``3.6.1 (Debian 3.6.1-4+deb12u5)`` from the unpacked package's version."""
    full = (unpacked_versions(bundle) or {}).get(package, "")
    upstream = full.split(":")[-1].split("-")[0].split("+")[0]
    return f"{upstream} (Debian {full.split(':')[-1]})" if full else ""


def library_path(root: Path) -> str:
    """Directories of the unpacked tree that hold shared libraries, for LD_LIBRARY_PATH."""
    dirs = sorted({str(p.parent) for p in root.rglob("*.so*") if ".so" in p.name})
    return ":".join(dirs)


def run_as() -> tuple[int, int, str]:
    """(uid, gid, user name) the servers run as: ``nobody`` for root, else oneself."""
    try:
        who = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    except KeyError:
        raise ServerUnavailable("the system user 'nobody' is missing") from None
    return who.pw_uid, (who.pw_gid if os.geteuid() == 0 else os.getegid()), who.pw_name


def give(path: Path, uid: int, gid: int) -> None:
    """chown ``path`` and everything below it (a no-op unless root)."""
    for each in [path, *path.rglob("*")] if os.geteuid() == 0 else []:
        os.chown(each, uid, gid, follow_symlinks=False)


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(stat.parent.name))
    return found


@dataclass
class UnpackedServer(RunningServer):
    """A server whose processes share one process group; :meth:`stop` ends the group."""

    version: str = ""
    pgid: int = 0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        as_user: bool = True,
        log: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a process of this server in its process group; output goes to ``log``."""
        uid, gid, _name = run_as()
        root = os.geteuid() == 0 and as_user
        with (log or self.root / "stderr.log").open("ab") as err:
            process = subprocess.Popen(
                list(argv),
                env=dict(env),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                process_group=self.pgid,
                user=uid if root else None,
                group=gid if root else None,
                extra_groups=[] if root else None,
                preexec_fn=die_with_parent,
            )
        self.pgid = self.pgid or process.pid
        self.processes.append(process)
        return process

    def groups(self) -> set[int]:
        """The process groups of the server (some programs, like couriertcpd, make their own)."""
        found = {self.pgid} if self.pgid else set()
        for process in self.processes:
            if process.poll() is None:
                try:
                    found.add(os.getpgid(process.pid))
                except ProcessLookupError:
                    continue
        return found

    def running(self) -> bool:
        return any(group_members(group) for group in self.groups())

    def _end_groups(self, groups: set[int], sig: signal.Signals, grace: float) -> bool:
        """Send ``sig`` to the groups; True once no process of them is left."""
        for group in groups:
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            for process in self.processes:
                process.poll()
            if not any(group_members(group) for group in groups):
                return True
            time.sleep(0.05)  # waiting for processes to exit: short polls to a deadline
        return False

    def terminate(self) -> None:
        """SIGTERM the process groups, and SIGKILL what is left of them after 5 s (a session
        in TLS may wait for its idle client's close_notify)."""
        groups = self.groups()
        if groups and not self._end_groups(groups, signal.SIGTERM, 5.0):
            self._end_groups(groups, signal.SIGKILL, 5.0)
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def stop(self) -> None:
        """End every process of the server, then remove its directory."""
        self.terminate()
        if self.root.exists() and not os.environ.get("IMAPCHECK_KEEP_SERVER"):
            shutil.rmtree(self.root, ignore_errors=True)
