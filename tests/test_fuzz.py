"""Hostile and broken input: every text a user types, every button payload, every file; and a
user flooding the bot. Bounded (hypothesis `max_examples` small, derandomised) so the file runs
in well under a minute.

The rule everywhere: a service answers with an `Outcome` or refuses with a `UserError` (a clear
Vietnamese message), never anything else (which would reach the error handler's "bot gặp trục
trặc"), and input it refuses stores nothing. Most cases call the services directly for speed; a
handful go through the real Application and the emulator, and there the error handler must
never have fired.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from fractions import Fraction

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.handlers import facts as facts_handlers
from bot.handlers import meeting as meeting_handlers
from bot.handlers import minutes as minutes_handlers
from bot.handlers import reminders as reminder_handlers
from bot.handlers import residence as residence_handlers
from bot.handlers import review as review_handlers
from bot.handlers import roles as roles_handlers
from bot.handlers.flood import FloodGuard
from bot.review.questionnaire import build, parse_points
from bot.rules.catalog import load_catalog
from bot.rules.levels import MemberKind, Rulebook
from bot.sandbox import TelegramEmulator
from bot.sandbox.runner import running_bot
from bot.sandbox.scripted import bot, settings_for
from bot.services.container import Services
from bot.services.errors import UserError
from bot.services.replies import Outcome
from bot.services.roster import RosterService
from bot.services.spreadsheet import MAX_UPLOAD_BYTES
from bot.settings import Settings
from bot.storage.db import upgrade
from bot.storage.models import (
    Answer,
    BallotEntry,
    Fact,
    Meeting,
    MeetingConclusion,
    Member,
    Override,
    ResidenceFeedback,
    SelfReview,
    TelegramAccount,
)
from tests.access_world import (
    World,
    barrier,
    build_world,
    internal_errors,
    reset_state,
    snapshot,
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Text a person (or a script) can type: any Unicode, control characters, huge numbers, markup.
HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=4096),
    st.sampled_from([
        "", " ", "\x00", "\u202e", "²³", "١٢٣ ٤", "1e999999999", "-0", "NaN", "Infinity",
        "<b>", "</i>", "&amp;", "<script>alert(1)</script>", "'; DROP TABLE answers; --",
        "9" * 200, "31/02/2025 5", "00/00/0000 1", "15/12/2025 -3", "15/12/2025 99999999999",
        "r2 1 2", "r2", "1 2 3", "1 2 3 4 5 6 7 r2 1 2 3", "x" * 5000, "\n\n\n", "- \n* \n•",
    ]),
)  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, data_key: str) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'bot.db'}"
    upgrade(url)
    w = build_world(url)
    yield w
    w.db.dispose()


@pytest.fixture(scope="module")
def services(world: World) -> Services:
    return Services(world.db, Settings(_env_file=None, database_url=world.url))


def _call(fn: object, *args: object) -> Outcome | None:
    """The service's answer, or None for a UserError; any other exception fails the test."""
    try:
        out = fn(*args)  # type: ignore[operator]
    except UserError as exc:
        assert exc.message()  # worded in templates/errors.yaml
        return None
    assert isinstance(out, Outcome)
    return out


# ---- the member's typed answers --------------------------------------------------------------

QUESTIONS = build(load_catalog(Rulebook("2025"), MemberKind("non_leader")), civil_servant=False)
BY_KIND = {q.kind: q for q in reversed(QUESTIONS)}  # the first question of each kind
STEPS = [(k, "") for k in sorted(BY_KIND)] + [("points", "note"), ("indicator", "remedy"),
                                              ("rating", "justify")]  # fmt: skip


