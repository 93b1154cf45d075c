"""The office command line, `kiemdiem` (spec/cli.md). Each command group lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kiemdiem",
    help="Kiểm điểm bot: office command line.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    # Imported for their side effect of adding commands to `app`; kept in a function so a
    # broken optional module shows up as an import error at start, not silently.
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def _register_only(command: str) -> bool:
    """Register just the module named like `command` when it defines that command: `kiemdiem
    rate` then starts without importing the bot, the database layer and the documents (about
    a second). False when there is no such module; `--help` and the rest register everything."""
    import importlib.util

    if command.startswith("_") or not command.isidentifier():
        return False
    if importlib.util.find_spec(f"{__name__}.{command}") is None:
        return False
    importlib.import_module(f"{__name__}.{command}")
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    names |= {g.name or "" for g in app.registered_groups}
    return command in names


@app.callback()
def _root() -> None:
    """Kiểm điểm bot: office command line."""


def main() -> None:
    import os
    import sys

    args = sys.argv[1:]
    alone = bool(args) and _register_only(args[0])
    if not alone:
        _register()
    if not (alone and args[0] == "rate"):
        app()
        return
    # A large unit leaves millions of objects that the interpreter would free one by one on
    # the way out (3 s for 200,000 members); the result is written, so leave at once.
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
