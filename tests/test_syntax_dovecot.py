"""Responses recorded from Dovecot 2.3.19 (Debian) must all be judged grammatical.

Recorded from the embedded server with the quota, acl and metadata plugins, CONDSTORE and
QRESYNC enabled, a NOTIFY registration and a second session changing the mailbox.
"""

from __future__ import annotations

import pytest

from imapcheck.syntax import Validator, check_greeting, check_response
from imapcheck.wire.reader import Frame, ResponseReader


def lit(payload: bytes) -> bytes:
    """A literal: ``{n}`` CRLF and the payload."""
    return b"{%d}\r\n" % len(payload) + payload


CAPS = (
    b"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    b"THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    b"NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    b"WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW "
    b"STATUS=SIZE SAVEDATE LITERAL+ NOTIFY METADATA SPECIAL-USE COMPRESS=DEFLATE QUOTA ACL "
    b"RIGHTS=texk"
)
ENVELOPE_WITH_LITERALS = (
    b'ENVELOPE ("Thu, 27 Apr 2023 08:30:00 -0500 (CDT)" {43}\r\n'
    b"Re: [project] Minutes of the weekly meeting (({14}\r\n"
    b'Doe, John "JD" NIL "john.doe" "example.com")) (("Mailing List Robot" NIL "list-bounces" '
    b'"lists.example.com")) (("Project List" NIL "project" "lists.example.com")("John Doe" NIL '
    b'"jd" "example.com")) ((NIL NIL "Project Team" NIL)("Smith, Ann" NIL "ann.smith" '
    b'"example.org")(NIL NIL "bob" "example.org")("Carol O\'Neil" NIL "carol" "example.org")'
    b'(NIL NIL NIL NIL)("Dave" "@relay1.example.net,@relay2.example.net" "dave" "example.net"))'
    b' ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)(NIL NIL "eve" "[192.0.2.55]"))'
    b' (("Mallory Q. Archer" NIL "mallory" "example.com")) "<minutes.2718@lists.example.com>" '
    b'"<minutes-reply.3141@example.com>")'
)
DIGEST_BODYSTRUCTURE = (
    b'BODYSTRUCTURE (("message" "rfc822" NIL NIL NIL "7bit" 137 ("Thu, 18 May 2023 09:00:00 '
    b'+0330" "First post" (("Reza" NIL "reza" "example.ir")) (("Reza" NIL "reza" "example.ir"))'
    b' (("Reza" NIL "reza" "example.ir")) NIL NIL NIL NIL "<post1@example.ir>") ("text" '
    b'"plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1 NIL NIL NIL NIL) 6 NIL NIL NIL NIL)'
    b'("message" "rfc822" NIL NIL NIL "7bit" 175 ("Thu, 18 May 2023 10:15:00 +0330" "Re: '
    b'First post" (("Sara" NIL "sara" "example.ir")) (("Sara" NIL "sara" "example.ir")) '
    b'(("Sara" NIL "sara" "example.ir")) NIL NIL NIL "<post1@example.ir>" "<post2@example.ir>")'
    b' ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 0 NIL NIL NIL NIL) 6 NIL NIL '
    b'NIL NIL) "digest" ("boundary" "digest-sep") NIL NIL NIL)'
)

