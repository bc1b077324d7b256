"""The fuzzers' own parts, without a server: input splitting, mutations, the model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imapcheck import fuzzmodel as fm
from imapcheck.fuzzchecks import apply_updates, uid_list
from imapcheck.fuzzsession import completion, split_input
from imapcheck.knownbugs import known_bugs, negated_range_merge
from imapcheck.syntax.generate import Generated
from imapcheck.syntax.mutations import MUTATIONS, mutants, mutate
from imapcheck.wire.encode import Literal
from imapcheck.wire.reader import ResponseReader
from imapcheck.wire.response import Reply, parse_untagged


@pytest.mark.parametrize(
    "data, parts, missing, open_line",
    [
        (b"a NOOP\r\n", [b"a NOOP\r\n"], 0, False),
        (b"a NOOP", [b"a NOOP"], 0, True),
        (b"a X {3}\r\nabc {2}\r\nxy\r\n", [b"a X {3}\r\n", b"abc {2}\r\n", b"xy\r\n"], 0, False),
        (b"a X {5}\r\nab", [b"a X {5}\r\n", b"ab"], 3, True),
        (b"a X {3+}\r\nabc y", [b"a X {3+}\r\nabc y"], 0, True),
        (b"a X ~{2}\r\n\0\0\r\n", [b"a X ~{2}\r\n", b"\0\0\r\n"], 0, False),
    ],
)
def test_split_input_where_a_client_waits(data, parts, missing, open_line):
    assert split_input(data) == (parts, missing, open_line)


def test_completion_closes_every_construct():
    assert completion(b"a NOOP\r\n") == b""
    assert completion(b"a X {3}\r\nab") == b".\r\n"
    assert completion(b"a LOGIN {0}\r\n {0+}") == b"\r\n\r\n"
    assert completion(b"a X {4294967296}\r\n") is None


@settings(max_examples=100, deadline=None)
@given(data=st.data(), kind=st.sampled_from(MUTATIONS))
def test_mutations_change_the_command(data, kind):
    original = b"m1 FETCH 1:3 (FLAGS BODY.PEEK[HEADER]) {4}\r\nabcd\r\n"
    assert data.draw(mutate(original, kind)) != original


def test_mutants_say_what_they_came_from():
    strategy = mutants(st.just(Generated("NOOP", (b"NOOP",))))

    @settings(max_examples=20, deadline=None)
    @given(strategy)
    def check(value):
        assert value.kind in MUTATIONS and "NOOP" in value.origin and value.data != b"m1 NOOP\r\n"

    check()


def reply_of(*lines: bytes) -> Reply:
    reader = ResponseReader()
    reader.feed(b"".join(lines))
    untagged = []
    while (frame := reader.next_frame()) is not None:
        untagged.append(parse_untagged(frame))
    return Reply("t", "t NOOP", "OK", None, "", untagged)


def test_expunge_and_exists_move_the_view():
    view = apply_updates([1, 2, 3, 4], reply_of(b"* 2 EXPUNGE\r\n", b"* 2 EXPUNGE\r\n"), "s")
    assert view == [1, 4]
    assert apply_updates(view, reply_of(b"* 4 EXISTS\r\n"), "s") == [1, 4, None, None]
    with pytest.raises(AssertionError, match="names no message"):
        apply_updates([1], reply_of(b"* 3 EXPUNGE\r\n"), "s")
    with pytest.raises(AssertionError, match="went down"):
        apply_updates([1, 2], reply_of(b"* 1 EXISTS\r\n"), "s")


def test_uid_sets_keep_their_order():
    assert uid_list("4,2:3,9:7") == [4, 2, 3, 9, 8, 7]


def box_of(sizes: list[int], flags: list[set[str]]) -> fm.Mailbox:
    box = fm.Mailbox("x", 1)
    for n, (size, flag) in enumerate(zip(sizes, flags, strict=True)):
        box.assign(fm.Message(None, b"x" * size, frozenset(flag), fm.internal_date(n)), n + 10)
    return box


def test_search_model():
    box = box_of([100, 500, 900], [{"\\Seen"}, set(), {"\\Seen", "imapcheck-red"}])
    assert fm.expected([("FLAG", "SEEN")], box) == [1, 3]
    assert fm.expected([("NOT", ("OR", ("LARGER", 192), ("LARGER", 768)))], box) == [1]
    assert fm.expected([("KEYWORD", "imapcheck-red"), ("SMALLER", 1000)], box) == [3]
    assert fm.expected([("ON", 1)], box) == [2]
    assert fm.expected([("SINCE", 1), ("BEFORE", 2)], box) == [2]
    assert fm.expected([("UID", [1]), ("AND", ("ALL",))], box) == [2]
    assert fm.render_key(("OR", ("UID", [0, 2]), ("SEQ", [1])), box) == b"OR UID 10,12 2"
    assert fm.render_program([("ON", 1)], box) == b"ON 2-Mar-2021"


def test_uids_must_ascend():
    box = box_of([10], [set()])
    assert "strictly ascending" in box.assign(
        fm.Message(None, b"", frozenset(), box.messages[0].date), 5
    )


def test_known_bug_predicates():
    size_or = ("OR", ("LARGER", 1), ("LARGER", 2))
    assert negated_range_merge([("NOT", size_or)])
    assert negated_range_merge([("AND", ("NOT", ("AND", size_or, ("ALL",))))])
    assert negated_range_merge([("NOT", ("BEFORE", 0)), ("NOT", ("BEFORE", 1))])
    assert negated_range_merge(
        [("NOT", ("LARGER", 878)), ("NOT", ("OR", ("LARGER", 192), ("NOT", ("ALL",))))]
    )
    assert not negated_range_merge([("NOT", ("NOT", size_or))])
    assert not negated_range_merge([size_or])
    assert not negated_range_merge([("NOT", ("OR", ("LARGER", 1), ("SMALLER", 2)))])
    assert [b.name for b in known_bugs("* OK Dovecot (Debian) ready.")]
    assert not known_bugs("* OK Cyrus IMAP ready")


def test_dates():
    moment = fm.internal_date(3)
    assert fm.parse_datetime(fm.imap_datetime(moment)) == moment
    assert fm.imap_datetime(moment) == '"04-Mar-2021 12:00:00 +0000"'


def test_known_crash_predicate():
    from imapcheck.knownbugs import copy_star_then_beyond

    assert copy_star_then_beyond(Generated("copy", (b"COPY *,6 ", Literal(b"box"))))
    assert copy_star_then_beyond(Generated("uid", (b"uid move 6,* box",)))
    assert not copy_star_then_beyond(Generated("copy", (b"COPY 1:* box",)))
    assert not copy_star_then_beyond(Generated("fetch", (b"FETCH *,6 FLAGS",)))
    flags = [("OR", ("FLAG", "UNANSWERED"), ("FLAG", "UNSEEN"))]
    assert negated_range_merge(flags)
    assert not negated_range_merge([("OR", ("FLAG", "ANSWERED"), ("FLAG", "SEEN"))])


def test_known_bug_sees_through_single_key_groups():
    """Found by the thorough run: NOT OR LARGER 192 (LARGER 768) is the same merge."""
    nested = [("NOT", ("OR", ("LARGER", 192), ("AND", ("LARGER", 768))))]
    assert negated_range_merge(nested)
    assert not negated_range_merge([("OR", ("LARGER", 192), ("AND", ("SMALLER", 768)))])
