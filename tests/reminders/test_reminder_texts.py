"""Every wording the reminders ask for exists in templates/reminders.yaml, and the texts render
(HTML-escaped names, digests that list and count)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.reminders import calendar, planning
from bot.reminders.compose import DIGEST_NAMES
from bot.texts import render, strings

ROOT = Path(__file__).resolve().parents[2]
LABELS = strings("reminders.yaml")


def _sources() -> str:
    paths = [*(ROOT / "bot" / "reminders").glob("*.py"), ROOT / "bot" / "services" / "reminders.py",
             ROOT / "bot" / "cli" / "reminders.py"]
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def test_every_literal_label_exists() -> None:
    keys = set(re.findall(r'rm_label\(\s*"([a-z0-9_]+)"', _sources()))
    assert keys and not sorted(keys - set(LABELS))


def test_every_computed_label_exists() -> None:
    warnings = set(re.findall(r'CalendarWarning\("([a-z_]+)"',
                              (ROOT / "bot/reminders/calendar.py").read_text(encoding="utf-8")))
    needed = (
        {f"kind_{k}" for k in planning.KINDS}
        | {f"state_{s}" for s in ("pending", "sending", "sent", "failed", "unreachable",
                                  "cancelled")}
        | {f"date_{k}" for k in calendar.KINDS}
        | {f"source_{s}" for s in ("cell", "org", "default", "derived")}
        | {f"warn_{c}" for c in warnings}
        | {f"reason_{r}" for r in ("submitted", "paused", "unreachable", "not_linked",
                                   "already_today", "snoozed", "quiet_hours", "nothing_to_say",
                                   "lost", "resend_after_crash", "retry_after")}
    )
    assert len(warnings) >= 8
    assert not sorted(needed - set(LABELS))


def test_digest_lists_escapes_and_counts() -> None:
    owing = [{"name": f"Nguyễn <Văn> {i}", "linked": i % 3 != 0, "paused": i == 1,
              "unreachable": i == 2} for i in range(DIGEST_NAMES)]
    text = render("reminders/digest.j2", owing=owing, more=7, count=DIGEST_NAMES + 7, total=60,
                  submitted=13, late=True, due="07/12/2026", meeting="10/12/2026",
                  results_due="15/12/2026", cell="Chi bộ <thôn> Đông", year=2026)
    assert "Chi bộ &lt;thôn&gt; Đông" in text and "<thôn>" not in text
    assert text.count("\n• ") == DIGEST_NAMES
    assert "(chưa kết nối bot)" in text and "(đang tạm dừng nhắc)" in text
    assert "(không nhận được tin nhắn của bot)" in text
    assert "… và 7 đồng chí khác." in text and "Đã nộp: <b>13/60</b>" in text
