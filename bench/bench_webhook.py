"""Webhook mode under load: N bot processes (`kiemdiem run --webhook`) on one PostgreSQL database,
Telegram played by the emulator plus a dispatcher that POSTs each update to one process in turn
(round-robin, with the secret header, up to 40 requests at a time as Telegram), 1,000 simulated
members answering questionnaire steps (bot/sandbox/scripted.py's `answer_one`).

Members first join (/start with their invite), spread over `--warmup` seconds and not measured.
Then, open loop as in bench_latency.py, each member answers the question on screen after an
exponentially distributed pause (mean `--interval` s): about members/interval updates a second
are offered whatever the bots' speed, for `--seconds`. Reported: updates per second answered,
the reply latency at the emulator (update created -> the bot's first output in that chat: the
callback answer or the message), the step latency a member feels (action -> the next question
on screen), the split between processes, per 10 s, CPU seconds; and the checks: no update lost
(each delivered, each answered, none given up), none handled twice (each delivered once, every
callback answered exactly once, no duplicate message), and in the database each member's answer
rows equal the questions they answered. "late": members who stopped because a reply took longer
than the scripted member waits (5 s for a button's answer, 10 s for the next question), which
is overload, not loss.

    .venv/bin/python bench/bench_webhook.py                        # 1,000 members, 2 processes
    .venv/bin/python bench/bench_webhook.py --processes 1 2 --interval 20

PostgreSQL comes from `--database-url` / KIEMDIEM_TEST_POSTGRES_URL (a database the bench may
fill: it creates and drops its own schema), else a throwaway server from scripts/pg-test-server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench._common import ROOT, save, summary_ms
from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.demo import make_org, member_line, vietnamese_names
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.postgres import scratch_schema
from bot.sandbox.scripted import Script, answer_one, prompt
from bot.sandbox.webhook import (
    WebhookPusher,
    start_webhook_process,
    stop_processes,
    wait_listening,
)
from bot.services.invites import InviteService
from bot.storage import crypto
from bot.storage.db import Database, upgrade
from bot.storage.models import Answer, SelfReview, TelegramAccount

PUBLIC_URL = "https://kiemdiem.example.vn/telegram"
NUMBER_RE = re.compile(r"Câu (\d+)/\d+")
FIRST_USER = 950_000


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """A schema of its own on the given server, or a throwaway server."""
    workdir = None
    script = ROOT / "scripts" / "pg-test-server"
    if not url:
        workdir = tempfile.mkdtemp(prefix="kd-bench-pg-")
        proc = subprocess.run([str(script), "start", workdir], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"could not start PostgreSQL: {proc.stderr.strip()}")
        url = proc.stdout.strip()
    try:
        with scratch_schema(url, prefix="bench_") as scoped:
            yield scoped
    finally:
        if workdir:
            subprocess.run([str(script), "stop", workdir], capture_output=True)


@dataclass
class Member:
    user: SimUser
    code: str
    steps: set[int] = field(default_factory=set)  # question numbers answered
    step_latency: list[tuple[float, float]] = field(default_factory=list)  # (created, seconds)
    error: str = ""


async def join(m: Member, start_at: float) -> ChatMessage | None:
    """The member opens their invite link; returns the first question."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    try:
        m.user.send(f"/start {m.code}")
        return await prompt(m.user, timeout=120)
    except (AssertionError, TimeoutError) as exc:
        m.error = f"join: {type(exc).__name__}: {str(exc)[:200]}"
        return None


async def answer_loop(m: Member, msg: ChatMessage, interval: float, until: float,
                      rng: random.Random) -> None:
    """Open loop: a pause (exponential, mean `interval`), then the question on screen."""
    script = Script()
    try:
        while True:
            pause = rng.expovariate(1 / interval)
            if time.monotonic() + pause >= until:
                return
            await asyncio.sleep(pause)
            number = NUMBER_RE.search(msg.text or "")
            if number is None:  # submitted already (a 60 s run never gets that far)
                return
            m.steps.add(int(number.group(1)))  # acted: the answer is on its way
            acted = time.monotonic()
            msg = await answer_one(m.user, msg, script)
            m.step_latency.append((acted, time.monotonic() - acted))
    except (AssertionError, TimeoutError) as exc:
        m.error = f"{type(exc).__name__}: {str(exc)[:200]}"


