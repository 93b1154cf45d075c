"""`kiemdiem sandbox` as a new user runs it: typed lines and numbered buttons, switching person,
a secretary's hub, quitting cleanly; files the bot sends land in the chosen folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sandbox_session(tmp_path: Path) -> None:
    keys = (
        "\n".join([":ai", "/cell", "#1", ":as 2", "/review", "#1", "Ủy ban nhân dân xã", ":q"])
        + "\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--files", str(tmp_path / "files")],
        input=keys,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "CHẠY THỬ KHÔNG CẦN MẠNG" in out
    assert "(bí thư)" in out and "← đang đóng vai" in out
    assert "Tiến độ kiểm điểm" in out  # the secretary's progress after /cell, #1
    assert "Giờ đồng chí đóng vai" in out
    assert "Câu 1/" in out and "Câu 2/" in out and "Câu 3/" in out  # the member answered two
    assert "Traceback" not in out + proc.stderr
    assert (tmp_path / "files").is_dir()
