"""Vote level from the cell's secret ballot (DOMAIN.md §5.3) and the checks a count must pass
before it is used (batch-rating.md, "Defaults and edge cases").

Every threshold is compared in exact integer arithmetic: `votes * den >= num * n`.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from bot.rules.levels import Level
from bot.rules.model import MEMO_SIZE, Ballot, Round2, Votes
from bot.rules.plan import Plan, VoteRule
from bot.rules.reasons import Citation, Params, Reason, cite
from bot.rules.sources import HD07, HD13, KH61

# Seed 000 §1.4.3: share of "tổng số người có mặt tham gia bỏ phiếu".
KH61_VOTES = cite(KH61, "mục II.1.4.3")
# HD 07 (2011): share of the cell's official members (the last national thresholds).
HD07_VOTES = cite(HD07, "tỷ lệ biểu quyết trên tổng số đảng viên chính thức của chi bộ")
# Seed 004 §II.2.5 step 2: round 1 into three levels, round 2 elects HTXSNV among HTTNV.
TWO_ROUND_VOTES = cite(HD13, "mục B.II.2.5, bước 2")

KH61_EXCELLENT = Fraction(70, 100)
KH61_GOOD = Fraction(60, 100)
HD07_EXCELLENT = Fraction(2, 3)
HALF = Fraction(1, 2)  # kh61: HTNV more than, KHTNV at least; hd07 and two-round

RULE_IDS = tuple(
    f"vote.{p}.{outcome}"
    for p in ("kh61", "hd07")
    for outcome in ("htxsnv", "httnv", "htnv", "khtnv", "undetermined")
) + tuple(
    f"vote.two_round.{outcome}"
    for outcome in ("htxsnv", "httnv", "httnv_round2", "htnv", "khtnv", "undetermined")
)


def at_least(votes: int, of: int, share: Fraction) -> bool:
    """votes / of >= share, exactly."""
    return votes * share.denominator >= share.numerator * of


def more_than(votes: int, of: int, share: Fraction) -> bool:
    """votes / of > share, exactly."""
    return votes * share.denominator > share.numerator * of


def denominator(b: Ballot, rule: VoteRule) -> int:
    """Whom the shares are of: the cell's official members for hd07-2011, else those present."""
    return b.electorate if rule is VoteRule.HD07 else b.present


def _undetermined(rule_id: str, cite_: Citation, v: Votes, n: int) -> tuple[Level, Reason]:
    params: Params = (
        ("htxsnv", v.htxsnv),
        ("good", v.htxsnv + v.httnv),
        ("done", v.htxsnv + v.httnv + v.htnv),
        ("khtnv", v.khtnv),
        ("of", n),
    )
    return Level.UNDETERMINED, Reason(rule_id, cite_, params)


@lru_cache(maxsize=MEMO_SIZE)
def _four_levels(v: Votes, n: int, rule: VoteRule) -> tuple[Level, Reason]:
    """kh61-2021 and hd07-2011: one ballot with four levels, best level first; `n` is the
    denominator (those present, or the official members for hd07-2011)."""
    if rule is VoteRule.KH61:
        c, p = KH61_VOTES, "vote.kh61."
        excellent, good = KH61_EXCELLENT, KH61_GOOD
        good_ok = at_least
    else:
        c, p = HD07_VOTES, "vote.hd07."
        excellent, good = HD07_EXCELLENT, HALF
        good_ok = more_than
    xs = v.htxsnv
    if at_least(xs, n, excellent):
        return Level.HTXSNV, Reason(p + "htxsnv", c, (("votes", xs), ("of", n)))
    tt = xs + v.httnv
    if good_ok(tt, n, good):
        return Level.HTTNV, Reason(p + "httnv", c, (("votes", tt), ("of", n)))
    done = tt + v.htnv
    if more_than(done, n, HALF):
        return Level.HTNV, Reason(p + "htnv", c, (("votes", done), ("of", n)))
    if at_least(v.khtnv, n, HALF):
        return Level.KHTNV, Reason(p + "khtnv", c, (("votes", v.khtnv), ("of", n)))
    return _undetermined(p + "undetermined", c, v, n)


def round1_level(b: Ballot) -> Level:
    """Two-round ballot, round 1 only: HTTNV / HTNV / KHTNV by more than half of those present."""
    return _round1(b.votes, b.present)


