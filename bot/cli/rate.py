"""`kiemdiem rate FILE|-`: rate a whole unit from a batch JSON file (spec/batch-rating.md).

JSON result on stdout (one member per line; `--indent` for reading), exit 0. A shared test
case (`{"name", "input", "expect"}`) is rated by its `input`. Unreadable file, malformed JSON
or invalid input: exit 2, nothing on stdout, every problem on stderr one per line (member id
or `file` first), no traceback.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, NoReturn

import typer

from bot.batch import InputErrors, load_document, rate_document, unit_of
from bot.batch_stream import write_rating
from bot.cli import app


def _fail(problems: list[str]) -> NoReturn:
    sys.stderr.write("".join(p + "\n" for p in problems))
    sys.stderr.flush()
    raise typer.Exit(2)


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
    indent: Annotated[
        int | None,
        typer.Option(help="Indent the JSON for reading (default: one member per line)."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, help="Processes to rate with (default: one per core for large units)."),
    ] = None,
) -> None:
    """Rate a whole unit from a batch JSON file (result JSON on stdout)."""
    try:
        data = _read(source)
    except OSError as exc:
        _fail([f"file: cannot read {source!r}: {exc.strerror or exc}"])
    try:
        if indent is None:
            write_rating(data, sys.stdout.buffer, jobs)
        else:
            result = rate_document(unit_of(load_document(data)))
            sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=indent) + "\n")
        sys.stdout.flush()
    except InputErrors as exc:
        _fail(exc.problems)
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
