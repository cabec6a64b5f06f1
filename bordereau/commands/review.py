"""``bordereau review``: the review application, and commands for scripts."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from bordereau.base.states import ReadingStatus
from bordereau.cli_support import (
    BaseOption,
    FrenchCommand,
    FrenchGroup,
    HomeOption,
    JsonOption,
    print_json,
)
from bordereau.errors import UsageError
from bordereau.establishment import Establishment
from bordereau.files import write_file
from bordereau.review.queue import Decision, Item

app = typer.Typer(
    cls=FrenchGroup, add_completion=False, no_args_is_help=False, rich_markup_mode="rich",
    pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]},
    help="Vérifier les champs douteux. Sans commande : ouvre l’application de vérification.",
    invoke_without_command=True,
)
ReviewerOption = typer.Option("--reviewer", help="Nom du vérificateur (sinon le nom de "
                              "connexion) : il est inscrit dans le journal des décisions.")


@dataclass
class GroupOptions:
    """The options given to ``review`` itself, before its command."""

    home: Path | None = None
    base: str | None = None
    reviewer: str | None = None


def _open(ctx: typer.Context, home: Path | None, base: str | None,
          reviewer: str | None) -> Establishment:
    """The establishment, with the options given to ``review`` itself as defaults for its
    commands (``review --home H --reviewer X accept N`` as well as ``review accept N
    --home H --reviewer X``)."""
    group = ctx.obj if isinstance(ctx.obj, GroupOptions) else GroupOptions()
    return Establishment(home if home is not None else group.home,
                         base if base is not None else group.base,
                         user=reviewer if reviewer is not None else group.reviewer)


TranscribeOption = typer.Option(
    "--transcrire", help="Les commentaires manuscrits gardés en image, à recopier (facultatif).")
AnswersOption = typer.Option(
    "--reponses", help="Saisir les réponses reçues du médecin (éléments « à compléter »).")
STATES: dict[str, str] = {ReadingStatus.PENDING: "à vérifier", ReadingStatus.ACCEPTED: "accepté",
          ReadingStatus.CORRECTED: "corrigé", ReadingStatus.TRUSTED: "lu avec assurance",
          ReadingStatus.IMAGE: "gardé en image (à recopier si besoin)",
          ReadingStatus.CLINICIAN: "à compléter par le médecin"}
SAID = re.compile(r"confiance (\d,\d+)")


def _confidence(item: Item) -> str:
    """The confidence in French, as the reason says it when it does (one figure shown)."""
    said = SAID.search(item.reason or "")
    return said.group(1) if said else f"{item.confidence:.2f}".replace(".", ",")


def _line(item: Item) -> str:
    return (f"{item.id:>6}  {item.serial}  {item.field_id:<36} {item.shown or '∅':<22} "
            f"{_confidence(item):>4}  {item.reason or ''}")


def _decided(decision: Decision) -> str:
    item = decision.item
    verb = "accepté" if decision.action == "accept" else "corrigé"
    text = f"Élément {item.id} ({item.field_id}) {verb} : {item.shown or '∅'}."
    if decision.record_id:
        text += (f" Bordereau {item.serial} enregistré (enregistrement {decision.record_id}, "
                 f"version {decision.record_version}).")
    return text


@app.callback()
def review(
    ctx: typer.Context,
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    reviewer: Annotated[str | None, ReviewerOption] = None,
    transcribe: Annotated[bool, TranscribeOption] = False,
    answers: Annotated[bool, AnswersOption] = False,
) -> None:
    """Vérifier les champs douteux. Sans commande : ouvre l’application de vérification."""
    ctx.obj = GroupOptions(home, base, reviewer)
    if ctx.invoked_subcommand is not None:
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("L’application de vérification a besoin d’un terminal (la sortie ou "
                         "l’entrée n’en est pas un) ; pour un script : « bordereau review list "
                         "--json », « review set », « review accept ».")
    _open(ctx, home, base, reviewer).review_app(transcribe, answers).run()


@app.command("list", cls=FrenchCommand)
def list_items(
    ctx: typer.Context,
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    field: Annotated[str | None, typer.Option("--field", help="Seulement ce champ.")] = None,
    serial: Annotated[str | None, typer.Option("--serial", help="Seulement ce bordereau.")] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Aussi les éléments traités.")] = False,
    transcribe: Annotated[bool, TranscribeOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Lister les champs à vérifier, par bordereau puis par confiance."""
    status = None if all_items else ReadingStatus.PENDING
    items = _open(ctx, home, base, None).review_items(status, field, serial, transcribe)
    if as_json:
        print_json([item.model_dump(mode="json") for item in items])
        return
    if not items:
        typer.echo("Rien à vérifier.")
        return
    what = "commentaire(s) gardé(s) en image" if transcribe else "champ(s) à vérifier"
    typer.echo(f"{len(items)} {what} :" if not all_items else
               f"{len(items)} élément(s) :")
    for item in items:
        typer.echo(_line(item))


@app.command("show", cls=FrenchCommand)
def show(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Numéro de l’élément.")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Fichier PNG où écrire l’extrait du scan (il contient des "
        "données du patient : rien n’est écrit sans cette option).")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Montrer un élément (et écrire l’extrait du scan dans un fichier PNG avec --output)."""
    item, crop = _open(ctx, home, base, None).review_item(item_id)
    written = bool(output and crop)
    if output and crop:
        write_file(output, crop)
    data = item.model_dump(mode="json") | {"crop": str(output) if written else None}
    if as_json:
        print_json(data)
        return
    typer.echo(f"Élément {item.id} — bordereau {item.serial}, page {item.page}\n"
               f"Champ : {item.label} ({item.field_id})\n"
               f"Lecture : {item.shown or '∅'} (confiance {_confidence(item)})\n"
               f"Motif : {item.reason or '—'}\nÉtat : {STATES.get(item.status, item.status)}")
    for suggestion in item.suggestions:
        typer.echo(f"Suggestion ({suggestion.source}) : {suggestion.shown}")
    for note in item.notes:
        typer.echo(note)
    if written:
        typer.echo(f"Extrait du scan : {output}")


@app.command("set", cls=FrenchCommand)
def set_value(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(help="Numéro de l’élément.")],
    value: Annotated[str, typer.Argument(help="Valeur correcte (vide : champ vide).")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    reviewer: Annotated[str | None, ReviewerOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Corriger la valeur d’un élément (validée avant d’être enregistrée)."""
    decision = _open(ctx, home, base, reviewer).correct(item_id, value)
    if as_json:
        print_json(decision.model_dump(mode="json"))
    else:
        typer.echo(_decided(decision))


@app.command("accept", cls=FrenchCommand)
def accept(
    ctx: typer.Context,
    item_ids: Annotated[list[int], typer.Argument(help="Numéro(s) des éléments.")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    reviewer: Annotated[str | None, ReviewerOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Accepter la lecture de la machine pour un ou plusieurs éléments."""
    est = _open(ctx, home, base, reviewer)
    decisions = [est.accept(item_id) for item_id in item_ids]
    if as_json:
        print_json([d.model_dump(mode="json") for d in decisions])
    else:
        typer.echo("\n".join(_decided(d) for d in decisions))