def _round1(v: Votes, n: int) -> Level:
    if more_than(v.httnv, n, HALF):
        return Level.HTTNV
    if more_than(v.httnv + v.htnv, n, HALF):
        return Level.HTNV
    if more_than(v.khtnv, n, HALF):
        return Level.KHTNV
    return Level.UNDETERMINED


@lru_cache(maxsize=MEMO_SIZE)
def _two_round(v: Votes, n: int, r2: Round2 | None) -> tuple[Level, Reason]:
    c = TWO_ROUND_VOTES
    first = _round1(v, n)
    if first is Level.HTTNV:
        if r2 is None:
            return first, Reason("vote.two_round.httnv", c, (("votes", v.httnv), ("of", n)))
        params: Params = (("votes", v.httnv), ("yes", r2.yes), ("of", n))
        if more_than(r2.yes, n, HALF):
            return Level.HTXSNV, Reason("vote.two_round.htxsnv", c, params)
        return first, Reason("vote.two_round.httnv_round2", c, params)
    if first is Level.HTNV:
        return first, Reason("vote.two_round.htnv", c, (("votes", v.httnv + v.htnv), ("of", n)))
    if first is Level.KHTNV:
        return first, Reason("vote.two_round.khtnv", c, (("votes", v.khtnv), ("of", n)))
    return _undetermined("vote.two_round.undetermined", c, v, n)


def vote_level(b: Ballot, rule: VoteRule) -> tuple[Level, Reason]:
    """The level the ballot gives under the plan's preset, with the numbers that decided it."""
    if rule is VoteRule.TWO_ROUND:
        return _two_round(b.votes, b.present, b.round2)
    return _four_levels(b.votes, denominator(b, rule), rule)


def excellent_votes(b: Ballot, rule: VoteRule) -> tuple[int, int]:
    """(votes for HTXSNV, denominator) used to rank candidates for the top-level cap.

    Two-round: round 2's yes votes over those present.
    """
    if rule is VoteRule.TWO_ROUND:
        return (b.round2.yes if b.round2 is not None else 0), b.present
    return b.votes.htxsnv, denominator(b, rule)


def _show(q: int | Fraction) -> str:
    return str(q) if isinstance(q, int) or q.denominator == 1 else format(float(q), "g")


def ballot_problems(b: Ballot, plan: Plan) -> list[tuple[str, str]]:
    """Everything wrong with a count, as (field under `ballot`, message); empty when usable.

    The counts are assumed to be non-negative integers already (the parser checks types).
    """
    out: list[tuple[str, str]] = []
    v = b.votes
    total = v.total
    if total + b.invalid != b.collected:
        out.append(("", f"votes {total} + invalid {b.invalid} != collected {b.collected}"))
    if b.collected > b.issued:
        out.append(("", f"collected {b.collected} > issued {b.issued}"))
    if b.issued > b.present:
        out.append(("", f"issued {b.issued} > present {b.present}"))
    if b.present > b.electorate:
        out.append(("", f"present {b.present} > electorate {b.electorate}"))
    q = plan.quorum_more_than_pct
    if not b.present * 100 > q * b.electorate:
        out.append(
            (
                "",
                f"no quorum: present {b.present} is not more than {_show(q)}% "
                f"of electorate {b.electorate}",
            )
        )
    rule = plan.vote_rule
    if rule is VoteRule.TWO_ROUND:
        if v.htxsnv:
            out.append(
                (
                    "votes.HTXSNV",
                    f"round 1 of a two-round ballot has no HTXSNV votes (got {v.htxsnv})",
                )
            )
        r2 = b.round2
        if r2 is not None:
            first = round1_level(b)
            if first is not Level.HTTNV:
                out.append(
                    (
                        "round2",
                        f"round 1 placed the member at {first.value}, not HTTNV; "
                        "round 2 is only for members at HTTNV",
                    )
                )
            cast = r2.yes + r2.no + r2.invalid
            if cast > b.present:
                out.append(
                    (
                        "round2",
                        f"yes {r2.yes} + no {r2.no} + invalid {r2.invalid} = {cast} "
                        f"> present {b.present}",
                    )
                )
    elif b.round2 is not None:
        out.append(("round2", f"only a two-round ballot has a round 2 (vote_rule is {rule.value})"))
    return out