def answer_rows(db_url: str) -> dict[int, int]:
    db = Database(db_url)
    try:
        with db.session() as s:
            rows = s.execute(
                select(TelegramAccount.telegram_user_id, func.count(Answer.id))
                .join(SelfReview, SelfReview.member_id == TelegramAccount.member_id)
                .join(Answer, Answer.review_id == SelfReview.id)
                .group_by(TelegramAccount.telegram_user_id)
            ).all()
        return {int(u): int(n) for u, n in rows}
    finally:
        db.dispose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (Linux /proc), for where the time went."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


async def run(db_url: str, members: int, processes: int, interval: float, seconds: float,
              warmup: float, seed: int) -> dict[str, Any]:
    upgrade(db_url)
    db = Database(db_url)
    org = make_org(db, [member_line(n) for n in vietnamese_names(members, seed=seed)],
                   rulebook="2025", year=2025)
    codes = [x.code for x in InviteService(db).for_cell(org.cell_id)]
    db.dispose()
    secret = secrets.token_urlsafe(24)
    logs = Path(tempfile.mkdtemp(prefix="kd-bench-webhook-"))
    # The flood guard is off: scripted members are not what it is for (bench/_common.py).
    env = {"FLOOD_MAX_UPDATES": "0", crypto.ENV: os.environ[crypto.ENV]}
    async with TelegramEmulator(call_log_size=10_000) as emu:
        bots = [start_webhook_process(emu, db_url, secret=secret, public_url=PUBLIC_URL,
                                      register=i == 0, log_dir=logs, extra_env=env)
                for i in range(processes)]
        try:
            for b in bots:
                await wait_listening(b)
            assert emu.webhook_url == PUBLIC_URL and emu.stats.requests["setWebhook"] == 1
            async with WebhookPusher(emu, [b.url for b in bots], secret) as pusher:
                rng = random.Random(seed)
                sims = [Member(emu.user(FIRST_USER + i, f"M{i}"), code)
                        for i, code in enumerate(codes)]
                # Joining (each /start writes the audit log, one transaction at a time): spread
                # over the warm-up and not measured. Then everybody answers.
                joined_from = time.monotonic()
                firsts = await asyncio.gather(*(
                    join(m, joined_from + rng.uniform(0, warmup)) for m in sims))
                await emu.wait_until(lambda: pusher.idle() and not emu.unanswered_updates(),
                                     timeout=120)
                joined = time.monotonic() - joined_from
                cpu0 = [cpu_seconds(b.proc.pid) for b in bots]
                own0 = time.process_time()
                begin = measured_from = time.monotonic()
                until = measured_from + seconds
                await asyncio.gather(*(
                    answer_loop(m, first, interval, until, random.Random(rng.random()))
                    for m, first in zip(sims, firsts, strict=True) if first is not None))
                ended = time.monotonic()
                await emu.wait_until(lambda: pusher.idle() and not emu.unanswered_updates(),
                                     timeout=60)
                cpu = [cpu_seconds(b.proc.pid) - c for b, c in zip(bots, cpu0, strict=True)]
                own = time.process_time() - own0
                load = os.getloadavg()
                stats = pusher.stats
        finally:
            codes_out = await stop_processes(bots)
    records = [r for r in emu.updates if not r.discarded]
    window = [r for r in records if r.created_at >= measured_from and r.created_at < until]
    answered = [r for r in window if r.replied_at is not None]
    latencies = [r.replied_at - r.created_at for r in answered]  # type: ignore[operator]
    steps = [lat for m in sims for (at, lat) in m.step_latency if measured_from <= at < until]
    timeline = []  # per 10 s of the window: updates created, and their reply latency
    for start in range(0, int(seconds), 10):
        part = [r.replied_at - r.created_at for r in answered  # type: ignore[operator]
                if start <= r.created_at - measured_from < start + 10]
        timeline.append({"from_s": start, "updates": len(part),
                         "p50_ms": summary_ms(part)["median_ms"],
                         "p95_ms": summary_ms(part)["p95_ms"]})
    rows = answer_rows(db_url)
    mismatched = [m.user.user_id for m in sims
                  if rows.get(m.user.user_id, 0) != len(m.steps)]
    callbacks = sum(1 for r in records if r.kind == "callback_query")
    result = {
        "members": members, "processes": processes, "interval_s": interval,
        "seconds": seconds, "warmup_s": warmup, "joined_in_s": round(joined, 1),
        "offered_per_s": round(members / interval, 1),
        "updates_per_s": round(len(answered) / seconds, 1),
        "reply": summary_ms(latencies),
        "step": summary_ms(steps),
        "timeline": timeline,
        "updates_total": len(records),
        "per_process": [stats.per_target[i] for i in range(processes)],
        "lost": {"unanswered": len(emu.unanswered_updates()), "given_up": len(stats.given_up),
                 "never_delivered": sum(1 for r in records if r.deliveries == 0)},
        # Members who stopped because a reply took longer than they wait (the scripted member
        # waits 5 s for a button's answer, 10 s for the next question): overload, not loss;
        # their update was still answered (unanswered counts it otherwise).
        "members_timed_out": sum(1 for m in sims if m.error),
        "twice": {"delivered_twice": len(stats.twice()),
                  "redelivered": sum(1 for r in records if r.deliveries > 1),
                  "callback_answers": emu.stats.count(method="answerCallbackQuery", status=200),
                  "callbacks": callbacks,
                  "callback_answer_errors": sum(
                      emu.stats.errors(method="answerCallbackQuery").values()),
                  "duplicate_messages": emu.stats.duplicates},
        "database": {"members_checked": len(sims), "answers": sum(rows.values()),
                     "steps": sum(len(m.steps) for m in sims), "mismatched": len(mismatched)},
        "http_statuses": dict(stats.statuses), "retries": stats.retries,
        "cpu_s": {"bots": [round(c, 1) for c in cpu], "bench_process": round(own, 1),
                  "wall": round(ended - begin, 1),
                  "cores": os.cpu_count(), "load_average_1_5_15": [round(x, 1) for x in load]},
        "exit_codes": codes_out,
        "errors": sorted({m.error for m in sims if m.error})[:5],
    }
    if ok(result):
        shutil.rmtree(logs, ignore_errors=True)
    else:
        result["logs"] = str(logs)  # the bots' output, kept to look at
    return result


