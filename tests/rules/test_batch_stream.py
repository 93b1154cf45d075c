"""The streamed and the parallel `kiemdiem rate` print exactly what `rate_document` gives.

The parallel path splits the raw text between processes on guessed element boundaries; these
tests try to fool the guess, put problems in every run, and compare bytes with the serial path.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.batch import InputErrors, load_document, rate_document, unit_of
from bot.batch_parallel import write_parallel
from bot.batch_stream import write_rating
from bot.sandbox.units import REGIMES, organisation
from tests.rules.test_shared_cases import CASES, ROOT


def _stream(data: str | bytes, workers: int) -> bytes:
    out = io.BytesIO()
    write_rating(data, out, workers)
    return out.getvalue()


def _unit(size: int, rulebook: str, vote_rule: str, per_cell: bool, seed: int) -> dict[str, Any]:
    return organisation(size, rulebook, vote_rule, per_cell, seed=seed)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_shared_cases_stream_as_the_document(path: Path) -> None:
    raw = path.read_bytes()
    try:
        expected = rate_document(unit_of(load_document(raw)))
    except InputErrors as exc:
        with pytest.raises(InputErrors) as got:
            _stream(raw, 1)
        assert got.value.problems == exc.problems
        return
    out = _stream(raw, 1)
    assert json.loads(out) == expected
    # One member per line, so a reader can grep or stream it.
    assert out.count(b'\n{"id": ') == len(expected["members"])


@pytest.mark.parametrize(("rulebook", "vote_rule", "per_cell"), REGIMES)
@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_prints_the_same_bytes(
    rulebook: str, vote_rule: str, per_cell: bool, workers: int
) -> None:
    doc = _unit(1500, rulebook, vote_rule, per_cell, seed=7 + workers)
    text = json.dumps(doc, ensure_ascii=False)
    serial = _stream(text, 1)
    out = io.BytesIO()
    assert write_parallel(text, out, workers)  # the fast path really ran
    assert out.getvalue() == serial
    assert json.loads(serial) == rate_document(load_document(text))


def test_a_name_made_to_look_like_a_boundary_does_not_split_a_member() -> None:
    doc = _unit(600, "2019", "kh61-2021", True, seed=3)
    trap = '}, {"id": "x", "status": "official"}, {'
    for m in doc["members"]:
        m["name"] = trap * 3  # every guess lands inside a string first
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    serial = _stream(text, 1)
    assert _stream(text, 2) == serial
    assert _stream(text, 4) == serial
    assert len(json.loads(serial)["members"]) == 600


def test_keys_after_the_members_are_read() -> None:
    doc = _unit(900, "2023", "hd07-2011", False, seed=5)
    members = doc.pop("members")
    reordered = {"members": members, **doc, "plan": {"excellent_cap": {"pct": 10}}}
    text = json.dumps(reordered, ensure_ascii=False)
    out = io.BytesIO()
    assert write_parallel(text, out, 2)
    assert out.getvalue() == _stream(text, 1)
    assert json.loads(out.getvalue()) == rate_document(load_document(text))


@pytest.mark.parametrize("where", [0, 450, 899])
def test_a_problem_in_any_run_is_reported_whole_and_nothing_is_written(where: int) -> None:
    doc = _unit(900, "2025", "two-round", False, seed=11)
    doc["members"][where]["ballot"] = {"electorate": 3, "present": 9}
    text = json.dumps(doc, ensure_ascii=False)
    with pytest.raises(InputErrors) as serial:
        rate_document(load_document(text))
    out = io.BytesIO()
    with pytest.raises(InputErrors) as parallel:
        write_rating(text, out, 2)
    assert parallel.value.problems == serial.value.problems
    assert any(p.startswith(doc["members"][where]["id"]) for p in parallel.value.problems)
    assert out.getvalue() == b""


def test_a_duplicate_id_across_runs_is_reported() -> None:
    doc = _unit(900, "2019", "kh61-2021", True, seed=13)
    doc["members"][-1]["id"] = doc["members"][0]["id"]
    with pytest.raises(InputErrors) as got:
        _stream(json.dumps(doc), 2)
    assert any("duplicate id" in p for p in got.value.problems)


def test_a_duplicate_key_in_the_second_run_is_malformed_json() -> None:
    doc = _unit(900, "2019", "kh61-2021", True, seed=17)
    text = json.dumps(doc)
    last = doc["members"][-1]["id"]
    text = text.replace(f'"id": "{last}"', f'"id": "{last}", "id": "{last}"')
    with pytest.raises(InputErrors) as got:
        _stream(text, 2)
    assert got.value.problems == ["file: malformed JSON: duplicate key 'id' in an object"]


def test_a_case_file_is_rated_by_its_input() -> None:
    doc = _unit(700, "2023", "hd07-2011", False, seed=19)
    case = json.dumps({"name": "big", "input": doc, "expect": {}})
    assert json.loads(_stream(case, 2)) == rate_document(doc)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path, jobs: str) -> None:
    path = tmp_path / "unit.json"
    path.write_text(json.dumps(_unit(3000, "2019", "kh61-2021", True, seed=23)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "rate", str(path), "--jobs", jobs],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100).startswith(b'{"rulebook": "2019"')
    proc.stdout.close()  # like `| head`: the rest (megabytes) has nowhere to go
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert err == b""
