"""The order of the cycle: what may be rated now (seed 000 §1.4.3; seed 004 mục B.I.4.2 and
B.V.1; QĐ 366 Điều 7 and 12.2; seed 001 (5)).

- The collective before the individuals: a cell's own leadership collective (its chi ủy) is
  reviewed and rated before the cell's members (seed 000 §1.4.3 "kiểm điểm tập thể trước, cá
  nhân sau"; QĐ 366 Điều 12.2 (1) "tập thể lãnh đạo trước, cá nhân thành viên sau").
- The head after the collective: a collective's head is rated only once the collective is, since
  the head's level may not exceed it (seed 004 mục B.V.1; seed 001 (5); QĐ 366 Điều 12.2 (2)).
- Lower level before higher: a collective waits for the collectives of the organisations under
  it (seed 004 mục B.V.1 "tập thể cấp dưới trước, cấp trên sau"; QĐ 366 Điều 12.2 (5)).
- A leader reviewed in two places is reviewed at their cell first, then before the collective
  (QĐ 366 Điều 7; seed 000 §1.2.2); before the collective the head goes first, then the
  deputies, then the other members (seed 000 §1.4.3 "người đứng đầu trước, cấp phó ... sau").

A collective of fewer than 3 members is not reviewed (seed 001 (1)), so nothing waits for it.
Pure: the state of the cycle is an argument; a refusal is a `Reason` (rule id, citation, the
names it concerns), worded in `templates/reasons.yaml`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from bot.rules.reasons import Params, Reason, cite
from bot.rules.sources import CV123, HD13, KH61, QD366

COLLECTIVE_FIRST = cite(KH61, "mục II.1.4.3", (QD366, "Điều 12.2"))
HEAD_AFTER_COLLECTIVE = cite(HD13, "mục B.V.1", (CV123, "điểm (5)"))
LOWER_FIRST = cite(HD13, "mục B.V.1", (QD366, "Điều 12.2"))
CELL_FIRST = cite(QD366, "Điều 7", (KH61, "mục II.1.2.2"))
HEAD_FIRST = cite(KH61, "mục II.1.4.3", (HD13, "mục B.I.4.2"))

RULE_IDS: tuple[str, ...] = (
    "order.collective_first",
    "order.head_after_collective",
    "order.lower_first",
    "order.cell_first",
    "order.head_first",
    "order.deputies_first",
)


class CollectiveNode(NamedTuple):
    """A leadership collective as the order sees it."""

    id: str
    name: str
    path: tuple[int, ...]  # organisation ids from the root down to the collective's organisation
    reviewed: bool  # 3 members or more: it is reviewed, so the others wait for it
    rated: bool  # its ballot is in and it has a level
    head: str | None = None
    deputies: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # the other members
    post_rated: frozenset[str] = frozenset()  # members already rated before this collective

    @property
    def organisation(self) -> int:
        return self.path[-1]

    def role_of(self, member: str) -> str | None:
        if member == self.head:
            return "head"
        if member in self.deputies:
            return "deputy"
        if member in self.members:
            return "member"
        return None

    def everyone(self) -> tuple[str, ...]:
        head = (self.head,) if self.head is not None else ()
        return (*head, *self.deputies, *self.members)


class Cycle(NamedTuple):
    collectives: tuple[CollectiveNode, ...]
    cell_rated: frozenset[str]  # members whose ballot at their cell is in
    names: Mapping[str, str]  # member id -> name, for the reasons' texts


class Step(NamedTuple):
    """One line of the order as the secretary sees it."""

    kind: str  # collective | member
    id: str
    name: str
    role: str  # head | deputy | member | "" (an ordinary member of the cell)
    done: bool


def _name(cycle: Cycle, member: str) -> str:
    return cycle.names.get(member, member)


def collective_blocked(cycle: Cycle, collective_id: str) -> Reason | None:
    """Why the collective may not be rated yet: a collective of an organisation under it is
    still waiting (lower level before higher)."""
    node = _node(cycle, collective_id)
    for other in cycle.collectives:
        below = len(other.path) > len(node.path) and other.path[: len(node.path)] == node.path
        if below and other.reviewed and not other.rated:
            params = (("collective", node.name), ("waiting", other.name))
            return Reason("order.lower_first", LOWER_FIRST, params)
    return None


def cell_blocked(cycle: Cycle, member: str, cell: int) -> Reason | None:
    """Why the member may not be rated at their cell yet, or None."""
    for node in cycle.collectives:
        if node.reviewed and not node.rated and node.organisation == cell:
            params = (("collective", node.name), ("name", _name(cycle, member)))
            return Reason("order.collective_first", COLLECTIVE_FIRST, params)
    for node in cycle.collectives:
        if node.reviewed and not node.rated and node.head == member:
            params = (("collective", node.name), ("name", _name(cycle, member)))
            return Reason("order.head_after_collective", HEAD_AFTER_COLLECTIVE, params)
    return None


def post_blocked(cycle: Cycle, collective_id: str, member: str) -> Reason | None:
    """Why the member may not be rated before the collective (their post) yet, or None."""
    node = _node(cycle, collective_id)
    who = _name(cycle, member)
    params: Params
    if not node.rated:
        params = (("collective", node.name), ("name", who))
        return Reason("order.collective_first", COLLECTIVE_FIRST, params)
    if member not in cycle.cell_rated:
        return Reason("order.cell_first", CELL_FIRST, (("collective", node.name), ("name", who)))
    role = node.role_of(member)
    if role == "deputy" and node.head is not None and node.head not in node.post_rated:
        params = (("collective", node.name), ("name", who), ("head", _name(cycle, node.head)))
        return Reason("order.head_first", HEAD_FIRST, params)
    if role == "member":
        before = [x for x in (node.head, *node.deputies) if x is not None]
        waiting = [_name(cycle, x) for x in before if x not in node.post_rated]
        if waiting:
            params = (("collective", node.name), ("name", who), ("waiting", ", ".join(waiting)))
            return Reason("order.deputies_first", HEAD_FIRST, params)
    return None


def cell_order(cycle: Cycle, cell: int, members: Iterable[str]) -> tuple[Step, ...]:
    """The cell's order: its own collectives, then its members — the collectives' heads, the
    deputies, the other collective members, then everyone else, in the order given."""
    mine = [n for n in cycle.collectives if n.organisation == cell and n.reviewed]
    steps = [Step("collective", n.id, n.name, "", n.rated) for n in mine]
    rank: dict[str, tuple[int, str]] = {}
    for n in mine:
        for m in n.everyone():
            role = n.role_of(m) or ""
            level = {"head": 0, "deputy": 1, "member": 2}[role]
            if m not in rank or level < rank[m][0]:
                rank[m] = (level, role)
    listed = list(members)
    ordered = sorted(listed, key=lambda m: rank.get(m, (3, ""))[0])  # stable: keeps the order
    steps += [
        Step("member", m, _name(cycle, m), rank.get(m, (3, ""))[1], m in cycle.cell_rated)
        for m in ordered
    ]
    return tuple(steps)


def post_order(cycle: Cycle, collective_id: str) -> tuple[Step, ...]:
    """Before the collective: the collective, then its head, deputies and members."""
    node = _node(cycle, collective_id)
    steps = [Step("collective", node.id, node.name, "", node.rated)]
    steps += [
        Step("member", m, _name(cycle, m), node.role_of(m) or "", m in node.post_rated)
        for m in node.everyone()
    ]
    return tuple(steps)


def _node(cycle: Cycle, collective_id: str) -> CollectiveNode:
    for n in cycle.collectives:
        if n.id == collective_id:
            return n
    raise KeyError(collective_id)
