"""Shared by the benchmarks: a bot process against the emulator, percentiles, result files."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# Benchmarks write answers in this process and in the bot process they start: both need the same
# encryption key (a throwaway one for throwaway data), and simulated members act far faster than
# people, so the per-user flood guard is off (docs/security.md).
if not os.environ.get("DATA_KEYS"):
    from cryptography.fernet import Fernet

    os.environ["DATA_KEYS"] = Fernet.generate_key().decode("ascii")
os.environ.setdefault("FLOOD_MAX_UPDATES", "0")


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "count": len(ms),
        "median_ms": round(statistics.median(ms), 2) if ms else float("nan"),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else float("nan"),
    }


def start_bot_process(
    base_url: str, file_url: str, token: str, db_url: str, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_BASE_URL=base_url,
        TELEGRAM_BASE_FILE_URL=file_url,
        DATABASE_URL=db_url,
        LOG_LEVEL="WARNING",
        **(extra_env or {}),
    )
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
