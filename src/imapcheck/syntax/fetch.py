"""FETCH responses, item by item.

imap-codec knows the RFC 3501 / 3516 items but not MODSEQ (RFC 7162) or later items, and a
FETCH it cannot read as a whole would otherwise fall to the (slow) ABNF parser. So a FETCH the
codec rejects is split into its items (``msg-att = "(" item *(SP item) ")"``, RFC 3501 §9):
extension items are checked by our ABNF one by one, unknown items lexically (RFC 3501 §7: the
client must accept any response; such an item is ``name SP value`` with one value), and the
core items are put back together for the codec. Only if the codec rejects those does the
ABNF judge the core items, one by one, and then say which item is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imapcheck.syntax import citations, codec, grammar, lexical
from imapcheck.syntax.lexical import Token
from imapcheck.wire.reader import Frame

_PREFIX = re.compile(rb"\* ([1-9][0-9]*) FETCH \(", re.IGNORECASE)
_MODSEQ = re.compile(rb"MODSEQ \(([1-9][0-9]{0,18})\)\Z", re.IGNORECASE)
_BASE = re.compile(rb"[^[<]*")
_MODSEQ_ITEM = re.compile(rb"(?<=[ (])(MODSEQ \(([1-9][0-9]{0,18})\))(?=[ )])", re.IGNORECASE)
_U63 = (1 << 63) - 1
_WHERE = "RFC 3501 §7.4.2 / §9 msg-att"


@dataclass(frozen=True)
class Item:
    """One ``name SP value`` of a FETCH response; ``first``/``last`` index the tokens."""

    base: str
    first: int
    last: int


@dataclass(frozen=True)
class Judgement:
    """What :func:`judge` found: ``ok``, the deciding ``source``, or the ``reason``."""

    ok: bool
    source: str = ""
    reason: str = ""


def judge(frame: Frame) -> Judgement:
    """Judge a FETCH response that imap-codec rejected as a whole."""
    raw = frame.raw
    trust_codec = not lexical.zero_padded(frame.lines)  # see lexical.zero_padded
    if trust_codec and _only_modseq_unknown_to_codec(raw):
        return Judgement(True, "extensions")
    prefix = _PREFIX.match(raw)
    if prefix is None or int(prefix.group(1)) > 0xFFFFFFFF:
        return Judgement(
            False,
            reason=f"FETCH response does not start like {_WHERE}: "
            '"*" SP nz-number SP "FETCH" SP "("',
        )
    try:
        toks = lexical.tokens(frame)
        first = next(i for i, tok in enumerate(toks) if tok[1] == prefix.end())
        items = _split(raw, toks, first)
    except StopIteration:
        return Judgement(False, reason=f"FETCH response has no data items ({_WHERE})")
    except lexical.LexicalError as exc:
        return Judgement(False, reason=f"FETCH response: {exc} ({_WHERE})")
    if isinstance(items, str):
        return Judgement(False, reason=f"FETCH response: {items} ({_WHERE})")
    depth = lexical.depth_of(toks)
    if depth > grammar.MAX_DEPTH:
        return Judgement(False, reason=f"FETCH response: {grammar.too_deep(depth)}")
    core = [item for item in items if item.base in citations.CORE_FETCH]
    source = "imap-codec"
    for item in items:
        if item.base in citations.CORE_FETCH:
            continue
        if item.base in citations.FETCH_ITEMS:
            problem = _extension_item_problem(raw, toks, item)
            source = "extensions" if source == "imap-codec" else source
        else:
            problem = _unknown_item_problem(raw, toks, item)
            source = "unknown-extension"
        if problem:
            return Judgement(False, reason=problem)
    if not core:
        return Judgement(True, source)
    body = b" ".join(raw[toks[i.first][1] : toks[i.last][2]] for i in core)
    if trust_codec and codec.accepts(raw[: prefix.end()] + body + b")\r\n"):
        return Judgement(True, source)
    judged = _judge_by_grammar(raw, toks, first, core, trust_codec)
    if judged.ok and source != "imap-codec":  # extension or unknown items decided it
        return Judgement(True, source)
    return judged


def _only_modseq_unknown_to_codec(raw: bytes) -> bool:
    """Fast path for CONDSTORE sessions: the codec accepts the FETCH once MODSEQ is cut out.

    Cutting a "MODSEQ (n)" that sat inside a string would leave the codec's verdict as it was
    (it rejected the whole), so acceptance means the cut item was the only thing it lacked.
    """
    found = list(_MODSEQ_ITEM.finditer(raw))
    if len(found) != 1 or int(found[0].group(2)) > _U63:
        return False
    start, end = found[0].span()
    if raw[start - 1 : start] == b" ":
        start -= 1  # "... MODSEQ (n)" -> "..."
    elif raw[end : end + 1] == b" ":
        end += 1  # "(MODSEQ (n) ..." -> "(..."
    else:
        return False
    return codec.accepts(raw[:start] + raw[end:])


def _split(raw: bytes, toks: list[Token], index: int) -> list[Item] | str:
    """The items of the list opened just before token ``index``, or what is wrong."""
    items: list[Item] = []
    count = len(toks)
    if toks[index][0] == ")":
        return "no data items (at least one is required)"
    while True:
        kind, start, end = toks[index]
        if kind != "W":
            return f"expected a data item name at byte {start}"
        first = index
        brackets = raw.count(b"[", start, end) - raw.count(b"]", start, end)
        while brackets > 0:  # BODY[HEADER.FIELDS (From "Subject")]<0>
            index += 1
            if index >= count or toks[index][0] == "CRLF":
                return "section of a data item is not closed by ']'"
            kind, start, end = toks[index]
            if kind == "W":
                brackets += raw.count(b"[", start, end) - raw.count(b"]", start, end)
        if index + 2 >= count or toks[index + 1][0] != "SP":
            return f"data item at byte {toks[first][1]} is not followed by SP and a value"
        index = _value_end(toks, index + 2)
        if index < 0:
            return "unbalanced parentheses in a data item value"
        name = _BASE.match(raw, toks[first][1], toks[first][2])
        base = name.group().upper().decode("latin-1") if name else ""
        items.append(Item(base, first, index))
        following = toks[index + 1][0] if index + 1 < count else "CRLF"
        if following == ")":
            if index + 2 != count - 1:
                return "text after the closing ')'"
            return items
        if following == "CRLF":
            return "the list of data items is not closed by ')'"
        if following != "SP":
            return f"data items must be separated by one SP (byte {toks[index][2]})"
        index += 2


def _value_end(toks: list[Token], index: int) -> int:
    """Index of the last token of the value starting at ``index`` (-1 if unbalanced)."""
    kind = toks[index][0]
    if kind in ("W", "Q", "L"):
        return index
    if kind != "(":
        return -1
    depth = 0
    for position in range(index, len(toks)):
        kind = toks[position][0]
        depth += (kind == "(") - (kind == ")")
        if depth == 0:
            return position
        if kind == "CRLF":
            break
    return -1


def _item_text(raw: bytes, toks: list[Token], item: Item) -> lexical.Compacted:
    return lexical.compact(raw, toks[item.first : item.last + 1])


def _extension_item_problem(raw: bytes, toks: list[Token], item: Item) -> str:
    section, form = citations.FETCH_ITEMS[item.base]
    value = raw[toks[item.first][1] : toks[item.last][2]]
    fast = _MODSEQ.match(value)
    if fast and int(fast.group(1)) <= _U63:
        return ""
    try:
        text = _item_text(raw, toks, item)
    except lexical.LexicalError as exc:
        return f"FETCH item {item.base}: {exc}"
    outcome = grammar.parse(grammar.extensions(), "fetch-ext-att", text.text, text.depth)
    if outcome.ok:
        return ""
    detail = grammar.unparsed(outcome, text.text, text.depth)
    detail = detail or f"got {value[:60].decode('latin-1')!r}"
    return f"FETCH item {item.base} does not match {section}: {form}; {detail}"


def _unknown_item_problem(raw: bytes, toks: list[Token], item: Item) -> str:
    name = raw[toks[item.first][1] : toks[item.first][2]]
    if not lexical.is_label(_BASE.match(name).group()):  # type: ignore[union-attr]
        shown = name[:40].decode("latin-1")
        return f"FETCH data item name {shown!r} is not an atom ({_WHERE})"
    problem = lexical.extension_problem(raw, [*toks[item.first + 2 : item.last + 1], toks[-1]])
    return f"unknown FETCH item {item.base}: {problem}" if problem else ""


def _judge_by_grammar(
    raw: bytes, toks: list[Token], first: int, core: list[Item], trust_codec: bool
) -> Judgement:
    """The codec rejected the core items together: judge them one by one.

    ``msg-att`` is a list of independent items, so the list is grammatical if each item is.
    """
    needed = "imap-codec"
    for item in core:
        value = raw[toks[item.first][1] : toks[item.last][2]]
        if trust_codec and codec.accepts(raw[: toks[first][1]] + value + b")\r\n"):
            continue
        try:
            single = _item_text(raw, toks, item)
        except lexical.LexicalError as exc:
            return Judgement(False, reason=f"FETCH item {item.base}: {exc}")
        wrapped = "* 1 FETCH (" + single.text + ")\r\n"
        if grammar.parse(grammar.rfc9051(), "response-data", wrapped, single.depth).ok:
            needed = "rfc9051" if needed == "imap-codec" else needed
            continue
        outcome = grammar.parse(grammar.extensions(), "response-data", wrapped, single.depth)
        if outcome.ok:
            needed = "extensions"
            continue
        why = grammar.unparsed(outcome, wrapped, single.depth)
        section, form = citations.FETCH_ITEMS[item.base]
        shown = value[:80].decode("latin-1", "replace")
        reason = f"FETCH item {shown!r} does not match {section}: {form}"
        return Judgement(False, reason=reason + (f"; {why}" if why else ""))
    return Judgement(True, needed)
