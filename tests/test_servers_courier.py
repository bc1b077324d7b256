"""Courier's pieces that imapcheck supplies: the two byte patches and the authdaemon stand-in."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from imapcheck.errors import ServerUnavailable
from imapcheck.servers import courier, packages

CHUNKS = b"/run/courier/aut" + b"thdaemon/socket\x00"


def inlined_strcpy(library: bytes, at: int) -> bytes:
    """What the compiled ``strcpy(sun_path, AUTHDAEMONSOCK)`` leaves in sun_path: the 16 bytes
    at ``at`` stored at offset 0, the next 16 at offset 15."""
    sun_path = bytearray(108)
    sun_path[0:16] = library[at : at + 16]
    sun_path[15:31] = library[at + 16 : at + 32]
    return bytes(sun_path).split(b"\x00")[0]


def test_the_original_chunks_give_the_compiled_in_path():
    assert inlined_strcpy(b"\x7fELF" + CHUNKS, 4) == b"/run/courier/authdaemon/socket"


@pytest.mark.parametrize("path", ["authdaemon/socket", "/tmp/x/a-thirty-byte-long-path"])
def test_patched_chunks_give_the_new_path(path):
    library = b"\x7fELF" + CHUNKS + b"rest"
    patched = courier.patch_socket_path(library, path)
    assert len(patched) == len(library) and patched.endswith(b"rest")
    assert inlined_strcpy(patched, 4) == path.encode()


def test_socket_patch_refuses_unknown_builds_and_long_paths():
    with pytest.raises(ServerUnavailable, match="unexpected libcourierauth build"):
        courier.patch_socket_path(b"\x7fELF no socket path here")
    with pytest.raises(ServerUnavailable):
        courier.patch_socket_path(CHUNKS, "/a/path/of/thirty-one/bytes/xxx")


def _binary(*lea_targets: int) -> tuple[bytes, int]:
    """A fake text+rodata image: ``lea`` instructions, then the strings they point at."""
    code = bytearray(b"\x90" * 64)
    rodata_at = 64
    string_at = rodata_at + len(b"-server\x00")
    for number, target in enumerate(lea_targets):
        at = 8 + number * 16
        code[at : at + 7] = b"\x48\x8d\x05" + struct.pack("<i", target - (at + 7))
    return bytes(code) + b"-server\x00courier\x00more\x00", string_at


def test_tls_user_patch_replaces_the_one_lea_of_courier_by_xor():
    image, string_at = _binary(string_at_placeholder := 72)
    assert string_at == string_at_placeholder
    patched = courier.patch_tls_user(image)
    assert patched[8:15] == b"\x31\xc0\x0f\x1f\x44\x00\x00"  # xor %eax,%eax; nop
    assert patched[:8] == image[:8] and patched[15:] == image[15:]


@pytest.mark.parametrize("targets", [(), (10,), (72, 72)])
def test_tls_user_patch_refuses_anything_but_exactly_one_reference(targets):
    image, _ = _binary(*targets)
    with pytest.raises(ServerUnavailable, match="unexpected imaplogin build"):
        courier.patch_tls_user(image)


def test_patches_apply_to_the_unpacked_debian_build():
    if packages.unpacked_versions(courier.BUNDLE) is None:
        pytest.skip("Courier is not unpacked (python -m imapcheck.servers.registry install)")
    tree = courier.BUNDLE.root
    library = (tree / "usr/lib/libcourierauth.so.0").read_bytes()
    patched = courier.patch_socket_path(library)
    assert inlined_strcpy(patched, library.index(CHUNKS)) == courier.SOCKET.encode()
    login = (tree / "usr/lib/courier/courier/imaplogin").read_bytes()
    assert courier.patch_tls_user(login) != login


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Path]:
    users = tmp_path / "users"
    users.write_text("alice\ts3cret\t1000\t1000\t/home/alice\nbob\tpw\t1001\t1001\t/home/bob\n")
    path = tmp_path / "socket"
    server = courier.AuthDaemon(str(path), users)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield path
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def ask(path: Path, request: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
        return reply


def auth(service: str, kind: str, data: str) -> bytes:
    body = f"{service}\n{kind}\n{data}"
    return f"TCPREMOTEIP=::ffff:127.0.0.1\nAUTH {len(body)}\n{body}".encode()


def test_right_password_gets_the_user_info_block(daemon):
    reply = ask(daemon, auth("imap", "login", "alice\ns3cret\n"))
    assert reply == (
        b"UID=1000\nGID=1000\nHOME=/home/alice\nADDRESS=alice\nMAILDIR=/home/alice/Maildir\n.\n"
    )


@pytest.mark.parametrize(
    "request_",
    [
        auth("imap", "login", "alice\nwrong\n"),
        auth("imap", "login", "carol\ns3cret\n"),
        auth("imap", "login", "alice\n"),
        auth("imap", "cram-md5", "abc\ndef\n"),
        b"PASSWD imap\talice\ts3cret\tnew\n",
        b"AUTH many\nimap\nlogin\nalice\ns3cret\n",
    ],
    ids=["wrong-password", "unknown-user", "no-password", "other-mechanism", "passwd", "no-size"],
)
def test_anything_else_fails(daemon, request_):
    assert ask(daemon, request_) == b"FAIL\n"


def test_pre_looks_a_user_up_without_a_password_and_enumerate_is_empty(daemon):
    assert ask(daemon, b"PRE . imap bob\n").startswith(b"UID=1001\nGID=1001\nHOME=/home/bob\n")
    assert ask(daemon, b"PRE . imap nobody-here\n") == b"FAIL\n"
    assert ask(daemon, b"ENUMERATE\n") == b".\n"


def test_debian_settings_are_read_from_the_package(tmp_path):
    (tmp_path / "etc/courier").mkdir(parents=True)
    (tmp_path / "etc/courier/imapd").write_text(
        'IMAP_CAPABILITY="IMAP4rev1 IDLE"\nIMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"\n'
        "IMAP_ULIMITD=131072\n"
    )
    (tmp_path / "etc/courier/imapd-ssl").write_text(
        "TLS_DHPARAMS=/etc/courier/dhparams.pem\nTLS_TRUSTCERTS=/nonexistent\nTLS_VERIFYPEER=NONE\n"
    )
    env = courier._debian_environment(tmp_path)
    assert env["IMAP_CAPABILITY_TLS"] == "IMAP4rev1 IDLE AUTH=PLAIN"
    assert env["TLS_VERIFYPEER"] == "NONE"
    for dropped in ("IMAP_ULIMITD", "TLS_DHPARAMS", "TLS_TRUSTCERTS", "PWD"):
        assert dropped not in env
