"""`kiemdiem rate` as a user runs it: file or stdin, JSON out; on bad input exit 2, every
problem on stderr, nothing on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rules_helpers import ballot, doc, member

ROOT = Path(__file__).resolve().parents[2]


def kiemdiem(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "rate", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def good_doc() -> dict[str, Any]:
    return doc(
        "2025",
        member(
            "m1",
            name="Nguyễn Văn An",
            self={"points": {"general": 27.5, "tasks": 62.5}},
            ballot=ballot(9, 1, 0, 0),
        ),
    )


def test_rate_a_file(tmp_path: Path) -> None:
    path = tmp_path / "unit.json"
    path.write_text(json.dumps(good_doc(), ensure_ascii=False), encoding="utf-8")
    proc = kiemdiem(str(path))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    text = proc.stdout.decode("utf-8")
    assert "Hoàn thành" in text  # ensure_ascii=False: Vietnamese as it is
    assert text.startswith('{"rulebook": "2025", "members": [\n{"id": "m1", ')  # a line each
    out = json.loads(text)
    m = out["members"][0]
    assert (m["self_points"], m["self_level"], m["proposed"]) == (90, "HTXSNV", "HTXSNV")
    pretty = kiemdiem(str(path), "--indent", "2")
    assert pretty.stdout.decode("utf-8").startswith('{\n  "rulebook": "2025"')
    assert json.loads(pretty.stdout) == out


def test_rate_from_stdin_same_output(tmp_path: Path) -> None:
    data = json.dumps(good_doc()).encode()
    path = tmp_path / "unit.json"
    path.write_bytes(data)
    from_stdin = kiemdiem("-", stdin=data)
    assert from_stdin.returncode == 0
    assert from_stdin.stdout == kiemdiem(str(path)).stdout


def test_console_script_is_the_same_program(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("kiemdiem")
    if not script.exists():
        pytest.fail(f"console script missing: {script} (pip install -e .)")
    path = tmp_path / "unit.json"
    path.write_text(json.dumps(good_doc()), encoding="utf-8")
    proc = subprocess.run(
        [str(script), "rate", str(path)], capture_output=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0 and proc.stdout == kiemdiem(str(path)).stdout


def assert_rejected(proc: subprocess.CompletedProcess[bytes], *lines: str) -> list[str]:
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, err
    assert proc.stdout == b""
    assert "Traceback" not in err
    got = err.splitlines()
    for line in lines:
        assert any(g.startswith(line) for g in got), (line, got)
    return got


def test_invalid_input_every_problem_one_per_line(tmp_path: Path) -> None:
    d = doc(
        "2019",
        member("m07", ballot=dict(ballot(9, 3, 1, 1), collected=13, issued=14)),
        member("m08", facts={"disciplined": 1}),
        {"status": "official", "admitted_on": "2010-01-01"},
    )
    path = tmp_path / "unit.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    got = assert_rejected(
        kiemdiem(str(path)),
        "m07 ballot: votes 14 + invalid 0 != collected 13",
        "m08 facts.disciplined: expected true or false",
        "file: members[2] id: missing",
    )
    assert len(got) == 3


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'{"rulebook": "2019", "as_of": ', "file: malformed JSON:"),
        (b"", "file: malformed JSON:"),
        (
            b'{"rulebook": "2031", "as_of": "2021-12-20", "members": []}',
            "file: rulebook: unknown value '2031'",
        ),
        (
            b'{"rulebook": "2019", "as_of": "2021-12-20", "members": [], "vote_rul": 1}',
            "file: unknown key 'vote_rul'",
        ),
        (b'{"a": Infinity}', "file: malformed JSON:"),
        (b"\xff\xfe", "file: not UTF-8 text"),
    ],
)
def test_bad_input_on_stdin(data: bytes, line: str) -> None:
    assert_rejected(kiemdiem("-", stdin=data), line)


def test_unreadable_file(tmp_path: Path) -> None:
    assert_rejected(kiemdiem(str(tmp_path / "missing.json")), "file: cannot read")
    assert_rejected(kiemdiem(str(tmp_path)), "file: cannot read")  # a directory


def test_a_shared_case_file_is_rated_by_its_input(tmp_path: Path) -> None:
    case = {"name": "x", "input": good_doc(), "expect": {"exit": 0}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    proc = kiemdiem(str(path))
    assert proc.returncode == 0 and json.loads(proc.stdout)["members"][0]["id"] == "m1"
