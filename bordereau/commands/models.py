"""``bordereau models``: the recognition models of this establishment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bordereau.base.adapt import MIN_CELLS, Adaptation
from bordereau.cli_support import (
    BaseOption,
    FrenchCommand,
    HomeOption,
    JsonOption,
    new_app,
    print_json,
)
from bordereau.errors import ExitCode
from bordereau.establishment import Establishment
from bordereau.ocr.adapt import Score

app = new_app("Les modèles de lecture de l’établissement : adapter la lecture des chiffres "
              "aux corrections des vérificateurs.")


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %".replace(".", ",") if whole else "—"


def _score_line(name: str, found: Score) -> str:
    return (f"  {name} : {found.correct}/{found.cells} chiffres justes "
            f"({_percent(found.correct, found.cells)}), {found.confident} lus avec assez de "
            f"confiance, dont {found.confident_errors} faux")


def _summary(result: Adaptation) -> str:
    lines = [f"Corrections trouvées : {result.cells} case(s) de chiffres tranchées par un "
             f"vérificateur, sur {result.sheets} bordereau(x)."]
    if result.too_few:
        lines.append("Trop peu de corrections pour adapter la lecture des chiffres : rien n’a "
                     "changé. Réessayer quand plus de bordereaux auront été vérifiés.")
        return "\n".join(lines)
    lines.append(f"Apprentissage sur {result.fitted} case(s) ; contrôle sur {result.held_back} "
                 f"case(s) de {result.held_back_sheets} bordereau(x) mis de côté (jamais "
                 "appris).")
    if result.before and result.after:
        lines.append(_score_line("modèle actuel", result.before))
        lines.append(_score_line("modèle adapté", result.after))
    if result.installed:
        lines.append(f"Modèle adapté installé ({result.installed}) : les prochaines lectures "
                     "l’utilisent. Revenir au précédent : bordereau models adapt --revert.")
    else:
        lines.append("Le modèle adapté ne fait pas mieux sur les bordereaux de contrôle : il "
                     "n’est pas installé, rien n’a changé.")
    return "\n".join(lines)


def _score_json(found: Score | None) -> dict[str, object] | None:
    if found is None:
        return None
    return {"model": found.model, "cells": found.cells, "correct": found.correct,
            "confident": found.confident, "confident_errors": found.confident_errors}


@app.command("adapt", cls=FrenchCommand)
def adapt(
    revert: Annotated[bool, typer.Option(
        "--revert", help="Revenir au modèle que la dernière adaptation a remplacé (le "
        "modèle livré s’il n’y en avait pas d’autre).")] = False,
    min_cells: Annotated[int, typer.Option(
        "--min-cells", min=1, help="Nombre de cases de chiffres tranchées par un "
        "vérificateur qu’il faut au moins pour adapter.")] = MIN_CELLS,
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Adapter la lecture des chiffres aux écritures de l’établissement : les cases de
    chiffres tranchées par un vérificateur servent d’exemples ; un quart des bordereaux est
    mis de côté pour contrôler, et le modèle adapté n’est installé que s’il ne fait pas
    moins bien que le modèle actuel (code de sortie 13 sinon, et avec trop peu de
    corrections)."""
    establishment = Establishment(home, base)
    if revert:
        version = establishment.revert_digits()
        if as_json:
            print_json({"reverted": version is not None, "model": version})
        elif version is None:
            typer.echo("Aucun modèle adapté n’est installé : la lecture utilise déjà le "
                       "modèle livré.")
        else:
            typer.echo(f"Modèle précédent rétabli : {version}.")
        if version is None:
            raise typer.Exit(ExitCode.NOT_ADAPTED)
        return
    result = establishment.adapt_digits(min_cells)
    if as_json:
        print_json({"cells": result.cells, "sheets": result.sheets, "fitted": result.fitted,
                    "held_back": result.held_back,
                    "held_back_sheets": result.held_back_sheets,
                    "threshold": result.threshold, "too_few": result.too_few,
                    "before": _score_json(result.before), "after": _score_json(result.after),
                    "installed": result.installed})
    else:
        typer.echo(_summary(result))
    if result.installed is None:
        raise typer.Exit(ExitCode.NOT_ADAPTED)
