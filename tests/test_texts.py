"""Every wording the code asks for exists in `templates/`, and all of it is NFC Vietnamese."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bot.texts import TEMPLATES_DIR, render_string, strings
from bot.vietnamese import sort_key

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for p in (ROOT / "bot").rglob("*.py")]


def _calls(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_error_codes_have_texts() -> None:
    codes = _calls(r'UserError\(\s*"([a-z0-9_]+)"')
    missing = sorted(codes - set(strings("errors.yaml")))
    assert not missing, missing


def test_labels_have_texts() -> None:
    keys = _calls(r'\blabel\(\s*"([a-z0-9_]+)"\s*[,)]')
    missing = sorted(keys - set(strings("labels.yaml")))
    assert not missing, missing


def test_message_templates_exist() -> None:
    names = _calls(r'\brender(?:_text)?\(\s*f?"([a-z0-9_/.{}]+\.j2)"')
    missing = sorted(
        n for n in names if "{" not in n and not (TEMPLATES_DIR / "messages" / n).is_file()
    )
    assert not missing, missing


@pytest.mark.parametrize("path", sorted(TEMPLATES_DIR.rglob("*.*")), ids=lambda p: p.name)
def test_templates_are_nfc(path: Path) -> None:
    if path.suffix in (".j2", ".yaml"):
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text)


def test_render_string_fills_parameters() -> None:
    assert render_string("errors.yaml", "bad_year", year=1999) == "Năm 1999 không hợp lệ."


def test_vietnamese_collation() -> None:
    names = [
        "Trần Văn Đức",
        "Nguyễn Văn An",
        "Lê Thị Ánh",
        "Hoàng Ăn",
        "Đỗ Thị Ân",
        "Võ Văn Bình",
        "Phạm Văn Dũng",
        "Ngô Văn Ẩn",
    ]
    ordered = sorted(names, key=sort_key)
    # a < ă < â, tones after the plain letter, and Đ after D (not after Z as code points put it)
    assert ordered == [
        "Nguyễn Văn An",
        "Lê Thị Ánh",
        "Hoàng Ăn",
        "Đỗ Thị Ân",
        "Ngô Văn Ẩn",
        "Võ Văn Bình",
        "Phạm Văn Dũng",
        "Trần Văn Đức",
    ]
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert sort_key(decomposed) == sort_key("Nguyễn Văn An")
