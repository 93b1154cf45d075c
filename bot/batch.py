"""Batch rating (spec/batch-rating.md): a unit document in, the result document out.

`rate_document` is what `kiemdiem rate` runs and what the database path calls with the same
input shape, so `kiemdiem results --json` and `kiemdiem rate` print the same thing. The rules
(`bot.rules`) decide; this module only parses, renders each reason's text from
`templates/reasons.yaml`, and shapes the output.
"""

from __future__ import annotations

import gc
import json
from decimal import Decimal
from typing import Any

from bot.rules.engine import UnitResult, rate_unit
from bot.rules.levels import Level
from bot.rules.output import unit_dict
from bot.rules.reasons import Param, Params, Reason
from bot.rules.validate import InvalidUnit, parse_unit
from bot.texts import render_string

REASONS = "reasons.yaml"
_CACHE_LIMIT = 200_000


class InputErrors(Exception):
    """The input cannot be rated; `problems` has one line per problem (member id or `file`)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_texts: dict[tuple[str, Params], str] = {}
_level_names: dict[Level, str] = {}


def _level_name(level: Level) -> str:
    name = _level_names.get(level)
    if name is None:
        name = _level_names[level] = render_string(REASONS, f"level.{level.value}")
    return name


def _template_value(v: Param) -> Param:
    return _level_name(v) if isinstance(v, Level) else v


def reason_text(reason: Reason) -> str:
    """The reason's Vietnamese text: its template rendered with its params (cached)."""
    key = (reason.rule, reason.params)
    text = _texts.get(key)
    if text is None:
        if len(_texts) >= _CACHE_LIMIT:
            _texts.clear()
        params = {k: _template_value(v) for k, v in reason.params}
        text = _texts[key] = render_string(REASONS, reason.rule, **params)
    return text


_CASE_KEYS = frozenset(("name", "input", "expect"))


def unit_of(doc: object) -> object:
    """The unit document itself, or the `input` of a test case (`{"name", "input", "expect"}`
    as in the shared `cases/` folder), so a case file can be rated as it is."""
    if isinstance(doc, dict) and "input" in doc and _CASE_KEYS.issuperset(doc):
        return doc["input"]
    return doc


def rate_document(doc: object) -> dict[str, Any]:
    """Validate and rate a whole unit; raises `InputErrors` listing every problem.

    `doc` is the parsed JSON (use `load_document` to keep fractional numbers exact; plain
    `json.loads` floats are accepted too and read as the decimal they print as).
    """
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return unit_dict(rate_unit_document(doc), reason_text)
    finally:
        if gc_was_on:
            gc.enable()


def rate_unit_document(doc: object) -> UnitResult:
    """`rate_document` before the texts: the typed result; raises `InputErrors`."""
    # A unit of 200,000 members allocates millions of small acyclic objects; the cyclic garbage
    # collector would rescan them over and over (more than half the run time) for nothing.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        try:
            unit = parse_unit(doc)
        except InvalidUnit as exc:
            raise InputErrors(exc.problems) from None
        return rate_unit(unit)
    finally:
        if gc_was_on:
            gc.enable()


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError(f"duplicate key {k!r} in an object")
            seen.add(k)
    return d


# The exact decoder: fractions as Decimal, NaN/Infinity refused, duplicate keys refused.
DECODER = json.JSONDecoder(
    parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_pairs
)


def decode_text(data: str | bytes) -> str:
    """The document's text: UTF-8 (a BOM is dropped); raises `InputErrors`."""
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputErrors([f"file: not UTF-8 text (byte {exc.start})"]) from None
    return data[1:] if data.startswith("\ufeff") else data


def load_document(text: str | bytes) -> object:
    """Parse a batch JSON document exactly (fractions as `Decimal`); raises `InputErrors`."""
    gc_was_on = gc.isenabled()
    gc.disable()  # see rate_document
    try:
        return DECODER.decode(decode_text(text))
    except json.JSONDecodeError as exc:
        raise InputErrors(
            [f"file: malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None
    except RecursionError:
        raise InputErrors(["file: malformed JSON: nested too deeply"]) from None
    except ValueError as exc:
        raise InputErrors([f"file: malformed JSON: {exc}"]) from None
    finally:
        if gc_was_on:
            gc.enable()
