"""`kiemdiem rate`'s output: the result document written as JSON lines, as it is made.

The document is the one of spec/batch-rating.md with one member (and one cap group) per line,
so a 200,000-member result is written without first becoming one object and one string
(which took gigabytes). Each reason, cap and flag list becomes JSON once and is reused: a unit
repeats the same few thousand reasons over and over. A large unit is rated on every core by
`bot.batch_parallel`; anything that path cannot vouch for is rated here, serially, which also
reports every problem. Both paths print the same bytes (tests/rules/test_batch_stream.py).
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring
from typing import IO, Any

from bot.batch import decode_text, load_document, rate_unit_document, reason_text, unit_of
from bot.rules.engine import CapGroupResult, MemberResult, OrganisationResult
from bot.rules.levels import Level
from bot.rules.output import cap_group_dict
from bot.rules.reasons import Cap, Flag, Reason

# Below this much text (about 10,000 members) forking costs more than it saves.
PARALLEL_FROM_CHARS = 5_000_000
_MEMBER = (
    b'{"id": %b, "rated": %b, "not_rated_reason": %b, "self_level": %b, "self_points": %b, '
    b'"vote_level": %b, "caps": [%b], "proposed": %b, "final": %b, "flags": [%b], '
    b'"reasons": [%b]}'
)


def _dumps(x: object) -> bytes:
    return json.dumps(x, ensure_ascii=False).encode()


_LEVEL: dict[Any, bytes] = {None: b"null", **{lv: _dumps(lv.value) for lv in Level}}


class MemberJson:
    """A member's result as one line of JSON (UTF-8), from parts rendered once and reused."""

    def __init__(self, text: Callable[[Reason], str] = reason_text) -> None:
        self.text = text
        self.reasons: dict[Reason, bytes] = {}
        self.caps: dict[Cap, bytes] = {}
        self.flags: dict[tuple[Flag, ...], bytes] = {}

    def reason(self, x: Reason) -> bytes:
        s = self.reasons.get(x)
        if s is None:
            d = {"rule": x.rule, "cite": x.cite.text, "text": self.text(x)}
            s = self.reasons[x] = _dumps(d)
        return s

    def cap(self, c: Cap) -> bytes:
        s = self.caps.get(c)
        if s is None:
            d = {"level": c.level.value, "rule": c.reason.rule, "text": self.text(c.reason)}
            s = self.caps[c] = _dumps(d)
        return s

    def __call__(self, r: MemberResult) -> bytes:
        nr, points, flags = r.not_rated_reason, r.self_points, tuple(r.flags)
        fl = self.flags.get(flags)
        if fl is None:
            fl = self.flags[flags] = b", ".join(_dumps(f.value) for f in flags)
        if points is None:
            pts = b"null"
        elif type(points) is int:
            pts = b"%d" % points
        else:  # a Fraction: whole ones print as ints, others as the nearest JSON number
            pts = b"%d" % points.numerator if points.denominator == 1 else _dumps(float(points))
        reason = self.reason
        return _MEMBER % (
            encode_basestring(r.id).encode(),
            b"true" if r.rated else b"false",
            b"null" if nr is None else _dumps(nr.value),
            _LEVEL[r.self_level],
            pts,
            _LEVEL[r.vote_level],
            b", ".join(map(self.cap, r.caps)),
            _LEVEL[r.proposed],
            _LEVEL[r.final],
            fl,
            b", ".join([reason(x) for x in r.reasons]),
        )


def head_bytes(rulebook: str) -> bytes:
    return b'{"rulebook": %b, "members": [\n' % _dumps(rulebook)


def tail_bytes(groups: Iterable[CapGroupResult], org: OrganisationResult) -> bytes:
    lines = b",\n".join(_dumps(cap_group_dict(g)) for g in groups)
    level = None if org.max_level is None else org.max_level.value
    return b'\n], "cap_groups": [\n%b\n], "organisation": %b}\n' % (
        lines,
        _dumps({"max_level": level}),
    )


def default_workers(chars: int) -> int:
    """One process per available core (at most 4) for a large unit, else one."""
    if chars < PARALLEL_FROM_CHARS or not hasattr(os, "fork"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def write_rating(data: str | bytes, out: IO[bytes], workers: int | None = None) -> None:
    """Rate the unit (or shared test case) in `data` and write the result document to `out`.

    Raises `InputErrors` listing every problem, before anything is written.
    """
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: see bot.batch.rate_document
    try:
        text = decode_text(data)
        del data
        w = default_workers(len(text)) if workers is None else workers
        if w > 1:
            from bot.batch_parallel import write_parallel

            if write_parallel(text, out, w):
                return
        write_serial(unit_of(load_document(text)), out)
    finally:
        if gc_was_on:
            gc.enable()


def write_serial(doc: object, out: IO[bytes]) -> None:
    """Rate the parsed unit `doc` in this process and write the result document to `out`."""
    result = rate_unit_document(doc)
    out.write(head_bytes(result.rulebook.value))
    out.write(b",\n".join(map(MemberJson(), result.members)))
    out.write(tail_bytes(result.cap_groups, result.organisation))
