"""ABNF, as the RFCs write it, for what IMAP4rev1 servers send beyond RFC 9051's grammar.

Each block is the RFC's own formal syntax (RFC 5234 ABNF, one rule per string), adapted only
where noted. :mod:`imapcheck.syntax.grammar` loads these on top of the ``abnf`` package's RFC
9051 rules: a rule defined here replaces RFC 9051's rule of the same name, every other name is
imported from RFC 9051 unchanged.

Extension response codes are "incorporated before the expansion rule of atom [SP 1*<any
TEXT-CHAR except "]">]" (RFC 4315 §4): a known name with malformed arguments is an error, not
an unknown extension. The generic alternatives below therefore exclude the known names (see
``EXCLUSIONS``); RFC 3501 §7.1 has clients ignore only the codes they do not recognize.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


# RFC 3501 §9 where it differs from RFC 9051 (IMAP4rev1 responses IMAP4rev2 dropped)
RFC3501 = [
    'capability-data = "CAPABILITY" *(SP capability) SP imap-version *(SP capability)',
    'imap-version = "IMAP4rev1" / "IMAP4rev2"',
    'mailbox-data = "FLAGS" SP flag-list / "LIST" SP mailbox-list / "LSUB" SP mailbox-list'
    ' / esearch-response / "STATUS" SP mailbox SP "(" [status-att-list] ")"'
    ' / number SP "EXISTS" / number SP "RECENT" / namespace-response / search-data'
    " / sort-data / thread-data / quota-response / quotaroot-response / id-response"
    " / metadata-resp / acl-data / listrights-data / myrights-data",
    # RFC 3501: "SEARCH" *(SP nz-number); RFC 7162 §7 adds the MODSEQ suffix
    'search-data = "SEARCH" *(SP nz-number) / "SEARCH" 1*(SP nz-number) SP search-sort-mod-seq',
    'message-data = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att)) / expunged-resp',
    'msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")" / fetch-mod-resp',
    # RFC 9051's msg-att-static plus RFC 3501's RFC822 items, and the origin octet that
    # RFC 3516 §4.3 allows on BINARY (its ABNF omits it, its text does not)
    'msg-att-static = "ENVELOPE" SP envelope / "INTERNALDATE" SP date-time'
    ' / "RFC822" [".HEADER" / ".TEXT"] SP nstring / "RFC822.SIZE" SP number64'
    ' / "BODY" ["STRUCTURE"] SP body / "BODY" section ["<" number ">"] SP nstring'
    ' / "BINARY" section-binary ["<" number ">"] SP (nstring / literal8)'
    ' / "BINARY.SIZE" section-binary SP number / "UID" SP uniqueid / msg-att-ext',
    'status-att-val = "MESSAGES" SP number / "RECENT" SP number / "UIDNEXT" SP nz-number'
    ' / "UIDVALIDITY" SP nz-number / "UNSEEN" SP number / "DELETED" SP number'
    ' / "SIZE" SP number64 / "HIGHESTMODSEQ" SP mod-sequence-valzer'
    ' / "DELETED-STORAGE" SP number64 / "APPENDLIMIT" SP (number / nil)'
    ' / "MAILBOXID" SP "(" objectid ")"',
]

# every response code a server may send, each as its RFC writes it (RFC 3501 §7.1, RFC 9051
# §7.1, RFC 4315 §4, RFC 5530 §4, RFC 7162 §7, RFC 5464 §5, RFC 5465 §8, RFC 2221 §5,
# RFC 2193 §6, RFC 4978 §5, RFC 4469 §5 / RFC 7888, RFC 6154, RFC 5267 §5, RFC 3516 §7,
# RFC 8474)
RESP_CODES = [
    'resp-text-code = "ALERT" / "BADCHARSET" [SP "(" astring *(SP astring) ")"]'
    ' / capability-data / "PARSE" / "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")"'
    ' / "READ-ONLY" / "READ-WRITE" / "TRYCREATE" / "UIDNEXT" SP nz-number'
    ' / "UIDVALIDITY" SP nz-number / "UNSEEN" SP nz-number'
    ' / resp-code-apnd / resp-code-copy / "UIDNOTSTICKY" / rfc5530-code'
    ' / "CLOSED" / "NOTSAVED" / "HASCHILDREN" / "UNKNOWN-CTE"'
    ' / "HIGHESTMODSEQ" SP mod-sequence-value / "NOMODSEQ" / "MODIFIED" SP sequence-set'
    ' / "METADATA" SP ("LONGENTRIES" SP number / "MAXSIZE" SP number / "TOOMANY"'
    ' / "NOPRIVATE") / "NOTIFICATIONOVERFLOW" / unsupported-events-code'
    ' / "REFERRAL" 1*(SP imap-url) / "COMPRESSIONACTIVE" / "TOOBIG" / "USEATTR"'
    ' / "NOUPDATE" SP quoted / "MAILBOXID" SP "(" objectid ")" / resp-code-ext',
    'rfc5530-code = "UNAVAILABLE" / "AUTHENTICATIONFAILED" / "AUTHORIZATIONFAILED"'
    ' / "EXPIRED" / "PRIVACYREQUIRED" / "CONTACTADMIN" / "NOPERM" / "INUSE"'
    ' / "EXPUNGEISSUED" / "CORRUPTION" / "SERVERBUG" / "CLIENTBUG" / "CANNOT" / "LIMIT"'
    ' / "OVERQUOTA" / "ALREADYEXISTS" / "NONEXISTENT"',
    # RFC 3501 §9: atom [SP 1*<any TEXT-CHAR except "]">], for names not listed above
    "resp-code-ext = resp-code-ext-name [SP 1*RESP-TEXT-CODE-CHAR]",
    "resp-code-ext-name = atom",
    # RFC 4315 §4, with its MULTIAPPEND form of append-uid
    'resp-code-apnd = "APPENDUID" SP nz-number SP append-uid',
    "append-uid = uid-set",
    'resp-code-copy = "COPYUID" SP nz-number SP uid-set SP uid-set',
    # RFC 4315 writes uid-set = (uniqueid / uid-range) *("," uid-set): same language, but
    # ambiguous, which a backtracking parser pays for on every list
    'uid-set = (uniqueid / uid-range) *("," (uniqueid / uid-range))',
    'uid-range = uniqueid ":" uniqueid',
    # RFC 5465 §8 (event-name, widened to atom: a server reports events it does not know)
    'unsupported-events-code = "BADEVENT" SP "(" atom *(SP atom) ")"',
    # RFC 2221 §5 "REFERRAL" SP <imapurl>; RFC 2193 §6 allows several URLs. Only the URL's
    # outline is checked, not RFC 5092's grammar
    'imap-url = "imap://" 1*url-char',
    "url-char = %x21-5C / %x5E-7E",  # any CHAR but SP, CTL and "]"
    # RFC 8474
    'objectid = 1*255(ALPHA / DIGIT / "_" / "-")',
]

# names the generic alternatives must not swallow
KNOWN_CODE_NAMES = _words(
    "ALERT BADCHARSET CAPABILITY PARSE PERMANENTFLAGS READ-ONLY READ-WRITE TRYCREATE UIDNEXT "
    "UIDVALIDITY UNSEEN APPENDUID COPYUID UIDNOTSTICKY UNAVAILABLE AUTHENTICATIONFAILED "
    "AUTHORIZATIONFAILED EXPIRED PRIVACYREQUIRED CONTACTADMIN NOPERM INUSE EXPUNGEISSUED "
    "CORRUPTION SERVERBUG CLIENTBUG CANNOT LIMIT OVERQUOTA ALREADYEXISTS NONEXISTENT CLOSED "
    "NOTSAVED HASCHILDREN UNKNOWN-CTE HIGHESTMODSEQ NOMODSEQ MODIFIED METADATA "
    "NOTIFICATIONOVERFLOW BADEVENT REFERRAL COMPRESSIONACTIVE TOOBIG USEATTR NOUPDATE "
    "MAILBOXID"
)

# RFC 7162 §7 (CONDSTORE / QRESYNC)
RFC7162 = [
    'fetch-mod-resp = "MODSEQ" SP "(" permsg-modsequence ")"',
    "permsg-modsequence = mod-sequence-value",
    "mod-sequence-value = 1*DIGIT",
    "mod-sequence-valzer = 1*DIGIT",
    'search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")"',
    'expunged-resp = "VANISHED" [SP "(EARLIER)"] SP known-uids',
    # sequence-set without "*", which RFC 7162 excludes in prose
    "known-uids = uid-set",
]

# FETCH items from later RFCs: RFC 8514 SAVEDATE, RFC 8474 EMAILID/THREADID, RFC 8970 PREVIEW
FETCH_EXT = [
    'msg-att-ext = "SAVEDATE" SP (date-time / nil) / "EMAILID" SP "(" objectid ")"'
    ' / "THREADID" SP ("(" objectid ")" / nil) / "PREVIEW" SP nstring',
    "fetch-ext-att = fetch-mod-resp / msg-att-ext",
]

# RFC 4731 §4 and RFC 4466 §3 ESEARCH data, with RFC 7162 §7 MODSEQ and RFC 5267 §5 contexts
ESEARCH = [
    'search-return-data = "MIN" SP nz-number / "MAX" SP nz-number / "ALL" SP sequence-set'
    ' / "COUNT" SP number / "MODSEQ" SP mod-sequence-value / ret-data-addto'
    " / ret-data-removefrom / ret-data-partial / search-ret-data-other",
    "search-ret-data-other = search-ret-other-name SP search-return-value",
    "search-ret-other-name = tagged-ext-label",
    'ret-data-addto = "ADDTO" SP "(" context-position SP sequence-set'
    ' *(SP context-position SP sequence-set) ")"',
    'ret-data-removefrom = "REMOVEFROM" SP "(" context-position SP sequence-set'
    ' *(SP context-position SP sequence-set) ")"',
    'ret-data-partial = "PARTIAL" SP "(" partial-range-5267 SP partial-results ")"',
    'partial-range-5267 = nz-number ":" nz-number',
    'partial-results = sequence-set / "NIL"',
    "context-position = number",
]
KNOWN_SEARCH_RETURN = ["MIN", "MAX", "ALL", "COUNT", "MODSEQ", "ADDTO", "REMOVEFROM", "PARTIAL"]

# untagged data of other extensions
OTHER = [
    # RFC 2971 §4 (its "#" list is written out)
    'id-response = "ID" SP id-params-list',
    'id-params-list = "(" [string SP nstring *(SP string SP nstring)] ")" / nil',
    # RFC 2087 §6 (its "#" list may be empty), with RFC 9208's 63-bit values
    'quota-response = "QUOTA" SP astring SP quota-list',
    'quota-list = "(" [quota-resource *(SP quota-resource)] ")"',
    "quota-resource = atom SP number64 SP number64",
    'quotaroot-response = "QUOTAROOT" SP mailbox *(SP astring)',
    # RFC 5256 §5, with RFC 7162 §7's MODSEQ suffix on SORT
    'sort-data = "SORT" *(SP nz-number) / "SORT" 1*(SP nz-number) SP search-sort-mod-seq',
    'thread-data = "THREAD" [SP 1*thread-list]',
    'thread-list = "(" (thread-members / thread-nested) ")"',
    "thread-members = nz-number *(SP nz-number) [SP thread-nested]",
    "thread-nested = 2*thread-list",
    # RFC 5464 §5
    'metadata-resp = "METADATA" SP mailbox SP (entry-values / entry-list)',
    'entry-values = "(" entry-value *(SP entry-value) ")"',
    "entry-value = entry SP value",
    "entry-list = entry *(SP entry)",
    "entry = astring",
    "value = nstring / literal8",
    # RFC 4314 §7
    'acl-data = "ACL" SP mailbox *(SP identifier SP rights)',
    'listrights-data = "LISTRIGHTS" SP mailbox SP identifier SP rights *(SP rights)',
    'myrights-data = "MYRIGHTS" SP mailbox SP rights',
    "identifier = astring",
    "rights = astring",
]

# (generic rule, rule listing the names it must not match, the names)
EXCLUSIONS = [
    ("resp-code-ext-name", "known-code-name", KNOWN_CODE_NAMES),
    ("search-ret-other-name", "known-search-return-name", KNOWN_SEARCH_RETURN),
]

GRAMMAR = RFC3501 + RESP_CODES + RFC7162 + FETCH_EXT + ESEARCH + OTHER
