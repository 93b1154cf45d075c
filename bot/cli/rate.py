"""`kiemdiem rate FILE|-`: rate a whole unit from a batch JSON file (spec/batch-rating.md).

JSON result on stdout, exit 0. A shared test case (`{"name", "input", "expect"}`) is rated by
its `input`. Unreadable file, malformed JSON or invalid input: exit 2, nothing
on stdout, every problem on stderr one per line (member id or `file` first), no traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, NoReturn

import typer

from bot.batch import InputErrors, load_document, rate_document
from bot.cli import app


def _fail(problems: list[str]) -> NoReturn:
    sys.stderr.write("".join(p + "\n" for p in problems))
    sys.stderr.flush()
    raise typer.Exit(2)


_CASE_KEYS = frozenset(("name", "input", "expect"))


def _unit_of(doc: object) -> object:
    """The unit document itself, or the `input` of a test case (`{"name", "input", "expect"}`
    as in the shared `cases/` folder), so a case file can be rated as it is."""
    if isinstance(doc, dict) and "input" in doc and _CASE_KEYS.issuperset(doc):
        return doc["input"]
    return doc


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    with open(source, "rb") as fh:
        return fh.read()


@app.command("rate")
def rate(
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="Unit JSON file, or - for stdin.")
    ],
) -> None:
    """Rate a whole unit from a batch JSON file (result JSON on stdout)."""
    try:
        data = _read(source)
    except OSError as exc:
        _fail([f"file: cannot read {source!r}: {exc.strerror or exc}"])
    try:
        result = rate_document(_unit_of(load_document(data)))
    except InputErrors as exc:
        _fail(exc.problems)
    out = json.dumps(result, ensure_ascii=False, indent=2)
    sys.stdout.write(out + "\n")
