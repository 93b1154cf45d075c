"""Every rule id has its Vietnamese text in `templates/reasons.yaml`, and the Python side writes
no sentence: rules give ids, citations and numbers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.batch import reason_text
from bot.rules.engine import ALL_RULE_IDS
from bot.rules.levels import Level
from bot.rules.reasons import Reason, cite
from bot.texts import strings

ROOT = Path(__file__).resolve().parents[2]
MINE = [
    *(
        ROOT / "bot" / "rules" / f"{name}.py"
        for name in (
            "sources",
            "reasons",
            "plan",
            "model",
            "validate",
            "eligibility",
            "self_level",
            "votes",
            "caps",
            "excellent_cap",
            "organisation",
            "engine",
            "output",
        )
    ),
    ROOT / "bot" / "batch.py",
    ROOT / "bot" / "cli" / "rate.py",
]
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


# The rating engine's namespaces in reasons.yaml (other features may add their own keys).
ENGINE_PREFIXES = (
    "level.",
    "eligibility.",
    "self.",
    "vote.",
    "proposed.",
    "cap.",
    "flag.",
    "civil_servant.",
    "lost_card.",
    "head.",
    "top_cap.",
    "org.",
)


def test_every_rule_id_has_a_text_and_every_text_a_rule() -> None:
    keys = {k for k in strings("reasons.yaml") if k.startswith(ENGINE_PREFIXES)}
    levels = {f"level.{lv.value}" for lv in Level}
    assert len(ALL_RULE_IDS) == len(set(ALL_RULE_IDS))
    assert all(r.startswith(ENGINE_PREFIXES) for r in ALL_RULE_IDS)
    assert set(ALL_RULE_IDS) | levels == keys


def test_level_names_are_rendered_in_texts() -> None:
    text = reason_text(Reason("proposed.from_vote", cite("doc", "art"), (("level", Level.HTTNV),)))
    assert text == "Mức đề xuất theo kết quả bỏ phiếu của chi bộ: Hoàn thành tốt nhiệm vụ."


def test_fractions_are_written_the_vietnamese_way() -> None:
    from fractions import Fraction

    text = reason_text(Reason("self.points.khtnv", cite("d", "a"), (("points", Fraction(95, 2)),)))
    assert "47,5/100" in text


def _vietnamese_outside_citations(path: Path) -> list[str]:
    """String constants with Vietnamese letters that are not part of a `cite(...)` call (the
    document titles of `sources.py` are citations too); docstrings and comments do not count."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "cite":
            allowed |= {id(n) for n in ast.walk(node)}
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                allowed.add(id(first.value))
    if path.name == "sources.py":
        return []
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in allowed
        and VIETNAMESE.search(n.value)
    ]


def test_no_vietnamese_sentence_in_python() -> None:
    """Vietnamese in code is only document titles and article references (citations)."""
    found = {p.name: _vietnamese_outside_citations(p) for p in MINE}
    assert not {k: v for k, v in found.items() if v}
