"""`kiemdiem deadline set` and `kiemdiem reminders due` on a real database."""

from __future__ import annotations

import json

import pytest

from bot.storage.db import Database
from tests.cli import kiemdiem
from tests.reminders.world import build, rows, submit

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]


def test_deadline_set_derives_and_warns(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    w = build(db, NAMES, secretary=NAMES[0], plan={"holidays": ["2026-12-04"]})
    org, cell = str(w.org.org_id), str(w.org.cell_id)
    run = kiemdiem(monkeypatch, db.url, "deadline", "set", org, "meeting", "2026-12-08", "--json")
    assert run.code == 0, run.err
    out = json.loads(run.out)
    # Tuesday 08/12, holiday on Friday 04/12: the draft is due Wednesday 02/12.
    assert out["dates"]["self_review_due"] == {"date": "2026-12-02", "source": "derived"}
    assert out["dates"]["meeting"] == {"date": "2026-12-08", "source": "org"}
    assert out["warnings"] == []

    run = kiemdiem(monkeypatch, db.url, "deadline", "set", org, "self_review_due", "2026-12-07")
    assert run.code == 0
    assert "Hạn nộp bản kiểm điểm: 07/12/2026 (đảng ủy đặt)" in run.out
    assert "Cảnh báo: Hạn nộp bản kiểm điểm (07/12/2026) muộn hơn ngày 02/12/2026" in run.out

    run = kiemdiem(monkeypatch, db.url, "deadline", "set", org, "meeting", "2026-12-16",
                   "--cell", cell, "--json")
    out = json.loads(run.out)
    assert out["organisation_id"] == w.org.cell_id
    assert out["dates"]["self_review_due"] == {"date": "2026-12-11", "source": "derived"}
    codes = {(x["code"]) for x in out["warnings"]}
    assert codes == {"later_than_org", "results_before_meeting"}


def test_deadline_set_refuses_bad_input(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    w = build(db, NAMES[:1])
    org = str(w.org.org_id)
    run = kiemdiem(monkeypatch, db.url, "deadline", "set", org, "party", "2026-12-08")
    assert run.code == 2 and "party" in run.err
    run = kiemdiem(monkeypatch, db.url, "deadline", "set", org, "meeting", "8 tháng 12")
    assert run.code == 2 and "không hợp lệ" in run.err
    run = kiemdiem(monkeypatch, db.url, "deadline", "set", org, "meeting", "2026-12-08",
                   "--cell", "999")
    assert run.code == 2 and "999" in run.err


def test_reminders_due_shows_without_sending(db: Database,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    w = build(db, NAMES, secretary=NAMES[0], unlinked=(NAMES[2],),
              plan={"deadlines": {"meeting": "2026-12-08"}})
    submit(db, w.org.period_id, w.member(NAMES[1]))
    early = kiemdiem(monkeypatch, db.url, "reminders", "due", "--at", "2026-12-02T07:59", "--json")
    assert early.code == 0 and json.loads(early.out)["count"] == 0
    run = kiemdiem(monkeypatch, db.url, "reminders", "due", "--at", "2026-12-02T09:00", "--json")
    out = json.loads(run.out)
    assert [(r["kind"], r["name"], r["local"], r["state"]) for r in out["reminders"]] == [
        # "1 day left" (due 03/12); Bình submitted; Cường not linked.
        ("due", NAMES[0], "2026-12-02 08:00", "planned")]
    assert out["reminders"][0]["due_at"] == "2026-12-02T01:00:00+00:00"
    digest = kiemdiem(monkeypatch, db.url, "reminders", "due", "--at", "2026-12-02T19:00+07:00")
    assert digest.code == 0
    assert "2026-12-02 18:00  digest  Chi bộ thôn Đông  Nguyễn Văn An" in digest.out
    assert rows(db) == []  # nothing stored, nothing sent
    bad = kiemdiem(monkeypatch, db.url, "reminders", "due", "--at", "hôm nay")
    assert bad.code == 2 and "ISO" in bad.err
