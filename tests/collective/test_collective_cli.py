"""`kiemdiem collective …`: create a chi ủy, show it, set its facts, enter its ballot and a
member's ballot at their post, export its report, print the cell's order; refusals exit 2 with
a Vietnamese message."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document as open_docx

from bot.services.collectives import CollectiveService
from bot.services.meetings import Counts, MeetingService
from bot.storage.db import Database
from tests.cli import Run, kiemdiem
from tests.factory import make_org, member_line
from tests.secretary.helpers import member_ids

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]


def test_collective_commands(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(db_url)
    org = make_org(db, [member_line(n) for n in NAMES], rulebook="2019", year=2026)
    ids = member_ids(db, org.cell_id)
    an, binh, cuong = (str(ids[n]) for n in NAMES[:3])

    def run(*args: str) -> Run:
        return kiemdiem(monkeypatch, db_url, *args)

    bad = run(
        "collective", "create", str(org.cell_id), "--kind", "ban", "--name", "X", "--head", an
    )
    assert bad.code == 2 and "chi_uy" in bad.err and "Traceback" not in bad.err
    made = run(
        "collective", "create", str(org.cell_id), "--kind", "chi_uy", "--name", "Chi ủy thôn Đông",
        "--head", an, "--deputy", binh, "--member", cuong, "--json",
    )  # fmt: skip
    assert made.code == 0, made.err
    cid = json.loads(made.out)["id"]
    assert [m["role"] for m in json.loads(made.out)["members"]] == ["head", "deputy", "member"]
    listed = run("collective", "list", str(org.org_id))
    assert "Chi ủy thôn Đông" in listed.out and "drafting" in listed.out
    order = run("collective", "order", str(org.cell_id))
    assert order.code == 0 and "[ ] 1. Tập thể Chi ủy thôn Đông" in order.out
    assert f"2. {NAMES[0]} (head)" in order.out

    # The report and its sending happen in chat; here the service stands in for the head.
    svc = CollectiveService(db)
    for x in svc.view("cli", cid).sections:
        if x.optional:
            svc.save_section("cli", cid, x.id, skipped=True)
        elif x.kind == "graded":
            svc.save_section("cli", cid, x.id, text="Nội dung", grade="T")
        elif x.kind == "text":
            svc.save_section("cli", cid, x.id, text="Nội dung")
        else:
            svc.save_section("cli", cid, x.id, grade="HTTNV")
    svc.set_meeting_date("cli", cid, date(2026, 12, 10))
    svc.send_draft("cli", cid, now=datetime(2026, 12, 1, 3, 0).astimezone())
    svc.finalise("cli", cid)

    refused = run("collective", "ballot", str(cid), "--present", "3", "--votes", "3", "1", "0", "0",
                  "--issued", "3", "--collected", "3")  # fmt: skip
    assert refused.code == 2 and "chưa khớp" in refused.err
    voted = run("collective", "ballot", str(cid), "--present", "3", "--votes", "1", "2", "0", "0")
    assert voted.code == 0, voted.err
    assert "xếp loại: HTTNV" in voted.out
    facts = run("collective", "facts", str(cid), "targets_done_pct=40", "--json")
    assert facts.code == 0 and json.loads(facts.out)["level"] == "KHTNV"
    assert run("collective", "facts", str(cid), "targets_done_pct=").code == 0

    MeetingService(db).open("cli", org.cell_id, date(2026, 12, 10), 4)
    MeetingService(db).enter_ballot("cli", org.cell_id, int(an), Counts(4, 4, 0, (4, 0, 0, 0)))
    post = run("collective", "post", str(cid), an, "--present", "3", "--votes", "0", "3", "0", "0")
    assert post.code == 0, post.err
    assert "ở chi bộ HTTNV; tại tập thể HTTNV; lấy: HTTNV" in post.out
    early = run(
        "collective", "post", str(cid), cuong, "--present", "3", "--votes", "0", "3", "0", "0"
    )
    assert early.code == 2 and "ở chi bộ trước" in early.err

    shown = run("collective", "show", str(cid), "--json")
    data = json.loads(shown.out)
    assert data["level"] == "HTTNV" and data["status"] == "final"
    assert data["posts"][0] == {
        "member_id": int(an),
        "name": NAMES[0],
        "role": "head",
        "cell_level": "HTTNV",
        "post_level": "HTTNV",
        "taken": "HTTNV",
    }
    out = tmp_path / "bao-cao.docx"
    assert run("collective", "export", str(cid), str(out)).code == 0
    text = "\n".join(p.text for p in open_docx(str(out)).paragraphs)
    assert "BÁO CÁO KIỂM ĐIỂM TẬP THỂ" in text and "Hoàn thành tốt nhiệm vụ" in text
    assert run("collective", "export", str(cid), str(tmp_path / "x.pdf")).code == 2
    db.dispose()
