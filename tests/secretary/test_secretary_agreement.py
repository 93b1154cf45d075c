"""THE AGREEMENT TEST: every shared case (`../shared/cases/*.json`) the roster can express is
loaded into a real database THROUGH THE COMMAND LINE (roster import of a generated CSV, period
open with the case's plan and date, facts set, meeting open, ballot enter; self-assessments
through submitted reviews in the review service), and `kiemdiem results --json` must equal
`kiemdiem rate` on the case file for every member — levels, caps, flags, reasons — and for the
cap groups (ids mapped) and the organisation.

How a case becomes a roster:
- names: a case names members "Đảng viên m01", which a roster refuses (digits); each member gets
  a Vietnamese name instead, chosen so the roster's order (Vietnamese alphabetical) is the
  case's order, and ids are mapped back by name;
- the electorate: a case only carries the number (`ballot.electorate`), the database counts the
  roster's official members. The loader adds official members admitted within the last 6 months
  of the rating date: they are in the electorate (official, not exempt or suspended) but not
  rated (DOMAIN.md §5.1), so they change no rated member's result, no cap group and not the
  organisation; the test checks they stay unrated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.services.roster import RosterService
from bot.storage.db import Database
from bot.vietnamese import sort_key
from tests.cli import kiemdiem
from tests.conftest import SHARED
from tests.secretary.helpers import submit_review

CASES_DIR = SHARED / "cases"
CASES = sorted(CASES_DIR.glob("*.json")) if CASES_DIR.is_dir() else []

# Given names in Vietnamese alphabetical order: the i-th member of a case is "Nguyễn Văn <i-th>".
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hải",
    "Khánh",
    "Lâm",
    "Minh",
    "Nam",
    "Oanh",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Uyên",
    "Vinh",
    "Xuân",
    "Yến",
]
FILLER_GIVEN = [
    "Ánh",
    "Bảo",
    "Châu",
    "Diệp",
    "Giao",
    "Hạnh",
    "Kiều",
    "Linh",
    "Mai",
    "Ngọc",
    "Phượng",
    "Quế",
    "Sương",
    "Thơ",
    "Trâm",
]
STATUS = {
    "official": "chính thức",
    "probationary": "dự bị",
    "exempt": "miễn sinh hoạt",
    "suspended": "đình chỉ",
}
KIND = {
    "non_leader": "không giữ chức vụ",
    "leader": "lãnh đạo, quản lý",
    "outside_system": "ngoài hệ thống chính trị",
}


def test_shared_cases_are_there() -> None:
    assert CASES_DIR.is_dir(), f"shared cases folder not found: {CASES_DIR}"
    assert CASES, f"no *.json case in {CASES_DIR}"


def test_generated_names_keep_the_case_order() -> None:
    names = [f"Nguyễn Văn {g}" for g in GIVEN]
    assert sorted(names, key=sort_key) == names


def why_not_expressible(case: dict[str, Any]) -> str | None:
    """Why the roster cannot hold this case, or None."""
    if case["expect"].get("exit", 0) != 0:
        return (
            "invalid input on purpose (a count that does not add up): the command line refuses "
            "such a count at entry "
            "(test_an_invalid_case_is_refused_at_entry_as_rate_refuses_the_file)"
        )
    members = case["input"]["members"]
    if any("criteria" in (m.get("self") or {}) for m in members):
        return (
            "its self-assessments grade criteria of its own (c1–c3, c1 the task-result one); a "
            "member's self-assessment is stored only as answers to the rulebook's catalogue "
            "(2023: c1–c4, c2 the task-result one), and the reasons name criteria and counts"
        )
    ballots = {
        (m["ballot"]["electorate"], m["ballot"]["present"]) for m in members if m.get("ballot")
    }
    if len(ballots) > 1:
        return "its ballots differ in electorate or present: one cell has one meeting"
    if len(members) > len(GIVEN) or any(m.get("cap_group") for m in members):
        return "more members than names, or cap groups of its own"
    return None


def _facts_args(facts: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in facts.items():
        if isinstance(value, dict):
            out += [f"{key}.{k}={_text(v)}" for k, v in value.items() if v is not None]
        elif value is not None:
            out.append(f"{key}={_text(value)}")
    return out


def _text(value: object) -> str:
    if value is True:
        return "có"
    if value is False:
        return "không"
    return str(value)


def _remap(out: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """The database's output with member ids replaced by the case's (only the case's members)."""
    return {
        "rulebook": out["rulebook"],
        "members": {
            ids[m["id"]]: dict(m, id=ids[m["id"]]) for m in out["members"] if m["id"] in ids
        },
        "cap_groups": [
            dict(g, **{k: [ids[x] for x in g[k]] for k in ("candidates", "selected", "ties")})
            for g in out["cap_groups"]
        ],
        "organisation": out["organisation"],
    }


def _ok(run: Any) -> str:
    assert run.code == 0, run.err + run.out
    assert "Traceback" not in run.err
    return str(run.out)


@dataclass
class Loaded:
    org: str
    cell: str
    db_id: dict[str, int]  # case id -> member id
    fillers: list[str]
    refused: dict[str, str]  # case id -> what `ballot enter` said, for counts it refused


def load_case(
    case: dict[str, Any], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Loaded:
    """The case into the database through the command line (and the review service)."""
    unit = case["input"]
    members: list[dict[str, Any]] = unit["members"]
    as_of = date.fromisoformat(unit["as_of"])

    def cli(*args: str) -> str:
        return _ok(kiemdiem(monkeypatch, db_url, *args))

    org = cli("org", "create", "Đảng bộ kiểm thử").strip()
    cell = cli("cell", "create", org, "Chi bộ kiểm thử").strip()

    # The roster: the case's members, then the official members the electorate still needs.
    names = {m["id"]: f"Nguyễn Văn {GIVEN[i]}" for i, m in enumerate(members)}
    rows = ["Họ và tên;Ngày sinh;Trạng thái;Ngày vào Đảng;Đối tượng"]
    for m in members:
        admitted = m.get("admitted_on", "")
        rows.append(
            f"{names[m['id']]};01/01/1960;{STATUS[m['status']]};{admitted};"
            f"{KIND[m.get('kind', 'non_leader')]}"
        )
    ballots = [m["ballot"] for m in members if m.get("ballot")]
    electorate = ballots[0]["electorate"] if ballots else 0
    officials = sum(m["status"] == "official" for m in members)
    fillers = [f"Trần Hữu {g}" for g in FILLER_GIVEN[: max(electorate - officials, 0)]]
    recent = (as_of - timedelta(days=30)).isoformat()  # in the electorate, not rated (§5.1)
    rows += [f"{n};01/01/1960;chính thức;{recent};không giữ chức vụ" for n in fillers]
    csv = tmp_path / "roster.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli("roster", "import", str(csv), "--cell", cell)

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        yaml.safe_dump(dict(unit.get("plan") or {}, as_of=unit["as_of"]), allow_unicode=True),
        encoding="utf-8",
    )
    cli("period", "open", org, "--year", str(as_of.year), "--rulebook", unit["rulebook"],
        "--plan", str(plan))  # fmt: skip

    db = Database(db_url)
    try:
        by_name = {m.full_name: m.id for m in RosterService(db).members(int(cell))}
        db_id = {cid: by_name[name] for cid, name in names.items()}
        # Self-assessments exist in the database only as submitted reviews.
        for i, m in enumerate(members):
            own = m.get("self")
            if own:
                submit_review(
                    db,
                    db_id[m["id"]],
                    7_000_000 + i,
                    points=own.get("points"),
                    indicators={int(k): v for k, v in (own.get("indicators") or {}).items()},
                )
    finally:
        db.dispose()

    for m in members:
        args = _facts_args(m.get("facts") or {})
        if args:
            cli("facts", "set", str(db_id[m["id"]]), *args)
    refused: dict[str, str] = {}
    if ballots:
        present = str(ballots[0]["present"])
        cli("meeting", "open", cell, "--date", unit["as_of"], "--present", present)
        for m in members:
            b = m.get("ballot")
            if not b:
                continue
            v = b["votes"]
            args = [
                "ballot", "enter", cell, str(db_id[m["id"]]),
                "--issued", str(b["issued"]), "--collected", str(b["collected"]),
                "--invalid", str(b["invalid"]),
                "--votes", *(str(v.get(k, 0)) for k in ("HTXSNV", "HTTNV", "HTNV", "KHTNV")),
            ]  # fmt: skip
            if b.get("round2"):
                r2 = b["round2"]
                args += ["--round2", str(r2["yes"]), str(r2["no"]), str(r2.get("invalid", 0))]
            run = kiemdiem(monkeypatch, db_url, *args)
            assert "Traceback" not in run.err
            if run.code != 0:
                assert run.code == 2 and run.out == ""
                refused[m["id"]] = run.err
    return Loaded(org, cell, db_id, fillers, refused)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_results_from_the_database_equal_rate_on_the_case_file(
    path: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    reason = why_not_expressible(case)
    if reason is not None:
        pytest.skip(f"{path.stem}: {reason}")
    loaded = load_case(case, db_url, tmp_path, monkeypatch)
    assert loaded.refused == {}

    def cli(*args: str) -> str:
        return _ok(kiemdiem(monkeypatch, db_url, *args))

    expected = json.loads(cli("rate", str(path)))
    want = _remap(expected, {m["id"]: m["id"] for m in expected["members"]})
    ids = {str(db): cid for cid, db in loaded.db_id.items()}
    for scope in (["--org", loaded.org], ["--cell", loaded.cell]):
        out = json.loads(cli("results", *scope, "--json"))
        assert set(out) == {"rulebook", "members", "cap_groups", "organisation"}
        got = _remap(out, ids)
        assert got["rulebook"] == want["rulebook"]
        for cid, entry in want["members"].items():
            assert got["members"][cid] == entry, f"{path.stem} {cid} ({scope[0]})"
        assert got["cap_groups"] == want["cap_groups"], scope
        assert got["organisation"] == want["organisation"], scope
        extra = [m for m in out["members"] if m["id"] not in ids]
        assert len(extra) == len(loaded.fillers)
        assert all(m["not_rated_reason"] == "admitted_under_6_months" for m in extra)


INVALID = [p for p in CASES if json.loads(p.read_text(encoding="utf-8"))["expect"].get("exit")]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_an_invalid_case_is_refused_at_entry_as_rate_refuses_the_file(
    path: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case the agreement test skips: the count `kiemdiem rate` refuses is refused by
    `kiemdiem ballot enter` too, in Vietnamese, and the rest of the cell is rated."""
    case = json.loads(path.read_text(encoding="utf-8"))
    rate = kiemdiem(monkeypatch, db_url, "rate", str(path))
    assert rate.code == 2 and rate.out == ""
    loaded = load_case(case, db_url, tmp_path, monkeypatch)
    bad = {line.split(" ", 1)[0] for line in rate.err.splitlines() if line.strip()}
    assert set(loaded.refused) == bad
    for text in loaded.refused.values():
        assert "chưa khớp, chưa lưu" in text and "phải bằng số phiếu thu vào" in text
    out = json.loads(_ok(kiemdiem(monkeypatch, db_url, "results", "--cell", loaded.cell, "--json")))
    assert len(out["members"]) == len(case["input"]["members"]) + len(loaded.fillers)
