"""Where each construct is defined, so that every failure names its rule and RFC section."""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# untagged keyword -> (RFC section, ABNF of the construct)
UNTAGGED = {
    "OK": ("RFC 3501 §7.1.1 / §9", 'resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text'),
    "NO": ("RFC 3501 §7.1.2 / §9", 'resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text'),
    "BAD": ("RFC 3501 §7.1.3 / §9", 'resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text'),
    "BYE": ("RFC 3501 §7.1.5 / §9", 'resp-cond-bye = "BYE" SP resp-text'),
    "PREAUTH": ("RFC 3501 §7.1.4", "PREAUTH is only valid as the greeting"),
    "CAPABILITY": (
        "RFC 3501 §7.2.1 / §9",
        'capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev1" *(SP capability)',
    ),
    "LIST": (
        "RFC 3501 §7.2.2 / §9, RFC 5258 §6",
        'mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP '
        "mailbox [SP mbox-list-extended]",
    ),
    "LSUB": ("RFC 3501 §7.2.3 / §9", '"LSUB" SP mailbox-list'),
    "STATUS": (
        "RFC 3501 §7.2.4 / §9, RFC 7162 §7",
        '"STATUS" SP mailbox SP "(" [status-att-list] ")"',
    ),
    "SEARCH": (
        "RFC 3501 §7.2.5 / §9, RFC 7162 §7",
        '"SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]',
    ),
    "FLAGS": ("RFC 3501 §7.2.6 / §9", '"FLAGS" SP flag-list'),
    "EXISTS": ("RFC 3501 §7.3.1 / §9", 'number SP "EXISTS"'),
    "RECENT": ("RFC 3501 §7.3.2 / §9", 'number SP "RECENT"'),
    "EXPUNGE": ("RFC 3501 §7.4.1 / §9", 'message-data = nz-number SP "EXPUNGE"'),
    "FETCH": ("RFC 3501 §7.4.2 / §9", 'message-data = nz-number SP "FETCH" SP msg-att'),
    "ESEARCH": (
        "RFC 4731 §4 / RFC 4466 §3",
        'esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)',
    ),
    "NAMESPACE": ("RFC 2342 §6", '"NAMESPACE" SP Namespace SP Namespace SP Namespace'),
    "ENABLED": ("RFC 5161 §4", 'enable-data = "ENABLED" *(SP capability)'),
    "ID": ("RFC 2971 §4", 'id_response ::= "ID" SPACE id_params_list'),
    "QUOTA": ("RFC 2087 §6 / RFC 9208", '"QUOTA" SP astring SP quota_list'),
    "QUOTAROOT": ("RFC 2087 §6 / RFC 9208", '"QUOTAROOT" SP astring *(SP astring)'),
    "SORT": ("RFC 5256 §5, RFC 7162 §7", 'sort-data = "SORT" *(SP nz-number)'),
    "THREAD": ("RFC 5256 §5", 'thread-data = "THREAD" [SP 1*thread-list]'),
    "VANISHED": (
        "RFC 7162 §7",
        'expunged-resp = "VANISHED" [SP "(EARLIER)"] SP known-uids',
    ),
    "METADATA": ("RFC 5464 §4.4 / §5", 'metadata-resp = "METADATA" SP mailbox SP ...'),
    "ACL": ("RFC 4314 §3.6 / §7", 'acl-data = "ACL" SP mailbox *(SP identifier SP rights)'),
    "LISTRIGHTS": (
        "RFC 4314 §3.7 / §7",
        'listrights-data = "LISTRIGHTS" SP mailbox SP identifier SP rights *(SP rights)',
    ),
    "MYRIGHTS": ("RFC 4314 §3.8 / §7", 'myrights-data = "MYRIGHTS" SP mailbox SP rights'),
}
NUMBERED = frozenset({"EXISTS", "RECENT", "EXPUNGE", "FETCH"})
# keywords RFC 9051's grammar does not know: the RFC 9051 pass is skipped for them
NOT_IN_RFC9051 = frozenset(
    {"LSUB", "RECENT", "ID", "QUOTA", "QUOTAROOT", "SORT", "THREAD", "VANISHED", "METADATA"}
    | {"ACL", "LISTRIGHTS", "MYRIGHTS"}
)

TAGGED = ("RFC 3501 §7.1 / §9", "response-tagged = tag SP resp-cond-state CRLF")
CONTINUATION = ("RFC 3501 §7.5 / §9", 'continue-req = "+" SP (resp-text / base64) CRLF')
GREETING = ("RFC 3501 §7.1 / §9", 'greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF')

