"""The service layer's share of a questionnaire step: CPU and SQL statements per update, with
no Telegram in the way (the throughput and latency benches measure the whole bot).

Ten members of a demo cell answer their self-review as `bench_throughput.py`'s members do
(the scripted answers of bot/sandbox/scripted.py), but each answer goes straight to the
services through the same unit of work a handler uses (`run_unit`: redelivery check, claim,
one transaction). A member who has submitted opens the review again, as in the throughput
bench. Prints CPU time and statements per update; `--profile F` saves a cProfile of the
measured steps (service calls run inline, so the profile sees them).

    .venv/bin/python bench/bench_step.py --steps 60
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench._common import save
from bot.sandbox.demo import make_org, member_line, vietnamese_names
from bot.sandbox.emulator import parse_html
from bot.sandbox.scripted import Script, answer_one
from bot.services import units
from bot.services.container import Services
from bot.services.invites import InviteService
from bot.services.replies import Outcome
from bot.settings import Settings
from bot.storage.db import Database, upgrade

MEMBERS = 10


class Shown:
    """A bot message as `answer_one` reads it (plain text, button labels)."""

    def __init__(self, text: str, rows: Any) -> None:
        self.text = parse_html(text)[0]  # what the emulator shows the bench's members
        self.rows = rows
        self.buttons = [[b.label for b in row] for row in rows]


class Member:
    """A scripted member talking to the services directly (the SimUser calls `answer_one` makes)."""

    def __init__(self, services: Services, tg: int) -> None:
        self.services, self.tg = services, tg
        self.inbox: list[Shown] = []
        self.typed: str | None = None
        self.updates = 0

    async def call(self, fn: Callable[..., Outcome], *args: Any) -> None:
        self.updates += 1
        update_id = self.tg * 100_000 + self.updates
        out = await units.run_unit(self.services.db, update_id, f"u{update_id}", fn, *args)
        assert out is not None
        self.inbox += [
            Shown(r.text, r.buttons)
            for r in out.replies
            if not r.edit and r.chat_id is None and r.document is None
        ]

    def send(self, text: str) -> None:
        self.typed = text

    async def click(self, label: str, message: Shown) -> None:
        data = next(b.data for row in message.rows for b in row if label in b.label)
        await self.call(self.services.reviews.on_button, self.tg, data)

    async def expect_reply(self, timeout: float = 0) -> Shown:
        if self.typed is not None:
            text, self.typed = self.typed, None
            await self.call(self.services.on_text, self.tg, text)
        return self.inbox.pop(0)

    def messages(self) -> list[Shown]:
        return []

    async def step(self, shown: Shown, script: Script) -> Shown:
        if "Đã nộp" in shown.text or "đang khóa" in shown.text:
            await self.call(self.services.reviews.open, self.tg)
            return self.inbox.pop(0)
        return await answer_one(self, shown, script)  # type: ignore[arg-type]


def _inline() -> None:
    """Service calls on this thread, so that cProfile sees them."""

    class Inline:
        sleep = staticmethod(asyncio.sleep)

        @staticmethod
        async def to_thread(fn: Callable[..., Any], *args: Any) -> Any:
            return fn(*args)

    units.asyncio = Inline  # type: ignore[assignment]


async def run(steps: int, profile: str | None) -> dict[str, float]:
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='kd-step-')) / 'b.db'}"
    upgrade(url)
    db = Database(url)
    lines = [member_line(n) for n in vietnamese_names(MEMBERS, seed=1)]
    org = make_org(db, lines, rulebook="2025", year=time.gmtime().tm_year)
    codes = [x.code for x in InviteService(db).for_cell(org.cell_id)]
    services = Services(db, Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    statements = [0]
    event.listen(
        db.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
    )
    members = [Member(services, 5000 + i) for i in range(MEMBERS)]
    for m, code in zip(members, codes, strict=True):
        await m.call(services.onboarding.start, m.tg, m.tg, "u", code)
    shown = [m.inbox[-1] for m in members]
    for m in members:
        m.inbox.clear()
    scripts = [Script() for _ in members]
    for _ in range(10):  # warm: templates, statement caches
        shown = [await m.step(s, sc) for m, s, sc in zip(members, shown, scripts, strict=True)]
    n0, s0 = sum(m.updates for m in members), statements[0]
    prof = cProfile.Profile() if profile else None
    t0 = time.process_time()
    if prof:
        prof.enable()
    for _ in range(steps):
        shown = [await m.step(s, sc) for m, s, sc in zip(members, shown, scripts, strict=True)]
    if prof:
        prof.disable()
        prof.dump_stats(profile)  # type: ignore[arg-type]
    cpu = time.process_time() - t0
    n = sum(m.updates for m in members) - n0
    db.dispose()
    return {
        "updates": n,
        "cpu_ms_per_update": round(cpu / n * 1000, 2),
        "statements_per_update": round((statements[0] - s0) / n, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60, help="steps per member (a review is ~45)")
    ap.add_argument("--profile", help="save a cProfile of the measured steps to this file")
    args = ap.parse_args()
    if args.profile:
        _inline()
    result = asyncio.run(run(args.steps, args.profile))
    print(
        f"{result['updates']} updates: {result['cpu_ms_per_update']} ms CPU and "
        f"{result['statements_per_update']} SQL statements per update (service layer, SQLite)"
    )
    print(f"saved {save('step', result)}")


if __name__ == "__main__":
    main()
