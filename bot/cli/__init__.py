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


def main() -> None:
    _register()
    app()
