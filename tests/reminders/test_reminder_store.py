"""Reminder rows on a real SQLite file and a real PostgreSQL server: planning stores no
duplicate, claiming never hands a row to two workers, stale claims are taken over, and the
state changes around a send keep at most one row `sending`."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.reminders.planning import Planned
from bot.reminders.policy import AllowedHours
from bot.reminders.store import Finished, Go, ReminderStore, insert_planned
from bot.storage.db import Database
from bot.storage.models import Reminder
from tests.reminders.world import account, build, deadlines, rows, submit

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
W = AllowedHours()
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
# Due Monday 07/12/2026 (meeting Thursday 10/12).
PLAN = deadlines(None, meeting=date(2026, 12, 10))


def at(d: int, h: int, m: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, d, h, m, tzinfo=HCM).astimezone(UTC)


def test_planning_twice_and_concurrently_stores_each_reminder_once(db: Database) -> None:
    w = build(db, NAMES, secretary=NAMES[0], plan=PLAN)
    store = ReminderStore(db)
    first = store.plan(at(6, 0, 5), HCM, W)
    assert first.inserted == 5  # four members "1 day left" + the secretary's digest
    assert store.plan(at(6, 9), HCM, W).inserted == 0
    results: list[int] = []

    def again() -> None:
        results.append(store.plan(at(7, 0, 5), HCM, W).inserted)

    threads = [threading.Thread(target=again) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 4  # the 07/12 reminders, stored once whoever planned them
    keys = [r.dedupe_key for r in rows(db)]
    assert len(keys) == len(set(keys)) == 9
    assert w.org.period_id and all(r.period_id == w.org.period_id for r in rows(db))


def _rows(db: Database, n: int, due: datetime, members: list[int] | None = None) -> list[int]:
    """n rows due at `due`; to the given members (linked), else to nobody in particular."""
    with db.session() as s:
        insert_planned(s, [
            Planned("nudge", None, 0, members[i] if members else None, 1000 + i, due,  # type: ignore[arg-type]
                    f"t:{i}", "t")
            for i in range(n)])
    return [r.id for r in rows(db)]


def _linked(db: Database) -> list[int]:
    w = build(db, NAMES, plan=PLAN)
    return [w.member(n) for n in NAMES]


def test_two_workers_claim_disjoint_rows(db: Database) -> None:
    _rows(db, 300, at(7, 8))
    store = ReminderStore(db)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        own = ReminderStore(Database(db.url))  # its own engine, as another process would have
        barrier.wait()
        while batch := own.claim(name, at(7, 9), 25, timedelta(minutes=2)):
            claimed[name].extend(r.id for r in batch)
        own.db.dispose()

    threads = [threading.Thread(target=work, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = set(claimed["a"]), set(claimed["b"])
    assert not a & b
    assert len(a | b) == 300
    assert store.claim("c", at(7, 9), 25, timedelta(minutes=2)) == []


def test_not_yet_due_rows_are_not_claimed(db: Database) -> None:
    _rows(db, 3, at(7, 8))
    store = ReminderStore(db)
    assert store.claim("a", at(7, 7, 59), 10, timedelta(minutes=2)) == []
    assert len(store.claim("a", at(7, 8), 10, timedelta(minutes=2))) == 3


def test_stale_claims_are_taken_over_and_a_live_claim_is_never_sent_twice(db: Database) -> None:
    members = _linked(db)
    ids = _rows(db, 3, at(7, 8), members)
    store = ReminderStore(db)
    now = at(7, 8)
    assert [r.id for r in store.claim("dead", now, 10, timedelta(minutes=2))] == ids
    # "dead" marked the first `sending` and died; the others were only claimed.
    go = store.begin_send(ids[0], "dead", now, HCM, W)
    assert isinstance(go, Go) and go.chat_id == account(db, members[0]).chat_id
    assert store.claim("alive", now + timedelta(minutes=1), 10, timedelta(minutes=2)) == []
    later = now + timedelta(minutes=3)
    taken = store.claim("alive", later, 10, timedelta(minutes=2))
    assert [r.id for r in taken] == ids
    states = {r.id: (r.state, r.claimed_by, r.last_error) for r in rows(db)}
    assert states[ids[0]] == ("pending", "alive", "resend_after_crash")
    # The first owner wakes up: its rows are no longer its own, nothing goes out twice.
    lost = store.begin_send(ids[1], "dead", later, HCM, W)
    assert not isinstance(lost, Go) and lost.reason == "lost"
    assert isinstance(store.begin_send(ids[1], "alive", later, HCM, W), Go)


def test_at_most_one_row_is_sending(db: Database) -> None:
    ids = _rows(db, 3, at(7, 8), _linked(db))
    store = ReminderStore(db)
    now = at(7, 8)
    store.claim("w", now, 10, timedelta(minutes=2))
    finished: list[Finished] = []
    for row_id in ids:
        assert isinstance(store.begin_send(row_id, "w", now, HCM, W, finished), Go)
        assert [r.state for r in rows(db)].count("sending") == 1
        finished = [Finished(row_id, now)]
    store.finish(finished)
    assert [r.state for r in rows(db)] == ["sent"] * 3
    assert all(r.sent_at == now and r.attempts == 1 for r in rows(db))


def test_recheck_cancels_or_postpones(db: Database) -> None:
    w = build(db, NAMES, secretary=NAMES[0], plan=PLAN)
    store = ReminderStore(db)
    store.plan(at(7, 0, 5), HCM, W)  # d0 for everybody at 08:00
    by_member = {r.member_id: r.id for r in rows(db)}
    submit(db, w.org.period_id, w.member(NAMES[1]))
    with db.session() as s:
        acc = s.get(type(account(db, w.member(NAMES[2]))), account(db, w.member(NAMES[2])).id)
        assert acc is not None
        acc.snoozed_until = at(7, 11)
    assert len(store.claim("w", at(7, 8), 10, timedelta(minutes=2))) == 4
    assert isinstance(store.begin_send(by_member[w.member(NAMES[0])], "w", at(7, 8), HCM, W), Go)
    done = store.begin_send(by_member[w.member(NAMES[1])], "w", at(7, 8), HCM, W)
    assert not isinstance(done, Go) and (done.action, done.reason) == ("cancel", "submitted")
    snoozed = store.begin_send(by_member[w.member(NAMES[2])], "w", at(7, 8), HCM, W)
    assert not isinstance(snoozed, Go) and snoozed.at == at(7, 11)
    with db.session() as s:
        row = s.get(Reminder, by_member[w.member(NAMES[2])])
        assert row is not None
        assert (row.state, row.due_at, row.claimed_by) == ("pending", at(7, 11), "")


def test_forbidden_marks_the_account_and_tells_the_secretary(db: Database) -> None:
    w = build(db, NAMES, secretary=NAMES[0], plan=PLAN)
    store = ReminderStore(db)
    store.plan(at(7, 0, 5), HCM, W)
    blocked = w.member(NAMES[3])
    row_id = next(r.id for r in rows(db) if r.member_id == blocked)
    store.claim("w", at(7, 8), 10, timedelta(minutes=2))
    assert isinstance(store.begin_send(row_id, "w", at(7, 8), HCM, W), Go)
    assert store.unreachable(row_id, at(7, 8), "Forbidden: bot was blocked", HCM, W) == 1
    assert store.unreachable(row_id, at(7, 8), "Forbidden: bot was blocked", HCM, W) == 0
    assert account(db, blocked).unreachable_at == at(7, 8)
    with db.session() as s:
        notice = s.execute(select(Reminder).where(Reminder.kind == "unreachable")).scalar_one()
        assert notice.member_id == w.secretary
        assert notice.payload["about_member_id"] == blocked
        assert s.get(Reminder, row_id).state == "unreachable"  # type: ignore[union-attr]


def test_retries_then_fails(db: Database) -> None:
    ids = _rows(db, 1, at(7, 8), _linked(db))
    store = ReminderStore(db)
    now = at(7, 8)
    for attempt in range(1, 4):
        store.claim("w", now, 10, timedelta(minutes=2))
        assert isinstance(store.begin_send(ids[0], "w", now, HCM, W), Go)
        state = store.retry_later(ids[0], "w", at=now + timedelta(seconds=30), error="TimedOut",
                                  max_attempts=3)
        assert state == ("failed" if attempt == 3 else "pending")
        now += timedelta(minutes=1)
    (row,) = rows(db)
    assert (row.state, row.attempts, row.last_error) == ("failed", 3, "TimedOut")
