"""Expected IMAP views, checked against values worked out by hand from the message bytes."""

from __future__ import annotations

import pytest

from imapcheck import corpus
from imapcheck.corpus import Address as A
from imapcheck.corpus import SectionError
from imapcheck.corpus.envelope import parse_addresses

PLAIN_TEXT = (
    b"Hi Bob,\r\n\r\nAre you free for lunch on Thursday? The new place on Elm Street\r\n"
    b"opened last week and I hear the soup is good.\r\n\r\n-- \r\nAlice\r\n"
)
INNER_HEADER = (
    b"From: Dana Whitfield <dana@example.org>\r\nTo: Carlos Souza <carlos@example.com.br>\r\n"
    b"Cc: Team <team@example.org>\r\nSubject: Project kickoff notes\r\n"
    b"Date: Fri, 31 Mar 2023 16:05:42 +0000\r\nMessage-ID: <kickoff-notes.dana@example.org>\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="fwd-inner"\r\n\r\n'
)
INNER_PLAIN = b"Kickoff is on Tuesday at 10:00.\r\nAgenda: scope, milestones, risks.\r\n"
INNER_HTML = (
    b"<p>Kickoff is on Tuesday at 10:00.</p>\r\n<p>Agenda: scope, milestones, risks.</p>\r\n"
)
INNER_TEXT = (
    b"--fwd-inner\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + INNER_PLAIN
    + b"\r\n--fwd-inner\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n" + INNER_HTML
    + b"\r\n--fwd-inner--\r\n"
)  # fmt: skip


def test_rfc822_size_counts_crlf() -> None:
    assert corpus.rfc822_size(b"Subject: x\r\n\r\nbody\r\n") == 20
    assert corpus.rfc822_size(b"Subject: x\n\nbody\n") == 20  # bare LF is sent as CRLF
    assert corpus.load("plain").size == 658


# --- plain: a single part ----------------------------------------------------------------------