# (response, the judge expected to decide it)
DOVECOT = [
    (b"A1 OK [CAPABILITY " + CAPS + b"] Logged in\r\n", "imap-codec"),
    (b"* CAPABILITY " + CAPS + b"\r\n", "imap-codec"),
    (b"A2 OK Capability completed (0.001 + 0.000 secs).\r\n", "imap-codec"),
    (b'* ID ("name" "Dovecot")\r\n', "imap-codec"),
    (b'* NAMESPACE (("" "/")) NIL NIL\r\n', "rfc9051"),
    (b"* ENABLED CONDSTORE QRESYNC\r\n", "imap-codec"),
    (b"A8 NO [ALREADYEXISTS] Mailbox already exists (0.001 + 0.000 secs).\r\n", "extensions"),
    (b"A11 BAD Error in IMAP command CREATE: 8bit data in atom (0.001 + 0.000 secs).\r\n", None),
    (b'* LIST (\\HasNoChildren \\UnMarked) "/" "With Space"\r\n', "imap-codec"),
    (b'* LIST (\\HasChildren) "/" Work\r\n', "imap-codec"),
    (b'* LIST (\\Noselect) "/" ""\r\n', "imap-codec"),
    (b'* LIST (\\HasNoChildren) "/" &AOk-t&AOk-\r\n', "imap-codec"),
    (b'* LSUB () "/" Work\r\n', "imap-codec"),
    (b'* LIST (\\Subscribed) "/" Work\r\n', "imap-codec"),
    (b'* STATUS "With Space" (MESSAGES 0 UIDNEXT 1 UNSEEN 0)\r\n', "imap-codec"),
    (
        b"* STATUS INBOX (MESSAGES 9 RECENT 0 UIDNEXT 14 UIDVALIDITY 1795727508 UNSEEN 0 "
        b"HIGHESTMODSEQ 37)\r\n",
        "extensions",
    ),
    (b"* STATUS INBOX (SIZE 6205)\r\n", "rfc9051"),
    (b"* STATUS Work (MESSAGES 26 RECENT 0 HIGHESTMODSEQ 45 SIZE 20698)\r\n", "extensions"),
    (b'* QUOTAROOT INBOX "User quota"\r\n', "imap-codec"),
    (b'* QUOTA "User quota" (STORAGE 14 1048576 MESSAGE 18 1000000)\r\n', "imap-codec"),
    (b"* MYRIGHTS INBOX lrwstipekxacd\r\n", "extensions"),
    (b"* ACL INBOX u1 lrwstipekxacd\r\n", "extensions"),
    (b'* LISTRIGHTS INBOX u2 "" l r w s t p i e k x a c d\r\n', "extensions"),
    (b"* METADATA INBOX (/private/comment {5}\r\nhello)\r\n", "imap-codec"),
    (b'* METADATA "" (/private/vendor/x NIL)\r\n', "imap-codec"),
    (b"* METADATA INBOX (/private/comment {5}\r\nhello /shared/comment NIL)\r\n", "imap-codec"),
    (b"A37 OK [APPENDUID 1795727508 14] Append completed (0.013 + 0.000 secs).\r\n", None),
    (b"A50 OK [APPENDUID 1795727506 10:11] Append completed (0.021 secs).\r\n", "extensions"),
    (b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n", "imap-codec"),
    (b"* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n", "imap-codec"),
    (
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)]"
        b" Flags permitted.\r\n",
        "imap-codec",
    ),
    (b"* 22 EXISTS\r\n", "imap-codec"),
    (b"* 13 RECENT\r\n", "imap-codec"),
    (b"* OK [UIDVALIDITY 1795727508] UIDs valid\r\n", "imap-codec"),
    (b"* OK [UIDNEXT 27] Predicted next UID\r\n", "imap-codec"),
    (b"* OK [UNSEEN 2] First unseen.\r\n", "imap-codec"),
    (b"* OK [HIGHESTMODSEQ 64] Highest\r\n", "extensions"),
    (b"* OK [CLOSED] Previous mailbox closed.\r\n", "extensions"),
    (b"A51 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\r\n", "imap-codec"),
    (
        b'* 5 FETCH (FLAGS (\\Seen $Forwarded) INTERNALDATE "26-Nov-2026 21:11:46 +0000" '
        b'RFC822.SIZE 658 ENVELOPE ("Tue, 14 Mar 2023 09:26:53 -0700" "Lunch on Thursday?" '
        b'(("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" '
        b'"example.org")) (("Alice Example" NIL "alice" "example.org")) (("Bob Example" NIL '
        b'"bob" "example.net")) NIL NIL NIL "<20230314162653.4F2A1C0D9@mail.example.org>"))\r\n',
        "imap-codec",
    ),
    (b"* 4 FETCH (" + ENVELOPE_WITH_LITERALS + b")\r\n", "imap-codec"),
    (
        b'* 2 FETCH (INTERNALDATE "26-Nov-2026 21:11:46 +0000" RFC822.SIZE 680 FLAGS '
        b"(\\Answered \\Seen $Forwarded) UID 6 MODSEQ (66) " + DIGEST_BODYSTRUCTURE + b")\r\n",
        "extensions",
    ),
    (b"* 6 FETCH (UID 14 MODSEQ (40) " + ENVELOPE_WITH_LITERALS + b")\r\n", "extensions"),
    (
        b'* 10 FETCH (BODY ((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 49 0)'
        b'(("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 59 0)("image" "gif" NIL '
        b'"<diagram@example.edu>" NIL "base64" 48) "related") "alternative")("text" "plain" '
        b'("charset" "us-ascii") NIL NIL "7bit" 50 3) "mixed"))\r\n',
        "imap-codec",
    ),
    (
        b"* 1 FETCH (RFC822.HEADER "
        + lit(b"From: Newsletter <news@shop.example.com>\r\n\r\n")
        + b")\r\n",
        "imap-codec",
    ),
    (
        b"* 1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] {86}\r\nFrom: Newsletter "
        b"<news@shop.example.com>\r\nSubject: Spring sale: 20% off everything\r\n\r\n)\r\n",
        "imap-codec",
    ),
    (b"* 10 FETCH (BODY[1]<0> {10}\r\n--lvl2\r\nCo)\r\n", "imap-codec"),
    (b"* 7 FETCH (BODY[1]<0> {0}\r\n)\r\n", "imap-codec"),
    (
        b"* 1 FETCH (BINARY[1] ~{85}\r\nSpring sale \xe2\x80\x93 20% off everything until "
        b"Sunday.\r\nVisit https://shop.example.com/sale BINARY.SIZE[1] 85)\r\n",
        "imap-codec",
    ),
    (b"* 7 FETCH (BINARY[1] {0}\r\n BINARY.SIZE[1] 0)\r\n", "imap-codec"),
    (
        b"* 1 FETCH (SNIPPET (FUZZY {84}\r\nSpring sale \xe2\x80\x93 20% off everything until "
        b"Sunday. Visit https://shop.example.com/sale))\r\n",
        "unknown-extension",
    ),
    (b'* 7 FETCH (SNIPPET (FUZZY ""))\r\n', "unknown-extension"),
    (b'* 6 FETCH (PREVIEW "Ana, see the notes below.")\r\n', "extensions"),
    (
        b"* 3 FETCH (PREVIEW "
        + lit(b"Gr\xc3\xbc\xc3\x9fe aus T\xc5\x8dky\xc5\x8d! \xce\x9a\xce\xb1\xce\xbb")
        + b")\r\n",
        "extensions",
    ),
    (b'* 1 FETCH (SAVEDATE "26-Nov-2026 21:12:41 +0000")\r\n', "extensions"),
    (
        b'* 1 FETCH (X-MAILBOX Work X-REAL-UID 4 X-SAVEDATE "26-Nov-2026 21:12:41 +0000" '
        b"X-GUID 1795727506.M217425P6807.vm,S=744,W=768)\r\n",
        "unknown-extension",
    ),
    (b"* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\r\n", "imap-codec"),
    (b"* SEARCH\r\n", "imap-codec"),
    (b"* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (MODSEQ 64)\r\n", "extensions"),
    (b'* ESEARCH (TAG "A71") MIN 1 MAX 22 ALL 1:22 COUNT 22\r\n', "rfc9051"),
    (b'* ESEARCH (TAG "A72")\r\n', "rfc9051"),
    (b'* ESEARCH (TAG "A73") UID ALL 2,6:26\r\n', "rfc9051"),
    (b'* ESEARCH (TAG "A74") MIN 1 MAX 22 ALL 1:22 COUNT 22 MODSEQ 64\r\n', "rfc9051"),
    (b'* ESEARCH (TAG "A124") REMOVEFROM (0 3)\r\n', "rfc9051"),
    (b'* ESEARCH (TAG "A124") ADDTO (0 26)\r\n', "rfc9051"),
    (b"* SORT 13 14 2 15 4 17 3 16 12 9 22 10 7 20 6 19 5 18 1 11 8 21\r\n", "imap-codec"),
    (b"* SORT 9 22 1 11 12 6 19 3 16 4 17 10 5 18 7 20 8 21 14 2 15 13 (MODSEQ 64)\r\n", None),
    (b"* THREAD ((9)(22))((1)(11))(12)((6)(19))((3)(16))(10)((2)(15))(13)\r\n", "imap-codec"),
    (b"* THREAD (9 22)(1 11)(12)(6 19)(3 16)(4 17)(10)(5 18)(7 20)(8 21)(14)(2 15)(13)\r\n", None),
    (b"* THREAD (5 (18)(31)(44))(1 (7)(20)(33))(8 (21)(34))\r\n", "imap-codec"),
    (b"* 1 FETCH (UID 2 MODSEQ (65) FLAGS (\\Answered \\Flagged \\Seen $Forwarded))\r\n", None),
    (b"* 2 FETCH (UID 6 MODSEQ (66))\r\n", "extensions"),
    (b"* 3 FETCH (FLAGS (\\Seen $Forwarded) MODSEQ (20))\r\n", "extensions"),
    (b"A82 OK [MODIFIED 1:2] Conditional store failed (0.001 + 0.000 secs).\r\n", "extensions"),
    (b"A85 OK [COPYUID 1795727506 2,6 12:13] Copy completed (0.013 secs).\r\n", "imap-codec"),
    (b"* OK [COPYUID 1795727506 8 15] Moved UIDs.\r\n", "imap-codec"),
    (b"* VANISHED 8\r\n", "extensions"),
    (b"* VANISHED (EARLIER) 1,3:5,7:8\r\n", "extensions"),
    (b"A87 OK [HIGHESTMODSEQ 68] Move completed (0.006 + 0.000 + 0.005 secs).\r\n", None),
    (b"A94 NO [BADCHARSET] Unknown charset (0.001 + 0.000 secs).\r\n", "imap-codec"),
    (
        b"A109 BAD Error in IMAP command APPEND: Invalid system flag \\RECENT (0.001 secs).\r\n",
        None,
    ),
    (b"x BAD Error in IMAP command: Invalid command name (0.000 + 0.000 secs).\r\n", None),
    (b"A110 NO [TRYCREATE] Mailbox doesn't exist: nonexistent (0.001 secs).\r\n", None),
    (b"* 7 EXPUNGE\r\n", "imap-codec"),
    (b"* 1 FETCH (FLAGS (\\Deleted \\Seen))\r\n", "imap-codec"),
    (b"* 10 FETCH (FLAGS (\\Recent) UID 10)\r\n", "imap-codec"),
    (b"+ idling\r\n", "imap-codec"),
    (b"* OK Still here\r\n", "imap-codec"),
    (b"* BYE Logging out\r\n", "imap-codec"),
    (b"+ \r\n", "imap-codec"),
    (b"a BAD Authentication aborted by client.\r\n", "imap-codec"),
    (b"* STATUS {5}\r\n\xc3\xa9t\xc3\xa9 (MESSAGES 0 UIDNEXT 1 HIGHESTMODSEQ 1)\r\n", None),
    (b'* LIST (\\UnMarked) "/" Renamed\r\n', "imap-codec"),
    (b"A131 OK [HIGHESTMODSEQ 49] NOOP completed (0.001 + 0.000 secs).\r\n", "extensions"),
    (b"A137 OK Begin compression (0.001 + 0.000 secs).\r\n", "imap-codec"),
]