def _place(world: World, key: str, awaiting: str) -> int:
    """Put mem_a's review on question `key` (sub-step `awaiting`), that question unanswered."""
    with world.db.session() as s:
        account = s.execute(select(TelegramAccount).where(
            TelegramAccount.telegram_user_id == world["mem_a"].tg)).scalar_one()  # fmt: skip
        account.awaiting, account.acting_for_member_id = "", None
        review = s.execute(select(SelfReview).where(
            SelfReview.member_id == world["mem_a"].member_id)).scalar()  # fmt: skip
        if review is None:
            review = SelfReview(period_id=world.period_id, member_id=world["mem_a"].member_id)
            s.add(review)
            s.flush()
        review.status, review.cursor, review.awaiting = "in_progress", key, awaiting
        for a in s.execute(select(Answer).where(Answer.review_id == review.id)).scalars():
            if a.question == key and not awaiting:
                s.delete(a)
        answered = s.execute(select(Answer).where(Answer.review_id == review.id,
                                                  Answer.question == key)).first()  # fmt: skip
        if awaiting and not answered:  # a sub-step follows an answer
            value = {"points": "1", "indicator": "3", "rating": "HTXSNV"}[_kind(key)]
            s.add(Answer(review_id=review.id, question=key, value=value, note=""))
        return review.id


def _kind(key: str) -> str:
    return next(q.kind for q in QUESTIONS if q.key == key)


def _stored(world: World, review_id: int, key: str) -> Answer | None:
    with world.db.session() as s:
        return s.execute(select(Answer).where(Answer.review_id == review_id,
                                              Answer.question == key)).scalar()  # fmt: skip


@pytest.mark.parametrize(("kind", "awaiting"), STEPS)
def test_review_answers_of_every_kind(
    world: World, services: Services, kind: str, awaiting: str
) -> None:
    key = BY_KIND[kind].key

    @FUZZ
    @given(text=HOSTILE)
    def check(text: str) -> None:
        review_id = _place(world, key, awaiting)
        before = _stored(world, review_id, key)
        out = _call(services.on_text, world["mem_a"].tg, text)
        after = _stored(world, review_id, key)
        if kind == "points" and not awaiting:
            ok = parse_points(text, _max(key)) is not None
            assert (after is not None) == ok, text
        if kind in ("header", "indicator", "rating") and not awaiting:
            assert after is None  # buttons only: typing stores nothing
        if out is None or not text.strip():
            assert (before is None and after is None) or (
                before is not None and after is not None and before.value == after.value)

    check()


def _max(key: str) -> Fraction:
    cat = load_catalog(Rulebook("2025"), MemberKind("non_leader"))
    assert cat.points is not None
    return cat.points.item(next(q.ref for q in QUESTIONS if q.key == key)).max_points


# ---- the secretary's typed counts, dates and reasons -----------------------------------------


def _await(world: World, value: str) -> None:
    with world.db.session() as s:
        account = s.execute(select(TelegramAccount).where(
            TelegramAccount.telegram_user_id == world["sec_a"].tg)).scalar_one()  # fmt: skip
        account.awaiting, account.acting_for_member_id = value, None


def _count(world: World, model: type) -> int:
    with world.db.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


TYPED = ("meeting", "ballot", "override", "fact_number", "fact_tasks", "residence",
         "conclusion", "absence", "place")  # fmt: skip