def ok(r: dict[str, Any]) -> bool:
    lost, twice = r["lost"], r["twice"]
    return (not any(lost.values()) and twice["delivered_twice"] == twice["redelivered"] == 0
            and twice["callback_answers"] == twice["callbacks"]
            and twice["callback_answer_errors"] == twice["duplicate_messages"] == 0
            and r["database"]["mismatched"] == 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=30.0, help="mean pause between steps, s")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured window")
    ap.add_argument("--warmup", type=float, default=30.0, help="members join during it")
    ap.add_argument("--processes", type=int, nargs="*", default=[2])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--database-url", default=os.environ.get("KIEMDIEM_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    # bench._common put a throwaway DATA_KEYS in the environment: this process and the bots
    # encrypt and decrypt with it.
    rows = []
    for n in args.processes:
        with postgres(args.database_url) as url:
            rows.append(asyncio.run(run(url, args.members, n, args.interval, args.seconds,
                                        args.warmup, args.seed)))
    print(f"{'proc':>4} {'members':>7} {'offered/s':>9} {'updates/s':>9} {'reply p50':>9} "
          f"{'p95 ms':>7} {'step p50':>8} {'p95 ms':>7} {'n':>6} {'split':>11} {'late':>4} "
          f"{'lost':>4} {'twice':>5} {'db ok':>5}")
    for r in rows:
        lost = sum(r["lost"].values())
        twice = r["twice"]["delivered_twice"] + r["twice"]["redelivered"] + \
            r["twice"]["callback_answer_errors"] + r["twice"]["duplicate_messages"]
        split = "/".join(str(x) for x in r["per_process"])
        print(f"{r['processes']:>4} {r['members']:>7} {r['offered_per_s']:>9} "
              f"{r['updates_per_s']:>9} {r['reply']['median_ms']:>9} {r['reply']['p95_ms']:>7} "
              f"{r['step']['median_ms']:>8} {r['step']['p95_ms']:>7} {r['reply']['count']:>6} "
              f"{split:>11} {r['members_timed_out']:>4} {lost:>4} {twice:>5} "
              f"{r['database']['mismatched'] == 0!s:>5}")
        if r["errors"]:
            print("  member errors:", r["errors"])
    print(f"all checks passed: {all(ok(r) for r in rows)}")
    print(f"saved {save('webhook', {'runs': rows})}")
    if not all(ok(r) for r in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