def frame(data: bytes) -> Frame:
    reader = ResponseReader()
    reader.feed(data)
    frames = reader.frames()
    assert len(frames) == 1 and reader.pending() == 0, data
    return frames[0]


@pytest.mark.parametrize(("data", "source"), DOVECOT, ids=lambda v: repr(v)[:50])
def test_dovecot_response_is_grammatical(data: bytes, source: str | None) -> None:
    verdict = check_response(frame(data))
    assert verdict.ok, verdict.reason
    assert verdict.reason == ""
    if source is not None:
        assert verdict.source == source


def test_dovecot_greeting() -> None:
    greeting = (
        b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
        b"AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n"
    )
    verdict = check_greeting(frame(greeting))
    assert (verdict.ok, verdict.kind, verdict.source) == (True, "greeting", "imap-codec")


def test_kinds() -> None:
    assert check_response(frame(b"+ idling\r\n")).kind == "continuation"
    assert check_response(frame(b"* 3 EXISTS\r\n")).kind == "untagged"
    assert check_response(frame(b"A1 OK done\r\n")).kind == "tagged"


def test_validator_counts_the_deciding_judge() -> None:
    validator = Validator()
    for data, _ in DOVECOT[:10]:
        validator.check_response(frame(data))
    validator.check_response(frame(b"* 1 FETCH (FLAGS (\\Seen)\r\n"))
    assert sum(validator.counts.values()) == 11
    assert validator.counts["failed"] == 1
    assert validator.counts["imap-codec"] >= 5
