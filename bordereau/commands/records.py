"""``bordereau records``: committed records, and their exports."""

from __future__ import annotations

import json
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
from bordereau.commands.records_cda import export_cda
from bordereau.errors import UsageError
from bordereau.establishment import Establishment
from bordereau.files import check_output, write_file

app = new_app("Consulter et exporter les enregistrements validés.")


@app.command("list", cls=FrenchCommand)
def list_(
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Lister les enregistrements (version en vigueur)."""
    records = Establishment(home, base).records()
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
    record = Establishment(home, base).record(record_id)
    if as_json:
        print_json(record)
        return
    typer.echo(f"Enregistrement {record['id']} — bordereau {record['serial']} "
               f"({record['kind']}), version {record['version']}"
               f"{'' if record['current'] else ' (remplacée)'}, IPP {record['patient_ipp']}")
    for field_id, value in record["fields"].items():
        if value not in (None, [], False):
            typer.echo(f"  {field_id:<40} {value}")


FORMATS = ("cda", "csv", "json")


@app.command("export", cls=FrenchCommand)
def export(
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="Format : json (valeurs lues, par défaut), csv (tableau) ou "
        "cda (un document CDA R2 SDM-MR par patient, pour BaMaRa).",
    )] = "json",
    tabular: Annotated[bool, typer.Option(
        "--tabular", help="Avec --format json : le tableau de l’export csv (codes et "
        "libellés), en JSON.")] = False,
    deidentified: Annotated[bool, typer.Option(
        "--deidentified", help="Export tabulaire désidentifié : sans noms, IPP, INS, lieux, "
        "commentaire ; date de naissance au mois ; pseudonyme propre au fichier.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Fichier à écrire (sinon la sortie standard) ; avec "
        "--format cda, le dossier des documents.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Avec --format cda : les dossiers modifiés depuis cette date "
        "(AAAA-MM-JJ).")] = None,
    everything: Annotated[bool, typer.Option(
        "--all", help="Avec --format cda : tous les dossiers, même déjà envoyés.")] = False,
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Exporter les bordereaux enregistrés (CDA pour BaMaRa, JSON, CSV)."""
    if fmt not in FORMATS:
        raise UsageError(f"Format d’export inconnu : « {fmt} ». "
                         f"Formats possibles : {', '.join(FORMATS)}.")
    raw = fmt == "json" and not tabular
    if raw and deidentified:
        raise UsageError("--deidentified ne s’applique qu’à l’export tabulaire : "
                         "--format csv, ou --format json --tabular.")
    if fmt == "cda":
        export_cda(output, since, everything, home, base, as_json)
        return
    if since or everything:
        raise UsageError("--since et --all ne s’appliquent qu’à --format cda.")
    if output is not None:
        check_output(output)
    if raw:
        rows = Establishment(home, base).export_json()
        data = (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode()
    else:
        data = Establishment(home, base).export_table("csv" if fmt == "csv" else "json",
                                                      deidentified)
    if output is None:
        typer.echo(data, nl=False)
        return
    write_file(output, data)
    typer.echo(f"Export écrit dans {output}.")
