"""Smaller reliability gaps, each closed and kept closed here:

- a file sent to the bot is fetched from Telegram only after the sender is known to be allowed
  to send one (a secretary or the office);
- `kiemdiem db upgrade` started by two processes at once on PostgreSQL: one migrates, the other
  waits for it and finds the schema current (an advisory lock), neither fails;
- a member marked unreachable (they had blocked the bot; reminders stop) who sends /start again
  is reachable again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text

from bot.sandbox import TelegramEmulator
from bot.sandbox.postgres import scratch_schema
from bot.sandbox.scripted import bot, prompt
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.storage.db import Database, normalise_url
from bot.storage.models import Base, Member, TelegramAccount
from bot.texts import render_string
from tests.factory import CSV_HEADER, make_org, member_line

ROOT = Path(__file__).resolve().parents[2]
ROSTER = (CSV_HEADER + member_line("Lê Văn Mới")).encode()


async def test_a_file_is_fetched_only_from_someone_allowed_to_send_one(db: Database) -> None:
    org = make_org(db, [member_line("Hoàng Văn Sơn"), member_line("Vũ Thị Hoa")],
                   rulebook="2023", year=2023)  # fmt: skip
    codes = {x.full_name: x for x in InviteService(db).for_cell(org.cell_id)}
    OrgService(db).grant_role(codes["Hoàng Văn Sơn"].member_id, "secretary")
    async with TelegramEmulator() as emu, bot(emu, db.url):
        hoa, stranger = emu.user(740_001, "Hoa"), emu.user(740_002, "Lạ")
        son = emu.user(740_003, "Sơn")
        hoa.send(f"/start {codes['Vũ Thị Hoa'].code}")
        await prompt(hoa)
        son.send(f"/start {codes['Hoàng Văn Sơn'].code}")
        await prompt(son)
        for user in (hoa, stranger, son):
            user.skip_pending()
        # A member and someone unknown send a spreadsheet: refused before anything is fetched.
        await hoa.upload(ROSTER, "danh-sach.csv", "text/csv")
        refused = await hoa.expect_reply()
        assert refused.text == render_string("errors.yaml", "upload_not_expected")
        await stranger.upload(ROSTER, "danh-sach.csv", "text/csv")
        refused = await stranger.expect_reply()
        assert refused.text == render_string("errors.yaml", "not_linked")
        assert emu.stats.requests["getFile"] == 0
        # The secretary's file is fetched (once) and imported.
        await son.upload(ROSTER, "danh-sach.csv", "text/csv")
        report = await son.expect_reply()
        assert "1 đảng viên mới" in report.text, report.text
        assert emu.stats.requests["getFile"] == 1
    with db.session() as s:
        names = set(s.execute(select(Member.full_name)).scalars())
    assert "Lê Văn Mới" in names


async def test_start_again_clears_the_unreachable_mark(db: Database) -> None:
    org = make_org(db, [member_line("Trần Thị Lan"), member_line("Đỗ Văn Nam")],
                   rulebook="2023", year=2023)  # fmt: skip
    codes = {x.full_name: x.code for x in InviteService(db).for_cell(org.cell_id)}
    async with TelegramEmulator() as emu, bot(emu, db.url):
        lan, nam = emu.user(750_001, "Lan"), emu.user(750_002, "Nam")
        for user, name in ((lan, "Trần Thị Lan"), (nam, "Đỗ Văn Nam")):
            user.send(f"/start {codes[name]}")
            await prompt(user)
        # Both blocked the bot; a reminder got 403 and marked them (bot/reminders/store.py).
        with db.session() as s:
            for account in s.execute(select(TelegramAccount)).scalars():
                account.unreachable_at = datetime(2023, 11, 1, tzinfo=UTC)
        lan.send("/start")  # the Telegram app's "Restart" after unblocking
        await lan.expect_reply()
        nam.send(f"/start {codes['Đỗ Văn Nam']}")  # or the invite link again
        await prompt(nam)
    with db.session() as s:
        marks = {a.telegram_user_id: a.unreachable_at
                 for a in s.execute(select(TelegramAccount)).scalars()}  # fmt: skip
    assert marks == {750_001: None, 750_002: None}


def test_two_db_upgrades_at_once_on_postgresql_take_turns(
    postgres_server: str, tmp_path: Path
) -> None:
    with scratch_schema(postgres_server) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
        env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT))
        procs = [
            subprocess.Popen([sys.executable, "-m", "bot", "db", "upgrade"], cwd=tmp_path,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for _ in range(3)
        ]  # fmt: skip
        outputs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], outputs
        engine = create_engine(normalise_url(url))
        try:
            with engine.connect() as conn:
                versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
                tables = set(inspect(conn).get_table_names())
        finally:
            engine.dispose()
    from alembic.script import ScriptDirectory

    from bot.storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert [v[0] for v in versions] == [head]
    assert set(Base.metadata.tables) <= tables
