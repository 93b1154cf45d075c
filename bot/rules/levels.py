"""Quality levels and the names of the three rulebooks (DOMAIN.md §2–3)."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """A member's (or an organisation's) quality level, best first."""

    HTXSNV = "HTXSNV"  # Hoàn thành xuất sắc nhiệm vụ
    HTTNV = "HTTNV"  # Hoàn thành tốt nhiệm vụ
    HTNV = "HTNV"  # Hoàn thành nhiệm vụ
    KHTNV = "KHTNV"  # Không hoàn thành nhiệm vụ
    UNDETERMINED = "UNDETERMINED"  # no rule decides; the chi ủy / the cell votes again

    @property
    def rank(self) -> int:
        """Higher is better; UNDETERMINED has no rank and must be handled by the caller."""
        return _RANK[self]

    @classmethod
    def determined(cls) -> tuple[Level, ...]:
        return (cls.HTXSNV, cls.HTTNV, cls.HTNV, cls.KHTNV)


_RANK = {
    Level.HTXSNV: 4,
    Level.HTTNV: 3,
    Level.HTNV: 2,
    Level.KHTNV: 1,
    Level.UNDETERMINED: 0,
}


class Grade(StrEnum):
    """Per-criterion self-assessment grade of the 2019 and 2023 regimes."""

    XS = "XS"  # Xuất sắc
    T = "T"  # Tốt
    TB = "TB"  # Trung bình
    K = "K"  # Kém

    @property
    def rank(self) -> int:
        return {"XS": 4, "T": 3, "TB": 2, "K": 1}[self.value]


class Rulebook(StrEnum):
    """The national regime a review period is rated under (DOMAIN.md §3)."""

    R2019 = "2019"  # Quy định 132-QĐ/TW, Hướng dẫn 16 và 21-HD/BTCTW
    R2023 = "2023"  # Quy định 124-QĐ/TW, Hướng dẫn 25-HD/BTCTW
    R2025 = "2025"  # Quy định 366-QĐ/TW, Hướng dẫn 43-HD/BTCTW

    @classmethod
    def for_year(cls, year: int) -> Rulebook:
        """The default rulebook for an evaluation year (DOMAIN.md §3 table)."""
        if year >= 2025:
            return cls.R2025
        if year >= 2023:
            return cls.R2023
        return cls.R2019


class MemberKind(StrEnum):
    NON_LEADER = "non_leader"  # không giữ chức vụ lãnh đạo, quản lý
    LEADER = "leader"  # giữ chức vụ lãnh đạo, quản lý
    OUTSIDE_SYSTEM = "outside_system"  # không làm việc trong hệ thống chính trị


class MemberStatus(StrEnum):
    OFFICIAL = "official"  # chính thức
    PROBATIONARY = "probationary"  # dự bị
    EXEMPT = "exempt"  # miễn công tác và sinh hoạt đảng
    SUSPENDED = "suspended"  # đình chỉ sinh hoạt đảng