@pytest.mark.parametrize("what", TYPED)
def test_secretary_typed_input(world: World, services: Services, what: str) -> None:
    member = world["mem_a"].member_id
    request = world.residence["request"]
    with world.db.session() as s:  # cell A's meeting (its minutes: conclusions, absences)
        meeting = s.execute(select(Meeting.id).where(Meeting.cell_id == world.cell_a)).scalar_one()
    pending = {"meeting": f"meeting:{world.cell_a}", "ballot": f"ballot:{world.cell_a}:{member}",
               "override": f"override:{member}:HTNV", "fact_number": f"fact:{member}:sl",
               "fact_tasks": f"fact:{member}:tk",
               "residence": f"residence:{request}",
               "conclusion": f"mr:concl:{meeting}:{member}",
               "absence": f"mr:absent:{meeting}:{member}", "place": f"mr:place:{meeting}",
               }[what]  # fmt: skip

    @FUZZ
    @given(text=HOSTILE)
    def check(text: str) -> None:
        reset_state(world)
        if what == "residence":  # the residence form of cell B's member, at its free text
            with world.db.session() as s:
                row = s.get(ResidenceFeedback, request)
                assert row is not None
                row.cursor = 7
        _await(world, pending)
        ballots, overrides = _count(world, BallotEntry), _count(world, Override)
        facts, conclusions = _count(world, Fact), _count(world, MeetingConclusion)
        out = _call(services.on_text, world["sec_a"].tg, text)
        if out is None:  # refused: nothing stored
            assert _count(world, MeetingConclusion) == conclusions
            assert _count(world, BallotEntry) == ballots
            assert _count(world, Override) == overrides
            assert _count(world, Fact) == facts
            with world.db.session() as s:
                row = s.get(ResidenceFeedback, request)
                assert row is not None and row.status == "requested" and row.other == ""

    check()


# ---- button payloads -------------------------------------------------------------------------

PROXY = r"^(px|ul):\d{1,12}$"
CELL = r"^cm:\d{1,12}:[a-z]{1,12}$"


def dispatch(services: Services, tg: int, data: str) -> Outcome | None:
    """What the registered CallbackQueryHandlers do with `data`, in their order (bot/handlers):
    the same patterns, the same argument parsing, the same service call."""
    if re.match(reminder_handlers.REMINDER_CALLBACKS, data):
        return _call(services.reminders.on_button, tg, data)
    if re.match(PROXY, data):
        verb, _, arg = data.partition(":")
        fn = services.proxy.start if verb == "px" else services.proxy.unlock
        return _call(fn, tg, int(arg))
    if re.match(CELL, data):
        if data.endswith(":invites"):
            return _call(services.cell.invite_links, tg, int(data.split(":")[1]), "bot")
        return _call(services.cell.on_button, tg, data)
    if re.match(meeting_handlers.PATTERN, data):
        return _call(services.meeting_chat.on_button, tg, data)
    if re.match(minutes_handlers.PATTERN, data):
        return _call(services.minutes_chat.on_button, tg, data)
    if re.match(facts_handlers.PATTERN, data):
        return _call(services.fact_chat.on_button, tg, data)
    if re.match(residence_handlers.PATTERN, data):
        return _call(services.residence.on_button, tg, data)
    if re.match(roles_handlers.PATTERN, data):
        return _call(services.roles.on_button, tg, data, "bot")
    if re.match(review_handlers.REVIEW_CALLBACKS, data):
        return _call(services.reviews.on_button, tg, data)
    return None  # the fallback handler's toast


NUMBER = st.one_of(st.integers(-5, 40), st.integers(10**11, 10**12 - 1),
                   st.integers(10**18, 10**40)).map(str)  # fmt: skip
PAYLOADS = st.one_of(
    st.text(max_size=64),
    st.builds(lambda p, a, b: f"{p}:{a}:{b}",
              st.sampled_from(["a", "n", "t", "e", "r", "px", "ul", "cm", "mt", "bl", "rs", "ov",
                               "ol", "rm"]),
              NUMBER, st.one_of(NUMBER, st.text(max_size=20))),
    st.builds(lambda v, a, b: f"rm:{v}:{a}:{b}",
              st.sampled_from(["open", "snz", "hrs", "hr", "view", "log", "mem", "nudge",
                               "pause", "resume"]), NUMBER, NUMBER),
    st.from_regex(meeting_handlers.PATTERN, fullmatch=True),
    st.from_regex(minutes_handlers.PATTERN, fullmatch=True),
    st.from_regex(facts_handlers.PATTERN, fullmatch=True),
    st.from_regex(residence_handlers.PATTERN, fullmatch=True),
    st.from_regex(roles_handlers.PATTERN, fullmatch=True),
    st.from_regex(reminder_handlers.REMINDER_CALLBACKS, fullmatch=True),
    st.from_regex(review_handlers.REVIEW_CALLBACKS, fullmatch=True),
    st.from_regex(CELL, fullmatch=True),
    st.from_regex(PROXY, fullmatch=True),
).filter(lambda d: len(d.encode("utf-8")) <= 64)  # fmt: skip


