"""The ENVELOPE of a message (RFC 3501 §7.4.2) and an RFC 5322 address-list parser.

String members are the raw header values (RFC 2047 encoded words are *not* decoded), unfolded.
Addresses follow RFC 3501's grammar notes: quoting removed from the name and the local part,
group syntax as a start marker (NIL NIL "name" NIL) and an end marker (NIL NIL NIL NIL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from imapcheck.corpus.mime import first, normalize, split_header, text


class Address(NamedTuple):
    """(personal name, at-domain-list, mailbox, host); None stands for NIL."""

    name: str | None
    adl: str | None
    mailbox: str | None
    host: str | None

    @property
    def is_group_start(self) -> bool:
        return self.host is None and self.mailbox is not None

    @property
    def is_group_end(self) -> bool:
        return self.host is None and self.mailbox is None


Addresses = tuple[Address, ...]


@dataclass(frozen=True)
class Envelope:
    """The ten members of an ENVELOPE, in RFC 3501 order."""

    date: str | None
    subject: str | None
    from_: Addresses | None
    sender: Addresses | None
    reply_to: Addresses | None
    to: Addresses | None
    cc: Addresses | None
    bcc: Addresses | None
    in_reply_to: str | None
    message_id: str | None

    def tokens(self) -> list[object]:
        """The envelope as wire tokens: strings as bytes, NIL as None, lists as lists."""

        def enc(value: str | None) -> bytes | None:
            return None if value is None else value.encode("utf-8", "surrogateescape")

        def addrs(value: Addresses | None) -> list[object] | None:
            return None if value is None else [[enc(part) for part in a] for a in value]

        return [
            enc(self.date),
            enc(self.subject),
            addrs(self.from_),
            addrs(self.sender),
            addrs(self.reply_to),
            addrs(self.to),
            addrs(self.cc),
            addrs(self.bcc),
            enc(self.in_reply_to),
            enc(self.message_id),
        ]


FIELDS = (
    "date",
    "subject",
    "from_",
    "sender",
    "reply_to",
    "to",
    "cc",
    "bcc",
    "in_reply_to",
    "message_id",
)


def envelope(data: bytes) -> Envelope:
    """The ENVELOPE a server must return for the message ``data``."""
    data = normalize(data)
    fields, _ = split_header(data, 0, len(data))

    def string(name: str) -> str | None:
        found = first(fields, name)
        return None if found is None else text(found.value)

    def addresses(name: str) -> Addresses | None:
        found = first(fields, name)
        parsed = parse_addresses(found.value) if found is not None else ()
        return parsed or None

    from_ = addresses("From")
    return Envelope(
        date=string("Date"),
        subject=string("Subject"),
        from_=from_,
        sender=addresses("Sender") or from_,
        reply_to=addresses("Reply-To") or from_,
        to=addresses("To"),
        cc=addresses("Cc"),
        bcc=addresses("Bcc"),
        in_reply_to=string("In-Reply-To"),
        message_id=string("Message-ID"),
    )


# --- RFC 5322 §3.4 address lists (with the obsolete route syntax of §4.4) ---------------------

_SPECIALS = set(b'()<>[]:;@\\,"')
Token = tuple[str, bytes]  # kind: "atom", "quoted", "literal", "comment" or the special itself


def _lex(value: bytes) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(value):
        char = value[pos]
        if char in b" \t\r\n":
            pos += 1
        elif char == 0x22:  # quoted string
            buf, pos = _until(value, pos + 1, b'"')
            out.append(("quoted", buf))
        elif char == 0x28:  # comment, possibly nested
            buf, pos = _comment(value, pos)
            out.append(("comment", buf))
        elif char == 0x5B:  # domain literal
            end = value.find(b"]", pos)
            end = len(value) - 1 if end < 0 else end
            out.append(("literal", value[pos : end + 1]))
            pos = end + 1
        elif char in _SPECIALS:
            out.append((chr(char), value[pos : pos + 1]))
            pos += 1
        else:
            start = pos
            while pos < len(value) and value[pos] > 32 and value[pos] not in _SPECIALS:
                pos += 1
            out.append(("atom", value[start:pos]))
    return out


def _until(value: bytes, pos: int, close: bytes) -> tuple[bytes, int]:
    out = bytearray()
    while pos < len(value) and value[pos : pos + 1] != close:
        if value[pos] == 0x5C and pos + 1 < len(value):
            pos += 1
        if value[pos] not in b"\r\n":
            out.append(value[pos])
        pos += 1
    return bytes(out), pos + 1


def _comment(value: bytes, pos: int) -> tuple[bytes, int]:
    out, depth = bytearray(), 0
    while pos < len(value):
        char = value[pos]
        if char == 0x5C and pos + 1 < len(value):
            out.append(value[pos + 1])
            pos += 2
            continue
        depth += (char == 0x28) - (char == 0x29)
        if depth == 0:
            return bytes(out[1:]), pos + 1
        out.append(char)
        pos += 1
    return bytes(out[1:]), pos


def _collect(tokens: list[Token], pos: int, stops: str) -> int:
    """Index of the next top-level token in ``stops`` (or len); ``<...>`` is skipped over."""
    angle = False
    while pos < len(tokens):
        kind = tokens[pos][0]
        if kind == "<":
            angle = True
        elif kind == ">":
            angle = False
        elif not angle and kind in stops:
            return pos
        pos += 1
    return pos


def parse_addresses(value: bytes) -> Addresses:
    """An address list as RFC 3501 address structures (empty tuple when there is none)."""
    tokens = _lex(value)
    out: list[Address] = []
    pos = 0
    while pos < len(tokens):
        stop = _collect(tokens, pos, ",;:")
        if stop < len(tokens) and tokens[stop][0] == ":":
            out.append(Address(None, None, _phrase(tokens[pos:stop]) or "", None))
            pos = stop + 1
            while pos < len(tokens) and tokens[pos][0] != ";":
                member_end = _collect(tokens, pos, ",;")
                out.extend(_mailbox(tokens[pos:member_end]))
                pos = member_end + (member_end < len(tokens) and tokens[member_end][0] == ",")
            out.append(Address(None, None, None, None))
            pos += 1  # the ";"
        else:
            out.extend(_mailbox(tokens[pos:stop]))
            pos = stop + 1
    return tuple(out)


def _words(tokens: list[Token]) -> list[bytes]:
    return [value for kind, value in tokens if kind in ("atom", "quoted")]


def _phrase(tokens: list[Token]) -> str | None:
    words = _words(tokens)
    return text(b" ".join(words)) if words else None


def _mailbox(tokens: list[Token]) -> list[Address]:
    comments = [value for kind, value in tokens if kind == "comment"]
    tokens = [t for t in tokens if t[0] != "comment"]
    if not tokens:
        return []
    kinds = [kind for kind, _ in tokens]
    adl = None
    if "<" in kinds:
        opening = kinds.index("<")
        closing = kinds.index(">") if ">" in kinds[opening:] else len(tokens)
        name = _phrase(tokens[:opening])
        spec = tokens[opening + 1 : closing]
        spec_kinds = [kind for kind, _ in spec]
        if ":" in spec_kinds:
            route, spec = spec[: spec_kinds.index(":")], spec[spec_kinds.index(":") + 1 :]
            adl = _route(route)
    else:
        name, spec = None, tokens
    if name is None and comments:
        name = text(b" ".join(comments[-1].split()))
    kinds = [kind for kind, _ in spec]
    at = kinds.index("@") if "@" in kinds else len(spec)
    local = b"".join(value for kind, value in spec[:at] if kind in ("atom", "quoted"))
    domain = b"".join(value for kind, value in spec[at + 1 :] if kind in ("atom", "literal"))
    return [Address(name, adl, text(local), text(domain))]


def _route(tokens: list[Token]) -> str | None:
    """``@a,@b`` from the obsolete route ``@a,@b:`` (RFC 5322 §4.4)."""
    hops = []
    for index, (kind, _) in enumerate(tokens):
        if kind == "@" and index + 1 < len(tokens):
            hops.append("@" + text(tokens[index + 1][1]))
    return ",".join(hops) or None
