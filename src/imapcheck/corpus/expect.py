"""What RFC 3501 says a server must return for a message, computed from its bytes alone.

* :func:`rfc822_size` - RFC822.SIZE
* :func:`envelope` - ENVELOPE (see :mod:`imapcheck.corpus.envelope`)
* :func:`section` / :func:`partial` / :func:`fetch_label` - BODY[<section>]<<partial>>
* :func:`body_structure` - BODY and BODYSTRUCTURE, as a :class:`Part` tree
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from imapcheck.corpus.envelope import Address, Envelope, envelope
from imapcheck.corpus.mime import (
    CRLF,
    Entity,
    normalize,
    parse,
    parse_value,
    split_header,
    split_list,
    text,
)

__all__ = [
    "Address",
    "Envelope",
    "Params",
    "Part",
    "SectionError",
    "body_structure",
    "envelope",
    "fetch_label",
    "partial",
    "rfc822_size",
    "section",
]


def rfc822_size(data: bytes) -> int:
    """RFC822.SIZE: octets of the message with CRLF line ends (RFC 3501 §2.3.4)."""
    return len(normalize(data))


# --- BODY[<section>] ---------------------------------------------------------------------------


class SectionError(ValueError):
    """The section does not exist in this message or is not valid for its part."""


_NAMES = r"HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME"
_SPEC = re.compile(
    rf"^(?:((?:\d+\.)*\d+)(?:\.({_NAMES}))?|({_NAMES}))?(?:\s*\((.*)\))?$",
    re.IGNORECASE | re.DOTALL,
)


def section(data: bytes, spec: str) -> bytes:
    """The content of BODY[``spec``] (RFC 3501 §6.4.5), e.g. ``""``, ``"1.2"``, ``"2.MIME"``,
    ``"HEADER.FIELDS (From To)"``. Raises :class:`SectionError` for a part that does not exist.
    """
    data = normalize(data)
    match = _SPEC.match(spec.strip())
    name = ((match.group(2) or match.group(3) or "") if match else "").upper()
    if match is None or (match.group(4) is not None) != name.startswith("HEADER.FIELDS"):
        raise SectionError(f"not a section specification: {spec!r}")
    numbers = [int(n) for n in match.group(1).split(".")] if match.group(1) else []
    names = match.group(4)
    root = parse(data)
    if not numbers:
        if name == "MIME":
            raise SectionError("MIME must follow a part number")
        return _text_section(data, root, name, names)
    node = _find(root, numbers, spec)
    if not name:
        return data[node.body_start : node.end]
    if name == "MIME":
        return data[node.start : node.body_start]
    if node.message is None:
        raise SectionError(f"part {match.group(1)} is not message/rfc822: no {name} in {spec!r}")
    return _text_section(data, node.message, name, names)


def _find(root: Entity, numbers: list[int], spec: str) -> Entity:
    node = _child(root, numbers[0], spec, message=True)
    for number in numbers[1:]:
        if node.is_multipart:
            node = _child(node, number, spec, message=False)
        elif node.message is not None:
            node = _child(node.message, number, spec, message=True)
        else:
            raise SectionError(f"part {spec!r} does not exist: its parent is a leaf")
    return node


def _child(container: Entity, number: int, spec: str, *, message: bool) -> Entity:
    """Part ``number`` of a multipart, or of a message (a single-part message is its part 1)."""
    if container.is_multipart and 1 <= number <= len(container.children):
        return container.children[number - 1]
    if message and not container.is_multipart and number == 1:
        return container
    raise SectionError(f"part {spec!r} does not exist")


def _text_section(data: bytes, message: Entity, name: str, names: str | None) -> bytes:
    header = data[message.start : message.body_start]
    if name == "":
        return data[message.start : message.end]
    if name == "TEXT":
        return data[message.body_start : message.end]
    if name == "HEADER":
        return header
    wanted = {n.lower() for n in _field_names(names or "")}
    fields, _ = split_header(data, message.start, message.body_start)
    keep = name == "HEADER.FIELDS"
    out = b"".join(f.raw for f in fields if (f.name.lower() in wanted) == keep)
    if out and not out.endswith(CRLF):
        out += CRLF
    # the blank line is always included, unless the message has none (RFC 3501 §6.4.5)
    has_blank = header.endswith(CRLF + CRLF) or header == CRLF
    return out + CRLF if has_blank else out


def _field_names(names: str) -> list[str]:
    return [a or b for a, b in re.findall(r'"((?:[^"\\]|\\.)*)"|([^\s"()]+)', names)]


def partial(content: bytes, origin: int, length: int) -> bytes:
    """BODY[...]<origin.length>: the substring, truncated at the end, empty beyond it."""
    if origin < 0 or length < 0:
        raise ValueError("origin and length must not be negative")
    return content[origin : origin + length]


def fetch_label(spec: str, origin: int | None = None) -> str:
    """The data item name of the response: ``BODY[spec]`` or ``BODY[spec]<origin>``.

    BODY.PEEK is answered as BODY; only the origin (never the length) is echoed (§7.4.2).
    Servers may change the case of the spec, so compare labels case-insensitively.
    """
    return f"BODY[{spec}]" + ("" if origin is None else f"<{origin}>")


# --- BODYSTRUCTURE -----------------------------------------------------------------------------


class Params(dict[str, str]):
    """Body parameters: keys are case-insensitive (stored lower-case), order is kept."""

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        for key, value in items or ():
            self[key.lower()] = value

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class Part:
    """One node of the body structure.

    ``section`` names the node as BODY[] would: ``"1"``, ``"2.1"``; a multipart container is
    ``"TEXT"`` (the message body), ``"N.TEXT"`` (the body of the message in part N) or ``"N"``.
    ``lines`` counts text lines, the last one even without a final CRLF; ``open_end`` says it
    had none (servers that count CRLFs report one line fewer then). Type, subtype and encoding
    are lower-case; other strings are the header text (see :func:`mime.text`); None is NIL.
    A multipart has ``parts`` (and no id, description, encoding, size); message/rfc822 has
    ``envelope`` and ``body``.
    """

    section: str
    type: str
    subtype: str
    params: Params
    multipart: bool = False
    id: str | None = None
    description: str | None = None
    encoding: str = "7bit"
    size: int = 0
    lines: int | None = None
    open_end: bool = False
    envelope: Envelope | None = None
    body: Part | None = None
    parts: list[Part] = field(default_factory=list)
    md5: str | None = None
    disposition: tuple[str, Params] | None = None
    language: tuple[str, ...] | None = None
    location: str | None = None

    @property
    def mime_type(self) -> str:
        return f"{self.type}/{self.subtype}"

    def tokens(self, extension: bool = True) -> list[object]:
        """This structure as wire tokens (BODYSTRUCTURE, or BODY without ``extension``)."""
        ext: list[object] = [_params(self.params), _dsp(self.disposition), _lang(self.language)]
        ext.append(_enc(self.location))
        if self.multipart:
            out: list[object] = [p.tokens(extension) for p in self.parts]
            out.append(_enc(self.subtype))
            return out + ext if extension else out
        out = [_enc(self.type), _enc(self.subtype), _params(self.params), _enc(self.id)]
        out += [_enc(self.description), _enc(self.encoding), self.size]
        if self.body is not None and self.envelope is not None:
            out += [self.envelope.tokens(), self.body.tokens(extension)]
        if self.lines is not None:
            out.append(self.lines)
        return [*out, _enc(self.md5), *ext[1:]] if extension else out

    def walk(self) -> list[Part]:
        """This part and every part below it, depth first."""
        out = [self]
        for child in self.parts:
            out.extend(child.walk())
        if self.body is not None:
            out.extend(self.body.walk())
        return out

    def find(self, section: str) -> Part:
        """The part with this section label."""
        for part in self.walk():
            if part.section == section:
                return part
        raise KeyError(section)


def _enc(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8", "surrogateescape")


def _params(params: Params) -> list[object] | None:
    return [_enc(item) for pair in params.items() for item in pair] or None


def _dsp(disposition: tuple[str, Params] | None) -> list[object] | None:
    return None if disposition is None else [_enc(disposition[0]), _params(disposition[1])]


def _lang(language: tuple[str, ...] | None) -> list[object] | None:
    return None if language is None else [_enc(tag) for tag in language]


def body_structure(data: bytes) -> Part:
    """The BODYSTRUCTURE of ``data`` as a :class:`Part` tree (BODY is the same minus extensions)."""
    data = normalize(data)
    return _part(data, parse(data), "", top=True)


def _part(data: bytes, node: Entity, prefix: str, *, top: bool = False) -> Part:
    """``top``: ``node`` is a message (the root, or the one inside message/rfc822 part
    ``prefix``), whose single part is numbered ``prefix.1`` and whose multipart is the TEXT."""

    def value(name: str) -> str | None:
        found = node.header(name)
        return None if found is None else text(found.value)

    dot = prefix + "." if prefix else ""
    if node.is_multipart:
        label = dot + "TEXT" if top else prefix
        part = Part(label, "multipart", node.subtype, Params(node.params), multipart=True)
        part.parts = [_part(data, child, f"{dot}{i}") for i, child in enumerate(node.children, 1)]
    else:
        part = Part(dot + "1" if top else prefix, node.type, node.subtype, Params(node.params))
        part.id, part.description = value("Content-ID"), value("Content-Description")
        part.encoding = (value("Content-Transfer-Encoding") or "7bit").lower()
        part.size = node.end - node.body_start
        part.md5 = value("Content-MD5")
        if node.type == "text" or node.message is not None:
            part.open_end = part.size > 0 and data[node.end - 1] != 0x0A
            part.lines = data.count(b"\n", node.body_start, node.end) + part.open_end
        if node.message is not None:
            message = node.message
            part.envelope = envelope(data[message.start : message.end])
            part.body = _part(data, message, part.section, top=True)
    disposition = node.header("Content-Disposition")
    parsed = parse_value(disposition.value, False) if disposition is not None else None
    if parsed is not None:
        part.disposition = (parsed[0], Params(parsed[2]))
    language = node.header("Content-Language")
    if language is not None:
        part.language = tuple(split_list(language.value)) or None
    part.location = value("Content-Location")
    return part