def test_plain_sections() -> None:
    msg = corpus.load("plain")
    header = msg.data[: -len(PLAIN_TEXT)]
    assert header.endswith(b"Content-Transfer-Encoding: 7bit\r\n\r\n")
    assert msg.section("") == msg.data
    assert msg.section("TEXT") == PLAIN_TEXT
    assert msg.section("HEADER") == header
    assert msg.section("1") == PLAIN_TEXT  # a non-multipart message has only part 1
    assert msg.section("1.MIME") == header
    assert msg.section("HEADER.FIELDS (Date SUBJECT)") == (
        b"Subject: Lunch on Thursday?\r\nDate: Tue, 14 Mar 2023 09:26:53 -0700\r\n\r\n"
    )  # message order, whatever the order asked for, and the blank line
    assert msg.section('header.fields ("Received")') == (
        b"Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
        b"\tby mx.example.net with ESMTPS id 4F2A1C0D9\r\n"
        b"\tfor <bob@example.net>; Tue, 14 Mar 2023 09:26:53 -0700 (PDT)\r\n\r\n"
    )
    assert msg.section("HEADER.FIELDS (X-Absent)") == b"\r\n"
    not_fields = msg.section(
        "HEADER.FIELDS.NOT (Return-Path Received From To Subject Date Message-ID MIME-Version)"
    )
    assert not_fields == (
        b"Content-Type: text/plain; charset=us-ascii; format=flowed\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    )


@pytest.mark.parametrize(
    "spec", ["2", "0", "1.1", "1.2", "1.HEADER", "1.TEXT", "MIME", "HEADER.FIELDS", "TEXT (A)",
             "1.MIME.TEXT", "FOO", "1..2"],
)  # fmt: skip
def test_sections_that_do_not_exist(spec: str) -> None:
    with pytest.raises(SectionError):
        corpus.load("plain").section(spec)


def test_plain_structure_and_envelope() -> None:
    msg = corpus.load("plain")
    part = msg.bodystructure
    assert (part.section, part.type, part.subtype) == ("1", "text", "plain")
    assert part.params == {"charset": "us-ascii", "format": "flowed"}
    assert part.params["CHARSET"] == "us-ascii" and "Format" in part.params
    assert (part.id, part.description, part.encoding) == (None, None, "7bit")
    assert part.size == len(PLAIN_TEXT) == 137
    assert part.lines == 7 and not part.open_end
    assert (part.md5, part.disposition, part.language, part.location) == (None,) * 4
    alice = (A("Alice Example", None, "alice", "example.org"),)
    assert msg.envelope == corpus.Envelope(
        date="Tue, 14 Mar 2023 09:26:53 -0700",
        subject="Lunch on Thursday?",
        from_=alice,
        sender=alice,  # absent: defaults to From (RFC 3501 §7.4.2)
        reply_to=alice,
        to=(A("Bob Example", None, "bob", "example.net"),),
        cc=None,
        bcc=None,
        in_reply_to=None,
        message_id="<20230314162653.4F2A1C0D9@mail.example.org>",
    )


# --- forwarded: message/rfc822 holding a multipart ---------------------------------------------


def test_forwarded_sections() -> None:
    msg = corpus.load("forwarded")
    assert msg.section("1") == b"Ana, see the notes below."  # the CRLF belongs to the boundary
    assert msg.section("1.MIME") == b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    assert msg.section("2") == INNER_HEADER + INNER_TEXT
    assert msg.section("2.MIME") == (
        b"Content-Type: message/rfc822\r\nContent-Description: Forwarded message\r\n"
        b"Content-Disposition: inline\r\n\r\n"
    )
    assert msg.section("2.HEADER") == INNER_HEADER
    assert msg.section("2.TEXT") == INNER_TEXT
    assert msg.section("2.1") == INNER_PLAIN
    assert msg.section("2.2") == INNER_HTML
    assert msg.section("2.2.MIME") == b"Content-Type: text/html; charset=us-ascii\r\n\r\n"
    assert msg.section("2.HEADER.FIELDS (subject cc)") == (
        b"Cc: Team <team@example.org>\r\nSubject: Project kickoff notes\r\n\r\n"
    )
    assert msg.section("TEXT").startswith(b"--fwd-outer\r\nContent-Type: text/plain")
    assert msg.section("TEXT").endswith(INNER_TEXT + b"\r\n--fwd-outer--\r\n")
    for spec in ("3", "1.HEADER", "2.3", "2.1.1", "2.1.TEXT"):
        with pytest.raises(SectionError):
            msg.section(spec)


def test_forwarded_structure() -> None:
    root = corpus.load("forwarded").bodystructure
    assert [(p.section, p.mime_type) for p in root.walk()] == [
        ("TEXT", "multipart/mixed"), ("1", "text/plain"), ("2", "message/rfc822"),
        ("2.TEXT", "multipart/alternative"), ("2.1", "text/plain"), ("2.2", "text/html"),
    ]  # fmt: skip
    assert root.params == {"boundary": "fwd-outer"} and root.size == 0
    first = root.find("1")
    assert (first.size, first.lines, first.open_end) == (25, 1, True)
    message = root.find("2")
    assert message.size == len(INNER_HEADER + INNER_TEXT) == 595
    assert message.lines == 22 and not message.open_end  # 9 header lines + 13 body lines
    assert message.description == "Forwarded message"
    assert message.disposition == ("inline", {})
    assert message.envelope is not None and message.body is not None
    assert message.envelope.subject == "Project kickoff notes"
    assert message.envelope.cc == (A("Team", None, "team", "example.org"),)
    assert message.body.params == {"boundary": "fwd-inner"}
    assert [(p.size, p.lines) for p in message.body.parts] == [(68, 2), (82, 2)]


# --- other shapes ------------------------------------------------------------------------------


def test_attachment() -> None:
    msg = corpus.load("attachment")
    root = msg.bodystructure
    assert root.params == {"boundary": "----=_Part_0042"}  # from a folded Content-Type
    assert msg.section("TEXT").startswith(
        b"This is a multi-part message in MIME format.\r\n\r\n------=_Part_0042\r\n"
    )
    assert msg.section("TEXT").endswith(b"------=_Part_0042--\r\n\r\nThis epilogue is ignored.\r\n")
    text = b"Please find the invoice for March attached.\r\n\r\nRegards,\r\nPriya\r\n"
    assert msg.section("1") == text and (root.find("1").size, root.find("1").lines) == (64, 4)
    pdf = root.find("2")
    assert (pdf.mime_type, pdf.encoding, pdf.lines) == ("application/pdf", "base64", None)
    assert pdf.params == {"name": "invoice-2023-0042.pdf"}
    assert pdf.disposition is not None and pdf.disposition[0] == "attachment"
    assert pdf.disposition[1]["filename"] == "invoice-2023-0042.pdf"
    assert pdf.size == len(msg.section("2")) == 488


def test_deep_tight_closing_delimiters() -> None:
    msg = corpus.load("deep")
    assert [(p.section, p.mime_type) for p in msg.bodystructure.walk()] == [
        ("TEXT", "multipart/mixed"), ("1", "multipart/alternative"), ("1.1", "text/plain"),
        ("1.2", "multipart/related"), ("1.2.1", "text/html"), ("1.2.2", "image/gif"),
        ("2", "text/plain"),
    ]  # fmt: skip
    gif = b"R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs="
    assert msg.section("1.2") == (
        b'--lvl3\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>Notes for week 3:</p><img '
        b'src="cid:diagram@example.edu">\r\n--lvl3\r\nContent-Type: image/gif\r\n'
        b"Content-Transfer-Encoding: base64\r\nContent-ID: <diagram@example.edu>\r\n\r\n"
        + gif + b"\r\n--lvl3--"
    )  # fmt: skip
    assert msg.section("1").endswith(gif + b"\r\n--lvl3--\r\n--lvl2--")
    assert msg.section("1.2.2") == gif
    assert msg.bodystructure.find("1.2.2").id == "<diagram@example.edu>"
    assert msg.bodystructure.find("1.1").params == {}  # no charset given
    assert msg.bodystructure.find("1.2").params == {"boundary": "lvl3", "type": "text/html"}
    last = msg.bodystructure.find("2")
    assert (last.size, last.lines) == (50, 3)
    assert last.disposition == ("attachment", {"filename": "week3.txt"})


def test_digest_defaults_to_message_rfc822() -> None:
    msg = corpus.load("digest")
    first = msg.bodystructure.find("1")
    assert (first.mime_type, first.params) == ("message/rfc822", {})
    assert msg.section("1.MIME") == b"\r\n"
    assert msg.section("1.HEADER") == (
        b"From: Reza <reza@example.ir>\r\nSubject: First post\r\n"
        b"Date: Thu, 18 May 2023 09:00:00 +0330\r\nMessage-ID: <post1@example.ir>\r\n\r\n"
    )
    assert msg.section("1.1") == msg.section("1.TEXT") == b"Hello list.\r\n"
    assert msg.section("2.1") == b"Welcome, Reza!"
    second = msg.bodystructure.find("2")
    assert second.envelope is not None and second.envelope.in_reply_to == "<post1@example.ir>"
    assert (second.size, second.lines) == (175, 7)


def test_boundaries() -> None:
    msg = corpus.load("boundaries")
    root = msg.bodystructure
    assert [p.mime_type for p in root.parts] == [
        "text/plain", "message/rfc822", "text/plain", "application/octet-stream",
    ]  # fmt: skip
    assert msg.section("1") == b"" and (root.find("1").size, root.find("1").lines) == (0, 0)
    assert msg.section("1.MIME") == b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    assert msg.section("2").endswith(b"\r\n\r\ninner text\r\n--inner--")
    assert msg.section("2.1") == b"inner text"
    assert root.find("2").size == len(msg.section("2")) == 302
    third = root.find("3")
    assert msg.section("3.MIME") == b"\r\n"
    assert third.params == {"charset": "us-ascii"}  # the RFC 2045 default
    assert (
        msg.section("3") == b"A part without header lines: text/plain; charset=us-ascii by default."
    )
    assert root.find("4").size == 0


def test_extension_fields() -> None:
    root = corpus.load("extensions").bodystructure
    assert root.disposition == ("inline", {})
    assert root.language == ("en-NZ",)
    assert root.location == "https://example.nz/tickets/7781/"
    text, log, png = root.parts
    assert (text.id, text.description) == ("<body.7781@example.nz>", "Ticket description")
    assert text.md5 == "ntxwmlQWah7xQg38SMNM/Q=="
    assert (text.language, text.location) == (("en-NZ", "mi"), "description.txt")
    assert log.params == {"charset": "us-ascii", "name": "export.log"}
    assert log.encoding == "quoted-printable" and (log.size, log.lines) == (98, 2)
    assert log.disposition == (
        "attachment",
        {"filename": "export.log", "modification-date": "Sun, 30 Apr 2023 08:55:00 +1245"},
    )
    assert (log.language, log.location) == (("en",), None)
    assert png.location == "https://example.nz/tickets/7781/screenshot.png"
    assert png.lines is None and png.md5 == "Orc519TXKW7q/TuTA7USGw=="


def test_header_only_messages() -> None:
    with_blank = corpus.load("header_only")
    assert with_blank.section("TEXT") == b"" and with_blank.section("HEADER") == with_blank.data
    assert with_blank.section("HEADER.FIELDS (Subject)") == (
        b"Subject: [OK] nightly backup finished\r\n\r\n"
    )
    part = with_blank.bodystructure
    assert (part.mime_type, part.params, part.size, part.lines) == (
        "text/plain", {"charset": "us-ascii"}, 0, 0,
    )  # fmt: skip
    bare = corpus.load("no_blank_line")
    assert bare.data.endswith(b">\r\n") and not bare.data.endswith(b"\r\n\r\n")
    assert bare.section("HEADER") == bare.data and bare.section("TEXT") == b""
    # no body and no blank line: no blank line in header fetches either (RFC 3501 §6.4.5)
    assert bare.section("HEADER.FIELDS (SUBJECT)") == b"Subject: Subject-only notification\r\n"
    assert bare.section("HEADER.FIELDS (X-None)") == b""


def test_partial_and_label() -> None:
    assert corpus.partial(b"0123456789", 2, 3) == b"234"
    assert corpus.partial(b"0123456789", 8, 5) == b"89"  # truncated
    assert corpus.partial(b"0123456789", 20, 5) == b""  # beyond the end
    assert corpus.fetch_label("TEXT", 0) == "BODY[TEXT]<0>"
    assert corpus.fetch_label("1.2") == "BODY[1.2]"
    with pytest.raises(ValueError):
        corpus.partial(b"x", -1, 2)


# --- ENVELOPE ----------------------------------------------------------------------------------


def test_addresses_envelope() -> None:
    assert corpus.load("addresses").envelope == corpus.Envelope(
        date="Thu, 27 Apr 2023 08:30:00 -0500 (CDT)",
        subject="Re: [project] Minutes of the   weekly    meeting",  # unfolded, not squeezed
        from_=(A('Doe, John "JD"', None, "john.doe", "example.com"),),
        sender=(A("Mailing List Robot", None, "list-bounces", "lists.example.com"),),
        reply_to=(
            A("Project List", None, "project", "lists.example.com"),
            A("John Doe", None, "jd", "example.com"),
        ),
        to=(
            A(None, None, "Project Team", None),
            A("Smith, Ann", None, "ann.smith", "example.org"),
            A(None, None, "bob", "example.org"),
            A("Carol O'Neil", None, "carol", "example.org"),
            A(None, None, None, None),
            A("Dave", "@relay1.example.net,@relay2.example.net", "dave", "example.net"),
        ),
        cc=(
            A(None, None, "undisclosed-recipients", None),
            A(None, None, None, None),
            A(None, None, "eve", "[192.0.2.55]"),
        ),
        bcc=(A("Mallory Q. Archer", None, "mallory", "example.com"),),
        in_reply_to="<minutes.2718@lists.example.com>",
        message_id="<minutes-reply.3141@example.com>",
    )


def test_encoded_words_stay_encoded() -> None:
    env = corpus.load("encoded_headers").envelope
    assert env.subject == (
        "=?UTF-8?B?w4lsw6h2ZSBkdSBtb2lzIOKAkyByw6lzdW3DqQ==?= =?ISO-8859-1?Q?_et_caf=E9?="
    )
    assert env.from_ == (A("=?ISO-8859-1?Q?Andr=E9_Pirard?=", None, "pirard", "example.be"),)
    assert (
        env.to is not None and env.to[0].name == "=?UTF-8?B?0JzQsNGA0LjRjyDQmNCy0LDQvdC+0LLQsA==?="
    )


def test_envelope_defaults_and_empty_fields() -> None:
    env = corpus.envelope(b"From: a@b.example\r\nSender:\r\nTo:\r\nSubject:\r\n\r\n")
    assert env.sender == env.reply_to == env.from_ == (A(None, None, "a", "b.example"),)
    assert env.to is None and env.cc is None  # present but empty: NIL
    assert env.subject == "" and env.date is None and env.message_id is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"x@y.example (Comment Name)", [A("Comment Name", None, "x", "y.example")]),
        (b'"john doe"@example.org', [A(None, None, "john doe", "example.org")]),
        (b"John   Q.  Public <jqp@example.org>", [A("John Q. Public", None, "jqp", "example.org")]),
        (b"<only@example.org>", [A(None, None, "only", "example.org")]),
        (b"a@b.example,, c@d.example",
         [A(None, None, "a", "b.example"), A(None, None, "c", "d.example")]),
        (b"g1: a@b.example;, g2:;", [
            A(None, None, "g1", None), A(None, None, "a", "b.example"), A(None, None, None, None),
            A(None, None, "g2", None), A(None, None, None, None)]),
        (b'"a \\"q\\" (x)" <a@b.example>', [A('a "q" (x)', None, "a", "b.example")]),
        (b"", []),
    ],
)  # fmt: skip
def test_parse_addresses(value: bytes, expected: list[A]) -> None:
    assert list(parse_addresses(value)) == expected
