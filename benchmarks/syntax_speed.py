"""How fast syntax.check_response judges a real Dovecot session, and which judge decides.

Starts the embedded Dovecot, plays a session that touches the common commands and the
extensions Dovecot offers (CONDSTORE/QRESYNC, ESEARCH, SORT/THREAD, QUOTA, NAMESPACE, ID,
BINARY, PREVIEW, NOTIFY-style STATUS), records every response, then times the checker over
the recording: once cold (empty parse cache), then ``--rounds`` more times.

    python benchmarks/syntax_speed.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from collections import Counter

from imapcheck.corpus import all_messages
from imapcheck.errors import ServerUnavailable
from imapcheck.servers import dovecot
from imapcheck.syntax import Validator, check_greeting, check_response, grammar
from imapcheck.wire.reader import Frame, ResponseReader

SCRIPT = [
    b"CAPABILITY",
    b'ID ("name" "imapcheck")',
    b"NAMESPACE",
    b"ENABLE CONDSTORE QRESYNC",
    b"CREATE bench",
    b'LIST "" *',
    b'LIST "" * RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN HIGHESTMODSEQ))',
    b'LSUB "" *',
    b"STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)",
    b"GETQUOTAROOT INBOX",
    b"<append>",
    b"SELECT INBOX (CONDSTORE)",
    b"FETCH 1:* ALL",
    b"FETCH 1:* FULL",
    b"FETCH 1:* (UID FLAGS MODSEQ BODYSTRUCTURE ENVELOPE)",
    b"UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
    b"FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])",
    b"FETCH 1:5 (BODY.PEEK[])",
    b"FETCH 1:* (BINARY.PEEK[1] BINARY.SIZE[1])",
    b"FETCH 1:* (PREVIEW)",
    b"SEARCH UNSEEN",
    b"SEARCH ALL",
    b"UID SEARCH RETURN (MIN MAX COUNT ALL) ALL",
    b"SEARCH MODSEQ 1",
    b"SORT (DATE) UTF-8 ALL",
    b"THREAD REFERENCES UTF-8 ALL",
    b"STORE 1:* +FLAGS (\\Seen)",
    b"STORE 1:3 (UNCHANGEDSINCE 1) +FLAGS (\\Flagged)",
    b"UID COPY 1:4 bench",
    b"STORE 1:2 +FLAGS.SILENT (\\Deleted)",
    b"EXPUNGE",
    b"FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
    b"NOOP",
    b"FROB",
    b"SELECT nonexistent",
    b"DELETE bench",
    b"LOGOUT",
]


def record(server: dovecot.DovecotServer) -> list[tuple[bool, Frame]]:
    """Play SCRIPT (twice, messages appended each time) and return (is greeting, frame)."""
    account = server.accounts[0]
    sock = socket.create_connection((server.host, server.plain_port), timeout=10)
    reader = ResponseReader()
    frames: list[tuple[bool, Frame]] = []

    def until(tag: bytes) -> None:
        while True:
            frame = reader.next_frame()
            if frame is None:
                data = sock.recv(1 << 16)
                if not data:
                    return
                reader.feed(data)
                continue
            frames.append((not frames, frame))
            if frame.first_line.startswith(tag + b" ") or len(frames) == 1:
                return

    until(b"*")
    lines = [b"LOGIN " + account.user.encode() + b" " + account.password.encode()]
    for _ in range(2):
        for line in SCRIPT[:-1]:
            if line == b"<append>":
                lines += [b"APPEND INBOX {%d+}\r\n" % len(m.data) + m.data for m in all_messages()]
            else:
                lines.append(line)
    lines.append(SCRIPT[-1])
    for number, line in enumerate(lines):
        tag = b"b%d" % number
        sock.sendall(tag + b" " + line + b"\r\n")
        until(tag)
    sock.close()
    return frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    try:
        server = dovecot.start(users=1)
    except ServerUnavailable as exc:
        print(f"cannot benchmark: {exc}", file=sys.stderr)
        return 2
    try:
        frames = record(server)
    finally:
        server.stop()

    started = time.perf_counter()
    grammar.extensions()
    print(
        f"{len(frames)} responses recorded; grammars built in {time.perf_counter() - started:.2f} s"
    )
    validator = Validator()
    timings: Counter[str] = Counter()

    def run() -> float:
        begin = time.perf_counter()
        for greeting, frame in frames:
            start = time.perf_counter()
            verdict = (
                validator.check_greeting(frame) if greeting else validator.check_response(frame)
            )
            timings[verdict.source or "failed"] += time.perf_counter() - start
        return time.perf_counter() - begin

    grammar.clear_cache()
    cold = run()
    first_counts = Counter(validator.counts)
    warm = min(run() for _ in range(args.rounds))
    total = sum(first_counts.values())
    print(
        f"cold cache: {len(frames) / cold:,.0f} lines/s   warm: {len(frames) / warm:,.0f} lines/s"
    )
    print("judge              share    mean time per line (all rounds)")
    for source, count in first_counts.most_common():
        mean = timings[source] / validator.counts[source] * 1e6
        print(f"{source:18} {count / total:6.1%}   {mean:8.0f} us")
    for greeting, frame in frames:
        verdict = check_greeting(frame) if greeting else check_response(frame)
        if not verdict.ok:
            print(f"  not grammatical: {frame.first_line[:80]!r}: {verdict.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
