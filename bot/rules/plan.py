"""Plan options and the rulebook defaults they overlay (batch-rating.md, "Rulebook defaults").

A đảng bộ's plan sets these numbers; the rulebook only gives defaults. `plan_for` builds the
effective plan of a rulebook with some options overridden.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction

from bot.rules.levels import Rulebook


class VoteRule(StrEnum):
    """The vote-threshold preset of the cell's secret ballot (DOMAIN.md §5.3)."""

    KH61 = "kh61-2021"  # 70 / 60 / >50 / >=50 % of the voters present (seed 000)
    HD07 = "hd07-2011"  # 2/3, >1/2, >1/2, >=1/2 of the official members (HD 07, 2011)
    TWO_ROUND = "two-round"  # seed 004: three levels first, then HTXSNV among those at HTTNV


class CapBase(StrEnum):
    """What the top-level cap's percentage is taken of (DOMAIN.md §5.5)."""

    GOOD_OR_HIGHER = "good_or_higher"  # pct % of those at HTTNV or higher (seed 001)
    GOOD = "good"  # pct % of those left at HTTNV (QĐ 124, QĐ 366 read literally)


@dataclass(frozen=True, slots=True)
class ExcellentCap:
    """At most `pct` % HTXSNV per cap group; `small_unit`: 1 place when 0 < G < 5."""

    pct: int
    base: CapBase
    small_unit: bool


@dataclass(frozen=True, slots=True)
class Plan:
    vote_rule: VoteRule
    excellent_cap: ExcellentCap
    civil_servant_cap: bool
    lost_card_cap: bool
    quorum_more_than_pct: int | Fraction  # present * 100 > pct * electorate


_BASE = Plan(
    vote_rule=VoteRule.KH61,
    excellent_cap=ExcellentCap(pct=20, base=CapBase.GOOD, small_unit=False),
    civil_servant_cap=True,
    lost_card_cap=False,
    quorum_more_than_pct=50,
)

DEFAULTS: dict[Rulebook, Plan] = {
    Rulebook.R2019: replace(
        _BASE,
        excellent_cap=ExcellentCap(pct=20, base=CapBase.GOOD_OR_HIGHER, small_unit=True),
        lost_card_cap=True,
    ),
    Rulebook.R2023: _BASE,
    Rulebook.R2025: _BASE,
}


def plan_for(
    rulebook: Rulebook,
    *,
    vote_rule: VoteRule | None = None,
    pct: int | None = None,
    base: CapBase | None = None,
    small_unit: bool | None = None,
    civil_servant_cap: bool | None = None,
    lost_card_cap: bool | None = None,
    quorum_more_than_pct: int | Fraction | None = None,
) -> Plan:
    """The rulebook's default plan with the given options overridden (None keeps the default)."""
    d = DEFAULTS[rulebook]
    cap = d.excellent_cap
    return Plan(
        vote_rule=d.vote_rule if vote_rule is None else vote_rule,
        excellent_cap=ExcellentCap(
            pct=cap.pct if pct is None else pct,
            base=cap.base if base is None else base,
            small_unit=cap.small_unit if small_unit is None else small_unit,
        ),
        civil_servant_cap=d.civil_servant_cap if civil_servant_cap is None else civil_servant_cap,
        lost_card_cap=d.lost_card_cap if lost_card_cap is None else lost_card_cap,
        quorum_more_than_pct=(
            d.quorum_more_than_pct if quorum_more_than_pct is None else quorum_more_than_pct
        ),
    )
