"""`kiemdiem catalog`: print the catalogues a member rates against (spec/cli.md).

Owns the command only: the data and its validation live in `bot.rules.catalog`, every Vietnamese
heading in `templates/messages/catalog/*.j2`. `--json` prints the same content for scripts.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli import app
from bot.rules.catalog import (
    Catalog,
    CatalogError,
    CatalogOverrides,
    IndicatorCatalog,
    PointsSheet,
    load_catalog,
)
from bot.rules.levels import MemberKind, Rulebook
from bot.texts import render_text


@app.command("catalog")
def catalog_command(
    rulebook: Annotated[Rulebook, typer.Option("--rulebook", help="Rulebook: 2019, 2023 or 2025.")],
    kind: Annotated[
        MemberKind | None,
        typer.Option("--kind", help="Member kind; every kind when left out."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    indicators_file: Annotated[
        Path | None,
        typer.Option(
            "--indicators-file",
            help="YAML file with the wording of the 27 indicators (replaces texts by number).",
        ),
    ] = None,
    criteria_file: Annotated[
        Path | None,
        typer.Option(
            "--criteria-file",
            help="YAML file replacing the criteria (2019, 2023) or the points sheets (2025).",
        ),
    ] = None,
) -> None:
    """Print the criteria (or the 2025 points sheet) and the 27 indicators."""
    overrides = CatalogOverrides(
        indicators_file=indicators_file,
        criteria_file=criteria_file if rulebook is not Rulebook.R2025 else None,
        points_file=criteria_file if rulebook is Rulebook.R2025 else None,
    )
    kinds = [kind] if kind is not None else list(MemberKind)
    try:
        catalogs = [load_catalog(rulebook, k, overrides=overrides) for k in kinds]
    except CatalogError as exc:
        typer.echo(render_text("catalog/error.j2", message=str(exc)), err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(to_json(catalogs), ensure_ascii=False, indent=2, default=_default))
        return
    first = catalogs[0]
    typer.echo(
        render_text(
            "catalog/show.j2",
            rulebook=rulebook.value,
            basis=first.basis,
            catalogs=catalogs,
            indicators=first.indicators,
            scales=first.scales,
            sections=first.sections,
        )
    )


def to_json(catalogs: list[Catalog]) -> dict[str, Any]:
    """The catalogues of one rulebook as plain JSON data (indicators, scales once)."""
    first = catalogs[0]
    return {
        "rulebook": first.rulebook.value,
        "basis": first.basis,
        "catalogs": [
            {
                "kind": c.kind.value,
                "kind_name": c.kind_name,
                "form": asdict(c.form),
                "extra_forms": [asdict(f) for f in c.extra_forms],
                "criteria": [asdict(cr) for cr in c.criteria],
                "task_criteria": [cr.id for cr in c.criteria if cr.task_result],
                "points": _points_json(c.points) if c.points is not None else None,
            }
            for c in catalogs
        ],
        "indicators": _indicators_json(first.indicators),
        "scales": asdict(first.scales),
        "sections": [asdict(s) for s in first.sections],
    }


def _points_json(sheet: PointsSheet) -> dict[str, Any]:
    return {
        "appendix": sheet.appendix,
        "source": sheet.source,
        "cite": asdict(sheet.cite),
        "groups": [
            {
                "group": g.group.value,
                "title": g.title,
                "max_points": g.max_points,
                "items_sum": sheet.group_max(g.group),
            }
            for g in sheet.groups
        ],
        "items": [asdict(item) for item in sheet.items],
        "total_max": sheet.total_max,
    }


def _indicators_json(ind: IndicatorCatalog) -> dict[str, Any]:
    return {
        "source": ind.source,
        "cite": asdict(ind.cite),
        "scale": [asdict(level) for level in ind.scale],
        "scale_cite": asdict(ind.scale_cite),
        "groups": [
            {
                "code": g.code,
                "title": g.title,
                "indicators": [{"code": i.code, **asdict(i)} for i in g.indicators],
            }
            for g in ind.groups
        ],
    }


def _default(value: object) -> Any:
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