@pytest.mark.parametrize("role", ["unlinked", "mem_a", "sec_a", "office"])
def test_button_payloads(world: World, services: Services, role: str) -> None:
    tg = 799_999 if role == "unlinked" else world[role].tg
    # Numbers too big for the database's integers, where a real id or page belongs: random
    # payloads rarely hit a valid cell id and a huge page together, so they are listed too.
    huge = "9" * 30
    own = world[role].member_id if role != "unlinked" else 1
    tricky = [f"rm:{verb}:{cell}:{huge}" for verb in ("log", "mem")
              for cell in (world.cell_a, world.cell_b)]
    tricky += [f"rm:pause:{huge}:0", f"rm:resume:{own}:{huge}", f"rm:hr:{own}:{huge}",
               f"rm:snz:{own}:{huge}", f"rm:open:{huge}", f"rm:view:{huge}", f"rm:nudge:{huge}",
               f"t:tasks:{huge}:on_time", f"a:c.1:{huge}", f"e:{huge}"]  # fmt: skip
    big = "9" * 12  # the longest id the workspace patterns take (bot/handlers/facts.py, …)
    tricky += [f"fa:m:{big}", f"fa:v:{big}:di:1", f"fa:l:{world.cell_a}:{big}", f"rf:m:{big}",
               f"rf:s:{own}:{big}", f"ra:{big}", f"ra:{big}:1:1", f"ro:v:{big}",
               f"ro:g:{world.cell_a}:{big}:s", f"rf:l:{world.cell_a}:{big}",
               f"mr:{big}:menu", f"mr:{big}:concl:{big}", f"mr:1:concl:{big}",
               f"mr:1:absent:{big}", f"mr:2:chair:{own}"]  # fmt: skip
    for data in tricky:
        _await(world, "")
        dispatch(services, tg, data)

    @FUZZ
    @given(data=PAYLOADS)
    def check(data: str) -> None:
        _await(world, "")
        dispatch(services, tg, data)

    check()


