"""Caps and flags from facts (DOMAIN.md §5.4): each cap lowers the maximum level, the lowest
wins; flags ask the deciding level to look. A cap at KHTNV leaves only one level possible, so it
decides even when the vote or the points are UNDETERMINED (a "forced KHTNV").
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from bot.rules.levels import Level, Rulebook
from bot.rules.model import MEMO_SIZE, NO_FACTS, Facts, SelfAssessment
from bot.rules.plan import Plan
from bot.rules.reasons import Cap, Citation, Flag, Param, Reason, cite
from bot.rules.sources import CV123, HD13, HD21, HD43, KH61, QD37, QD124, QD366

# Forced KHTNV: HD 21 and seed 004 §II.2.3 d (2019); QĐ 124 (2023); QĐ 366 Điều 11 (2025).
FORCED: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(
        HD13, "mục B.II.2.3 d", (HD21, "tiêu chuẩn mức Không hoàn thành nhiệm vụ")
    ),
    Rulebook.R2023: cite(QD124, "các trường hợp xếp loại Không hoàn thành nhiệm vụ"),
    Rulebook.R2025: cite(QD366, "Điều 11"),
}
PROHIBITIONS = cite(QD366, "Điều 11", (QD37, "19 điều đảng viên không được làm"))
# Self-detected and remedied: not automatic, the deciding level weighs it (QĐ 124; QĐ 366 Điều 11).
SELF_REMEDIED: dict[Rulebook, Citation] = {
    Rulebook.R2023: cite(QD124, "trường hợp tự phát hiện và khắc phục xong hậu quả"),
    Rulebook.R2025: cite(QD366, "Điều 11"),
}
# The party level may not exceed the civil-servant rating: seed 004 §II.2.3; QĐ 366 Điều 3.4.
CIVIL_SERVANT: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(HD13, "mục B.II.2.3"),
    Rulebook.R2023: cite(HD13, "mục B.II.2.3"),
    Rulebook.R2025: cite(QD366, "Điều 3.4"),
}
# Sick leave >= 3 months: at most HTNV in 2019 (seed 000 §2.3, seed 004 §V.1); actual work after.
SICK_2019 = cite(KH61, "mục II.2.3", (HD13, "mục B.V.1"))
ACTUAL_WORK: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(KH61, "mục II.2.3"),
    Rulebook.R2023: cite(HD43, "mục 7.5"),
    Rulebook.R2025: cite(HD43, "mục 7.5"),
}
LOST_CARD = cite(HD13, "mục B.V.1")
# Head of a collective: not above the collective (seed 004 §V.1; seed 001 (5)), with exceptions.
HEAD = cite(HD13, "mục B.V.1", (CV123, "điểm (5)"))
HEAD_EXCEPTION: dict[str, Citation] = {
    "party_post_not_main_job": cite(CV123, "điểm (5), trường hợp (1)"),
    "new_head_under_3_months": cite(CV123, "điểm (5), trường hợp (2)"),
    "transferred_in": cite(KH61, "mục II.2.3"),
}
# Indicators at level 4-5: the cell must consider handling (seed 000 §1.3.2 a).
INDICATORS = cite(KH61, "mục II.1.3.2 a")

RULE_IDS = (
    "cap.disciplined",
    "cap.prohibitions",
    "cap.decline",
    "cap.targets_low",
    "cap.tasks_not_done",
    "cap.civil_servant",
    "cap.sick_leave",
    "cap.lost_card",
    "cap.head_of",
    "flag.self_remedied",
    "flag.sick_leave",
    "flag.maternity",
    "flag.indicator_handling",
    "civil_servant.cap_off",
    "lost_card.force_majeure",
    "lost_card.cap_off",
    "head.exception.party_post_not_main_job",
    "head.exception.new_head_under_3_months",
    "head.exception.transferred_in",
)


class CapsOutcome(NamedTuple):
    caps: tuple[Cap, ...]  # every cap below HTXSNV, in the order of the rules
    flags: tuple[Flag, ...]
    reasons: tuple[Reason, ...]  # the flags' and the non-binding notes' reasons (caps carry theirs)


NO_CAPS = CapsOutcome((), (), ())

# Enum members looked up once: attribute access on an Enum class is slow in hot loops.
HTXSNV, HTTNV, HTNV, KHTNV = Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV
UNDETERMINED = Level.UNDETERMINED
R2019, R2025 = Rulebook.R2019, Rulebook.R2025


def _cap(level: Level, rule: str, c: Citation, **params: Param) -> Cap:
    return Cap(level, Reason(rule, c, tuple(params.items())))


def member_caps(
    facts: Facts, assessment: SelfAssessment | None, rulebook: Rulebook, plan: Plan
) -> CapsOutcome:
    """Every cap and flag the facts (and the indicators of the self-review) give."""
    indicators = assessment.indicators if assessment is not None else ()
    if facts is NO_FACTS and not indicators:
        return NO_CAPS
    return _member_caps(facts, indicators, rulebook, plan.civil_servant_cap, plan.lost_card_cap)


@lru_cache(maxsize=MEMO_SIZE)
def _member_caps(
    facts: Facts,
    indicators: tuple[tuple[int, int], ...],
    rulebook: Rulebook,
    civil_servant_cap: bool,
    lost_card_cap: bool,
) -> CapsOutcome:
    caps: list[Cap] = []
    flags: list[Flag] = []
    reasons: list[Reason] = []
    forced = FORCED[rulebook]
    r2019 = rulebook is R2019
    f = facts

    # Forced KHTNV.
    if f.disciplined:
        if f.discipline_self_remedied and not r2019:
            flags.append(Flag.SELF_REMEDIED)
            reasons.append(
                Reason("flag.self_remedied", SELF_REMEDIED[rulebook], (("what", "discipline"),))
            )
        else:
            caps.append(_cap(KHTNV, "cap.disciplined", forced))
    if f.violated_prohibitions and rulebook is R2025:
        if f.discipline_self_remedied:
            flags.append(Flag.SELF_REMEDIED)
            reasons.append(
                Reason("flag.self_remedied", SELF_REMEDIED[rulebook], (("what", "prohibitions"),))
            )
        else:
            caps.append(_cap(KHTNV, "cap.prohibitions", PROHIBITIONS))
    if f.concluded_decline:
        caps.append(_cap(KHTNV, "cap.decline", forced))
    if rulebook is R2025:
        t = f.tasks
        if t is not None and t.not_done * 2 > t.total:
            caps.append(_cap(KHTNV, "cap.tasks_not_done", forced, not_done=t.not_done, of=t.total))
    elif f.targets_done_pct is not None and f.targets_done_pct < 50:
        caps.append(_cap(KHTNV, "cap.targets_low", forced, done=f.targets_done_pct))

    # Civil servants: not above the civil-servant rating of the year (plan option).
    rating = f.civil_servant_rating
    if rating is not None:
        if not civil_servant_cap:
            reasons.append(
                Reason("civil_servant.cap_off", CIVIL_SERVANT[rulebook], (("rating", rating),))
            )
        elif rating is not HTXSNV:
            caps.append(_cap(rating, "cap.civil_servant", CIVIL_SERVANT[rulebook], rating=rating))

    # Sick leave and maternity.
    months = f.sick_leave_months
    if months >= 3:
        if r2019:
            caps.append(_cap(HTNV, "cap.sick_leave", SICK_2019, months=months))
        else:
            flags.append(Flag.ACTUAL_WORK_ONLY)
            reasons.append(Reason("flag.sick_leave", ACTUAL_WORK[rulebook], (("months", months),)))
    if f.maternity:
        flags.append(Flag.ACTUAL_WORK_ONLY)
        reasons.append(Reason("flag.maternity", ACTUAL_WORK[rulebook]))

    # Lost party card without force majeure (plan option; on in 2019).
    if f.lost_card:
        if f.lost_card_force_majeure:
            reasons.append(Reason("lost_card.force_majeure", LOST_CARD))
        elif lost_card_cap:
            caps.append(_cap(HTNV, "cap.lost_card", LOST_CARD))
        else:
            reasons.append(Reason("lost_card.cap_off", LOST_CARD))

    # Head of a collective: not above the collective's rating, except three cases.
    head = f.head_of
    if head is not None:
        if head.exception is not None:
            exc = head.exception.value
            params = (("rating", head.collective_rating),)
            reasons.append(Reason(f"head.exception.{exc}", HEAD_EXCEPTION[exc], params))
        elif head.collective_rating is not HTXSNV:
            r = head.collective_rating
            caps.append(_cap(r, "cap.head_of", HEAD, rating=r))

    # Indicators at level 4-5.
    serious = [(n, lvl) for n, lvl in indicators if lvl >= 4]
    if serious:
        flags.append(Flag.INDICATOR_HANDLING)
        params_i = (
            ("indicators", ", ".join(str(n) for n, _ in serious)),
            ("highest", max(lvl for _, lvl in serious)),
        )
        reasons.append(Reason("flag.indicator_handling", INDICATORS, params_i))

    return CapsOutcome(tuple(caps), tuple(flags), tuple(reasons))
