"""Self level: what the member's own assessment supports (DOMAIN.md §5.2).

`2019` / `2023`: per-criterion grades XS / T / TB / K against the standards of each level.
`2025`: the 100-point bands of QĐ 366 Điều 11 with their task conditions. The caps of §5.4
(discipline, civil-servant rating, ...) are not part of the self level; see `caps.py`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from bot.rules.levels import Grade, Level, Rulebook
from bot.rules.model import (
    MEMO_SIZE,
    Facts,
    Number,
    PriorShortcomings,
    SelfAssessment,
    Tasks,
)
from bot.rules.reasons import Citation, Flag, Params, Reason, cite
from bot.rules.sources import HD13, HD21, QD124, QD366

# Standards of each level for a member: seed 004 §II.2.3 (HD 13), HD 21 (2019); QĐ 124 (2023).
STANDARDS: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(HD13, "mục B.II.2.3", (HD21, "tiêu chuẩn các mức chất lượng đảng viên")),
    Rulebook.R2023: cite(QD124, "tiêu chuẩn các mức chất lượng đảng viên", (HD13, "mục B.II.2.3")),
}
# QĐ 124: HTXSNV also needs 100 % of targets met on time and >= 50 % exceeded.
TARGETS_2023 = cite(QD124, "tiêu chuẩn mức Hoàn thành xuất sắc nhiệm vụ")
# QĐ 366 Điều 10 (100 points) and Điều 11 (bands and their conditions).
BANDS_2025 = cite(QD366, "Điều 10, Điều 11")

RULE_IDS = (
    "self.criteria.htxsnv",
    "self.criteria.httnv",
    "self.criteria.htnv",
    "self.criteria.khtnv",
    "self.targets.met",
    "self.targets.short",
    "self.targets.unchecked",
    "self.points.htxsnv",
    "self.points.httnv",
    "self.points.htnv",
    "self.points.khtnv",
    "self.points.khtnv_not_done",
    "self.points.no_level_fits",
    "self.points.unchecked",
    "self.points.cond.on_time",
    "self.points.cond.exceeded",
    "self.points.cond.shortcomings",
    "self.points.cond.all_done",
    "self.points.cond.late",
)


_BAND_RULE = {
    Level.HTXSNV: "self.points.htxsnv",
    Level.HTTNV: "self.points.httnv",
    Level.HTNV: "self.points.htnv",
}


class SelfOutcome(NamedTuple):
    level: Level
    reasons: tuple[Reason, ...]
    flags: tuple[Flag, ...] = ()


def _ids(ids: list[str]) -> str:
    return ", ".join(ids)


# --- 2019 / 2023: criteria -------------------------------------------------------------------


def criteria_level(a: SelfAssessment, facts: Facts, rulebook: Rulebook) -> SelfOutcome | None:
    """The level the grades support, or None when the member graded no criterion."""
    if not a.criteria:
        return None
    if rulebook is Rulebook.R2023:
        done, exceeded = facts.targets_done_pct, facts.targets_exceeded_pct
        return _criteria_level(a.criteria, a.task_criteria, rulebook, done, exceeded)
    return _criteria_level(a.criteria, a.task_criteria, rulebook, None, None)


@lru_cache(maxsize=MEMO_SIZE)
def _criteria_level(
    criteria: tuple[tuple[str, Grade], ...],
    tasks: frozenset[str],
    rulebook: Rulebook,
    done: Number | None,
    exceeded: Number | None,
) -> SelfOutcome:
    c = STANDARDS[rulebook]
    failed: list[str] = []  # K
    task_tb: list[str] = []  # a task-result criterion at TB: HTNV at best
    task_t: list[str] = []  # a task-result criterion at T: HTTNV at best
    other_tb: list[str] = []  # another criterion at TB: HTTNV at best
    for cid, g in criteria:
        if g is Grade.K:
            failed.append(cid)
        elif g is Grade.TB:
            (task_tb if cid in tasks else other_tb).append(cid)
        elif g is Grade.T and cid in tasks:
            task_t.append(cid)
    if failed:
        return SelfOutcome(
            Level.KHTNV, (Reason("self.criteria.khtnv", c, (("criteria", _ids(failed)),)),)
        )
    # No K from here on, so every criterion is >= TB: HTNV at least.
    if task_tb:
        return SelfOutcome(
            Level.HTNV, (Reason("self.criteria.htnv", c, (("criteria", _ids(task_tb)),)),)
        )
    # Task-result criteria >= T and the others >= TB: HTTNV at least.
    if task_t or other_tb:
        params: Params = (("task_criteria", _ids(task_t)), ("other_criteria", _ids(other_tb)))
        return SelfOutcome(Level.HTTNV, (Reason("self.criteria.httnv", c, params),))
    counts: Params = (("tasks", len(tasks)), ("others", len(criteria) - len(tasks)))
    top = Reason("self.criteria.htxsnv", c, counts)
    if rulebook is not Rulebook.R2023:
        return SelfOutcome(Level.HTXSNV, (top,))
    return _targets_2023(top, done, exceeded)


def _targets_2023(top: Reason, done: Number | None, exceeded: Number | None) -> SelfOutcome:
    """QĐ 124: HTXSNV also needs 100 % of targets on time and >= 50 % exceeded."""
    params: Params = (("done", done), ("exceeded", exceeded))
    too_low = (done is not None and done < 100) or (exceeded is not None and exceeded < 50)
    if too_low:
        short = Reason("self.targets.short", TARGETS_2023, params)
        return SelfOutcome(Level.HTTNV, (top, short))
    if done is None or exceeded is None:
        unchecked = Reason("self.targets.unchecked", TARGETS_2023, params)
        return SelfOutcome(Level.HTXSNV, (top, unchecked), (Flag.CONDITIONS_UNCHECKED,))
    return SelfOutcome(Level.HTXSNV, (top, Reason("self.targets.met", TARGETS_2023, params)))


# --- 2025: points ----------------------------------------------------------------------------


def points_level(total: Number, facts: Facts) -> SelfOutcome:
    """QĐ 366 Điều 11: the band the total reaches, or the next band down whose conditions hold.

    Without `tasks` the task conditions count as met and the outcome is flagged
    `conditions_unchecked` (only when the total is >= 50: below, nothing could change it).
    """
    return _points_level(total, facts.tasks, facts.prior_shortcomings)


@lru_cache(maxsize=MEMO_SIZE)
def _points_level(total: Number, t: Tasks | None, ps: PriorShortcomings | None) -> SelfOutcome:
    c = BANDS_2025
    if t is not None and t.not_done * 2 > t.total:
        params: Params = (("points", total), ("not_done", t.not_done), ("of", t.total))
        return SelfOutcome(Level.KHTNV, (Reason("self.points.khtnv_not_done", c, params),))
    if total < 50:
        return SelfOutcome(Level.KHTNV, (Reason("self.points.khtnv", c, (("points", total),)),))
    reasons: list[Reason] = []
    flags: tuple[Flag, ...] = ()
    if t is None:
        reasons.append(Reason("self.points.unchecked", c, (("points", total),)))
        flags = (Flag.CONDITIONS_UNCHECKED,)
    for band in _bands_from(total):
        failures = _band_failures(band, t, ps)
        if not failures:
            reasons.append(Reason(_BAND_RULE[band], c, _band_params(band, total, t)))
            return SelfOutcome(band, tuple(reasons), flags)
        reasons.extend(failures)
    reasons.append(
        Reason("self.points.no_level_fits", c, _band_params(Level.UNDETERMINED, total, t))
    )
    return SelfOutcome(Level.UNDETERMINED, tuple(reasons), (*flags, Flag.NO_LEVEL_FITS))


def _bands_from(total: Number) -> tuple[Level, ...]:
    if total >= 90:
        return (Level.HTXSNV, Level.HTTNV, Level.HTNV)
    if total >= 70:
        return (Level.HTTNV, Level.HTNV)
    return (Level.HTNV,)


def _band_params(band: Level, total: Number, t: Tasks | None) -> Params:
    """The numbers the band's text shows (only those, so equal texts share one rendering)."""
    if t is None:
        return (("points", total), ("of", None))
    if band is Level.HTXSNV:
        return (
            ("points", total),
            ("of", t.total),
            ("on_time", t.on_time),
            ("exceeded", t.exceeded),
        )
    if band is Level.HTTNV:
        return (("points", total), ("of", t.total), ("on_time", t.on_time))
    if band is Level.HTNV:
        return (("points", total), ("of", t.total), ("late", t.late))
    return (("points", total), ("of", t.total), ("on_time", t.on_time), ("late", t.late))


