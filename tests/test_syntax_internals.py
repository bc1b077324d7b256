"""The pieces behind the verdicts: tokens, compaction, response codes, grammar limits."""

from __future__ import annotations

import pytest

from imapcheck.syntax import check_response, citations, grammar, lexical, rules, status
from imapcheck.wire.reader import Frame, ResponseReader


def frame(data: bytes) -> Frame:
    reader = ResponseReader()
    reader.feed(data)
    (single,) = reader.frames()
    return single


def compacted(data: bytes) -> str:
    parsed = frame(data)
    return lexical.compact(parsed.raw, lexical.tokens(parsed)).text


@pytest.mark.parametrize(
    ("number", "representative"),
    [
        (b"0", b"0"),
        (b"000", b"00"),
        (b"007", b"01"),
        (b"4294967295", b"1"),
        (b"4294967296", b"4294967296"),
        (b"9223372036854775807", b"4294967296"),
        (b"9223372036854775808", b"9223372036854775808"),
        (b"9" * 5000, b"9223372036854775808"),
        (b"*", b"*"),
    ],
)
def test_numbers_keep_only_their_class(number: bytes, representative: bytes) -> None:
    assert lexical.canonical(number) == representative


def test_compaction_empties_literals_and_shortens_runs() -> None:
    text = compacted(b"* 7 FETCH (UID 99 BODY[] {5}\r\nhello)\r\n")
    assert text == "* 1 FETCH (UID 1 BODY[] {0}\r\n)\r\n"
    numbers = b" ".join(b"%d" % n for n in range(1, 1000))
    assert compacted(b"* SEARCH " + numbers + b" 0\r\n").count(" ") < 20
    sequence = b",".join(b"%d:%d" % (n, n + 1) for n in range(1, 3000, 3))
    assert len(compacted(b"* VANISHED " + sequence + b",*\r\n")) < 60


def test_compaction_keeps_the_strings_the_grammar_looks_into() -> None:
    text = compacted(
        b'* 1 FETCH (INTERNALDATE "17-Jul-1996 02:44:25 -0700" BODY ("TEXT" "PLAIN" NIL '
        b'"<id@x>" "a description" "7BIT" 3 1))\r\n'
    )
    assert '"17-Jul-1996 02:44:25 -0700"' in text and '"TEXT"' in text
    assert '"<id@x>"' not in text and text.count('"x"') == 4


def test_compaction_rejects_a_bad_quoted_string() -> None:
    parsed = frame(b'* LIST () "/" "caf\xe9"\r\n')
    with pytest.raises(lexical.LexicalError, match="UTF-8"):
        lexical.compact(parsed.raw, lexical.tokens(parsed))


def test_tokens_treat_literals_as_one_token() -> None:
    parsed = frame(b'* 1 FETCH (BODY[] {4}\r\n(")\x80)\r\n')
    kinds = [kind for kind, _, _ in lexical.tokens(parsed)]
    assert kinds == ["W", "SP", "W", "SP", "W", "SP", "(", "W", "SP", "L", ")", "CRLF"]


def test_status_split_and_codes() -> None:
    line = status.split(b"A1 OK [COPYUID 7 1:3 4:6] done\r\n")
    assert line is not None
    assert (line.code_name, line.rest) == ("COPYUID", b" done\r\n")
    assert status.split(b"* 1 EXISTS\r\n") is None
    assert status.code_problem(b"* OK [XY-Z 1 2] x\r\n", True) == ("", "unknown-extension")
    assert status.code_problem(b"* OK [UIDNEXT 5] x\r\n", True) == ("", "")
    assert status.code_problem(b"* OK [NOMODSEQ] x\r\n", True) == ("", "extensions")
    assert "nz-number" in status.code_problem(b"* OK [UIDNEXT 0] x\r\n", True)[0]


def test_parse_results_are_cached_by_shape() -> None:
    grammar.clear_cache()
    assert check_response(frame(b"* OK [HIGHESTMODSEQ 41] x\r\n")).ok
    assert check_response(frame(b"* OK [HIGHESTMODSEQ 97] y\r\n")).ok
    assert grammar.cache_hits() >= 1


