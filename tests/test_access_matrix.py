"""Access control as a matrix, through the real Application and the Bot API emulator.

Every command and every callback prefix the handlers register (bot/handlers/*.py) is tried by
every role (an unlinked Telegram user, a member, the secretary and the deputy of cell A, the
office) on their own cell, the other cell, and another member. A refusal must be the clear
Vietnamese message of its code and leave every table exactly as it was (raw rows compared,
ciphertext included); an allowed action must not be refused. Then the situations of issue 7:
forged callback data, a replayed invite code, a member removed from the roster, a secretary
demoted in the middle of the meeting, and a member's review never reaching anybody else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.scripted import bot
from bot.services.errors import UserError
from bot.services.org import OrgService
from bot.services.proxy import ProxyService
from bot.services.removal import RemovalService
from bot.services.reviews import ReviewService
from bot.storage.db import upgrade
from bot.storage.models import Answer, BallotEntry, SelfReview, TelegramAccount
from bot.texts import render_string
from tests.access_world import (
    SECRET,
    UNLINKED_TG,
    World,
    barrier,
    build_world,
    changed_tables,
    internal_errors,
    reset_state,
    snapshot,
)

ROLES = ("unlinked", "mem_a", "sec_a", "dep_a", "office")
# Refusals that mean "you may not": an allowed action must never answer with one of these.
ACCESS_CODES = ("not_linked", "not_your_cell", "not_a_manager", "not_your_reminder",
                "member_removed", "proxy_revoked", "roles_office_only",
                "residence_not_yours")  # fmt: skip


@dataclass(frozen=True)
class Case:
    what: str  # a command ("/cell") or callback data ("cm:3:progress")
    expect: str | None  # None: allowed; else the error code of the refusal
    params: tuple[tuple[str, object], ...] = ()

    def message(self) -> str:
        assert self.expect is not None
        return UserError(self.expect, **dict(self.params)).message()


def _manages(world: World, role: str, cell: int) -> bool:
    if role in ("sec_a", "dep_a"):
        return cell == world.cell_a
    return role == "office"


def callback_cases(world: World, role: str) -> list[Case]:
    """Every callback prefix against own cell, other cell, own / other members."""
    a, b = world.cell_a, world.cell_b
    cases: list[Case] = []

    def cell_case(data: str, cell: int) -> Case:
        if role == "unlinked":
            return Case(data, "not_linked")
        return Case(data, None if _manages(world, role, cell) else "not_your_cell")

    def office_case(data: str, *, mismatch: bool = False) -> Case:
        if role == "unlinked":
            return Case(data, "not_linked")
        if role != "office":
            return Case(data, "roles_office_only")
        return Case(data, "stale_button" if mismatch else None)

    for cell in (a, b):
        for action in ("progress", "export", "invites", "roster"):
            cases.append(cell_case(f"cm:{cell}:{action}", cell))
        for action in ("menu", "edit"):
            cases.append(cell_case(f"mt:{cell}:{action}", cell))
        for action in ("view", "ovr"):
            cases.append(cell_case(f"rs:{cell}:{action}", cell))
        cases.append(cell_case(f"rm:view:{cell}", cell))
        cases.append(cell_case(f"rm:log:{cell}:0", cell))
        cases.append(cell_case(f"rm:mem:{cell}:0", cell))
        cases.append(cell_case(f"rm:nudge:{cell}", cell))
        cases.append(cell_case(f"fa:l:{cell}:0", cell))
        cases.append(cell_case(f"fa:b:{cell}:0", cell))
        cases.append(cell_case(f"rf:l:{cell}:0", cell))
        cases.append(cell_case(f"rf:b:{cell}:0", cell))
        for data in (f"ro:v:{cell}", f"ro:b:{cell}", f"ro:m:{cell}", f"ro:i:{cell}"):
            cases.append(office_case(data))
    # A ballot names its cell and its member: the member must be of that cell.
    for cell, member in ((a, "mem_a"), (b, "mem_b"), (a, "mem_b")):
        data = f"bl:{cell}:{world[member].member_id}"
        case = cell_case(data, cell)
        if case.expect is None and member == "mem_b" and cell == a:
            case = Case(data, "stale_button")
        cases.append(case)
    # The meeting's programme and minutes name the meeting (and the member): its cell's managers.
    from bot.storage.models import Meeting

    with world.db.session() as s:
        meeting_of = {c: m for c, m in s.execute(select(Meeting.cell_id, Meeting.id)).all()}
    for cell in (a, b):
        for action in ("menu", "concl", "absent", "chair", "place", "prog"):
            cases.append(cell_case(f"mr:{meeting_of[cell]}:{action}", cell))
    for cell, member in ((a, "mem_a2"), (b, "mem_b"), (a, "mem_b")):
        data = f"mr:{meeting_of[cell]}:concl:{world[member].member_id}"
        case = cell_case(data, cell)
        if case.expect is None and member == "mem_b" and cell == a:
            case = Case(data, "minutes_member_unknown")
        cases.append(case)
    for member, cell in (("mem_a2", a), ("mem_b", b)):
        mid = world[member].member_id
        for data in (f"ov:{mid}", f"ol:{mid}:HTNV", f"px:{mid}", f"ul:{mid}", f"rm:pause:{mid}:0"):
            cases.append(cell_case(data, cell))
        # Facts and the residence's feedback of a member: their own cell's managers only.
        for data in (f"fa:m:{mid}", f"fa:k:{mid}:di", f"fa:k:{mid}:sl", f"fa:v:{mid}:di:1",
                     f"rf:m:{mid}", f"rf:a:{mid}", f"rf:s:{mid}:{a if cell == b else b}",
                     f"rf:e:{mid}", f"rf:r:{mid}", f"rf:d:{mid}",
                     f"rf:p:{mid}:{a if cell == b else b}"):  # fmt: skip
            cases.append(cell_case(data, cell))
        # Roles: the office only, for a member of the cell the data names.
        for data in (f"ro:p:{cell}:{mid}", f"ro:c:{cell}:{mid}:d", f"ro:g:{cell}:{mid}:d",
                     f"ro:j:{cell}:{mid}", f"ro:k:{cell}:{mid}:s"):  # fmt: skip
            cases.append(office_case(data))
    # Roles naming a cell and a member of another cell: refused as stale even for the office.
    cases.append(office_case(f"ro:g:{a}:{world['mem_b'].member_id}:d", mismatch=True))
    # The residence form cell B asked of cell A: only cell A's secretary and deputy answer it;
    # the draft cell A enters itself: cell A's managers (the office above included).
    request, draft = world.residence["request"], world.residence["draft"]
    for data in (f"ra:{request}", f"ra:{request}:1:1"):
        if role == "unlinked":
            cases.append(Case(data, "not_linked"))
        else:
            cases.append(Case(data, None if role in ("sec_a", "dep_a") else "residence_not_yours"))
    for data in (f"ra:{draft}", f"ra:{draft}:1:2"):
        if role == "unlinked":
            cases.append(Case(data, "not_linked"))
        else:
            cases.append(Case(data, None if _manages(world, role, a) else "residence_not_yours"))
    # A member's own reminder buttons: only their own member id.
    own = world[role].member_id if role != "unlinked" else None
    for target in ("self", "mem_a2", "mem_b"):
        mid = own if target == "self" else world[target].member_id
        if mid is None:
            continue
        for data in (f"rm:open:{mid}", f"rm:snz:{mid}:1", f"rm:hrs:{mid}", f"rm:hr:{mid}:9"):
            if role == "unlinked":
                cases.append(Case(data, "not_linked"))
            else:
                cases.append(Case(data, None if target == "self" else "not_your_reminder"))
    # The questionnaire's buttons act on the presser's own review only (no id to forge).
    for data in ("a:unit:none", "n:unit:skip", "t:tasks:0:on_time", "e:unit", "e:ind",
                 "r:c.1", "sum", "sub"):  # fmt: skip
        cases.append(Case(data, "not_linked" if role == "unlinked" else None))
    return cases


def command_cases(role: str) -> list[Case]:
    commands = ("/start", "/help", "/review", "/back", "/summary", "/cancel", "/cell", "/proxy",
                "/proxy_end", "/reminders", "/calendar", "/mydata", "/collective")  # fmt: skip
    out: list[Case] = []
    for c in commands:
        if role == "unlinked":
            out.append(Case(c, None if c in ("/start", "/help") else "not_linked"))
        elif role == "mem_a":
            out.append(Case(c, "not_a_manager" if c in ("/cell", "/proxy", "/calendar") else None))
        else:
            out.append(Case(c, None))
    return out


def others_reviews(world: World, member_id: int | None) -> list[tuple[object, ...]]:
    """Reviews and answers of everybody but `member_id`, decrypted."""
    with world.db.session() as s:
        rows = s.execute(
            select(SelfReview.member_id, SelfReview.status, SelfReview.cursor, Answer.question,
                   Answer.value, Answer.note)
            .join(Answer, Answer.review_id == SelfReview.id, isouter=True)
            .where(SelfReview.member_id != (member_id or -1))
            .order_by(SelfReview.id, Answer.id)
        ).all()  # fmt: skip
    return [tuple(r) for r in rows]


def _refusals() -> list[str]:
    return [render_string("errors.yaml", c) for c in ACCESS_CODES]


@pytest.fixture
def world(tmp_path: Path) -> World:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    w = build_world(url)
    yield w
    w.db.dispose()


@asynccontextmanager
async def running(world: World) -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emu, bot(emu, world.url):
        yield emu


def _user(emu: TelegramEmulator, world: World, role: str) -> SimUser:
    tg = UNLINKED_TG if role == "unlinked" else world[role].tg
    return emu.user(tg, role)


async def _check(
    world: World, user: SimUser, case: Case, act: Callable[[], object], own: int | None
) -> list[str]:
    """Run one case; the list of what went wrong (empty when it behaved)."""
    reset_state(world)
    await barrier(user)
    before, reviews_before = snapshot(world.db), others_reviews(world, own)
    user.skip_pending()
    shown = await act()  # type: ignore[misc]
    await barrier(user)
    after, reviews_after = snapshot(world.db), others_reviews(world, own)
    problems: list[str] = []
    # Unlocking a member's review and opening it in proxy are a manager's right; every other
    # action touches the presser's own review at most.
    if reviews_before != reviews_after and (case.expect or case.what[:3] not in ("ul:", "px:")):
        problems.append(f"{case.what}: changed another member's review")
    if case.expect is None:
        for refusal in _refusals():
            if refusal[:200] in str(shown):
                problems.append(f"{case.what}: allowed but refused: {str(shown)[:120]!r}")
    else:
        if case.message()[:200] not in str(shown):
            problems.append(f"{case.what}: expected {case.expect!r}, got {str(shown)[:160]!r}")
        changed = changed_tables(before, after)
        if changed:
            problems.append(f"{case.what}: refused but changed {changed}")
    for msg in user.messages():
        if msg.from_bot and SECRET in (msg.text or "") and own != world["mem_a2"].member_id:
            problems.append(f"{case.what}: showed another member's answer")
    return problems


@pytest.mark.parametrize("role", ROLES)
async def test_every_callback_prefix(world: World, role: str) -> None:
    own = None if role == "unlinked" else world[role].member_id
    problems: list[str] = []
    async with running(world) as emu:
        user = _user(emu, world, role)
        user.send("/start")
        anchor: ChatMessage = await user.expect_reply()
        for case in callback_cases(world, role):

            async def press(data: str = case.what) -> str:
                answer = await user.click_data(data, anchor, timeout=15)
                await barrier(user)
                texts = [m.text or "" for m in user.messages() if m.from_bot]
                return (answer.text if answer and answer.text else "") + "\n" + texts[-2]

            problems += await _check(world, user, case, press, own)
        assert internal_errors(emu) == []
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
async def test_every_command(world: World, role: str) -> None:
    own = None if role == "unlinked" else world[role].member_id
    problems: list[str] = []
    async with running(world) as emu:
        user = _user(emu, world, role)
        for case in command_cases(role):

            async def send(command: str = case.what) -> str:
                user.send(command)
                return (await user.expect_reply(timeout=15)).text or ""

            problems += await _check(world, user, case, send, own)
        # In a group the bot does nothing but point to the private chat.
        group = emu.group(-1009_001, "Chi bộ A")
        user.send_in_group(group, "/review")
        assert "không làm việc trong nhóm" in ((await group.expect_reply()).text or "")
        assert internal_errors(emu) == []
    assert problems == []


async def test_forged_and_unknown_callback_data(world: World) -> None:
    sec = world["sec_a"]
    forged = {
        "px:999999999999": UserError("member_not_found", member_id=999999999999).message(),
        "ul:999999999999": UserError("member_not_found", member_id=999999999999).message(),
        "cm:999999999999:progress": UserError("not_your_cell").message(),
        f"cm:{world.cell_a}:nope": UserError("stale_button").message(),
        "rm:view:99999999999999999999999999": UserError("reminder_button_unknown").message(),
        "rm:fly:1": UserError("reminder_button_unknown").message(),
        "zz:1": render_string("labels.yaml", "toast_unknown_button"),
        "a": render_string("labels.yaml", "toast_unknown_button"),
        "sub:x": render_string("labels.yaml", "toast_unknown_button"),
    }
    async with running(world) as emu:
        user = emu.user(sec.tg, "sec")
        user.send("/cell")
        anchor = await user.expect_reply()
        await barrier(user)
        before = snapshot(world.db)
        for data, expected in forged.items():
            answer = await user.click_data(data, anchor, timeout=15)
            assert answer is not None and (answer.text or "") == expected[:200], (data, answer)
        await barrier(user)
        assert changed_tables(before, snapshot(world.db)) == []
        assert internal_errors(emu) == []


async def test_replayed_invite_code(world: World) -> None:
    code = world["mem_a"].code  # already used by mem_a's account
    async with running(world) as emu:
        stranger = emu.user(UNLINKED_TG, "Người lạ")
        before = snapshot(world.db)
        stranger.send(f"/start {code}")
        assert (await stranger.expect_reply()).text == UserError("invite_used").message()
        stranger.send("/start AAAAAAAAAAAAAAAA")
        assert (await stranger.expect_reply()).text == UserError("invite_unknown").message()
        stranger.send("/start ../../etc/passwd")
        assert (await stranger.expect_reply()).text == UserError("invite_unknown").message()
        await barrier(stranger)
        assert changed_tables(before, snapshot(world.db)) == []
        # The owner replaying their own code is told they are linked already (and their review
        # opens): no account or invite changes.
        owner = emu.user(world["mem_a"].tg, "Một")
        owner.send(f"/start {code}")
        assert "liên kết" in ((await owner.expect_reply()).text or "")
        await barrier(owner)
        changed = changed_tables(before, snapshot(world.db))
        assert "invites" not in changed and "telegram_accounts" not in changed
        assert internal_errors(emu) == []


async def test_member_removed_from_roster(world: World) -> None:
    mem = world["mem_a"]
    RemovalService(world.db).remove("cli", mem.member_id)
    removed = UserError("member_removed").message()
    async with running(world) as emu:
        user = emu.user(mem.tg, "Một")
        user.send("/start")
        anchor = await user.expect_reply()
        await barrier(user)
        before = snapshot(world.db)
        for command in ("/review", "/summary", "/back", "/mydata", "/reminders", "Câu trả lời"):
            user.send(command)
            assert (await user.expect_reply()).text == removed, command
        for data in ("a:unit:none", "sub", f"rm:snz:{mem.member_id}:1", "e:unit"):
            answer = await user.click_data(data, anchor)
            assert answer is not None and answer.text == removed[:200], data
        await barrier(user)
        assert changed_tables(before, snapshot(world.db)) == []
        # A secretary cannot enter the removed member's review in proxy either.
        sec = emu.user(world["sec_a"].tg, "Sơn")
        sec.send("/cell")
        menu = await sec.expect_reply()
        answer = await sec.click_data(f"px:{mem.member_id}", menu)
        assert answer is not None
        assert answer.text == UserError("member_not_found", member_id=mem.member_id).message()
        await barrier(sec)
        assert changed_tables(before, snapshot(world.db)) == []
        assert internal_errors(emu) == []


async def test_secretary_demoted_mid_meeting(world: World) -> None:
    sec, mem = world["sec_a"], world["mem_a"]
    async with running(world) as emu:
        user = emu.user(sec.tg, "Sơn")
        user.send("/cell")
        menu = await user.expect_reply()
        await user.click_data(f"bl:{world.cell_a}:{mem.member_id}", menu)
        assert "phiếu" in ((await user.expect_reply()).text or "").lower()
        # The office revokes the role while the count is pending.
        OrgService(world.db).grant_role(sec.member_id, "secretary", revoke=True)
        await barrier(user)
        before = snapshot(world.db)
        user.send("3 1 0 0")
        assert (await user.expect_reply()).text == UserError("not_your_cell").message()
        await barrier(user)
        with world.db.session() as s:
            assert s.execute(select(BallotEntry)).first() is None
            account = s.execute(
                select(TelegramAccount).where(TelegramAccount.telegram_user_id == sec.tg)
            ).scalar_one()
            assert account.awaiting == ""  # the dead input is forgotten
        # ... and the update that forgot it is recorded as handled (bot/storage/db.py)
        assert changed_tables(before, snapshot(world.db)) == [
            "processed_updates", "telegram_accounts"]
        # Their next message is theirs again (their own review), not a count.
        user.send("3 1 0 0")
        assert (await user.expect_reply()).text != UserError("not_your_cell").message()
        assert internal_errors(emu) == []


async def test_secretary_demoted_during_proxy_entry(world: World) -> None:
    sec, mem = world["sec_a"], world["mem_a"]
    ProxyService(world.db, ReviewService(world.db)).start(sec.tg, mem.member_id)
    OrgService(world.db).grant_role(sec.member_id, "secretary", revoke=True)
    async with running(world) as emu:
        user = emu.user(sec.tg, "Sơn")
        await barrier(user)
        before = snapshot(world.db)
        for text in ("Ủy ban nhân dân xã", "/review", "/summary"):
            user.send(text)
            assert (await user.expect_reply()).text == UserError("proxy_revoked").message()
        await barrier(user)
        assert changed_tables(before, snapshot(world.db)) == []
        user.send("/proxy_end")
        await user.expect_reply()
        user.send("/review")
        assert (await user.expect_reply()).text != UserError("proxy_revoked").message()
        assert internal_errors(emu) == []


async def test_a_member_never_sees_another_members_review(world: World) -> None:
    """Member A1 tries everything a member can; nothing they receive carries A2's answers."""
    mem, other = world["mem_a"], world["mem_a2"]
    async with running(world) as emu:
        user = emu.user(mem.tg, "Một")
        for command in ("/start", "/review", "/summary", "/back", "/reminders", "/mydata"):
            user.send(command)
            await user.expect_reply()
        anchor = await user.expect_reply() if False else user.last_message()
        assert anchor is not None
        for data in (f"e:{q}" for q in ("unit", "s.2", "c.1", "rate")):
            await user.click_data(data, anchor)
        for data in (f"ul:{other.member_id}", f"px:{other.member_id}", f"ov:{other.member_id}",
                     f"rm:open:{other.member_id}", f"rs:{world.cell_a}:view"):  # fmt: skip
            await user.click_data(data, anchor)
        await barrier(user)
        seen = [m.text or "" for m in user.messages() if m.from_bot]
        seen += [d.data.decode("utf-8", "replace") for d in user.documents()]
        assert not any(SECRET in t for t in seen)
        assert any('"profile"' in t for t in seen)  # /mydata did send their own file
        assert internal_errors(emu) == []
