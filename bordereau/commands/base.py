"""``bordereau base``: the base itself (tamper evidence)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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

app = new_app("La base de l’établissement : vérifier qu’elle n’a pas été modifiée hors de "
              "bordereau.")


@app.command("verify", cls=FrenchCommand)
def verify_(
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Vérifier les empreintes des enregistrements et des patients, et la chaîne du
    journal des décisions ; nommer toute ligne modifiée, ajoutée ou supprimée hors de
    bordereau (code de sortie 12)."""
    result = Establishment(home, base).verify()
    if as_json:
        print_json({"ok": result.ok, "checked": {"records": result.records,
                                                   "patients": result.patients,
                                                   "audit": result.audit},
                    "findings": [f.model_dump(mode="json", include={"table", "row", "message"})
                                 for f in result.findings]})
    else:
        checked = (f"{result.records} enregistrement(s), {result.patients} patient(s), "
                   f"{result.audit} décision(s) tracée(s)")
        if result.ok:
            typer.echo(f"Base intacte : {checked} vérifiés, aucune modification hors de "
                       "bordereau.")
        else:
            lines = [f"Base modifiée hors de bordereau ({checked} vérifiés) :"]
            lines += [f"  - {f.message}" for f in result.findings]
            lines.append("Les enregistrements touchés ne seront pas exportés. Restaurer la "
                         "dernière sauvegarde, ou faire vérifier ces bordereaux sur papier.")
            typer.echo("\n".join(lines))
    if not result.ok:
        raise typer.Exit(ExitCode.TAMPERED)
