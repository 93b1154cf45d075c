"""The rating engine's problem lines, said in Vietnamese for the secretary who typed the numbers.

`bot.batch.rate_document` is the only judge of a ballot count or a fact (so the chat, the CLI and
`kiemdiem rate` accept exactly the same input); it reports each problem as one English line such
as `17 ballot: votes 14 + invalid 0 != collected 13` (batch-rating.md, "Invalid input"). This
module owns the translation of those lines into the phrases of `templates/checks.yaml`. A line
it does not recognise is still shown, untranslated, rather than dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.texts import render_string, strings

CHECKS = "checks.yaml"

# (message pattern, phrase key). Patterns follow the wording of bot/rules/validate.py and
# bot/rules/votes.py (`ballot_problems`); tests/secretary/test_secretary_problems.py (and the
# meeting and fact tests, which run the engine itself) fail when that wording changes.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), key)
    for p, key in (
        (
            r"^votes (?P<votes>\d+) \+ invalid (?P<invalid>\d+) != collected (?P<collected>\d+)$",
            "check_votes_sum",
        ),
        (r"^collected (?P<collected>\d+) > issued (?P<issued>\d+)$", "check_collected_issued"),
        (r"^issued (?P<issued>\d+) > present (?P<present>\d+)$", "check_issued_present"),
        (
            r"^present (?P<present>\d+) > electorate (?P<electorate>\d+)$",
            "check_present_electorate",
        ),
        (
            r"^no quorum: present (?P<present>\d+) is not more than (?P<pct>[\d.]+)% "
            r"of electorate (?P<electorate>\d+)$",
            "check_quorum",
        ),
        (
            r"^round 1 of a two-round ballot has no HTXSNV votes \(got (?P<votes>\d+)\)$",
            "check_round1_xs",
        ),
        (
            r"^round 1 placed the member at (?P<level>\w+), not HTTNV; "
            r"round 2 is only for members at HTTNV$",
            "check_round2_not_good",
        ),
        (
            r"^yes (?P<yes>\d+) \+ no (?P<no>\d+) \+ invalid (?P<invalid>\d+) = (?P<cast>\d+) "
            r"> present (?P<present>\d+)$",
            "check_round2_cast",
        ),
        (
            r"^only a two-round ballot has a round 2 \(vote_rule is (?P<rule>[\w-]+)\)$",
            "check_round2_rule",
        ),
        (
            r"^on_time (?P<on_time>\d+) \+ late (?P<late>\d+) \+ not_done (?P<not_done>\d+) "
            r"!= total (?P<total>\d+)$",
            "check_tasks_sum",
        ),
        (
            r"^exceeded (?P<exceeded>\d+) > on_time (?P<on_time>\d+) \+ late (?P<late>\d+)$",
            "check_tasks_exceeded",
        ),
        (r"^fixed (?P<fixed>\d+) > total (?P<total>\d+)$", "check_prior_fixed"),
        (
            r"^used only under rulebook (?P<books>[\d or]+); "
            r"this file is rulebook (?P<book>\d+)$",
            "check_rulebook_only",
        ),
        (
            r"^must be from (?P<lo>[\d.]+) to (?P<hi>[\d.]+)(?P<excluded> \(excluded\))?, "
            r"got (?P<got>.+)$",
            "check_range",
        ),
        (r"^must be >= (?P<lo>\d+), got (?P<got>.+)$", "check_min"),
        (r"^expected true or false, got (?P<got>.+)$", "check_bool"),
        (r"^expected a whole number, got (?P<got>.+)$", "check_int"),
        (r"^expected a number, got (?P<got>.+)$", "check_number"),
        (r"^unknown value (?P<got>'[^']*') \(expected (?P<choices>.+)\)$", "check_choice"),
        (r"^expected one of (?P<choices>.+), got (?P<got>.+)$", "check_choice"),
        (r"^missing\b.*$", "check_missing"),
        (r"^unknown key (?P<got>'[^']*').*$", "check_unknown_key"),
    )
)
_LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV", "UNDETERMINED")


def field_name(field: str) -> str:
    """A field path of the batch document (`ballot.votes.HTTNV`) as the secretary says it."""
    known = strings(CHECKS)
    path = field
    while path:
        if f"field_{path}" in known:
            return render_string(CHECKS, f"field_{path}")
        path = path.rpartition(".")[0]
    return field


def _value(shown: str) -> str:
    """The engine's `_show` of a value, back to what the user typed, in Vietnamese quotes."""
    shown = shown.removeprefix("the number ")
    if len(shown) >= 2 and shown[0] == shown[-1] == "'":
        shown = shown[1:-1]
    return f"«{shown}»"


def translate(line: str) -> str:
    """One problem line of `rate_document` (with its member id or `file` first) in Vietnamese."""
    head, _, rest = line.partition(" ")
    if head.endswith(":") and head != "file:":  # "<id>: message", no field
        field, message = "", rest
    else:  # "<id> field: message" or "file: field: message"
        field, sep, message = rest.partition(": ")
        if not sep:
            field, message = "", rest
    for pattern, key in _PATTERNS:
        m = pattern.match(message)
        if m is None:
            continue
        params = {k: (v or "") for k, v in m.groupdict().items()}
        if "got" in params:
            params["got"] = _value(params["got"])
        if "level" in params and params["level"] in _LEVELS:
            params["level"] = render_string("reasons.yaml", f"level.{params['level']}")
        if key == "check_choice":
            params["choices"] = params["choices"].replace("'", "")
        return render_string(CHECKS, key, field=field_name(field), **params)
    return render_string(CHECKS, "check_other", field=field_name(field), text=message)


def translate_all(lines: Iterable[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        text = translate(line)
        if text not in out:  # e.g. one cause reported under two fields
            out.append(text)
    return out
