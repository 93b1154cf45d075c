"""An update Telegram delivers again is not applied again (`processed_updates`).

Telegram resends an update whose delivery it believes failed: with long polling, the updates of
the last batch when the process died before confirming them with its next getUpdates; with a
webhook, a request whose 200 was lost. The member's typed task list is the sharpest case: typed
text goes to the question the member is at, so a second application would add the tasks again.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.sandbox import TelegramEmulator
from bot.sandbox.scripted import bot, prompt
from bot.services.invites import InviteService
from bot.storage.db import Database, prune_processed_updates
from bot.storage.models import Answer, ProcessedUpdate
from bot.storage.types import utcnow
from tests.factory import make_org, member_line
from tests.faults.members import HELP

TASKS = "Tiếp dân định kỳ\nBáo cáo quý đúng hạn"


def _answers(db: Database) -> dict[str, tuple[str, str]]:
    with db.session() as s:
        return {a.question: (a.value, a.note) for a in s.execute(select(Answer)).scalars()}


async def test_updates_delivered_again_after_a_restart_are_not_applied_again(
    db: Database,
) -> None:
    org = make_org(db, [member_line("Lê Thị Hạnh")], rulebook="2025", year=2025)
    code = InviteService(db).for_cell(org.cell_id)[0].code
    async with TelegramEmulator() as emu:
        user = emu.user(730_001, "Hạnh")
        async with bot(emu, db.url):
            user.send(f"/start {code}")
            header = await prompt(user)
            await user.click("Đúng, tiếp tục", message=header)
            click = user.last_update
            unit = await prompt(user)
            assert "Đơn vị công tác" in unit.text
            user.send("Ủy ban nhân dân xã An Bình")
            typed_unit = user.last_update
            tasks = await prompt(user)
            assert "mỗi dòng một việc" in tasks.text
            user.send(TASKS)
            typed_tasks = user.last_update
            listed = await prompt(user)
            assert "Báo cáo quý đúng hạn" in listed.text
        before = _answers(db)
        assert before["unit"][0] == "Ủy ban nhân dân xã An Bình"
        assert before["tasks"][0].count("Tiếp dân định kỳ") == 1
        await emu.wait_until(lambda: not emu.unanswered_updates(), timeout=5)
        user.skip_pending()
        sent = len(emu.sent)
        # The process is gone before confirming its last updates: Telegram hands them out again
        # to the next one (same update ids, same content).
        records = [click, typed_unit, typed_tasks]
        assert all(r is not None and r.deliveries == 1 for r in records)
        emu._pending.extendleft(reversed(records))  # type: ignore[arg-type]
        async with bot(emu, db.url):
            user.send("/help")  # a barrier: one chat is handled in order
            replies = [await user.expect_reply(timeout=10)]
            while HELP not in replies[-1].text:
                replies.append(await user.expect_reply(timeout=10))
        assert all(r is not None and r.deliveries == 2 for r in records)
        assert _answers(db) == before  # nothing applied twice, nothing moved
        # ... and nothing said twice: the only new message is the help text.
        assert len(replies) == 1, [m.text for m in replies]
        new = [r for r in emu.sent[sent:] if r.method != "getUpdates"]
        assert [r.method for r in new] == ["sendMessage"], [(r.method, r.params) for r in new]
        assert emu.stats.errors(method="answerCallbackQuery") == {}
    with db.session() as s:
        handled = set(s.execute(select(ProcessedUpdate.update_id)).scalars())
    assert {r.update_id for r in records if r is not None} <= handled


def test_an_old_update_id_with_new_content_is_a_new_update_and_old_rows_are_pruned(
    db: Database,
) -> None:
    """Telegram picks a random first id after a week without updates, and a test emulator starts
    from 1: a recorded id with another content is taken over, not skipped."""
    from bot.storage.db import AlreadyHandled, Unit, unit_of_work

    def write(unit: Unit) -> None:
        with unit_of_work(unit), db.session() as s:
            s.add(ProcessedUpdate(update_id=10**12, digest="x" * 32))  # any change
            s.flush()
            s.delete(s.get(ProcessedUpdate, 10**12))

    write(Unit(7, "a" * 32))
    try:
        write(Unit(7, "a" * 32))
        raise AssertionError("a redelivery was applied again")
    except AlreadyHandled:
        pass
    write(Unit(7, "b" * 32))  # the same id, another update
    with db.session() as s:
        assert s.get(ProcessedUpdate, 7).digest == "b" * 32  # type: ignore[union-attr]
        s.add(ProcessedUpdate(update_id=8, digest="c" * 32,
                              handled_at=utcnow() - timedelta(days=3)))  # fmt: skip
    assert prune_processed_updates(db) == 1
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(ProcessedUpdate)).scalar() == 1


def test_the_bot_prunes_handled_update_ids_hourly(db: Database) -> None:
    from bot.app import build_application
    from bot.settings import Settings

    app = build_application(Settings(_env_file=None, telegram_bot_token="1:x",  # type: ignore[call-arg]
                                     database_url=db.url))  # fmt: skip
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name("prune_processed_updates")
    assert job.trigger.interval.total_seconds() == 3600  # type: ignore[attr-defined]
    app.bot_data["services"].db.dispose()
