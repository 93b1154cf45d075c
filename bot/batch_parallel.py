"""Rating a large unit on every core, from the raw text: each process parses its own part.

Parsing 200,000 members takes as long as rating them, so the work is split before the parse.
The parent reads the unit-wide keys up to the `members` array, guesses where the array splits
into W runs of whole members (a `}`, a comma and a `{` near each W-th of the text, checked to
start an object), and forks one worker per run after the first. Each process parses its run
with the same decoder as `bot.batch.load_document`, then validates and rates its members.

A guess can be wrong (a name may contain `},{`), so a run counts only when the process before
it ends exactly where the next run starts: a process that parses from a true element boundary
parses exactly what a whole-file parse would, and the first run starts at the array's opening.
The parent then reads the keys after the array, validates the unit-wide part, merges the
workers' cap-group tallies, runs the cap on the top level (the one step that needs everyone),
sends each worker the decisions for its candidates, and writes every run's lines in order.

Anything unusual — a wrong guess, a problem in any member, a duplicate id, a worker that
stops — makes `write_parallel` return False before a byte is written, and the caller rates
the whole document the ordinary way, which also lists every problem. So this path only ever
prints the same document as the serial one (tests/rules/test_batch_stream.py checks it).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import IO

from bot.batch import DECODER
from bot.batch_stream import MemberJson, head_bytes, tail_bytes
from bot.rules.engine import (
    CapDecision,
    CapGroupResult,
    GroupTally,
    MemberResult,
    apply_decision,
    merge_tallies,
    organisation_result,
    rate_members,
    tally_groups,
    top_cap,
)
from bot.rules.levels import Level, Rulebook
from bot.rules.model import MemberInput
from bot.rules.plan import Plan
from bot.rules.validate import UnitHeader, members_slice, unit_header

_WS = re.compile(r"[ \t\n\r]*")
_SPLIT = re.compile(r"\}[ \t\n\r]*,[ \t\n\r]*\{")
_GUESSES = 50  # candidate split points tried per run before giving up
# The decoder's own value scanner (C): parses one value at an index, as `DECODER.decode` would.
_scan: Callable[[str, int], tuple[object, int]] = DECODER.scan_once  # type: ignore[attr-defined]


class _Irregular(Exception):
    """The fast path cannot vouch for this text: rate it the ordinary way."""


def _ws(s: str, i: int) -> int:
    m = _WS.match(s, i)
    assert m is not None  # `*` always matches
    return m.end()


def _value(s: str, i: int) -> tuple[object, int]:
    try:
        return _scan(s, i)
    except (StopIteration, ValueError, RecursionError):
        raise _Irregular from None


def parse_run(s: str, start: int, stop: int | None) -> tuple[list[object], int]:
    """The array elements from `start` (an element's first character) up to `stop` (where the
    next run starts) or, when `stop` is None, to the array's end; returns them and where it
    stopped (just past `]` for the last run). Raises `_Irregular` when `stop` is not an element
    boundary of this parse."""
    out: list[object] = []
    scan = _scan
    i = start
    try:
        while True:
            obj, i = scan(s, i)
            out.append(obj)
            i = _ws(s, i)
            c = s[i : i + 1]
            if c == ",":
                i = _ws(s, i + 1)
                if stop is not None and i >= stop:
                    if i == stop:
                        return out, i
                    raise _Irregular
            elif c == "]" and stop is None:
                return out, i + 1
            else:
                raise _Irregular
    except (StopIteration, ValueError, RecursionError):
        raise _Irregular from None


@dataclass
class _Top:
    """The unit-wide keys read so far, and where the members array's first element starts."""

    keys: dict[str, object]
    members_at: int


