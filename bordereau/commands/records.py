"""``bordereau records``: committed records, and their exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bordereau.base.api import open_base
from bordereau.base.queries import export_json, list_records, show_record
from bordereau.cli_support import (
    BaseOption,
    FrenchCommand,
    HomeOption,
    JsonOption,
    new_app,
    print_json,
)
from bordereau.errors import OutputError, UsageError
from bordereau.home import write_private

app = new_app("Consulter et exporter les enregistrements validés.")


@app.command("list", cls=FrenchCommand)
def list_(
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Lister les enregistrements (version en vigueur)."""
    records = list_records(open_base(home, base))
    if as_json:
        print_json(records)
        return
    if not records:
        typer.echo("Aucun enregistrement.")
        return
    typer.echo(f"{len(records)} enregistrement(s) :")
    for r in records:
        typer.echo(f"{r['id']:>6}  bordereau {r['serial']}  {r['kind']:<9} v{r['version']}  "
                   f"IPP {r['patient_ipp']}  {r['committed_at']}")


@app.command("show", cls=FrenchCommand)
def show(
    record_id: Annotated[int, typer.Argument(help="Numéro de l’enregistrement.")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Afficher un enregistrement : ses valeurs et les pages dont il vient."""
    record = show_record(open_base(home, base), record_id)
    if as_json:
        print_json(record)
        return
    typer.echo(f"Enregistrement {record['id']} — bordereau {record['serial']} "
               f"({record['kind']}), version {record['version']}"
               f"{'' if record['current'] else ' (remplacée)'}, IPP {record['patient_ipp']}")
    for field_id, value in record["fields"].items():
        if value not in (None, [], False):
            typer.echo(f"  {field_id:<40} {value}")


@app.command("export", cls=FrenchCommand)
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="Format : json.")] = "json",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Fichier à écrire (sinon la sortie standard).")] = None,
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
) -> None:
    """Exporter les bordereaux enregistrés."""
    if fmt != "json":
        raise UsageError(f"Format d’export inconnu : « {fmt} ». Formats possibles : json.")
    data = json.dumps(export_json(open_base(home, base)), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(data, nl=False)
        return
    try:
        write_private(output, data.encode())
    except OSError as exc:
        raise OutputError(f"{output} : écriture impossible ({exc.strerror}).") from exc
    typer.echo(f"Export écrit dans {output}.")