def test_range_checks_on_the_parse_tree() -> None:
    rules = grammar.extensions()
    assert grammar.parse(rules, "response-data", "* 4294967296 EXISTS\r\n", 0).range_error
    assert grammar.parse(rules, "status-att-val", "HIGHESTMODSEQ 4294967296", 0).ok
    assert grammar.parse(rules, "resp-text-code", "HIGHESTMODSEQ 0", 0).range_error


def test_nesting_limit() -> None:
    outcome = grammar.parse(grammar.extensions(), "response-data", "* 1 FETCH (UID 1)\r\n", 10**4)
    assert outcome.too_deep and not outcome.ok


def test_extension_grammar_copies_rules_that_refer_to_ours() -> None:
    texts, imported = grammar._extension_grammar()
    names = {text.split("=", 1)[0].strip() for text in texts}
    assert {"response-data", "msg-att", "resp-text"} <= names
    assert "envelope" in imported and "response-data" not in imported


@pytest.mark.parametrize(
    ("line", "source"),
    [
        (b"* OK [ALERT] caf\xc3\xa9\r\n", "rfc9051"),  # UTF-8 text: RFC 9051, not imap-codec
        (b"* OK [HIGHESTMODSEQ 5] caf\xc3\xa9\r\n", "extensions"),
        (b"* OK [X-VENDOR 5] caf\xc3\xa9\r\n", "unknown-extension"),
        (b"* OK [X-VENDOR 5] plain\r\n", "unknown-extension"),
        (b"A1 OK \r\n", "rfc9051"),
    ],
)
def test_the_deciding_judge_is_named(line: bytes, source: str) -> None:
    verdict = check_response(frame(line))
    assert (verdict.ok, verdict.source) == (True, source), verdict.reason


def test_every_known_code_has_a_citation() -> None:
    assert set(rules.KNOWN_CODE_NAMES) == set(citations.CODES)
    assert set(citations.CODES) >= citations.RFC9051_CODES


@pytest.mark.parametrize(
    ("line", "ok"),
    [
        (b"* 1 FETCH (UID 1 MODSEQ (5))\r\n", True),
        (b"* 1 FETCH (MODSEQ (5) UID 1)\r\n", True),
        (b"* 1 FETCH (MODSEQ (5))\r\n", True),
        (b"* 1 FETCH (UID 1 MODSEQ (5) MODSEQ (6))\r\n", True),
        (b'* 1 FETCH (BODY[] "a MODSEQ (5) b" UID 0)\r\n', False),  # cut inside a string
        (b"* 1 FETCH (BODY[] {12}\r\n MODSEQ (5)x UID 1)\r\n", True),
        (b"* 1 FETCH (UID 1 MODSEQ (9223372036854775808))\r\n", False),
        (b"* 1 FETCH (UID 1 MODSEQ (5)x)\r\n", False),
    ],
)
def test_modseq_fast_path_agrees_with_the_grammar(line: bytes, ok: bool) -> None:
    verdict = check_response(frame(line))
    assert verdict.ok is ok, verdict.reason


def test_modseq_fast_path_does_not_inherit_codec_leniency() -> None:
    verdict = check_response(frame(b"* 01 FETCH (MODSEQ (3) FLAGS ($Processed))\r\n"))
    assert not verdict.ok and "nz-number" in verdict.reason
    assert not check_response(frame(b"* 1 FETCH (UID 05 MODSEQ (3))\r\n")).ok


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        (b"a1", True),
        (b"}1", True),
        (b"t]x", True),
        (b"a~|^`}", True),
        (b"a+", False),
        (b"a{b", False),
        (b"a%b", False),
        (b"a*b", False),
        (b'a"b', False),
        (b"a\\b", False),
        (b"a(b", False),
    ],
)
def test_tag_characters(tag: bytes, ok: bool) -> None:
    """RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">; "}" and "]" are allowed."""
    assert (lexical.kind_of(tag + b" OK done\r\n") == "tagged") is ok
