"""The client side of the grammar: RFC 9051's commands plus IMAP4rev1's and extensions'.

:mod:`imapcheck.syntax.grammar` extends RFC 9051's ABNF with what servers send. Commands need
the same treatment: an IMAP4rev1 server also takes CHECK, LSUB, RFC822.* and NEW/OLD/RECENT,
and the extensions a server advertises add ID, QUOTA, SORT/THREAD, CONDSTORE modifiers,
MULTIAPPEND and COMPRESS. Every rule here is copied from the cited RFC's formal syntax.

Not included, on purpose: SETQUOTA (changes the account's limits), NOTIFY and the URLAUTH
commands (session-wide side effects), CATENATE (URLs may point outside the run prefix).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, ClassVar

from abnf.grammars import rfc3629, rfc9051
from abnf.grammars.misc import load_grammar_rules
from abnf.parser import Rule

from imapcheck.syntax import grammar, rules

_REPLACED = {
    # RFC 2971 §4: ID is valid in any state
    "command-any": '"CAPABILITY" / "LOGOUT" / "NOOP" / id',
    # RFC 3501 §9 lsub; RFC 2087 §5 GETQUOTA/GETQUOTAROOT; RFC 4978 §4 COMPRESS
    "command-auth": "append / create / delete / enable / examine / list / lsub / "
    "namespace-command / rename / select / status / subscribe / unsubscribe / idle / "
    "getquota / getquotaroot / compress",
    # RFC 3501 §9 CHECK; RFC 5256 §5 SORT/THREAD
    "command-select": '"CHECK" / "CLOSE" / "UNSELECT" / "EXPUNGE" / copy / move / fetch / '
    "store / search / sort / thread / uid",
    "uid": '"UID" SP (copy / move / fetch / search / sort / thread / store / uid-expunge)',
    # RFC 3502 §6.1 / RFC 4466 §3 (MULTIAPPEND, BINARY literal8)
    "append": '"APPEND" SP mailbox 1*append-message',
    # RFC 4466 §3 create-params; RFC 6154 §6 USE
    "create": '"CREATE" SP mailbox [create-params]',
    # RFC 4466 §2.1 select-params; RFC 7162 §7 CONDSTORE
    "select": '"SELECT" SP mailbox [select-params]',
    "examine": '"EXAMINE" SP mailbox [select-params]',
    # RFC 4466 §2.4 fetch-modifiers; RFC 7162 §7 CHANGEDSINCE
    "fetch": '"FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att / '
    '"(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]',
    # RFC 9051 + RFC 3501 §9 RFC822.* + RFC 7162 MODSEQ + RFC 8970 PREVIEW + RFC 8514 SAVEDATE
    "fetch-att": '"ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822.SIZE" / '
    '"RFC822" [".HEADER" / ".TEXT"] / "BODY" ["STRUCTURE"] / "UID" / '
    '"BODY" section [partial] / "BODY.PEEK" section [partial] / '
    '"BINARY" [".PEEK"] section-binary [partial] / "BINARY.SIZE" section-binary / '
    '"MODSEQ" / "PREVIEW" [SP "(" "LAZY" ")"] / "SAVEDATE"',
    # RFC 4466 §2.5 store-modifiers; RFC 7162 §7 UNCHANGEDSINCE
    "store": '"STORE" SP sequence-set [store-modifiers] SP store-att-flags',
    # RFC 9051 + RFC 3501 §9 (NEW, OLD, RECENT) + RFC 5032 §3 + RFC 7162 §7
    "search-key": '"ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date / '
    '"BODY" SP astring / "CC" SP astring / "DELETED" / "FLAGGED" / "FROM" SP astring / '
    '"KEYWORD" SP flag-keyword / "NEW" / "OLD" / "ON" SP date / "RECENT" / "SEEN" / '
    '"SINCE" SP date / "SUBJECT" SP astring / "TEXT" SP astring / "TO" SP astring / '
    '"UNANSWERED" / "UNDELETED" / "UNFLAGGED" / "UNKEYWORD" SP flag-keyword / "UNSEEN" / '
    '"DRAFT" / "HEADER" SP header-fld-name SP astring / "LARGER" SP number64 / '
    '"NOT" SP search-key / "OR" SP search-key SP search-key / "SENTBEFORE" SP date / '
    '"SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number64 / '
    '"UID" SP sequence-set / "UNDRAFT" / sequence-set / '
    '"(" search-key *(SP search-key) ")" / ("OLDER" / "YOUNGER") SP nz-number / '
    "search-modsequence",
    # RFC 3501 §9 RECENT; RFC 7162 §7 HIGHESTMODSEQ
    "status-att": '"MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN" / '
    '"DELETED" / "SIZE" / "HIGHESTMODSEQ"',
    # RFC 4466 §2.7: literal8 may be non-synchronizing with LITERAL+
    "literal8": '"~{" number64 ["+"] "}" CRLF *OCTET',
}

_ADDED = [
    # RFC 3501 §9
    'lsub = "LSUB" SP mailbox SP list-mailbox',
    'list-rev1 = "LIST" SP mailbox SP list-mailbox',
    # RFC 3501 §9 QUOTED-CHAR: 7-bit only (RFC 9051 adds UTF-8 for IMAP4rev2 / UTF8=ACCEPT)
    'quoted-char-rev1 = %x01-09 / %x0B-0C / %x0E-21 / %x23-5B / %x5D-7F / "\\" quoted-specials',
    # RFC 2971 §4 (id-params-list is in grammar.py)
    'id = "ID" SP id-params-list',
    # RFC 2087 §5 / RFC 9208 §7
    'getquota = "GETQUOTA" SP astring',
    'getquotaroot = "GETQUOTAROOT" SP mailbox',
    # RFC 4978 §4
    'compress = "COMPRESS" SP algorithm',
    'algorithm = "DEFLATE"',
    # RFC 5256 §5 (the "UID" prefix lives in the uid rule above)
    'sort = "SORT" SP sort-criteria SP search-criteria',
    'sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"',
    'sort-criterion = ["REVERSE" SP] sort-key',
    'sort-key = "ARRIVAL" / "CC" / "DATE" / "FROM" / "SIZE" / "SUBJECT" / "TO"',
    'thread = "THREAD" SP thread-alg SP search-criteria',
    'thread-alg = "ORDEREDSUBJECT" / "REFERENCES" / thread-alg-ext',
    "thread-alg-ext = atom",
    "search-criteria = charset 1*(SP search-key)",
    # RFC 3502 §6.1 / RFC 4466 §3
    # RFC 3501 §9 (one message), written with RFC 4466's append-message
    'append-rev1 = "APPEND" SP mailbox append-message',
    "append-message = [SP flag-list] [SP date-time] SP append-data",
    "append-data = literal / literal8",
    # RFC 4466 §3, RFC 6154 §6
    'create-params = SP "(" create-param *(SP create-param) ")"',
    'create-param = "USE" SP "(" [use-attr *(SP use-attr)] ")"',
    'use-attr = "\\All" / "\\Archive" / "\\Drafts" / "\\Flagged" / "\\Junk" / "\\Sent" / '
    '"\\Trash" / use-attr-ext',
    'use-attr-ext = "\\" atom',
    # RFC 4466 §2.1, RFC 7162 §7
    'select-params = SP "(" select-param *(SP select-param) ")"',
    'select-param = "CONDSTORE"',
    'fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"',
    "fetch-modifier = chgsince-fetch-mod",
    'chgsince-fetch-mod = "CHANGEDSINCE" SP mod-sequence-value',
    'store-modifiers = SP "(" store-modifier *(SP store-modifier) ")"',
    'store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer',
    'search-modsequence = "MODSEQ" [search-modseq-ext] SP mod-sequence-valzer',
    "search-modseq-ext = SP entry-name SP entry-type-req",
    "entry-name = entry-flag-name",
    'entry-flag-name = DQUOTE "/flags/" attr-flag DQUOTE',
    'attr-flag = "\\\\Answered" / "\\\\Flagged" / "\\\\Deleted" / "\\\\Seen" / '
    '"\\\\Draft" / flag-keyword',
    'entry-type-req = "priv" / "shared" / "all"',
]


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_TERMINALS = re.compile(r'"[^"]*"|%[xdb][0-9A-Fa-f.-]+|<[^>]*>')


def _name(text: str) -> str:
    return text.split("=", 1)[0].strip().lower()


def _references(text: str) -> set[str]:
    body = text.split("=", 1)[1]
    return {name.lower() for name in _NAME.findall(_TERMINALS.sub(" ", body))}


def command_texts() -> tuple[list[str], list[str]]:
    """Rule texts to load, and the names to import from the validator's grammar.

    Ours are the command rules above, plus every rule of the validator's grammar that refers
    (directly or not) to one of them, copied so that it refers to ours.
    """
    base = {_name(line): line for line in rfc9051.Rule.grammar}
    base.update({_name(line): line for line in rules.GRAMMAR})
    ours = {name: f"{name} = {body}" for name, body in _REPLACED.items()}
    ours.update({_name(line): line for line in _ADDED})
    changed = set(ours)
    while True:
        more = {n for n, t in base.items() if n not in changed and _references(t) & changed}
        if not more:
            break
        changed |= more
    copied = [base[n] for n in sorted(changed - set(ours))]
    return list(ours.values()) + copied, sorted(set(base) - changed)


@cache
def command_grammar() -> type[Rule]:
    """The grammar the command strategies walk: the validator's, plus the command rules."""
    texts, imported = command_texts()
    source = grammar.extensions()
    imports: list[tuple[str, Any]] = [(name, source(name)) for name in imported]
    imports += [(name, rfc3629.Rule(name)) for name in ("UTF8-char", "UTF8-2", "UTF8-3", "UTF8-4")]

    @load_grammar_rules(imports)
    class CommandRule(Rule):
        """RFC 9051 + IMAP4rev1 + extension commands (the rest imported from the validator's)."""

        grammar: ClassVar[list[str] | str] = texts

    return CommandRule


# the command rules valid in each state (RFC 3501 §6.1-§6.4, RFC 9051 §6)
STATE_RULES = {
    "not authenticated": ("command-any", "command-nonauth"),
    "authenticated": ("command-any", "command-auth"),
    "selected": ("command-any", "command-auth", "command-select"),
}