# response code -> (RFC section, form); a form of "" means the code takes no arguments
CODES = {
    "ALERT": ("RFC 3501 §7.1", ""),
    "BADCHARSET": ("RFC 3501 §7.1", '"BADCHARSET" [SP "(" astring *(SP astring) ")"]'),
    "CAPABILITY": ("RFC 3501 §7.1", "capability-data (must list IMAP4rev1)"),
    "PARSE": ("RFC 3501 §7.1", ""),
    "PERMANENTFLAGS": ("RFC 3501 §7.1", '"PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")"'),
    "READ-ONLY": ("RFC 3501 §7.1", ""),
    "READ-WRITE": ("RFC 3501 §7.1", ""),
    "TRYCREATE": ("RFC 3501 §7.1", ""),
    "UIDNEXT": ("RFC 3501 §7.1", '"UIDNEXT" SP nz-number'),
    "UIDVALIDITY": ("RFC 3501 §7.1", '"UIDVALIDITY" SP nz-number'),
    "UNSEEN": ("RFC 3501 §7.1", '"UNSEEN" SP nz-number'),
    "APPENDUID": ("RFC 4315 §3 / §4", '"APPENDUID" SP nz-number SP append-uid'),
    "COPYUID": ("RFC 4315 §3 / §4", '"COPYUID" SP nz-number SP uid-set SP uid-set'),
    "UIDNOTSTICKY": ("RFC 4315 §3", ""),
    "CLOSED": ("RFC 7162 §7 / RFC 9051 §7.1", ""),
    "NOTSAVED": ("RFC 9051 §7.1", ""),
    "HASCHILDREN": ("RFC 9051 §7.1", ""),
    "UNKNOWN-CTE": ("RFC 3516 §4.3 / §7", ""),
    "HIGHESTMODSEQ": ("RFC 7162 §7", '"HIGHESTMODSEQ" SP mod-sequence-value'),
    "NOMODSEQ": ("RFC 7162 §7", ""),
    "MODIFIED": ("RFC 7162 §7", '"MODIFIED" SP sequence-set'),
    "METADATA": (
        "RFC 5464 §4.2 / §4.3 / §5",
        '"METADATA" SP ("LONGENTRIES" SP number / "MAXSIZE" SP number / "TOOMANY" / "NOPRIVATE")',
    ),
    "NOTIFICATIONOVERFLOW": ("RFC 5465 §5.8 / §8", ""),
    "BADEVENT": ("RFC 5465 §8", '"BADEVENT" SP "(" event-name *(SP event-name) ")"'),
    "REFERRAL": ("RFC 2221 §5 / RFC 2193 §6", '"REFERRAL" 1*(SP <url>)'),
    "COMPRESSIONACTIVE": ("RFC 4978 §5", ""),
    "TOOBIG": ("RFC 4469 §4.2 / §5, RFC 7888", ""),
    "USEATTR": ("RFC 6154", ""),
    "NOUPDATE": ("RFC 5267 §4.3.1 / §5", '"NOUPDATE" SP quoted'),
    "MAILBOXID": ("RFC 8474", '"MAILBOXID" SP "(" objectid ")"'),
}
for _name in _names(
    "UNAVAILABLE AUTHENTICATIONFAILED AUTHORIZATIONFAILED EXPIRED PRIVACYREQUIRED CONTACTADMIN "
    "NOPERM INUSE EXPUNGEISSUED CORRUPTION SERVERBUG CLIENTBUG CANNOT LIMIT OVERQUOTA "
    "ALREADYEXISTS NONEXISTENT"
):
    CODES[_name] = ("RFC 5530 §3 / §4", "")

# the codes RFC 9051 §9 resp-text-code lists by name
RFC9051_CODES = _names(
    "ALERT BADCHARSET CAPABILITY PARSE PERMANENTFLAGS READ-ONLY READ-WRITE TRYCREATE UIDNEXT "
    "UIDVALIDITY APPENDUID COPYUID UIDNOTSTICKY UNAVAILABLE AUTHENTICATIONFAILED "
    "AUTHORIZATIONFAILED EXPIRED PRIVACYREQUIRED CONTACTADMIN NOPERM INUSE EXPUNGEISSUED "
    "CORRUPTION SERVERBUG CLIENTBUG CANNOT LIMIT OVERQUOTA ALREADYEXISTS NONEXISTENT NOTSAVED "
    "HASCHILDREN CLOSED UNKNOWN-CTE"
)

# FETCH item -> (RFC section, ABNF)
FETCH_ITEMS = {
    "ENVELOPE": ("RFC 3501 §7.4.2 / §9", '"ENVELOPE" SP envelope'),
    "FLAGS": ("RFC 3501 §7.4.2 / §9", '"FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"'),
    "INTERNALDATE": ("RFC 3501 §7.4.2 / §9", '"INTERNALDATE" SP date-time'),
    "RFC822": ("RFC 3501 §7.4.2 / §9", '"RFC822" [".HEADER" / ".TEXT"] SP nstring'),
    "RFC822.HEADER": ("RFC 3501 §7.4.2 / §9", '"RFC822.HEADER" SP nstring'),
    "RFC822.TEXT": ("RFC 3501 §7.4.2 / §9", '"RFC822.TEXT" SP nstring'),
    "RFC822.SIZE": ("RFC 3501 §7.4.2 / §9", '"RFC822.SIZE" SP number'),
    "BODY": ("RFC 3501 §7.4.2 / §9", '"BODY" SP body / "BODY" section ["<" number ">"] SP nstring'),
    "BODYSTRUCTURE": ("RFC 3501 §7.4.2 / §9", '"BODYSTRUCTURE" SP body'),
    "UID": ("RFC 3501 §7.4.2 / §9", '"UID" SP uniqueid'),
    "BINARY": ("RFC 3516 §4.3 / §7", '"BINARY" section-binary SP (nstring / literal8)'),
    "BINARY.SIZE": ("RFC 3516 §4.3 / §7", '"BINARY.SIZE" section-binary SP number'),
    "MODSEQ": ("RFC 7162 §7", 'fetch-mod-resp = "MODSEQ" SP "(" permsg-modsequence ")"'),
    "SAVEDATE": ("RFC 8514", '"SAVEDATE" SP (date-time / nil)'),
    "EMAILID": ("RFC 8474", '"EMAILID" SP "(" objectid ")"'),
    "THREADID": ("RFC 8474", '"THREADID" SP ("(" objectid ")" / nil)'),
    "PREVIEW": ("RFC 8970", '"PREVIEW" SP nstring'),
}
CORE_FETCH = _names(
    "ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE BODY "
    "BODYSTRUCTURE UID BINARY BINARY.SIZE"
)
