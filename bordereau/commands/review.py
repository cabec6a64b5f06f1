"""``bordereau review``: the review application, and commands for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bordereau.cli_support import (
    BaseOption,
    FrenchCommand,
    FrenchGroup,
    HomeOption,
    JsonOption,
    print_json,
)
from bordereau.establishment import Establishment
from bordereau.review.queue import Decision, Item

app = typer.Typer(
    cls=FrenchGroup, add_completion=False, no_args_is_help=False, rich_markup_mode="rich",
    pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]},
    help="Vérifier les champs douteux. Sans commande : ouvre l’application de vérification.",
    invoke_without_command=True,
)
ReviewerOption = typer.Option("--reviewer", help="Nom du vérificateur (sinon le nom de "
                              "connexion) : il est inscrit dans le journal des décisions.")


def _open(home: Path | None, base: str | None, reviewer: str | None) -> Establishment:
    return Establishment(home, base, user=reviewer)


def _line(item: Item) -> str:
    return (f"{item.id:>6}  {item.serial}  {item.field_id:<36} {item.shown or '∅':<22} "
            f"{item.confidence:4.2f}  {item.reason or ''}")


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
) -> None:
    """Vérifier les champs douteux. Sans commande : ouvre l’application de vérification."""
    if ctx.invoked_subcommand is not None:
        return
    _open(home, base, reviewer).review_app().run()


@app.command("list", cls=FrenchCommand)
def list_items(
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    field: Annotated[str | None, typer.Option("--field", help="Seulement ce champ.")] = None,
    serial: Annotated[str | None, typer.Option("--serial", help="Seulement ce bordereau.")] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Aussi les éléments traités.")] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Lister les champs à vérifier, par bordereau puis par confiance."""
    items = _open(home, base, None).review_items(None if all_items else "pending", field,
                                                 serial)
    if as_json:
        print_json([item.model_dump(mode="json") for item in items])
        return
    if not items:
        typer.echo("Rien à vérifier.")
        return
    typer.echo(f"{len(items)} champ(s) à vérifier :" if not all_items else
               f"{len(items)} élément(s) :")
    for item in items:
        typer.echo(_line(item))


@app.command("show", cls=FrenchCommand)
def show(
    item_id: Annotated[int, typer.Argument(help="Numéro de l’élément.")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Fichier PNG où écrire l’extrait du scan.")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Montrer un élément et écrire l’extrait du scan dans un fichier PNG."""
    item, crop = _open(home, base, None).review_item(item_id)
    target = output or Path(f"element-{item_id}.png")
    if crop:
        target.write_bytes(crop)
        target.chmod(0o600)
    data = item.model_dump(mode="json") | {"crop": str(target) if crop else None}
    if as_json:
        print_json(data)
        return
    typer.echo(f"Élément {item.id} — bordereau {item.serial}, page {item.page}\n"
               f"Champ : {item.label} ({item.field_id})\n"
               f"Lecture : {item.shown or '∅'} (confiance {item.confidence:.2f})\n"
               f"Motif : {item.reason or '—'}\nÉtat : {item.status}")
    if crop:
        typer.echo(f"Extrait du scan : {target}")


@app.command("set", cls=FrenchCommand)
def set_value(
    item_id: Annotated[int, typer.Argument(help="Numéro de l’élément.")],
    value: Annotated[str, typer.Argument(help="Valeur correcte (vide : champ vide).")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    reviewer: Annotated[str | None, ReviewerOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Corriger la valeur d’un élément (validée avant d’être enregistrée)."""
    decision = _open(home, base, reviewer).correct(item_id, value)
    if as_json:
        print_json(decision.model_dump(mode="json"))
    else:
        typer.echo(_decided(decision))


@app.command("accept", cls=FrenchCommand)
def accept(
    item_ids: Annotated[list[int], typer.Argument(help="Numéro(s) des éléments.")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    reviewer: Annotated[str | None, ReviewerOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Accepter la lecture de la machine pour un ou plusieurs éléments."""
    est = _open(home, base, reviewer)
    decisions = [est.accept(item_id) for item_id in item_ids]
    if as_json:
        print_json([d.model_dump(mode="json") for d in decisions])
    else:
        typer.echo("\n".join(_decided(d) for d in decisions))
