"""Example server responses from the RFC texts must be judged grammatical.

Copied verbatim (wrapped examples joined the way the protocol would send them). A few RFC
examples contradict their own ABNF; those are listed at the end and must fail.
"""

from __future__ import annotations

import pytest

from imapcheck.syntax import check_greeting, check_response
from imapcheck.wire.reader import Frame, ResponseReader

EXAMPLES = {
    "RFC 3501 §8": [
        b"* 18 EXISTS",
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        b"* 2 RECENT",
        b"* OK [UNSEEN 17] Message 17 is the first unseen message",
        b"* OK [UIDVALIDITY 3857529045] UIDs valid",
        b"a002 OK [READ-WRITE] SELECT completed",
        b'* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 '
        b'ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and '
        b'minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" '
        b'"cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL '
        b'"imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin"'
        b' NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT"'
        b' "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))',
        b"* 12 FETCH (BODY[HEADER] {27}\r\nSubject: IMAP4rev1 WG mtg\r\n)",
        b"* 12 FETCH (FLAGS (\\Seen \\Deleted))",
        b"* BYE IMAP4rev1 server terminating connection",
        b"a006 OK LOGOUT completed",
    ],
    "RFC 2087 QUOTA": [
        b'* QUOTA "" (STORAGE 10 512)',
        b'* QUOTAROOT INBOX ""',
        b"* QUOTAROOT comp.mail.mime",
    ],
    "RFC 2177 IDLE": [b"+ idling", b"* OK [UIDVALIDITY 1]", b"* FLAGS (Deleted Seen)"],
    "RFC 2221 LOGIN-REFERRALS": [
        b"A001 NO [REFERRAL IMAP://MIKE@SERVER2/] Specified user is invalid on this server.",
        b"A001 OK [REFERRAL IMAP://MATTHEW@SERVER2/] Specified user's personal mailboxes",
        b"* BYE [REFERRAL IMAP://user;AUTH=*@SERVER2/] Server not accepting connections.",
    ],
    "RFC 2342 NAMESPACE": [
        b'* NAMESPACE (("" "/")) NIL NIL',
        b'* NAMESPACE (("" "/")) (("~" "/")) NIL',
        b'* NAMESPACE (("" "/")) NIL (("Public Folders/" "/"))',
        b'* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL',
        b'* NAMESPACE (("" "/")("#mh/" "/" "X-PARAM" ("FLAG1" "FLAG2"))) NIL NIL',
    ],
    "RFC 2971 ID": [
        b'* ID ("name" "Cyrus" "version" "1.5" "os" "sunos" "os-version" "5.5" "support-url" '
        b'"mailto:cyrus-bugs+@andrew.cmu.edu")',
        b"* ID NIL",
    ],
    "RFC 3348 CHILDREN": [
        b'* LIST (\\HasChildren) "/" ITEM_1',
        b'* LIST (\\HasNoChildren) "/" ITEM_1/ITEM_1A',
    ],
    "RFC 3516 BINARY": [
        b"* 1 FETCH (BINARY[1] ~{4}\r\nab\x00d)",
        b"* 1 FETCH (BINARY.SIZE[2.1] 1234)",
        b"a NO [UNKNOWN-CTE] Can't decode this",
    ],
    "RFC 4314 ACL": [
        b"* ACL INBOX Fred rwipsldexta",
        b"* ACL INBOX Fred rwipslxcetda Byron lrswikcdeta",
        b"* ACL INBOX -Fred wetd $team w",
        b"* LISTRIGHTS ~/Mail/saved smith la r swicdkxte",
        b"* MYRIGHTS INBOX rwiptsldaex",
    ],
    "RFC 4315 UIDPLUS": [
        b"A003 OK [APPENDUID 38505 3955] APPEND completed",
        b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done",
        b"* NO [UIDNOTSTICKY] Non-persistent UIDs",
    ],
    "RFC 4731 ESEARCH": [
        b'* ESEARCH (TAG "A282") MIN 2 COUNT 3',
        b'* ESEARCH (TAG "A283") ALL 2,10:11',
        b'* ESEARCH (TAG "A285") UID MIN 7 MAX 3800',
        b'* ESEARCH (TAG "a1") MIN 2 MODSEQ 917162488',
        b'* ESEARCH (TAG "a4") MIN 2 COUNT 10 MODSEQ 917162500',
    ],
    "RFC 4978 COMPRESS": [
        b"* OK [CAPABILITY IMAP4REV1 STARTTLS COMPRESS=DEFLATE]",
        b"c NO [COMPRESSIONACTIVE] DEFLATE active via TLS",
    ],
    "RFC 5161 ENABLE": [b"* ENABLED CONDSTORE", b"* ENABLED X-GOOD-IDEA"],
    "RFC 5256 SORT/THREAD": [
        b"* SORT 2 84 882",
        b"* SORT",
        b"* THREAD (2)(3 6 (4 23)(44 7 96))",
        b"* THREAD ((3)(5))",
        b"* THREAD (166)(167)(168)(169)(172)((170)(179))",
        b"* THREAD",
    ],
    "RFC 5258 LIST-EXTENDED": [
        b'* LIST () "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))',
        b'* LIST (\\Marked \\NoInferiors \\Subscribed) "/" "inbox"',
        b'* LIST (\\NonExistent \\Subscribed) "/" "Fruit/Peach"',
    ],
    "RFC 5267 CONTEXT": [
        b'* ESEARCH (TAG "B01") UID ADDTO (0 32768:32769)',
        b'* ESEARCH (TAG "B01") UID REMOVEFROM (0 32768)',
        b'* ESEARCH (TAG "C01") UID ADDTO (1 2733 1 2732 1 2731)',
        b'* ESEARCH (TAG "A04") UID PARTIAL (24000:24500 NIL)',
        b'* OK [NOUPDATE "B02"] Too many contexts',
    ],
    "RFC 5464 METADATA": [
        b'* METADATA "" (/shared/comment "Shared comment")',
        b'* METADATA "INBOX" (/private/comment "My own comment")',
        b'* METADATA "INBOX" /shared/comment /private/comment',
        b"a NO [METADATA TOOMANY] SETMETADATA failed",
        b"a OK [METADATA LONGENTRIES 2199] GETMETADATA complete",
    ],
    "RFC 5465 NOTIFY": [
        b'* LIST () "/" "NewMailbox" ("OLDNAME" ("OldMailbox"))',
        b'* LIST (\\NonExistent) "." "INBOX.DeletedMailbox"',
        b"* STATUS Lists/Im2000 (UIDVALIDITY 901 UIDNEXT 1 MESSAGES 0)",
        b"* OK [NOTIFICATIONOVERFLOW] ...A comment can go here...",
        b"a NO [BADEVENT (MessageNew MessageExpunge FlagChange)] Unsupported",
    ],
    "RFC 5530 response codes": [
        b"a NO [UNAVAILABLE] User's backend down for maintenance",
        b"b NO [AUTHENTICATIONFAILED] Authentication failed",
        b"c1 NO [AUTHORIZATIONFAILED] No such authorization-ID",
        b"e OK [CONTACTADMIN]",
        b"h OK [EXPUNGEISSUED] Search completed",
        b"j NO [SERVERBUG] This should not happen",
        b"m NO [ALREADYEXISTS] Mailbox already exists",
    ],
    "RFC 5819 LIST-STATUS": [
        b'* LIST () "." "foo" (CHILDINFO ("SUBSCRIBED"))',
        b'* STATUS "INBOX" (MESSAGES 17 UNSEEN 16)',
    ],
    "RFC 6154 SPECIAL-USE": [
        b'* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
        b'* LIST (\\Sent \\HasNoChildren) "/" "Sent Mail"',
        b"t3 NO [USEATTR] \\All not supported",
    ],
    "RFC 7162 CONDSTORE/QRESYNC": [
        b"* OK [HIGHESTMODSEQ 715194045007] Highest",
        b"* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
        b"* 1 FETCH (UID 4 MODSEQ (12121231000))",
        b"* 101 FETCH (MODSEQ (303011130956) FLAGS ($Processed))",
        b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)",
        b"* SORT 2 84 882 (MODSEQ 917162500)",
        b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 7 HIGHESTMODSEQ 7011231777)",
        b"d105 OK [MODIFIED 7,9] Conditional STORE failed",
        b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540",
        b"* VANISHED 405,407,410,425",
        b"* OK [CLOSED]",
    ],
    "RFC 7888 LITERAL-": [b"A001 BAD [TOOBIG] Literal too large"],
}
GREETINGS = [
    b"* OK IMAP4rev1 Service Ready",
    b"* PREAUTH IMAP4rev1 server logged in as Smith",
    b"* BYE Autologout; idle for too long",
    b"* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=PLAIN] IMAP4rev2 Service Ready",
]
# RFC examples that contradict the RFC's own ABNF
ERRATA = [
    (b'* NAMESPACE (("INBOX." ".")) NIL  NIL', "RFC 2342: two spaces"),
    (b"* EXISTS 93", 'RFC 5465 §7: EXISTS before its number ("* 93 EXISTS")'),
    (b'* ESEARCH (TAG "a00") (COUNT 17)', "RFC 5465 §7: return data in parentheses"),
    (b'* LIST () "."  "INBOX"', "RFC 5819 §5: two spaces"),
    (b'* LIST () "" INBOX', "RFC 2683 §3.4.2: empty hierarchy delimiter"),
    (b"a107 OK", "RFC 4551 §3.6: OK without SP and text"),
]


def frame(line: bytes) -> Frame:
    reader = ResponseReader()
    reader.feed(line + b"\r\n")
    (single,) = reader.frames()
    return single


CASES = [(rfc, line) for rfc, lines in EXAMPLES.items() for line in lines]


@pytest.mark.parametrize(("rfc", "line"), CASES, ids=[f"{r}: {x[:40]!r}" for r, x in CASES])
def test_rfc_example_is_grammatical(rfc: str, line: bytes) -> None:
    verdict = check_response(frame(line))
    assert verdict.ok, f"{rfc}: {verdict.reason}"


@pytest.mark.parametrize("line", GREETINGS)
def test_rfc_greeting_is_grammatical(line: bytes) -> None:
    verdict = check_greeting(frame(line))
    assert verdict.ok and verdict.kind == "greeting", verdict.reason


@pytest.mark.parametrize(("line", "erratum"), ERRATA)
def test_rfc_example_errata_fail(line: bytes, erratum: str) -> None:
    verdict = check_response(frame(line))
    assert not verdict.ok, erratum
    assert "RFC" in verdict.reason
