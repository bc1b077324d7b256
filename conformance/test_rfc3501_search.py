"""RFC 3501 §6.4.4 SEARCH: every search key, against eight messages with known answers.

Each expected answer is computed from the messages as appended (helpers_search.SEARCH_MAILS),
and each case is chosen so that it matches some messages but not all of them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from helpers_fetch import opened, search_result
from helpers_search import SEARCH_MAILS, Mail, search_box

__all__ = ["search_box"]  # the module-scoped fixture

Pred = Callable[[Mail], bool]
SIZE_PIVOT = SEARCH_MAILS[5].size  # message 6, the medium-sized one


def has(*flags: str) -> Pred:
    return lambda m: all(f.lower() in {x.lower() for x in m.flags} for f in flags)


def lacks(flag: str) -> Pred:
    return lambda m: flag.lower() not in {x.lower() for x in m.flags}


def field(name: str, needle: str) -> Pred:
    return lambda m: needle.lower() in m.header(name).lower()


def body(needle: str) -> Pred:
    return lambda m: needle.lower() in m.text.lower()


def text(needle: str) -> Pred:
    """Header or body (TEXT): the raw header block plus the decoded body."""
    return lambda m: (
        needle.lower() in m.raw.split(b"\r\n\r\n")[0].decode().lower() or body(needle)(m)
    )


def case(criteria: str, pred: Pred, meaning: str, ident: str | None = None):
    return pytest.param(criteria.encode(), pred, meaning, id=ident or criteria)


def expected(pred: Pred) -> set[int]:
    return {seq for seq, mail in enumerate(SEARCH_MAILS, 1) if pred(mail)}


def run_search(connect, box, criteria: bytes, pred: Pred, meaning: str) -> None:
    want = expected(pred)
    assert 0 < len(want) < len(SEARCH_MAILS), f"test design: {criteria!r} does not discriminate"
    session = opened(connect, box)
    reply = session.command("SEARCH", criteria)
    assert reply.ok, f"SEARCH {criteria.decode()} must succeed; server said {reply.summary()}"
    assert reply.of("SEARCH"), "SEARCH must return an untagged SEARCH response (§6.4.4)"
    got = search_result(reply)
    assert set(got) == want, (
        f"SEARCH {criteria.decode()} must match {meaning}: messages {sorted(want)}; "
        f"the server returned {sorted(got)}"
    )


FLAG_KEYS = [
    case("ANSWERED", has("\\Answered"), "messages with \\Answered"),
    case("UNANSWERED", lacks("\\Answered"), "messages without \\Answered"),
    case("DELETED", has("\\Deleted"), "messages with \\Deleted"),
    case("UNDELETED", lacks("\\Deleted"), "messages without \\Deleted"),
    case("DRAFT", has("\\Draft"), "messages with \\Draft"),
    case("UNDRAFT", lacks("\\Draft"), "messages without \\Draft"),
    case("FLAGGED", has("\\Flagged"), "messages with \\Flagged"),
    case("UNFLAGGED", lacks("\\Flagged"), "messages without \\Flagged"),
    case("SEEN", has("\\Seen"), "messages with \\Seen"),
    case("UNSEEN", lacks("\\Seen"), "messages without \\Seen"),
    case("KEYWORD $Label1", has("$Label1"), "messages with keyword $Label1"),
    case("KEYWORD $Label2", has("$Label2"), "messages with keyword $Label2"),
    case("UNKEYWORD $Label1", lacks("$Label1"), "messages without keyword $Label1"),
    case("UNKEYWORD $Label2", lacks("$Label2"), "messages without keyword $Label2"),
    case(
        "SEEN UNANSWERED",
        lambda m: has("\\Seen")(m) and lacks("\\Answered")(m),
        "seen but unanswered messages (keys AND together)",
    ),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(("criteria", "pred", "meaning"), FLAG_KEYS)
def test_search_flag_keys(connect, search_box, criteria, pred, meaning):
    run_search(connect, search_box, criteria, pred, meaning)


ADDRESS_KEYS = [
    case("FROM alice", field("from", "alice"), "From containing 'alice'"),
    case(
        'FROM "ALICE LIDDELL"',
        field("from", "alice liddell"),
        "From containing the display name, case-insensitively",
    ),
    case("FROM bob", field("from", "bob"), "From containing 'bob'"),
    case("TO alice", field("to", "alice"), "To containing 'alice' (also in a list of two)"),
    case("TO example.net", field("to", "example.net"), "To containing 'example.net'"),
    case("CC dave", field("cc", "dave"), "Cc containing 'dave'"),
    case("CC ERIN", field("cc", "erin"), "Cc containing 'erin', case-insensitively"),
    case("BCC alice", field("bcc", "alice"), "Bcc containing 'alice'"),
    case("BCC frank", field("bcc", "frank"), "Bcc containing 'frank'"),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(("criteria", "pred", "meaning"), ADDRESS_KEYS)
def test_search_address_keys(connect, search_box, criteria, pred, meaning):
    run_search(connect, search_box, criteria, pred, meaning)


TEXT_KEYS = [
    case("SUBJECT quarterly", field("subject", "quarterly"), "Subject containing 'quarterly'"),
    case(
        'SUBJECT "QUARTERLY REPORT"',
        field("subject", "quarterly report"),
        "Subject containing 'quarterly report' in any case",
        "SUBJECT-case-insensitive",
    ),
    case('SUBJECT "Budget: Q3"', field("subject", "budget: q3"), "Subject containing 'Budget: Q3'"),
    case("SUBJECT re:", field("subject", "re:"), "Subject containing 're:'"),
    case(
        "BODY zebra",
        body("zebra"),
        "'zebra' in the body (not message 4, which has it only in its Subject)",
    ),
    case(
        'BODY "ZEBRA CROSSING"',
        body("zebra crossing"),
        "'zebra crossing' in the body, case-insensitively",
        "BODY-case-insensitive",
    ),
    case("BODY noon", body("noon"), "'noon' in the body"),
    case("TEXT zebra", text("zebra"), "'zebra' in the header or body"),
    case("TEXT frank@", text("frank@"), "'frank@' anywhere (a From and a Bcc header)"),
    case("TEXT NOON", text("noon"), "'noon' in the header or body, case-insensitively"),
    case(
        "HEADER X-Imapcheck-Tag alpha",
        field("x-imapcheck-tag", "alpha"),
        "an X-Imapcheck-Tag header containing 'alpha'",
    ),
    case(
        "HEADER x-imapcheck-tag BETA",
        field("x-imapcheck-tag", "beta"),
        "an X-Imapcheck-Tag header containing 'beta' (field name and value in any case)",
        "HEADER-case-insensitive",
    ),
    case(
        'HEADER X-Imapcheck-Tag ""',
        lambda m: bool(m.header("x-imapcheck-tag")),
        "every message that has an X-Imapcheck-Tag header (empty string)",
        "HEADER-empty",
    ),
    case(
        'HEADER Message-ID "<m3@"',
        field("message-id", "<m3@"),
        "a Message-ID header containing '<m3@'",
    ),
    case("HEADER Subject lunch", field("subject", "lunch"), "a Subject header with 'lunch'"),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(("criteria", "pred", "meaning"), TEXT_KEYS)
def test_search_text_keys(connect, search_box, criteria, pred, meaning):
    run_search(connect, search_box, criteria, pred, meaning)


def received(*dates: str) -> Pred:
    return lambda m: m.received in dates


def sent_in(*days: str) -> Pred:
    """The Date: header's own day (time and zone disregarded), e.g. '15 Mar 2021'."""
    return lambda m: any(f", {day} " in m.sent for day in days)


