"""Test messages and the IMAP view RFC 3501 requires of each, computed without any server.

>>> msg = load("forwarded")
>>> msg.size, msg.bodystructure.find("2").mime_type, msg.section("2.1")[:8]
(1090, 'message/rfc822', b'Kickoff ')

The stored messages live in ``messages/*.eml`` (exact bytes, CRLF); builders make more.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable

from imapcheck.corpus.build import (
    attachment,
    build_large,
    build_many_addresses,
    build_multipart,
    build_nested_mime,
    build_plain,
    mime_message,
    mime_multipart,
    mime_part,
)
from imapcheck.corpus.compare import compare_bodystructure, compare_envelope
from imapcheck.corpus.envelope import Address, Envelope, envelope
from imapcheck.corpus.expect import (
    Params,
    Part,
    SectionError,
    body_structure,
    fetch_label,
    partial,
    rfc822_size,
    section,
)

__all__ = [
    "DESCRIPTIONS",
    "Address",
    "CorpusMessage",
    "Envelope",
    "Params",
    "Part",
    "SectionError",
    "all_messages",
    "attachment",
    "body_structure",
    "build_large",
    "build_many_addresses",
    "build_multipart",
    "build_nested_mime",
    "build_plain",
    "compare_bodystructure",
    "compare_envelope",
    "envelope",
    "fetch_label",
    "load",
    "mime_message",
    "mime_multipart",
    "mime_part",
    "names",
    "partial",
    "rfc822_size",
    "section",
]

DESCRIPTIONS = {
    "plain": "text/plain, 7bit, no MIME parts",
    "alternative": "multipart/alternative: text/plain and quoted-printable text/html",
    "attachment": "multipart/mixed with preamble, epilogue and a base64 application/pdf",
    "forwarded": "multipart/mixed holding a message/rfc822 that is itself multipart",
    "eightbit": "text/plain; charset=utf-8 with Content-Transfer-Encoding: 8bit",
    "encoded_headers": "RFC 2047 encoded Subject and display names (UTF-8 B, ISO-8859-1 Q)",
    "addresses": "groups, quoted names, route, Sender, Reply-To, Bcc, In-Reply-To, folding",
    "extensions": "Content-ID/-Description/-MD5/-Language/-Location/-Disposition everywhere",
    "header_only": "header and the blank line, no body",
    "no_blank_line": "header only, without even the blank line",
    "boundaries": "transport padding, empty parts, a part without header, tight close",
    "deep": "three levels of multipart: mixed > alternative > related",
    "digest": "multipart/digest: parts default to message/rfc822",
}


@dataclass(frozen=True)
class CorpusMessage:
    """A message and its expected IMAP view (computed on first use)."""

    name: str
    data: bytes

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.name, "")

    @cached_property
    def size(self) -> int:
        """RFC822.SIZE."""
        return rfc822_size(self.data)

    @cached_property
    def envelope(self) -> Envelope:
        return envelope(self.data)

    @cached_property
    def bodystructure(self) -> Part:
        return body_structure(self.data)

    def section(self, spec: str) -> bytes:
        """BODY[spec]; raises :class:`SectionError` when it does not exist."""
        return section(self.data, spec)

    def sections(self) -> list[str]:
        """Every part number of the message (as used in BODY[...]), depth first."""
        return [p.section for p in self.bodystructure.walk() if "TEXT" not in p.section]


def _folder() -> Traversable:
    return resources.files("imapcheck.corpus").joinpath("messages")


def names() -> list[str]:
    """Names of the stored messages, sorted."""
    return sorted(e.name[:-4] for e in _folder().iterdir() if e.name.endswith(".eml"))


def load(name: str) -> CorpusMessage:
    """A stored message by name (``"plain"``, ``"forwarded"``...)."""
    entry = _folder().joinpath(f"{name}.eml")
    if not entry.is_file():
        raise KeyError(f"no corpus message {name!r}; known: {', '.join(names())}")
    return CorpusMessage(name, entry.read_bytes())


def all_messages() -> list[CorpusMessage]:
    """Every stored message, sorted by name."""
    return [load(name) for name in names()]
