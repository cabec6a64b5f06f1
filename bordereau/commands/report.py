"""``bordereau report``: the centre's activity indicators, as an HTML page or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bordereau.cli_support import BaseOption, HomeOption, print_json
from bordereau.errors import UsageError
from bordereau.establishment import Establishment


def report(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Page HTML à écrire (autonome, imprimable).")] = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="Début de la période, compris (AAAA-MM-JJ ou JJ/MM/AAAA).")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="Fin de la période, comprise (AAAA-MM-JJ ou JJ/MM/AAAA).")] = None,
    centre: Annotated[str | None, typer.Option(
        "--centre", help="Code du site maladies rares (S…), si la base en a plusieurs.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Écrire les indicateurs en JSON sur la sortie standard.")] = False,
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
) -> None:
    """Rapport d’activité du centre (file active, diagnostics, délais, opposition, complétude)."""
    if output is None and not as_json:
        raise UsageError("Indiquer la page à écrire (--output rapport.html) ou demander "
                         "--json.")
    figures = Establishment(home, base).report(start, end, centre, output)
    if as_json:
        print_json(figures)
    else:
        typer.echo(f"Rapport écrit dans {output}.")
