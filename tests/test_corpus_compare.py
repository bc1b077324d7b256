"""The comparators: against responses recorded from Dovecot 2.3.19, and against mutations."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from imapcheck import corpus
from imapcheck.corpus import compare_bodystructure, compare_envelope
from imapcheck.wire.reader import ResponseReader
from imapcheck.wire.tokens import tokenize

# "* n FETCH (...)" exactly as Dovecot 2.3.19 sent them for the corpus messages.
RECORDED: dict[str, bytes] = {
    "addresses": (
        b'* 1 FETCH (ENVELOPE ("Thu, 27 Apr 2023 08:30:00 -0500 (CDT)" {43}\r\nRe: [project] Mi'
        b'nutes of the weekly meeting (({14}\r\nDoe, John "JD" NIL "john.doe" "example.com")) ('
        b'("Mailing List Robot" NIL "list-bounces" "lists.example.com")) (("Project List" NIL "'
        b'project" "lists.example.com")("John Doe" NIL "jd" "example.com")) ((NIL NIL "Project '
        b'Team" NIL)("Smith, Ann" NIL "ann.smith" "example.org")(NIL NIL "bob" "example.org")("'
        b'Carol O\'Neil" NIL "carol" "example.org")(NIL NIL NIL NIL)("Dave" "@relay1.example.ne'
        b't,@relay2.example.net" "dave" "example.net")) ((NIL NIL "undisclosed-recipients" NIL)'
        b'(NIL NIL NIL NIL)(NIL NIL "eve" "[192.0.2.55]")) (("Mallory Q. Archer" NIL "mallory" '
        b'"example.com")) "<minutes.2718@lists.example.com>" "<minutes-reply.3141@example.com>"'
        b"))\r\n"
    ),
    "forwarded": (
        b'* 2 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 25 0 '
        b'NIL NIL NIL NIL)("message" "rfc822" NIL NIL "Forwarded message" "7bit" 595 ("Fri, 31 '
        b'Mar 2023 16:05:42 +0000" "Project kickoff notes" (("Dana Whitfield" NIL "dana" "examp'
        b'le.org")) (("Dana Whitfield" NIL "dana" "example.org")) (("Dana Whitfield" NIL "dana"'
        b' "example.org")) (("Carlos Souza" NIL "carlos" "example.com.br")) (("Team" NIL "team"'
        b' "example.org")) NIL NIL "<kickoff-notes.dana@example.org>") (("text" "plain" ("chars'
        b'et" "us-ascii") NIL NIL "7bit" 68 2 NIL NIL NIL NIL)("text" "html" ("charset" "us-asc'
        b'ii") NIL NIL "7bit" 82 2 NIL NIL NIL NIL) "alternative" ("boundary" "fwd-inner") NIL '
        b'NIL NIL) 22 NIL ("inline" NIL) NIL NIL) "mixed" ("boundary" "fwd-outer") NIL NIL NIL)'
        b")\r\n"
    ),
    "extensions": (
        b'* 3 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii" "format" "flowed") "<'
        b'body.7781@example.nz>" "Ticket description" "7bit" 106 2 "ntxwmlQWah7xQg38SMNM/Q==" ('
        b'"inline" NIL) ("en-NZ" "mi") "description.txt")("text" "x-log" ("charset" "us-ascii" '
        b'"name" "export.log") "<log.7781@example.nz>" "Export log" "quoted-printable" 98 1 "86'
        b'7Hq993zy7O6mxvVdH9Og==" ("attachment" ("filename" "export.log" "modification-date" "S'
        b'un, 30 Apr 2023 08:55:00 +1245")) ("en") NIL)("image" "png" ("name" "screenshot.png")'
        b' "<shot.7781@example.nz>" NIL "base64" 94 "Orc519TXKW7q/TuTA7USGw==" ("inline" ("file'
        b'name" "screenshot.png")) NIL "https://example.nz/tickets/7781/screenshot.png") "mixed'
        b'" ("boundary" "ext-boundary") ("inline" NIL) ("en-NZ") "https://example.nz/tickets/77'
        b'81/"))\r\n'
    ),
    "boundaries": (
        b'* 4 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 N'
        b'IL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 304 ("Fri, 02 Jun 2023 11:59:00'
        b' -0930" "Inner multipart, closed tight" (("Inner" NIL "inner" "example.com")) (("Inne'
        b'r" NIL "inner" "example.com")) (("Inner" NIL "inner" "example.com")) NIL NIL NIL NIL '
        b'"<boundaries.inner@example.com>") (("text" "plain" ("charset" "us-ascii") NIL NIL "7b'
        b'it" 10 0 NIL NIL NIL NIL) "mixed" ("boundary" "inner") NIL NIL NIL) 12 NIL NIL NIL NI'
        b'L)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 69 0 NIL NIL NIL NIL)("applic'
        b'ation" "octet-stream" NIL NIL NIL "7bit" 0 NIL NIL NIL NIL) "mixed" ("boundary" "edge'
        b'") NIL NIL NIL))\r\n'
    ),
    "digest": (
        b'* 5 FETCH (BODY (("message" "rfc822" NIL NIL NIL "7bit" 137 ("Thu, 18 May 2023 09:00:'
        b'00 +0330" "First post" (("Reza" NIL "reza" "example.ir")) (("Reza" NIL "reza" "exampl'
        b'e.ir")) (("Reza" NIL "reza" "example.ir")) NIL NIL NIL NIL "<post1@example.ir>") ("te'
        b'xt" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1) 6)("message" "rfc822" NIL NIL'
        b' NIL "7bit" 175 ("Thu, 18 May 2023 10:15:00 +0330" "Re: First post" (("Sara" NIL "sar'
        b'a" "example.ir")) (("Sara" NIL "sara" "example.ir")) (("Sara" NIL "sara" "example.ir"'
        b')) NIL NIL NIL "<post1@example.ir>" "<post2@example.ir>") ("text" "plain" ("charset" '
        b'"us-ascii") NIL NIL "7bit" 14 0) 6) "digest"))\r\n'
    ),
}


def _item(name: str) -> Any:
    """The one FETCH data item of a recorded response, as wire tokens."""
    reader = ResponseReader()
    reader.feed(RECORDED[name])
    (frame,) = reader.frames()
    items = tokenize(frame)[3]
    assert isinstance(items, list) and len(items) == 2
    return items[1]


def test_dovecot_envelope_matches() -> None:
    # Dovecot squeezes the folded subject's whitespace: tolerated, RFC 3501 does not fix it
    assert compare_envelope(corpus.load("addresses").envelope, _item("addresses")) == []


@pytest.mark.parametrize("name", ["forwarded", "extensions"])
def test_dovecot_bodystructure_matches(name: str) -> None:
    expected = corpus.load(name).bodystructure
    assert compare_bodystructure(expected, _item(name), extension=True) == []


def test_dovecot_body_matches() -> None:
    expected = corpus.load("digest").bodystructure
    assert compare_bodystructure(expected, _item("digest"), extension=False) == []


def test_dovecot_counts_the_outer_crlf_after_a_tight_close_delimiter() -> None:
    """RFC 2046 §5.1.1: the CRLF before "--edge" belongs to that delimiter, not to part 2."""
    expected = corpus.load("boundaries").bodystructure
    assert compare_bodystructure(expected, _item("boundaries"), extension=True) == [
        "part 2: size 302 expected, server said 304"
    ]


@pytest.mark.parametrize("extension", [True, False])
@pytest.mark.parametrize("msg", corpus.all_messages(), ids=lambda m: m.name)
def test_own_tokens_compare_equal(msg: corpus.CorpusMessage, extension: bool) -> None:
    part = msg.bodystructure
    assert compare_bodystructure(part, part.tokens(extension), extension=extension) == []
    assert compare_envelope(msg.envelope, msg.envelope.tokens()) == []


# --- mutations of a correct answer -------------------------------------------------------------


def _forwarded() -> tuple[corpus.Part, Any]:
    tokens = _item("forwarded")
    assert isinstance(tokens, list)
    return corpus.load("forwarded").bodystructure, copy.deepcopy(tokens)


def test_size_difference_is_named() -> None:
    expected, tokens = _forwarded()
    tokens[1][6] = 597
    assert compare_bodystructure(expected, tokens, extension=True) == [
        "part 2: size 595 expected, server said 597"
    ]


def test_case_insensitive_where_mime_is() -> None:
    expected, tokens = _forwarded()
    first = tokens[0]
    assert isinstance(first, list)
    first[0:3] = [b"TEXT", b"PLAIN", [b"CHARSET", b"US-ASCII"]]
    first[5] = b"7BIT"
    tokens[2] = b"MIXED"
    tokens[3] = [b"BOUNDARY", b"fwd-outer"]
    assert compare_bodystructure(expected, tokens, extension=True) == []
    tokens[3] = [b"boundary", b"FWD-OUTER"]  # a boundary value is case-sensitive
    assert compare_bodystructure(expected, tokens, extension=True) == [
        'part TEXT: parameters: boundary="fwd-outer" expected, server said boundary="FWD-OUTER"'
    ]


def test_charset_default_and_charset_mismatch() -> None:
    expected, tokens = _forwarded()
    tokens[0][2] = None
    assert compare_bodystructure(expected, tokens, extension=True) == []
    tokens[0][2] = [b"charset", b"utf-8"]
    assert len(compare_bodystructure(expected, tokens, extension=True)) == 1


def test_lines_tolerance_only_for_an_open_last_line() -> None:
    expected, tokens = _forwarded()
    tokens[0][7] = "1"  # numbers as atoms are fine; 1 counts "...below."
    assert compare_bodystructure(expected, tokens, extension=True) == []
    tokens[0][7] = "2"
    assert compare_bodystructure(expected, tokens, extension=True) == [
        "part 1: lines 1 (or 0, not counting the last line without CRLF) expected, server said 2"
    ]
    tokens[0][7] = 0
    tokens[1][9] = 21  # part 2 ends in CRLF: no tolerance
    assert compare_bodystructure(expected, tokens, extension=True) == [
        "part 2: lines 22 expected, server said 21"
    ]


def test_nested_envelope_and_parts() -> None:
    expected, tokens = _forwarded()
    tokens[1][7][1] = b"Other subject"
    del tokens[1][8][1]
    assert compare_bodystructure(expected, tokens, extension=True) == [
        'part 2 envelope subject: "Project kickoff notes" expected, server said "Other subject"',
        "part 2.TEXT: 2 parts expected, server sent 1",
    ]


def test_wrong_type_does_not_cascade() -> None:
    expected, tokens = _forwarded()
    tokens[1] = [b"application", b"octet-stream", None, None, None, b"7bit", 595]
    assert compare_bodystructure(expected, tokens, extension=True) == [
        'part 2: type: "message" expected, server said "application"',
        'part 2: subtype: "rfc822" expected, server said "octet-stream"',
    ]


def test_extension_data_rules() -> None:
    expected, tokens = _forwarded()
    body = compare_bodystructure(expected, tokens, extension=False)
    assert "part 1: BODY must not carry extension data, server sent (NIL NIL NIL NIL)" in body
    del tokens[1][11:]  # part 2 stops after md5: the disposition is lost
    assert compare_bodystructure(expected, tokens, extension=True) == [
        "part 2: disposition expected, server left out the extension field"
    ]
    tokens.append(b"extra")
    assert compare_bodystructure(expected, tokens, extension=True)[-1] == (
        'part TEXT: extension data not defined by RFC 3501: ("extra")'
    )


def test_not_a_structure() -> None:
    expected, _ = _forwarded()
    assert compare_bodystructure(expected, None, extension=True) == [
        "part TEXT: a body structure expected, server sent NIL"
    ]
    assert compare_bodystructure(expected.find("1"), [[b"text"], b"mixed"], extension=False) == [
        "part 1: text/plain expected, server sent a multipart"
    ]


def test_envelope_tolerances_and_differences() -> None:
    expected = corpus.load("addresses").envelope
    tokens = _item("addresses")
    assert isinstance(tokens, list)
    tokens = copy.deepcopy(tokens)
    tokens[5][1][3] = b"EXAMPLE.ORG"  # host names are case-insensitive
    tokens[5][5][1] = b"@RELAY1.example.net,@relay2.example.net"
    assert compare_envelope(expected, tokens) == []
    tokens[5][1][2] = b"ANN.SMITH"  # a local part is not
    del tokens[6][1]  # the end-of-group marker
    assert compare_envelope(expected, tokens) == [
        'envelope to #2: ("Smith, Ann" NIL "ann.smith" "example.org") expected, '
        'server said ("Smith, Ann" NIL "ANN.SMITH" "EXAMPLE.ORG")',
        'envelope cc: ((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL) '
        '(NIL NIL "eve" "[192.0.2.55]")) expected, server said ((NIL NIL "undisclosed-recipients"'
        ' NIL) (NIL NIL "eve" "[192.0.2.55]"))',
    ]
    assert compare_envelope(expected, tokens[:9]) != []


def test_envelope_nil_and_empty_string() -> None:
    expected = corpus.envelope(b"From: a@b.example\r\nSubject:\r\n\r\n")
    tokens = expected.tokens()
    tokens[1] = None  # "Clients SHOULD treat NIL and empty string as identical"
    assert compare_envelope(expected, tokens) == []
    tokens[2] = None  # but From is not optional
    assert compare_envelope(expected, tokens) == [
        'envelope from: ((NIL NIL "a" "b.example")) expected, server said NIL'
    ]