def _band_failures(band: Level, t: Tasks | None, ps: PriorShortcomings | None) -> list[Reason]:
    """The conditions of `band` that the facts fail (none when the task facts are missing)."""
    out: list[Reason] = []
    c = BANDS_2025
    if band is Level.HTXSNV:
        if t is not None:
            if t.on_time != t.total:
                out.append(
                    Reason(
                        "self.points.cond.on_time",
                        c,
                        (("band", band), ("on_time", t.on_time), ("of", t.total)),
                    )
                )
            if t.exceeded * 100 < 30 * t.total:
                out.append(
                    Reason(
                        "self.points.cond.exceeded", c, (("exceeded", t.exceeded), ("of", t.total))
                    )
                )
        if ps is not None and ps.fixed < ps.total:
            out.append(
                Reason("self.points.cond.shortcomings", c, (("fixed", ps.fixed), ("of", ps.total)))
            )
    elif band is Level.HTTNV:
        if t is not None and t.on_time != t.total:
            out.append(
                Reason(
                    "self.points.cond.on_time",
                    c,
                    (("band", band), ("on_time", t.on_time), ("of", t.total)),
                )
            )
    elif t is not None:  # HTNV
        if t.not_done:
            out.append(
                Reason("self.points.cond.all_done", c, (("not_done", t.not_done), ("of", t.total)))
            )
        if t.late * 100 > 20 * t.total:
            out.append(Reason("self.points.cond.late", c, (("late", t.late), ("of", t.total))))
    return out
