"""Every shared case (`../shared/cases/*.json`) through the real command line, `python -m bot rate`.

The cases are read where they live (never copied); `KIEMDIEM_SHARED_DIR` points elsewhere. A
missing folder fails the run: a green suite must mean the cases were checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("KIEMDIEM_SHARED_DIR", ROOT.parent / "shared"))
CASES_DIR = SHARED / "cases"
CASES = sorted(CASES_DIR.glob("*.json")) if CASES_DIR.is_dir() else []
# Without cases, one failing item stands in for them (an empty parameter set would be skipped).
PARAMS = CASES or [CASES_DIR / "missing"]


def test_shared_cases_are_there() -> None:
    assert CASES_DIR.is_dir(), (
        f"shared cases folder not found: {CASES_DIR} (set KIEMDIEM_SHARED_DIR)"
    )
    assert CASES, f"no *.json case in {CASES_DIR}"


def run_cli(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "rate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def check_member(got: dict[str, Any], want: dict[str, Any], mid: str) -> None:
    for key, value in want.items():
        if key == "flags_include":
            missing = set(value) - set(got["flags"])
            assert not missing, f"{mid}: flags {got['flags']} lack {sorted(missing)}"
        else:
            assert key in got, f"{mid}: output has no {key!r}"
            assert got[key] == value, f"{mid}.{key}: got {got[key]!r}, want {value!r}"


@pytest.mark.parametrize("path", PARAMS, ids=[p.stem for p in PARAMS])
def test_case(path: Path) -> None:
    assert path.is_file(), f"no shared case at {path}"
    case = json.loads(path.read_text(encoding="utf-8"))
    expect = case["expect"]
    proc = run_cli(path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == expect.get("exit", 0), proc.stderr
    if expect.get("stdout_empty"):
        assert proc.stdout == ""
    for needle in expect.get("stderr_contains", []):
        assert needle in proc.stderr, f"stderr lacks {needle!r}: {proc.stderr}"
    if proc.returncode != 0:
        assert proc.stdout == ""
        assert proc.stderr.strip(), "an error exit must say why"
        return
    out = json.loads(proc.stdout)
    assert out["rulebook"] == case["input"]["rulebook"]
    members = {m["id"]: m for m in out["members"]}
    assert [m["id"] for m in out["members"]] == [m["id"] for m in case["input"]["members"]]
    for mid, want in expect.get("members", {}).items():
        check_member(members[mid], want, mid)
    groups = {g["group"]: g for g in out["cap_groups"]}
    for name, want in expect.get("cap_groups", {}).items():
        assert name in groups, f"no cap group {name!r} in {list(groups)}"
        for key, value in want.items():
            assert groups[name][key] == value, (
                f"cap group {name}.{key}: {groups[name][key]!r} != {value!r}"
            )
    if "organisation" in expect:
        for key, value in expect["organisation"].items():
            assert out["organisation"][key] == value
    for m in out["members"]:
        assert m["reasons"], f"{m['id']} has no reason"
        for r in m["reasons"]:
            assert r["rule"] and r["cite"] and r["text"], r
