"""Who is rated (DOMAIN.md §5.1): exempt and suspended members are not reviewed or rated;
a member admitted less than six full calendar months before the rating date is reviewed but
not rated. Probationary members are rated (they only do not vote, which the chat checks).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

from bot.rules.levels import MemberStatus, Rulebook
from bot.rules.model import MemberInput
from bot.rules.reasons import Citation, Reason, cite
from bot.rules.sources import HD13, KH61, KH_2023, QD366


class NotRated(StrEnum):
    EXEMPT = "exempt"  # miễn công tác và sinh hoạt đảng
    SUSPENDED = "suspended"  # đình chỉ sinh hoạt đảng
    UNDER_6_MONTHS = "admitted_under_6_months"  # kết nạp chưa đủ 6 tháng


# Not reviewed nor rated: seed 000 §2.2.3 a; seed 002 §1.2; QĐ 366 Điều 5.
WHO_IS_RATED: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(KH61, "mục II.2.2.3 a"),
    Rulebook.R2023: cite(KH_2023, "mục II.1.2"),
    Rulebook.R2025: cite(QD366, "Điều 5"),
}
# Six full months: seed 000 §2.3; seed 004 §V.1; QĐ 366 Điều 5.
SIX_MONTHS: dict[Rulebook, Citation] = {
    Rulebook.R2019: cite(KH61, "mục II.2.3", (HD13, "mục B.V.1")),
    Rulebook.R2023: cite(KH_2023, "mục II.1.2"),
    Rulebook.R2025: cite(QD366, "Điều 5"),
}

_DAY = timedelta(days=1)
_EXEMPT, _SUSPENDED = MemberStatus.EXEMPT, MemberStatus.SUSPENDED  # looked up once (hot path)

RULE_IDS = ("eligibility.exempt", "eligibility.suspended", "eligibility.under_6_months")


def add_months(d: date, months: int) -> date:
    """`d` plus whole calendar months, clamped to the end of a shorter month (08-31 + 6 = 02-28)."""
    y, m0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m0 + 1
    if d.day <= 28:  # every month has these days
        return date(year, month, d.day)
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def rated_from(admitted_on: date) -> date:
    """The first rating date on which a member admitted on `admitted_on` has six full months."""
    return add_months(admitted_on, 6)


def latest_rated_admission(as_of: date) -> date:
    """The last admission date that has six full months on `as_of` (`rated_from(d) <= as_of`).

    `rated_from` never decreases as the admission date grows, so this one date splits every
    admission date into rated (on or before it) and not rated; a unit computes it once.
    """
    d = add_months(as_of, -6)
    while rated_from(d + _DAY) <= as_of:  # month-end clamping: 08-29..08-31 -> 02-28
        d += _DAY
    return d


def not_rated(
    m: MemberInput, as_of: date, rulebook: Rulebook, latest: date | None = None
) -> tuple[NotRated, Reason] | None:
    """Why the member is not rated on `as_of`, or None when they are rated.

    `latest` is `latest_rated_admission(as_of)`, passed in when rating many members.
    """
    status = m.status
    if status is _EXEMPT:
        return NotRated.EXEMPT, Reason("eligibility.exempt", WHO_IS_RATED[rulebook])
    if status is _SUSPENDED:
        return NotRated.SUSPENDED, Reason("eligibility.suspended", WHO_IS_RATED[rulebook])
    admitted = m.admitted_on
    if admitted is None:  # the validator requires it; a typed caller may still forget
        raise ValueError(f"{m.id}: admitted_on is required for a {status.value} member")
    if latest is None:
        latest = latest_rated_admission(as_of)
    if admitted > latest:
        start = rated_from(admitted)
        params = (
            ("admitted_on", admitted.strftime("%d/%m/%Y")),
            ("rated_from", start.strftime("%d/%m/%Y")),
            ("as_of", as_of.strftime("%d/%m/%Y")),
        )
        return NotRated.UNDER_6_MONTHS, Reason(
            "eligibility.under_6_months", SIX_MONTHS[rulebook], params
        )
    return None
