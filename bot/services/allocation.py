"""How the organisation's HTXSNV places are shared between its cells (a view for the office).

Seed 001 (Công văn 123-CV/ĐU, 06/01/2022, item (2), amending point 2.3a of its plan): "số lượng
đảng viên được xếp loại «Hoàn thành xuất sắc nhiệm vụ» của mỗi chi bộ tương xứng với mức xếp
loại chi bộ (chi bộ xếp loại ở mức cao hơn thì được chọn với tỷ lệ cao hơn) nhưng bảo đảm số
lượng … của một tổ chức cơ sở đảng không vượt quá 20% số đảng viên được xếp loại «Hoàn thành
tốt nhiệm vụ» trở lên". DOMAIN.md §5.5: "Show the secretary the allocation." The seed gives
the principle, not a formula; this module's rule, in exact arithmetic (no float anywhere):

1. The places to share are the organisation-wide cap M (`max_excellent` of the whole
   organisation's cap group, as the engine computed it: DOMAIN.md §5.5, seed 001 (2)).
2. Each cell claims w(level) × G, where G is its members proposed HTTNV or higher (the cap's
   own base, seed 001 (2) "HTTNV trở lên") and w is the weight of the cell's level: the
   highest level its members' results allow (DOMAIN.md §5.6; seed 004 §II.1.3), HTXSNV 3,
   HTTNV 2, HTNV 1, KHTNV 0, undetermined 0. So a cell rated one level higher gets a higher
   rate of places per good member ("tỷ lệ cao hơn"), and a cell whose level is not known yet,
   or that fails, gets none until it is.
3. A cell never gets more places than it has candidates (members proposed HTXSNV). Shares
   are M × claim / Σ claims; a cell whose share reaches its candidates gets exactly them and
   the places left are shared again among the others, until no share reaches its cap.
4. Then each cell gets the whole part of its share, and the places still left go one each to
   the largest fractional parts (ties: higher level, then larger G, then the cells' order):
   the largest-remainder (Hamilton) method, so the places always add up to at most M.
Places no cell can use (too few candidates) are reported as unused: the đảng ủy decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

WEIGHTS: dict[str | None, int] = {
    "HTXSNV": 3,
    "HTTNV": 2,
    "HTNV": 1,
    "KHTNV": 0,
    "UNDETERMINED": 0,
    None: 0,
}
_RANK = {"HTXSNV": 4, "HTTNV": 3, "HTNV": 2, "KHTNV": 1}


@dataclass(frozen=True)
class CellClaim:
    cell_id: int
    name: str
    level: str | None  # the cell's highest allowed level (DOMAIN.md §5.6), None if no one rated
    good: int  # G: members proposed HTTNV or higher
    candidates: int  # members proposed HTXSNV


@dataclass(frozen=True)
class CellPlaces:
    cell_id: int
    name: str
    level: str | None
    weight: int
    good: int
    candidates: int
    share: Fraction  # the exact proportional share in the round that settled the cell
    places: int
    capped: bool  # got all its candidates (its share reached them)


@dataclass(frozen=True)
class Allocation:
    total: int  # M, the organisation's places
    cells: tuple[CellPlaces, ...]  # in the order of the claims

    @property
    def allocated(self) -> int:
        return sum(c.places for c in self.cells)

    @property
    def unused(self) -> int:
        return self.total - self.allocated


def allocate_places(total: int, claims: Sequence[CellClaim]) -> Allocation:
    """Share `total` places between the cells by the rule in this module's docstring."""
    order = {c.cell_id: i for i, c in enumerate(claims)}
    weight = {c.cell_id: WEIGHTS.get(c.level, 0) for c in claims}
    claim = {c.cell_id: weight[c.cell_id] * c.good for c in claims}
    share: dict[int, Fraction] = {c.cell_id: Fraction(0) for c in claims}
    places: dict[int, int] = {c.cell_id: 0 for c in claims}
    capped: set[int] = set()
    active = [c for c in claims if claim[c.cell_id] > 0 and c.candidates > 0]
    remaining = max(total, 0)
    while active and remaining > 0:
        whole = sum(claim[c.cell_id] for c in active)
        shares = {c.cell_id: Fraction(remaining * claim[c.cell_id], whole) for c in active}
        full = [c for c in active if shares[c.cell_id] >= c.candidates]
        if not full:
            share.update(shares)
            for c in active:
                places[c.cell_id] = shares[c.cell_id].numerator // shares[c.cell_id].denominator
            left = remaining - sum(places[c.cell_id] for c in active)

            def rank(
                c: CellClaim, shares: dict[int, Fraction] = shares
            ) -> tuple[Fraction, int, int, int]:
                s = shares[c.cell_id]
                frac = s - s.numerator // s.denominator
                return (-frac, -_RANK.get(c.level or "", 0), -c.good, order[c.cell_id])

            # left < len(active) because the shares add up to `remaining`; each gets at most
            # one more, which stays within its candidates (its share was below them).
            for c in sorted(active, key=rank)[:left]:
                places[c.cell_id] += 1
            break
        for c in full:
            share[c.cell_id] = shares[c.cell_id]
            places[c.cell_id] = c.candidates
            capped.add(c.cell_id)
            remaining -= c.candidates
        active = [c for c in active if c.cell_id not in capped]
    cells = tuple(
        CellPlaces(
            c.cell_id,
            c.name,
            c.level,
            weight[c.cell_id],
            c.good,
            c.candidates,
            share[c.cell_id],
            places[c.cell_id],
            c.cell_id in capped,
        )
        for c in claims
    )
    return Allocation(total=max(total, 0), cells=cells)