RECEIVED = [m.received for m in SEARCH_MAILS]
SENT_ORDER = [
    "1 Feb 2021",
    "15 Mar 2021",
    "16 Mar 2021",
    "19 Apr 2021",
    "9 Jun 2022",
    "30 Jun 2022",
    "2 Jul 2022",
    "3 Jul 2022",
]  # the Date: days of messages 1-8

DATE_KEYS = [
    case(
        "BEFORE 15-Mar-2021",
        received(RECEIVED[0]),
        "internal date before 15-Mar-2021 (not the message of that day)",
    ),
    case("BEFORE 1-Jul-2022", received(*RECEIVED[:5]), "internal date before 1-Jul-2022"),
    case("ON 16-Mar-2021", received("16-Mar-2021"), "internal date on 16-Mar-2021"),
    case("ON 2-Jul-2022", received("02-Jul-2022"), "internal date on 2-Jul-2022 (two)"),
    case("SINCE 16-Mar-2021", received(*RECEIVED[2:]), "internal date on or after 16-Mar-2021"),
    case("SINCE 1-Jul-2022", received(*RECEIVED[5:]), "internal date on or after 1-Jul-2022"),
    case(
        'SINCE "2-Jul-2022"',
        received(*RECEIVED[6:]),
        "a quoted date works like an atom",
        "SINCE-quoted-date",
    ),
    case(
        "SENTBEFORE 16-Mar-2021",
        sent_in(*SENT_ORDER[:2]),
        "Date: before 16-Mar-2021 (23:30 -0800 on the 15th counts as the 15th)",
    ),
    case(
        "SENTBEFORE 1-Jul-2022",
        sent_in(*SENT_ORDER[:6]),
        "Date: before 1-Jul-2022 (unlike the internal dates)",
    ),
    case(
        "SENTON 15-Mar-2021",
        sent_in("15 Mar 2021"),
        "Date: on 15-Mar-2021 as written (time and timezone disregarded)",
    ),
    case(
        "SENTON 16-Mar-2021",
        sent_in("16 Mar 2021"),
        "Date: on 16-Mar-2021 as written (00:30 +0900 is still the 16th)",
    ),
    case("SENTON 2-Jul-2022", sent_in("2 Jul 2022"), "Date: on 2-Jul-2022"),
    case("SENTSINCE 1-Jul-2022", sent_in(*SENT_ORDER[6:]), "Date: on or after 1-Jul-2022"),
    case("SENTSINCE 16-Mar-2021", sent_in(*SENT_ORDER[2:]), "Date: on or after 16-Mar-2021"),
    case(
        "FLAGGED SINCE 1-Jan-2022",
        lambda m: has("\\Flagged")(m) and m.received.endswith("2022"),
        "flagged messages received since 1-Jan-2022 (keys AND together)",
        "FLAGGED-SINCE",
    ),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(("criteria", "pred", "meaning"), DATE_KEYS)
def test_search_date_keys(connect, search_box, criteria, pred, meaning):
    run_search(connect, search_box, criteria, pred, meaning)


SIZE_KEYS = [
    case(
        f"LARGER {SIZE_PIVOT}",
        lambda m: m.size > SIZE_PIVOT,
        f"messages of more than {SIZE_PIVOT} octets (not message 6, exactly that size)",
        "LARGER-exact-size",
    ),
    case(
        f"LARGER {SIZE_PIVOT - 1}",
        lambda m: m.size > SIZE_PIVOT - 1,
        f"messages of more than {SIZE_PIVOT - 1} octets",
        "LARGER-size-minus-1",
    ),
    case(
        f"SMALLER {SIZE_PIVOT}",
        lambda m: m.size < SIZE_PIVOT,
        f"messages of fewer than {SIZE_PIVOT} octets (not message 6)",
        "SMALLER-exact-size",
    ),
    case(
        f"SMALLER {SIZE_PIVOT + 1}",
        lambda m: m.size < SIZE_PIVOT + 1,
        f"messages of fewer than {SIZE_PIVOT + 1} octets",
        "SMALLER-size-plus-1",
    ),
    case(
        f"LARGER 300 SMALLER {SIZE_PIVOT}",
        lambda m: 300 < m.size < SIZE_PIVOT,
        "messages between 300 octets and message 6's size",
        "LARGER-and-SMALLER",
    ),
]


@pytest.mark.rfc("3501", "6.4.4", "MUST")
@pytest.mark.parametrize(("criteria", "pred", "meaning"), SIZE_KEYS)
def test_search_size_keys(connect, search_box, criteria, pred, meaning):
    run_search(connect, search_box, criteria, pred, meaning)


@pytest.mark.rfc("3501", "6.4.4", "MUST")
def test_search_all_and_not_all(connect, search_box):
    """ALL matches every message; NOT ALL none, still with an (empty) untagged SEARCH."""
    session = opened(connect, search_box)
    every, none = session.command("SEARCH", b"ALL"), session.command("SEARCH", b"NOT ALL")
    assert set(search_result(every)) == set(range(1, len(SEARCH_MAILS) + 1)), (
        f"SEARCH ALL must return 1-{len(SEARCH_MAILS)}; got {search_result(every)}"
    )
    assert none.ok and none.of("SEARCH"), (
        "a SEARCH matching nothing must still send an untagged SEARCH (REQUIRED response); "
        f"got {[str(u) for u in none.untagged]} / {none.summary()}"
    )
    assert search_result(none) == [], f"NOT ALL must match nothing; got {search_result(none)}"


@pytest.mark.rfc("3501", "6.4.4", "MUST")
def test_search_keys_are_case_insensitive(connect, search_box):
    """Search keys are atoms; §9 note 1: alphabetic characters are case-insensitive."""
    session = opened(connect, search_box)
    reply = session.command("SEARCH", b"or unseen Flagged sUbJeCt quarterly")
    want = expected(
        lambda m: (lacks("\\Seen")(m) or has("\\Flagged")(m)) and field("subject", "quarterly")(m)
    )
    assert reply.ok and set(search_result(reply)) == want, (
        f"'or unseen Flagged sUbJeCt quarterly' must match {sorted(want)}; "
        f"server: {reply.summary()} {search_result(reply)}"
    )
