"""RFC 4731 ESEARCH: SEARCH RETURN (MIN MAX COUNT ALL), UID ESEARCH, the forms of an empty
result, and the MODSEQ result with CONDSTORE (§3.2). One read-only mailbox for the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers_sessions import boxes, lend, session_pool
from helpers_sync import append_messages, number

from imapcheck.sandbox import Sandbox
from imapcheck.session import Session
from imapcheck.target import Target
from imapcheck.wire.seqset import SequenceSet

__all__ = ["boxes", "lend", "session_pool"]  # fixtures

FLAGS = [
    b"(\\Flagged)",
    b"",
    b"(\\Flagged \\Seen)",
    b"(\\Seen)",
    b"(\\Deleted)",
    b"(\\Flagged)",
    b"(\\Answered)",
    b"",
]
EXPECTED = {  # criteria -> matching sequence numbers
    "ALL": [1, 2, 3, 4, 5, 6, 7, 8],
    "FLAGGED": [1, 3, 6],
    "UNSEEN": [1, 2, 5, 6, 7, 8],
    "DELETED": [5],
    "DRAFT": [],
    "OR SEEN ANSWERED": [3, 4, 7],
}


@pytest.fixture(scope="module")
def esbox(target: Target, sandbox: Sandbox) -> Iterator[tuple[str, list[int]]]:
    """Eight messages behind two expunged ones (so UIDs differ from sequence numbers)."""
    session = Session(target, name="setup-esearch", validate=False)
    session.connect()
    session.login()
    name = sandbox.create(session, "esearch")
    append_messages(session, name, 2, tag="gone", flags=b"(\\Deleted)")
    kept = [b"" if f == b"(\\Deleted)" else f for f in FLAGS]
    append_messages(session, name, 8, tag="es", flags=kept)
    session.select(name)
    session.command("EXPUNGE")
    session.command("STORE", b"5", b"+FLAGS.SILENT", b"(\\Deleted)")
    fetched = session.command("FETCH", b"1:*", b"(UID)").fetches()
    uids = [number(fetched[seq]["UID"]) for seq in sorted(fetched)]
    session.logout()
    yield name, uids
    cleanup = Session(target, name="teardown-esearch", validate=False)
    try:
        cleanup.connect()
        cleanup.login()
        sandbox.remove(cleanup, name)
    finally:
        cleanup.logout()


def parse(reply) -> list[tuple[str | None, bool, dict[str, object]]]:
    """Every ESEARCH response as (TAG correlator, UID indicator, {name: value})."""
    found = []
    for item in reply.of("ESEARCH"):
        tokens = list(item.tokens)
        tag = None
        if tokens and isinstance(tokens[0], list):
            pair = tokens.pop(0)
            tag = pair[1].decode() if len(pair) > 1 and isinstance(pair[1], bytes) else None
        uid = bool(tokens) and str(tokens[0]).upper() == "UID"
        if uid:
            tokens.pop(0)
        data = {str(tokens[i]).upper(): tokens[i + 1] for i in range(0, len(tokens) - 1, 2)}
        found.append((tag, uid, data))
    return found


def members(value) -> list[int]:
    return SequenceSet.parse(str(value)).expand(10**6)


def expected_data(numbers: list[int], options: list[str]) -> dict[str, object]:
    data: dict[str, object] = {}
    for option in options:
        if option == "COUNT":
            data["COUNT"] = len(numbers)
        elif numbers:
            data[option] = {"MIN": min(numbers), "MAX": max(numbers), "ALL": numbers}[option]
    return data


def normalise(data: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        out[key] = members(value) if key == "ALL" else number(value)
    return out


def esearch(lend, box, criteria: str, options: list[str], *, uid: bool = False):
    name, _uids = box
    session = lend("A")
    session.select(name, readonly=True)
    ret = ("(" + " ".join(options) + ")").encode()
    args = (b"SEARCH", b"RETURN", ret, *criteria.encode().split())
    reply = session.command("UID", *args) if uid else session.command("SEARCH", *args[1:])
    assert reply.ok, f"SEARCH RETURN {ret.decode()} {criteria} failed: {reply.summary()}"
    return reply


@pytest.mark.rfc("4731", "3.1", "MUST")
@pytest.mark.requires("ESEARCH")
@pytest.mark.parametrize("criteria", list(EXPECTED))
def test_esearch_min_max_count_all(lend, esbox, criteria):
    reply = esearch(lend, esbox, criteria, ["MIN", "MAX", "COUNT", "ALL"])
    found = parse(reply)
    assert len(found) == 1 and not reply.of("SEARCH"), (
        "'the extended SEARCH command MUST return a single ESEARCH response ..., instead of the "
        f"SEARCH response'; got {[str(u) for u in reply.untagged]}"
    )
    tag, uid, data = found[0]
    assert tag == reply.tag and not uid, f'ESEARCH must carry (TAG "{reply.tag}"), no UID'
    want = expected_data(EXPECTED[criteria], ["MIN", "MAX", "COUNT", "ALL"])
    assert normalise(data) == want, (
        f"SEARCH RETURN (MIN MAX COUNT ALL) {criteria}: expected {want}, got {data} (an empty "
        "result omits MIN, MAX and ALL - 'the server MUST NOT include the MIN result option' - "
        "and 'COUNT ... MUST always be included')"
    )


@pytest.mark.rfc("4731", "3.1", "MUST")
@pytest.mark.requires("ESEARCH")
@pytest.mark.parametrize("criteria", ["ALL", "FLAGGED", "DRAFT"])
def test_uid_esearch(lend, esbox, criteria):
    _name, uids = esbox
    reply = esearch(lend, esbox, criteria, ["MIN", "MAX", "COUNT", "ALL"], uid=True)
    found = parse(reply)
    assert len(found) == 1 and found[0][1], (
        "'An extended UID SEARCH command MUST cause an ESEARCH response with the UID indicator "
        f"present'; got {[str(u) for u in reply.of('ESEARCH')]}"
    )
    want = expected_data([uids[s - 1] for s in EXPECTED[criteria]], ["MIN", "MAX", "COUNT", "ALL"])
    assert normalise(found[0][2]) == want, (
        f"with the UID indicator all data refers to UIDs: expected {want}, got {found[0][2]}"
    )


@pytest.mark.rfc("4731", "3.1", "MUST")
@pytest.mark.requires("ESEARCH")
@pytest.mark.parametrize("option", ["MIN", "MAX", "COUNT", "ALL"])
def test_esearch_single_option(lend, esbox, option):
    reply = esearch(lend, esbox, "UNSEEN", [option])
    found = parse(reply)
    assert len(found) == 1, f"one ESEARCH response expected: {reply.untagged}"
    data = normalise(found[0][2])
    want = expected_data(EXPECTED["UNSEEN"], [option])
    assert data.get(option) == want[option], (
        f"SEARCH RETURN ({option}) UNSEEN must return {option} {want[option]}: got {found[0][2]}"
    )


@pytest.mark.rfc("4731", "3.1", "MUST")
@pytest.mark.requires("ESEARCH")
def test_esearch_empty_options_means_all(lend, esbox):
    reply = esearch(lend, esbox, "FLAGGED", [])
    found = parse(reply)
    assert len(found) == 1 and normalise(found[0][2]) == {"ALL": EXPECTED["FLAGGED"]}, (
        "'If the list of result options is empty, that requests the server to return an ESEARCH "
        f'response instead of the SEARCH response. This is equivalent to "(ALL)"\'; got '
        f"{[str(u) for u in reply.untagged]}"
    )


@pytest.mark.rfc("4731", "3.1", "MUST")
@pytest.mark.requires("ESEARCH")
@pytest.mark.parametrize("uid", [False, True], ids=["SEARCH", "UID-SEARCH"])
def test_esearch_empty_result(lend, esbox, uid):
    reply = esearch(lend, esbox, "DRAFT", ["MIN", "MAX", "ALL"], uid=uid)
    found = parse(reply)
    assert len(found) == 1 and found[0][2] == {}, (
        "with no match 'the server MUST NOT include the MIN result option in the ESEARCH "
        "response; however, it still MUST send the ESEARCH response' (likewise MAX and ALL); "
        f"got {[str(u) for u in reply.untagged]}"
    )


MODSEQ_CASES = {  # options -> which matching messages' mod-sequences the MODSEQ covers
    "MIN": "min",
    "MAX": "max",
    "MIN MAX": "minmax",
    "COUNT": "all",
}


@pytest.mark.rfc("4731", "3.2", "MUST")
@pytest.mark.requires("ESEARCH", "CONDSTORE")
@pytest.mark.parametrize("options", list(MODSEQ_CASES))
def test_esearch_modseq(lend, esbox, options):
    name, _uids = esbox
    session = lend("A")
    session.select(name, readonly=True)
    got = session.command("FETCH", b"1:*", b"(MODSEQ)").fetches()
    modseq = {seq: number(f["MODSEQ"]) for seq, f in got.items()}
    matching = EXPECTED["FLAGGED"]
    covered = {
        "min": [min(matching)],
        "max": [max(matching)],
        "minmax": [min(matching), max(matching)],
        "all": matching,
    }[MODSEQ_CASES[options]]
    reply = session.command(
        "SEARCH", b"RETURN", f"({options})".encode(), b"MODSEQ", b"1", b"FLAGGED"
    )
    found = parse(reply)
    assert reply.ok and len(found) == 1 and not reply.of("SEARCH"), (
        f"SEARCH RETURN ({options}) with MODSEQ must give one ESEARCH response: {reply.untagged}"
    )
    want = max(modseq[s] for s in covered)
    value = found[0][2].get("MODSEQ")
    assert value is not None and number(value) == want, (
        "'the server MUST return the ESEARCH response containing the MODSEQ result option'; "
        f"for RETURN ({options}) it is the highest mod-sequence of messages {covered}: {want}; "
        f"got {found[0][2]}"
    )
