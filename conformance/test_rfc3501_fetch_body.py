"""RFC 3501 §6.4.5 / §7.4.2 FETCH of message structure and content: ENVELOPE, BODY,
BODYSTRUCTURE, BODY[section] and partial fetches, compared with the corpus expectations."""

from __future__ import annotations

import pytest
from helpers_fetch import MISSING, byte_diff, fetch_box, fetch_items, item, opened

from imapcheck import corpus
from imapcheck.corpus import compare_bodystructure, compare_envelope

__all__ = ["fetch_box"]  # the module-scoped fixture
MESSAGES = corpus.all_messages()
SEQ = {message.name: seq for seq, message in enumerate(MESSAGES, 1)}
NAMES = [message.name for message in MESSAGES]


def fetch_one(connect, box, name: str, *items: bytes) -> dict:
    session = opened(connect, box)
    seq = SEQ[name]
    reply = session.command("FETCH", str(seq).encode(), b"(" + b" ".join(items) + b")")
    assert reply.ok, f"FETCH {seq} ({b' '.join(items).decode()}) failed: {reply.summary()}"
    return fetch_items(reply, seq)


def show(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# -- ENVELOPE, BODY, BODYSTRUCTURE ----------------------------------------------------------


@pytest.mark.rfc("3501", "7.4.2", "MUST")
@pytest.mark.parametrize("name", NAMES)
def test_envelope_matches_corpus(connect, fetch_box, name):
    message = corpus.load(name)
    items = fetch_one(connect, fetch_box, name, b"ENVELOPE")
    problems = compare_envelope(message.envelope, items.get("ENVELOPE"))
    assert not problems, (
        f"ENVELOPE of {name} ({message.description}) differs from the one computed from its "
        "header (§7.4.2):\n  " + "\n  ".join(problems)
    )


@pytest.mark.rfc("3501", "7.4.2", "MUST")
@pytest.mark.parametrize("name", NAMES)
def test_bodystructure_matches_corpus(connect, fetch_box, name):
    message = corpus.load(name)
    items = fetch_one(connect, fetch_box, name, b"BODYSTRUCTURE")
    problems = compare_bodystructure(
        message.bodystructure, items.get("BODYSTRUCTURE"), extension=True
    )
    assert not problems, (
        f"BODYSTRUCTURE of {name} ({message.description}) is wrong (§7.4.2: types, "
        "parameters, sizes, lines, extension data):\n  " + "\n  ".join(problems)
    )


@pytest.mark.rfc("3501", "7.4.2", "MUST")
@pytest.mark.parametrize("name", NAMES)
def test_body_is_bodystructure_without_extensions(connect, fetch_box, name):
    message = corpus.load(name)
    items = fetch_one(connect, fetch_box, name, b"BODY")
    problems = compare_bodystructure(message.bodystructure, items.get("BODY"), extension=False)
    assert not problems, (
        f"BODY of {name} must be the body structure without extension data (§7.4.2):\n  "
        + "\n  ".join(problems)
    )


# -- BODY[section] --------------------------------------------------------------------------


def sections(part: corpus.Part, in_multipart: bool = False) -> list[str]:
    """Every section of a body structure: part numbers, N.MIME inside multiparts,
    N.HEADER / N.TEXT of message/rfc822 parts (§6.4.5)."""
    out: list[str] = []
    numbered = "TEXT" not in part.section
    if numbered:
        out.append(part.section)
        if in_multipart:
            out.append(part.section + ".MIME")
    if part.multipart:
        for child in part.parts:
            out.extend(sections(child, True))
    elif part.body is not None:
        out += [part.section + ".HEADER", part.section + ".TEXT"]
        out.extend(sections(part.body, False))
    return out


def section_list(message: corpus.CorpusMessage) -> list[str]:
    return ["", "HEADER", "TEXT", *sections(message.bodystructure)]


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize("name", NAMES)
def test_every_section_has_the_right_bytes(connect, fetch_box, name):
    """BODY[] BODY[HEADER] BODY[TEXT] and every part number, .MIME, .HEADER and .TEXT."""
    message = corpus.load(name)
    specs = section_list(message)
    items = fetch_one(connect, fetch_box, name, *(f"BODY.PEEK[{s}]".encode() for s in specs))
    wrong = []
    for spec in specs:
        want, got = message.section(spec), item(items, f"BODY[{spec}]")
        if got is MISSING:
            wrong.append(f"BODY[{spec}]: not in the response")
        elif got != want:
            wrong.append(f"BODY[{spec}]: {byte_diff(want, got)}")
    assert not wrong, (
        f"{name} ({message.description}): sections differ from the message's bytes "
        "(§6.4.5):\n  " + "\n  ".join(wrong)
    )


FIELD_CASES = [
    ("plain", "HEADER.FIELDS (From Subject)"),
    ("plain", "HEADER.FIELDS (fROM subject)"),
    ("plain", "HEADER.FIELDS (X-Not-There)"),
    ("plain", "HEADER.FIELDS.NOT (From Subject Date)"),
    ("addresses", "HEADER.FIELDS (To Cc)"),
    ("addresses", "HEADER.FIELDS.NOT (To Cc Message-ID)"),
    ("forwarded", "2.HEADER.FIELDS (Subject Cc)"),
    ("forwarded", "2.HEADER.FIELDS.NOT (Subject)"),
    ("digest", "1.HEADER.FIELDS (Subject)"),
    ("header_only", "HEADER.FIELDS (Subject)"),
    ("no_blank_line", "HEADER.FIELDS (Subject)"),
    ("no_blank_line", "TEXT"),
    ("header_only", "TEXT"),
]


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize(("name", "spec"), FIELD_CASES, ids=[f"{n}-{s}" for n, s in FIELD_CASES])
def test_header_fields_subsets(connect, fetch_box, name, spec):
    """Field matching is case-insensitive; the blank line is included unless the message has
    none (§6.4.5)."""
    message = corpus.load(name)
    want = message.section(spec)
    got = item(fetch_one(connect, fetch_box, name, f"BODY.PEEK[{spec}]".encode()), f"BODY[{spec}]")
    assert got == want, f"BODY[{spec}] of {name}: {byte_diff(want, got)}"


@pytest.mark.rfc("3501", "6.4.5", "MUST")
def test_mime_without_part_number_is_rejected(connect, fetch_box):
    """'The MIME part specifier MUST be prefixed by one or more numeric part specifiers.'"""
    session = opened(connect, fetch_box)
    reply = session.command("FETCH", b"1", b"(BODY.PEEK[MIME])")
    assert reply.status == "BAD", f"BODY[MIME] is not valid syntax (§9); got {reply.summary()}"


# -- partial fetches ------------------------------------------------------------------------


def crlf_split_origin(data: bytes) -> int:
    """An origin whose 2-octet range ends between the CR and the LF of a line end."""
    return data.index(b"\r\n", 20) - 1


PARTIALS = {
    "start": ("plain", "", lambda d: (0, 10)),
    "middle": ("plain", "", lambda d: (17, 23)),
    "ends-inside-crlf": ("plain", "", lambda d: (crlf_split_origin(d), 2)),
    "starts-at-lf": ("plain", "", lambda d: (crlf_split_origin(d) + 2, 3)),
    "runs-past-end": ("plain", "", lambda d: (len(d) - 5, 100)),
    "origin-past-end": ("plain", "", lambda d: (len(d) + 10, 5)),
    "origin-at-end": ("plain", "", lambda d: (len(d), 5)),
    "zero-covers-all": ("header_only", "", lambda d: (0, 2048)),
    "text": ("alternative", "TEXT", lambda d: (3, 7)),
    "part": ("alternative", "2", lambda d: (2, 5)),
    "nested-part": ("forwarded", "2.1", lambda d: (0, 4)),
    "after-subsetting": ("plain", "HEADER.FIELDS (Subject From)", lambda d: (4, 10)),
}


@pytest.mark.rfc("3501", "6.4.5", "MUST")
@pytest.mark.parametrize("case", list(PARTIALS))
def test_partial_fetch(connect, fetch_box, case):
    """<origin.length>: a substring, truncated at the end, empty past it; answered as
    BODY[section]<origin> (§6.4.5, §7.4.2)."""
    name, spec, bounds = PARTIALS[case]
    message = corpus.load(name)
    content = message.section(spec)
    origin, length = bounds(content)
    want = corpus.partial(content, origin, length)
    label = corpus.fetch_label(spec, origin)
    items = fetch_one(connect, fetch_box, name, f"BODY.PEEK[{spec}]<{origin}.{length}>".encode())
    got = item(items, label)
    assert got is not MISSING, (
        f"BODY.PEEK[{spec}]<{origin}.{length}> must be answered as {label} (origin only, "
        f"never PEEK or the length); the response had {sorted(items)}"
    )
    assert got == want, (
        f"{label} of {name} must be octets {origin}..{origin + length} of the section "
        f"(truncated at its end, empty past it): expected {show(want)}, got {show(got)}"
    )


@pytest.mark.rfc("3501", "7.4.2", "MUST")
def test_non_partial_fetch_has_no_origin(connect, fetch_box):
    """'partial fetch responses are only returned in response to a partial fetch command'."""
    items = fetch_one(connect, fetch_box, "plain", b"BODY.PEEK[TEXT]")
    labels = [key for key in items if key.upper().startswith("BODY[")]
    assert labels and all("<" not in key for key in labels), (
        f"BODY.PEEK[TEXT] must be answered as BODY[TEXT] without <origin>; got {labels}"
    )
