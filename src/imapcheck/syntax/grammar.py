"""RFC 9051's ABNF (from the ``abnf`` package) extended with what IMAP4rev1 servers also send.

The ``abnf`` package ships IMAP4rev2's grammar. An IMAP4rev1 server legitimately sends things
IMAP4rev2 dropped or never had (LSUB, RECENT, CAPABILITY without IMAP4rev2) and extension data
(CONDSTORE/QRESYNC, ID, QUOTA, SORT/THREAD, METADATA, ...). Those rules are added here, written
from the RFCs' own ABNF, so one grammar decides everything imap-codec does not know.
"""

from __future__ import annotations

from typing import ClassVar

from abnf.grammars import rfc3629, rfc9051
from abnf.grammars.misc import load_grammar_rules
from abnf.parser import Rule as _Rule

# rule name -> replacement definition (the right-hand side)
_REPLACED = {
    # RFC 3501 §9: CAPABILITY need not list IMAP4rev2
    "capability-data": '"CAPABILITY" *(SP capability)',
    # RFC 3501 §9 + RFC 7162 §7 (MODSEQ) + RFC 4466 extension data
    "msg-att-dynamic": '"FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")" / '
    '"MODSEQ" SP "(" mod-sequence-value ")" / '
    # RFC 8970 PREVIEW, RFC 8514 SAVEDATE, RFC 8474 OBJECTID
    '"PREVIEW" SP nstring / "SNIPPET" SP "(" astring SP nstring ")" / '
    '"SAVEDATE" SP (date-time / nil) / "EMAILID" SP "(" objectid ")" / '
    '"THREADID" SP ("(" objectid ")" / nil)',
    # RFC 3501 §9 mailbox-data, plus LSUB, RFC 7162 STATUS items, RFC 5256, RFC 2087 ...
    "mailbox-data": '"FLAGS" SP flag-list / "LIST" SP mailbox-list / '
    '"LSUB" SP mailbox-list / esearch-response / '
    '"STATUS" SP mailbox SP "(" [status-att-list] ")" / number SP "EXISTS" / '
    'number SP "RECENT" / namespace-response / search-response-ext / sort-data / '
    "thread-data / quota-response / quotaroot-response / id-response / "
    "metadata-resp / vanished-response",
    "status-att-val": '("MESSAGES" SP number) / ("UIDNEXT" SP nz-number) / '
    '("UIDVALIDITY" SP nz-number) / ("UNSEEN" SP number) / ("DELETED" SP number) / '
    '("SIZE" SP number64) / ("RECENT" SP number) / '
    '("HIGHESTMODSEQ" SP mod-sequence-valzer) / ("DELETED-STORAGE" SP number64) / '
    '("APPENDLIMIT" SP (number64 / nil)) / ("MAILBOXID" SP "(" objectid ")")',
}

_ADDED = [
    # RFC 7162 §7
    "mod-sequence-value = 1*DIGIT",
    "mod-sequence-valzer = 1*DIGIT",
    'search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")"',
    'vanished-response = "VANISHED" [SP "(EARLIER)"] SP known-uids',
    "known-uids = sequence-set",
    # RFC 3501 §9 SEARCH, with RFC 7162's MODSEQ suffix
    'search-response-ext = "SEARCH" *(SP nz-number) [SP search-sort-mod-seq]',
    # RFC 5256 §5
    'sort-data = "SORT" *(SP nz-number) [SP search-sort-mod-seq]',
    'thread-data = "THREAD" [SP 1*thread-list]',
    'thread-list = "(" (thread-members / thread-nested) ")"',
    "thread-members = nz-number *(SP nz-number) [SP thread-nested]",
    "thread-nested = 2*thread-list",
    # RFC 2087 / RFC 9208
    'quota-response = "QUOTA" SP astring SP quota-list',
    'quota-list = "(" [quota-resource *(SP quota-resource)] ")"',
    "quota-resource = atom SP number64 SP number64",
    'quotaroot-response = "QUOTAROOT" SP mailbox *(SP astring)',
    # RFC 2971 §4
    'id-response = "ID" SP id-params-list',
    'id-params-list = "(" [string SP nstring *(SP string SP nstring)] ")" / nil',
    # RFC 5464 §5
    'metadata-resp = "METADATA" SP mailbox SP (entry-values / entry-list)',
    'entry-values = "(" entry-value *(SP entry-value) ")"',
    "entry-value = entry SP value",
    "entry-list = entry *(SP entry)",
    "entry = astring",
    "value = nstring / literal8",
    # RFC 8474 §7
    'objectid = 1*255(ALPHA / DIGIT / "_" / "-")',
]


def _patched_grammar() -> list[str]:
    rules = []
    for line in rfc9051.Rule.grammar:
        name = line.split("=", 1)[0].strip()
        rules.append(f"{name} = {_REPLACED[name]}" if name in _REPLACED else line)
    return rules + _ADDED


@load_grammar_rules(
    [
        ("UTF8-char", rfc3629.Rule("UTF8-char")),
        ("UTF8-2", rfc3629.Rule("UTF8-2")),
        ("UTF8-3", rfc3629.Rule("UTF8-3")),
        ("UTF8-4", rfc3629.Rule("UTF8-4")),
    ]
)
class ExtendedRule(_Rule):
    """IMAP4rev2 rules plus IMAP4rev1 and extension responses."""

    grammar: ClassVar[list[str] | str] = _patched_grammar()