def _read_top(s: str) -> _Top:
    """Read `{` and the keys before `members`, up to the array's first element."""
    i = _ws(s, 0)
    if s[i : i + 1] != "{":
        raise _Irregular
    keys: dict[str, object] = {}
    i = _ws(s, i + 1)
    while True:
        key, i = _value(s, i)
        if type(key) is not str or key in keys:
            raise _Irregular
        i = _ws(s, i)
        if s[i : i + 1] != ":":
            raise _Irregular
        i = _ws(s, i + 1)
        if key == "members":
            if s[i : i + 1] != "[":
                raise _Irregular
            i = _ws(s, i + 1)
            if s[i : i + 1] == "]":
                raise _Irregular  # nothing to share out
            return _Top(keys, i)
        keys[key], i = _value(s, i)
        i = _ws(s, i)
        if s[i : i + 1] != ",":
            raise _Irregular  # a unit without members is for the serial path to report
        i = _ws(s, i + 1)


def _read_rest(s: str, i: int, keys: dict[str, object]) -> None:
    """The keys after the members array, to the end of the text."""
    i = _ws(s, i)
    while s[i : i + 1] == ",":
        i = _ws(s, i + 1)
        key, i = _value(s, i)
        if type(key) is not str or key in keys or key == "members":
            raise _Irregular
        i = _ws(s, i)
        if s[i : i + 1] != ":":
            raise _Irregular
        keys[key], i = _value(s, _ws(s, i + 1))
        i = _ws(s, i)
    if s[i : i + 1] != "}" or _ws(s, i + 1) != len(s):
        raise _Irregular


def _split_points(s: str, start: int, w: int) -> list[int]:
    """W-1 guessed element starts, in order, roughly evenly through the text."""
    points: list[int] = []
    span = len(s) - start
    first = span * (100 - 10 * (w - 1)) // (100 * w)  # the parent's run: a little shorter
    for k in range(1, w):
        nominal = start + first + (span - first) * (k - 1) // (w - 1)
        pos = max(nominal, points[-1] + 1 if points else start)
        for _ in range(_GUESSES):
            m = _SPLIT.search(s, pos)
            if m is None:
                raise _Irregular
            cand = m.end() - 1
            try:
                obj, _ = _scan(s, cand)
            except (StopIteration, ValueError, RecursionError):
                obj = None
            if type(obj) is dict:
                points.append(cand)
                break
            pos = m.end()
        else:
            raise _Irregular
    return points


class _Context:
    """What a worker needs from the parent once the unit-wide part is known."""

    def __init__(self, rulebook: Rulebook, as_of: date, plan: Plan) -> None:
        self.rulebook, self.as_of, self.plan = rulebook, as_of, plan


def _rate_run(
    ctx: _Context, raw: list[object]
) -> tuple[list[MemberInput], list[MemberResult]] | None:
    header = UnitHeader(ctx.rulebook, ctx.as_of, ctx.plan, raw)
    members = members_slice(header, 0, len(raw))
    if members is None:
        return None
    return members, rate_members(members, ctx.rulebook, ctx.plan, ctx.as_of)


def _finish_run(
    results: list[MemberResult], decisions: list[CapDecision]
) -> tuple[Counter[Level], bytes]:
    by_id = {r.id: r for r in results if r.proposed is Level.HTXSNV}
    for d in decisions:
        apply_decision(by_id[d.id], d)
    finals = Counter(r.final for r in results if r.rated and r.final is not None)
    return finals, b",\n".join(map(MemberJson(), results))


def _worker(conn: Connection, s: str, start: int, stop: int | None) -> None:
    """One run after the first: parse, then rate with the parent's context, then render."""
    try:
        try:
            raw, end = parse_run(s, start, stop)
        except _Irregular:
            conn.send(None)
            return
        conn.send(end)
        ctx: _Context | None = conn.recv()
        if ctx is None:
            return
        rated = _rate_run(ctx, raw)
        if rated is None:
            conn.send(None)
            return
        members, results = rated
        tally = tally_groups(members, results, ctx.rulebook, ctx.plan)
        conn.send(([m.id for m in members], tally))
        decisions: list[CapDecision] | None = conn.recv()
        if decisions is None:
            return
        finals, blob = _finish_run(results, decisions)
        conn.send(finals)
        fd: int | None = conn.recv()  # our turn: write to the output ourselves, or send it
        if fd is None:
            conn.send_bytes(blob)
        else:
            try:
                _write_all(fd, b",\n")
                _write_all(fd, blob)
            except BrokenPipeError:  # the reader went away (`| head`): the parent says so
                conn.send(False)
                return
            conn.send(True)
    finally:
        conn.close()


