"""The office's integrity check, `kiemdiem audit verify`: is the audit log intact, and is every
stored result what the raw entries give today?

Owns:
- the audit chain: `bot.services.audit.verify_chain` finds the entries whose hash or link does
  not match; each is classified here as *changed* (its own content no longer gives its hash)
  or *unlinked* (it no longer follows the entry before it: that one was removed or replaced);
- the results: each period's stored `results` rows compared with a recomputation from the raw
  rows (roster, submitted self-reviews, facts, locked ballots) through exactly the path
  `ResultsService.compute` takes (`bot.services.results._load` -> the batch document ->
  `bot.batch.rate_document`), without storing anything. The comparison covers the levels, the
  flags, the caps and the reasons' rules and citations, not their Vietnamese wording (a wording
  change in templates/reasons.yaml is not a change of result);
- the link between the two: a result's levels must be the last ones the audit log recorded for
  it, so a result changed in the table behind the services' back shows up even when its inputs
  were changed to match.

A stored result also differs when an input changed after the last computation (a fact set, a
ballot corrected) and nobody opened the results since: `kiemdiem results` recomputes and stores.
Limits: removing the newest entries of the log leaves a valid (shorter) chain; compare the
`head` this check prints with one kept elsewhere to detect that. Results of members no longer
on the roster cannot be recomputed and are listed as skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bot.batch import InputErrors, rate_document
from bot.services.audit import entry_hash, verify_chain
from bot.services.errors import UserError
from bot.services.org import root_of
from bot.services.results import _load
from bot.storage.db import BUSY_TIMEOUT_MS, Database
from bot.storage.models import AuditEntry, Member, Result, ReviewPeriod

# changed: the entry's content no longer gives its hash; unlinked: it does not follow the entry
# before it (that one was removed or replaced); unreadable: its encrypted content was edited
ChainKind = Literal["changed", "unlinked", "unreadable"]


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    kind: ChainKind
    at: datetime
    actor: str
    entity: str
    entity_id: str
    action: str


@dataclass(frozen=True)
class ResultProblem:
    period_id: int
    year: int
    member_id: int
    name: str
    # differs: the stored result is not the recomputation; unaudited: the stored levels are not
    # the last ones the audit log recorded for this result
    kind: Literal["differs", "unaudited"]
    stored: dict[str, Any]  # {"proposed", "final"}
    expected: dict[str, Any] | None  # recomputed, or last audited; None: never audited
    fields: tuple[str, ...] = ()  # for "differs": what differs (proposed, final, flags, ...)


@dataclass(frozen=True)
class PeriodProblem:
    period_id: int
    year: int
    problem: str  # Vietnamese: why the period's results could not be recomputed


@dataclass(frozen=True)
class Skipped:
    period_id: int
    member_id: int
    name: str


@dataclass
class IntegrityReport:
    entries: int = 0
    head: str = ""  # the newest entry's hash: keep it elsewhere to detect a truncated log
    results_checked: int = 0
    periods_checked: int = 0
    chain: list[ChainProblem] = field(default_factory=list)
    results: list[ResultProblem] = field(default_factory=list)
    periods: list[PeriodProblem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.chain or self.results or self.periods)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **json.loads(json.dumps(asdict(self), default=str))}


@contextmanager
def _snapshot(db: Database) -> Iterator[Session]:
    """A read-only transaction that sees one moment of the database and blocks no writer.

    PostgreSQL: REPEATABLE READ, READ ONLY. SQLite: a deferred BEGIN on a connection of its own
    (WAL gives it a snapshot at its first read); `Database.session()` would take the write
    lock up front and make the bot wait for the whole check."""
    if db.dialect != "sqlite":
        with db.session() as s:
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            s.connection(execution_options=options)
            yield s
        return
    engine = create_engine(db.url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we say BEGIN ourselves
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    try:
        with Session(engine) as s:
            try:
                yield s
            finally:
                s.rollback()
    finally:
        engine.dispose()


def _substance(value: Any) -> Any:
    """A result entry without its wording: every "text" key dropped, JSON-normalised."""
    if isinstance(value, dict):
        return {k: _substance(v) for k, v in value.items() if k != "text"}
    if isinstance(value, list | tuple):
        return [_substance(v) for v in value]
    return json.loads(json.dumps(value, default=str))


class IntegrityService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def verify(self) -> IntegrityReport:
        """The whole check, read-only, on one consistent snapshot (the bot may keep running)."""
        report = IntegrityReport()
        with _snapshot(self.db) as s:
            self._chain(s, report)
            audited = _last_audited_results(s)
            period_ids = s.execute(select(Result.period_id).distinct()).scalars().all()
            for period_id in sorted(period_ids):
                period = s.get(ReviewPeriod, period_id)
                if period is not None:
                    self._period(s, period, audited, report)
        return report

    # -- the audit log ------------------------------------------------------------------------

    def _chain(self, s: Session, report: IntegrityReport) -> None:
        heads = s.execute(
            select(
                AuditEntry.id, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.at,
                AuditEntry.actor, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.action,
                AuditEntry.proxy,
            ).order_by(AuditEntry.id)
        ).all()  # fmt: skip
        report.entries = len(heads)
        report.head = heads[-1].hash if heads else ""
        contents = _contents(s, [h.id for h in heads])
        bad: set[int] = set()
        kinds: dict[int, ChainKind] = {}
        prev = ""
        # verify_chain's rule, entry by entry, so that one unreadable entry (its encrypted
        # old/new edited without the key) is reported instead of stopping the check.
        for h in heads:
            content = contents.get(h.id)
            if content is None:
                kinds[h.id] = "unreadable"
            else:
                old, new = content
                args = (h.at, h.actor, h.entity, h.entity_id, h.action, old, new, h.proxy)
                if h.hash != entry_hash(h.prev_hash, *args):
                    kinds[h.id] = "changed"
                elif h.prev_hash != prev:
                    kinds[h.id] = "unlinked"
            prev = h.hash
        if len(contents) == len(heads):
            bad = set(verify_chain(s))  # the bot's own check must agree
            for entry_id in bad - set(kinds):
                kinds[entry_id] = "changed"
        for h in heads:
            if h.id in kinds:
                report.chain.append(
                    ChainProblem(h.id, kinds[h.id], h.at, h.actor, h.entity, h.entity_id,
                                 h.action)
                )  # fmt: skip

    # -- results ------------------------------------------------------------------------------

    def _period(
        self,
        s: Session,
        period: ReviewPeriod,
        audited: dict[str, dict[str, Any] | None],
        report: IntegrityReport,
    ) -> None:
        report.periods_checked += 1
        stored = list(s.execute(select(Result).where(Result.period_id == period.id)).scalars())
        names = _names(s, (r.member_id for r in stored))
        root = root_of(s, period.organisation_id)
        try:
            data = _load(s, period, root)
            output = rate_document(data.document(period))
        except InputErrors as exc:
            problem = data.explain(exc.problems)
            report.periods.append(PeriodProblem(period.id, period.year, problem))
            return
        except UserError as exc:  # e.g. an encrypted answer edited without the key
            report.periods.append(PeriodProblem(period.id, period.year, exc.message()))
            return
        entries = {m["id"]: m for m in output["members"]}
        for row in stored:
            name = names.get(row.member_id, "")
            levels = {"proposed": row.proposed, "final": row.final}
            last = audited.get(f"{period.id}/{row.member_id}")
            if last != levels:
                report.results.append(
                    ResultProblem(period.id, period.year, row.member_id, name, "unaudited",
                                  levels, last)
                )  # fmt: skip
            entry = entries.get(str(row.member_id))
            if entry is None:
                report.skipped.append(Skipped(period.id, row.member_id, name))
                continue
            report.results_checked += 1
            fields = _differences(row, entry)
            if fields:
                report.results.append(
                    ResultProblem(
                        period.id, period.year, row.member_id, name, "differs", levels,
                        {"proposed": entry["proposed"], "final": entry["final"]}, fields,
                    )
                )  # fmt: skip


def _differences(row: Result, entry: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    if row.proposed != entry["proposed"]:
        out.append("proposed")
    if row.final != entry["final"]:
        out.append("final")
    stored, expected = _substance(row.payload or {}), _substance(entry)
    for key in sorted(set(stored) | set(expected)):
        if stored.get(key) != expected.get(key) and key not in out:
            out.append(key)
    return tuple(out)


def _last_audited_results(s: Session) -> dict[str, dict[str, Any] | None]:
    """entity_id ("period/member") -> the levels of the newest audit entry of that result."""
    last: dict[str, dict[str, Any] | None] = {}
    rows = s.execute(
        select(AuditEntry.entity_id, AuditEntry.new)
        .where(AuditEntry.entity == "result")
        .order_by(AuditEntry.id)
    )
    for entity_id, new in rows:
        last[entity_id] = (
            {"proposed": new.get("proposed"), "final": new.get("final")}
            if isinstance(new, dict)
            else None
        )
    return last


def _contents(s: Session, ids: list[int]) -> dict[int, tuple[Any, Any]]:
    """id -> (old, new) of every entry that can be read. All at once; entry by entry only when
    that fails, to find the unreadable ones. When none can be read at all the keys are wrong,
    not the entries: that error is raised (DATA_KEYS, bot/storage/crypto.py)."""
    try:
        rows = s.execute(select(AuditEntry.id, AuditEntry.old, AuditEntry.new)).all()
        return {i: (old, new) for i, old, new in rows}
    except DBAPIError:
        raise
    except Exception as first:
        out: dict[int, tuple[Any, Any]] = {}
        for i in ids:
            query = select(AuditEntry.old, AuditEntry.new).where(AuditEntry.id == i)
            try:
                old, new = s.execute(query).one()
            except DBAPIError:
                raise
            except Exception:
                continue
            out[i] = (old, new)
        if not out:
            raise first
        return out


def _names(s: Session, member_ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = s.execute(select(Member.id, Member.full_name).where(Member.id.in_(ids)))
    return {i: n for i, n in rows}
