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
    images: Annotated[Path | None, typer.Option(
        "--images", help="Dossier où écrire les commentaires manuscrits gardés en image "
        "(PNG, lisibles par vous seul).")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Afficher un enregistrement : ses valeurs, ses commentaires manuscrits et ses pages."""
    est = Establishment(home, base)
    record = est.record(record_id)
    written = est.comment_images(record, images) if images else {}
    if as_json:
        print_json(record)
        return
    typer.echo(f"Enregistrement {record['id']} — bordereau {record['serial']} "
               f"({record['kind']}), version {record['version']}"
               f"{'' if record['current'] else ' (remplacée)'}, IPP {record['patient_ipp']}")
    for field_id, value in record["fields"].items():
        if value not in (None, [], False):
            typer.echo(f"  {field_id:<40} {value}")
    for image in record["images"]:
        state = "recopié ci-dessus" if image["transcribed"] else "non recopié"
        where = (f" : {written[image['item']]}" if image["item"] in written
                 else " (--images DOSSIER pour l’écrire)")
        typer.echo(f"  {image['field_id']:<40} commentaire manuscrit gardé en image, "
                   f"{state}{where}")


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
    no_validate: Annotated[bool, typer.Option(
        "--no-validate", help="Avec --format cda : ne pas vérifier chaque document avec le kit "
        "de conformité de l’ANS (schéma XML et schématron) avant de l’écrire ; plus rapide.",
    )] = False,
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
        export_cda(output, since, everything, home, base, as_json, validate=not no_validate)
        return
    if since or everything or no_validate:
        raise UsageError("--since, --all et --no-validate ne s’appliquent qu’à --format cda.")
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


@app.command("incomplete", cls=FrenchCommand)
def incomplete_(
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    referent: Annotated[str | None, typer.Option(
        "--referent", help="Seulement les patients de ce médecin (numéro RPPS).")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="pdf (une page imprimable par patient, avec --output) ou csv ; "
        "sans : une liste à l’écran.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Fichier à écrire (lisible par vous seul).")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Les éléments « à compléter » par le médecin (vides sur le papier, ou deux cases
    cochées), par médecin référent et par patient. La réponse se saisit avec
    « bordereau review set ÉLÉMENT VALEUR »."""
    from bordereau.export.incomplete import to_csv, to_pdf

    if fmt not in (None, "pdf", "csv"):
        raise UsageError(f"Format inconnu : « {fmt} ». Formats possibles : pdf, csv.")
    if fmt == "pdf" and output is None:
        raise UsageError("--format pdf demande --output FICHIER.pdf.")
    if output is not None:
        check_output(output)
    sheets = Establishment(home, base).incomplete(referent)
    if as_json:
        print_json([s.model_dump(mode="json") for s in sheets])
        return
    if fmt is not None:
        data = to_pdf(sheets) if fmt == "pdf" else to_csv(sheets)
        if output is None:
            typer.echo(data.decode("utf-8-sig"), nl=False)
            return
        write_file(output, data)
        typer.echo(f"{len(sheets)} bordereau(x) à compléter écrit(s) dans {output}.")
        return
    if not sheets:
        typer.echo("Aucun bordereau à compléter.")
        return
    for sheet in sheets:
        typer.echo(f"Bordereau {sheet.serial} ({sheet.kind}) — {sheet.nom or '?'} "
                   f"{sheet.prenom or ''}, IPP {sheet.patient_ipp or '?'} — médecin : "
                   f"{sheet.referent or '?'}")
        for item in sheet.missing:
            typer.echo(f"  élément {item.item:>6}  {item.label} : {item.reason}")
