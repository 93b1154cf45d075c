"""Who may do what with a leadership collective, through the real Application: the office and
the collective's members see it, only its head (or a manager of its cell) leads, nobody else
even sees it; forged and stale buttons are answered politely; a refusal changes no table."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import TelegramEmulator
from bot.sandbox.scripted import bot
from bot.services.collectives import CollectiveService
from bot.services.errors import UserError
from bot.storage.db import upgrade
from tests.access_world import (
    UNLINKED_TG,
    World,
    barrier,
    build_world,
    changed_tables,
    internal_errors,
    reset_state,
    snapshot,
)

ROLES = ("unlinked", "mem_a", "sec_a", "dep_a", "office", "sec_b", "mem_b")
ACCESS = ("not_linked", "not_your_collective", "collective_head_only", "not_your_cell")


@pytest.fixture
def world(tmp_path: Path) -> World:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    w = build_world(url)
    yield w
    w.db.dispose()


def expected(role: str, verb: str) -> str | None:
    """The refusal a role gets for `cv:<collective>:<verb>` on cell B's chi ủy (None: allowed)."""
    if role == "unlinked":
        return "not_linked"
    if role in ("mem_a", "sec_a", "dep_a"):
        return "not_your_collective"
    if role == "mem_b" and verb in ("draft", "date", "send", "cmts", "final", "vote", "posts"):
        return "collective_head_only"
    return None


async def test_collective_buttons_by_role(world: World) -> None:
    cid = (
        CollectiveService(world.db)
        .create(
            "cli",
            world.cell_b,
            "chi_uy",
            "Chi ủy thôn Tây",
            head=world["sec_b"].member_id,
            deputies=[world["office"].member_id],
            members=[world["mem_b"].member_id],
        )
        .id
    )
    verbs = ("menu", "draft", "date", "send", "doc", "cmts", "final", "vote", "posts", "sum")
    problems: list[str] = []
    async with TelegramEmulator() as emu, bot(emu, world.url):
        for role in ROLES:
            tg = UNLINKED_TG if role == "unlinked" else world[role].tg
            user = emu.user(tg, role)
            user.send("/start")
            anchor = await user.expect_reply()
            for verb in verbs:
                reset_state(world)
                await barrier(user)
                before = snapshot(world.db)
                answer = await user.click_data(f"cv:{cid}:{verb}", anchor, timeout=15)
                await barrier(user)
                shown = answer.text if answer is not None and answer.text else ""
                want = expected(role, verb)
                if want is not None:
                    if UserError(want).message()[:200] != shown:
                        problems.append(f"{role} {verb}: expected {want}, got {shown!r}")
                    if changed_tables(before, snapshot(world.db)):
                        problems.append(f"{role} {verb}: refused but changed the database")
                elif any(UserError(c).message()[:200] == shown for c in ACCESS):
                    problems.append(f"{role} {verb}: allowed but refused: {shown!r}")
            # /collective: members and the office see it; the others have none to see.
            user.send("/collective")
            text = (await user.expect_reply(timeout=15)).text or ""
            if role == "unlinked":
                ok = text == UserError("not_linked").message()
            elif role in ("mem_a", "sec_a", "dep_a"):
                ok = text == UserError("no_collective").message()
            else:
                ok = "Chi ủy thôn Tây" in text
            if not ok:
                problems.append(f"{role} /collective: {text[:120]!r}")
        # Forged and stale data: never applied, always answered.
        sec = emu.user(world["sec_b"].tg, "sec_b")
        sec.send("/collective")
        page = await sec.expect_reply()
        before = snapshot(world.db)
        for data, code in (
            (f"cv:{cid}:g:i1:ZZ", "stale_button"),
            (f"cv:{cid}:lvl:BEST", "stale_button"),
            (f"cv:{cid}:acc:999999", "stale_button"),
            (f"cv:{cid}:nope", "stale_button"),
            ("cv:999999999:menu", "collective_not_found"),
        ):
            answer = await sec.click_data(data, page, timeout=15)
            params = {"collective_id": 999999999} if code == "collective_not_found" else {}
            assert answer is not None and answer.text == UserError(code, **params).message()[:200]
        await barrier(sec)
        assert changed_tables(before, snapshot(world.db)) == []
        assert internal_errors(emu) == []
    assert problems == []