# ---- files -----------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(["a.xlsx", "a.csv", "a", "a.png"]))
def test_any_bytes_as_a_roster(world: World, data: bytes, name: str) -> None:
    before = _count(world, Member)
    try:
        report = RosterService(world.db).import_file(world.cell_b, data, name)
    except UserError:
        report = None
    if report is not None and not report.saved:
        assert _count(world, Member) == before


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Họ và tên", "Ngày sinh", "Trạng thái", "Ngày vào Đảng"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bomb() -> bytes:
    """An .xlsx-looking zip whose one entry inflates to 64 MB of zeros (about 64 KB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    return buf.getvalue()


UPLOADS = {
    "huge": (b"x" * (MAX_UPLOAD_BYTES + 1), "ds.csv", "quá lớn"),
    "junk": (bytes(range(256)) * 64, "ds.xlsx", "không phải bảng tính"),
    "formulas": (_xlsx([["=HYPERLINK(\"http://x\",\"Lê Văn A\")", "01/01/1970", "chính thức",
                         "=1+1"]]), "ds.xlsx", "công thức"),
    "100k rows": (("Họ và tên;Ngày sinh;Trạng thái;Ngày vào Đảng\n" + "Lê Văn A;01/01/1970;chính "
                   "thức;01/01/2000\n" * 100_000).encode(), "ds.csv", "quá nhiều dòng"),
    "zip bomb": (_zip_bomb(), "ds.xlsx", "giải nén"),
}  # fmt: skip


async def test_hostile_uploads_and_texts_end_to_end(world: World) -> None:
    """Through the real Application: files, typed garbage and forged buttons."""
    before = snapshot(world.db)
    async with TelegramEmulator() as emu, bot(emu, world.url):
        sec = emu.user(world["sec_a"].tg, "Sơn")
        for label, (data, name, expected) in UPLOADS.items():
            await sec.upload(data, name, "application/octet-stream")
            reply = await sec.expect_reply(timeout=30)
            assert expected in (reply.text or ""), (label, reply.text)
        mem = emu.user(world["mem_a"].tg, "Một")
        await sec.upload(_xlsx([]), "ds.xlsx")  # a member's file is not a roster
        await sec.expect_reply(timeout=30)
        await mem.upload(b"Ho va ten\nA\n", "ds.csv", "text/csv")
        assert "chỉ nhận tệp" in ((await mem.expect_reply()).text or "")
        mem.send("/start")
        anchor = await mem.expect_reply()
        for text in ("\u202e<b>", "1e999999999", "²³ ٤", "<script>", "x" * 4096):
            mem.send(text)
        for data in ("a:%:%", "t:tasks:99999999999999999999:x", "e:../../", "bl:1:2", "rm:hr:1:d",
                     f"rm:log:{world.cell_a}:99999999999999999999", "ol:1:HTXSNV"):  # fmt: skip
            await mem.click_data(data, anchor)
        await barrier(mem)
        await barrier(sec)
        assert internal_errors(emu) == []
    after = snapshot(world.db)
    # Whatever else happened (mem_a's review moved), no roster row, ballot or override appeared.
    for table in ("members", "ballot_entries", "overrides", "roles", "invites"):
        assert before[table] == after[table], table


# ---- flooding ---------------------------------------------------------------------------------


def test_flood_guard_window() -> None:
    now = [0.0]
    guard = FloodGuard(3, 10.0, clock=lambda: now[0])
    assert [guard.check(1) for _ in range(3)] == ["ok"] * 3
    assert guard.check(1) == "warn"
    assert [guard.check(1) for _ in range(5)] == ["drop"] * 5
    assert guard.check(2) == "ok"  # another user is not affected
    now[0] = 11.0  # still flooding: the last 4 updates are within the window? no: they are old
    assert guard.check(1) == "ok"
    for _ in range(3):
        guard.check(1)
    assert guard.check(1) == "drop"  # warned less than a window ago: no second warning
    now[0] = 30.0
    assert guard.check(1) == "ok"
    now[0] = 10_000.0
    for user in range(3, FloodGuard.PRUNE_EVERY + 3):
        guard.check(user)
    assert len(guard) < FloodGuard.PRUNE_EVERY + 2  # idle users are forgotten


async def test_one_user_flooding_gets_one_warning(world: World) -> None:
    async with TelegramEmulator() as emu:
        cfg = settings_for(emu, world.url, flood_max_updates=5, flood_window_seconds=60)
        async with running_bot(cfg):
            flooder = emu.user(world["mem_b"].tg, "Bảy")
            calm = emu.user(world["sec_b"].tg, "Tây")
            for i in range(25):
                flooder.send(f"/help {i}")
            calm.send("/help")
            assert "Hướng dẫn" in ((await calm.expect_reply()).text or "")
            await emu.wait_until(
                lambda: sum("nhiều tin quá nhanh" in (m.text or "")
                            for m in flooder.replies()) >= 1, timeout=10)  # fmt: skip
            await emu.wait_until(lambda: not emu.unanswered_updates()
                                 or len(flooder.replies()) >= 6, timeout=10)  # fmt: skip
            replies = [m.text or "" for m in flooder.replies()]
            assert sum("nhiều tin quá nhanh" in t for t in replies) == 1
            assert sum(t.startswith("Hướng dẫn") for t in replies) == 5
            assert internal_errors(emu) == []