def write_parallel(text: str, out: IO[bytes], w: int) -> bool:
    """Rate the unit in `text` with `w` processes and write the result; False (nothing
    written) when the fast path cannot vouch for the input."""
    try:
        top = _read_top(text)
        points = _split_points(text, top.members_at, w)
    except _Irregular:
        return False
    mp = multiprocessing.get_context("fork")
    conns: list[Connection] = []
    procs: list[BaseProcess] = []
    sys.stdout.flush()  # nothing buffered may be written twice by a child
    sys.stderr.flush()
    bounds = [*points, None]
    for k in range(1, w):
        parent, child = mp.Pipe()
        p = mp.Process(target=_worker, args=(child, text, bounds[k - 1], bounds[k]), daemon=True)
        p.start()
        child.close()
        conns.append(parent)
        procs.append(p)
    try:
        return _lead(text, out, top, bounds[0], conns)
    except (_Irregular, EOFError, OSError):
        return False
    finally:
        for c in conns:
            c.close()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def _stop(conns: list[Connection]) -> bool:
    for c in conns:
        with contextlib.suppress(OSError):
            c.send(None)
    return False


def _lead(text: str, out: IO[bytes], top: _Top, stop: int | None, conns: list[Connection]) -> bool:
    """The parent's part: the first run, the unit-wide keys, the cap, the writing."""
    raw, _ = parse_run(text, top.members_at, stop)
    end: int | None = None
    for c in conns:  # in order: each run must have ended where the next one starts
        end = c.recv()
        if end is None:
            return _stop(conns)
    assert end is not None
    _read_rest(text, end, top.keys)
    header = unit_header({**top.keys, "members": raw})
    if header is None:
        return _stop(conns)
    ctx = _Context(header.rulebook, header.as_of, header.plan)
    for c in conns:
        c.send(ctx)
    rated = _rate_run(ctx, raw)
    if rated is None:
        return _stop(conns)
    members, results = rated
    ids = [m.id for m in members]
    tallies: list[dict[str, GroupTally]] = [tally_groups(members, results, ctx.rulebook, ctx.plan)]
    for c in conns:
        got = c.recv()
        if got is None:
            return _stop(conns)
        ids += got[0]
        tallies.append(got[1])
    if len(set(ids)) != len(ids):
        return _stop(conns)  # the serial path names the duplicates
    owner = {x.id: k for k, t in enumerate(tallies) for g in t.values() for x in g.candidates}
    groups: list[CapGroupResult] = []
    per_run: list[list[CapDecision]] = [[] for _ in tallies]
    for name, grp in merge_tallies(tallies).items():
        result, decisions = top_cap(name, grp, ctx.plan, ctx.rulebook)
        groups.append(result)
        for d in decisions:
            per_run[owner[d.id]].append(d)
    for c, ds in zip(conns, per_run[1:], strict=True):
        c.send(ds)
    finals, blob = _finish_run(results, per_run[0])
    for c in conns:  # every run is rated and rendered before the first byte goes out
        finals.update(c.recv())
    try:
        fd: int | None = out.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. a BytesIO
        fd = None
    try:  # from the first byte on, a failure must not fall back: that would print twice
        out.write(head_bytes(ctx.rulebook.value))
        out.write(blob)
        out.flush()
        del blob
        for c in conns:  # each worker writes its own lines: 100+ MB need not cross a pipe
            c.send(fd)
            if fd is None:
                out.write(b",\n")
                out.write(c.recv_bytes())
            elif (done := c.recv()) is not True:
                raise BrokenPipeError if done is False else EOFError
    except BrokenPipeError:
        raise
    except (EOFError, OSError) as exc:
        raise RuntimeError("a rating worker stopped while the result was written") from exc
    out.write(tail_bytes(groups, organisation_result(finals.elements())))
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
