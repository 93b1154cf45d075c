"""Every sentence a user reads comes from `templates/` through this module (Jinja2, Vietnamese).

Message templates live in `templates/messages/**.j2`; short keyed strings (reason texts of the
rating engine, button labels) live in YAML files under `templates/` and are rendered with the same
environment, so a wording change never touches Python.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def _fmt_num(value: Any) -> str:
    """Numbers as Vietnamese readers write them: 27,5 not 27.5; whole numbers without a comma."""
    from fractions import Fraction

    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        value = float(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def _fmt_pct(num: Any, den: Any) -> str:
    """A share as a percentage with at most one decimal, for display only (never for a rule)."""
    if not den:
        return "0%"
    return _fmt_num(round(float(num) * 100 / float(den), 1)) + "%"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _fmt_num
    env.globals["pct"] = _fmt_pct
    return env


def render(name: str, /, **context: Any) -> str:
    """Render `templates/messages/<name>` (HTML-escaped, for Telegram's HTML parse mode)."""
    text = environment().get_template(f"messages/{name}").render(**context)
    return unicodedata.normalize("NFC", text.strip())


@cache
def text_environment() -> jinja2.Environment:
    """The same templates without HTML escaping: terminal output, CSV, plain-text files."""
    env = environment().overlay(autoescape=False)
    return env


def render_text(name: str, /, **context: Any) -> str:
    """Render `templates/messages/<name>` as plain text (for the CLI and plain files)."""
    text = text_environment().get_template(f"messages/{name}").render(**context)
    return unicodedata.normalize("NFC", text.strip())


@cache
def strings(name: str) -> dict[str, str]:
    """A YAML file of keyed template strings under `templates/`, e.g. `reasons.yaml`."""
    with (TEMPLATES_DIR / name).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping of keys to strings")
    return {str(k): str(v) for k, v in data.items()}


@cache
def _compiled(name: str, key: str) -> jinja2.Template:
    env = environment()
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    plain.filters.update(env.filters)
    plain.globals.update(env.globals)
    return plain.from_string(strings(name)[key])


def render_string(name: str, key: str, /, **context: Any) -> str:
    """Render one keyed string of `templates/<name>` as plain text (no HTML escaping)."""
    return unicodedata.normalize("NFC", _compiled(name, key).render(**context).strip())


def label(key: str, /, **params: Any) -> str:
    """A button label, toast or short phrase from `templates/labels.yaml`."""
    return render_string("labels.yaml", key, **params)
