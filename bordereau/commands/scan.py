"""``bordereau scan``: read scanned forms."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bordereau.base.ingest import IngestReport
from bordereau.base.states import PageState, SheetStatus
from bordereau.base.store import Damage
from bordereau.cli_support import (
    BaseOption,
    FrenchCommand,
    HomeOption,
    JsonOption,
    new_app,
    print_json,
    stderr,
)
from bordereau.errors import ExitCode
from bordereau.establishment import Establishment
from bordereau.ocr.pipeline import ReadOptions, ReadResult

app = new_app("Lire les bordereaux scannés et les intégrer à la base.")

PathsArgument = typer.Argument(help="Fichiers (PDF, TIFF, PNG, JPEG) ou dossiers de scans.",
                               readable=False)  # an unreadable file is refused, not a usage error
DebugOption = typer.Option("--debug", help="Écrire dans ce dossier une image annotée par page.",
                           file_okay=False)
VerifyOption = typer.Option(
    "--verify", help="Vérifier aussi l’empreinte (SHA-256) de chaque copie du dossier des scans, "
    "pas seulement sa taille.")
WorkersOption = typer.Option("--workers", help="Nombre de processus (défaut : un par cœur).")

STATES = {PageState.READ: "lue(s)", PageState.BLANK: "blanche(s)", PageState.REFUSED: "refusée(s)"}


def progress_bar(enabled: bool) -> Progress | None:
    """A rich progress bar on stderr, only for a person at a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    return Progress(TextColumn("Lecture des pages"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), transient=True,
                    console=stderr)


def summary(result: ReadResult) -> str:
    """The French summary printed after a batch."""
    lines = []
    counts: Counter[str] = Counter(p.state for p in result.pages)
    parts = [f"{counts[s]} {label}" for s, label in STATES.items() if counts[s]]
    lines.append(f"{len(result.pages)} page(s) : {', '.join(parts) or 'aucune'}.")
    for sheet in result.sheets:
        review = sum(1 for f in sheet.fields.values() if f.review)
        state = "complet" if not sheet.pages_missing else (
            "incomplet, page(s) manquante(s) : " + ", ".join(map(str, sheet.pages_missing)))
        lines.append(f"Bordereau {sheet.serial} ({sheet.kind}, {state}) : "
                     f"{len(sheet.fields)} champs, {review} à vérifier.")
    for page in result.pages:
        if page.state == "refused":  # ocr.types.PageState: a Literal mypy checks
            lines.append(f"Refusée : {page.name or page.source}, page {page.index + 1} — "
                         f"{page.reason}")
    lines += [_sentence(skipped.reason) for skipped in result.skipped]
    return "\n".join(lines)


def _sentence(reason: str) -> str:
    return reason[0].upper() + reason[1:]


@app.command("read", cls=FrenchCommand)
def read(
    paths: Annotated[list[Path], PathsArgument],
    home: Annotated[Path | None, HomeOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
    debug: Annotated[Path | None, DebugOption] = None,
    workers: Annotated[int | None, WorkersOption] = None,
) -> None:
    """Lire des scans sans rien enregistrer et afficher ce qui a été lu.

    Les fichiers sont nommés par rapport au dossier donné ; avec --debug, les images
    annotées reprennent l’arborescence des dossiers lus."""
    est = Establishment(home)
    options = ReadOptions(workers=workers, debug_dir=debug)
    bar = progress_bar(not as_json)
    if bar is None:
        result = est.read(paths, options)
    else:
        with bar:
            task = bar.add_task("pages", total=None)
            result = est.read(paths, options,
                                 lambda done, seen: bar.update(task, completed=done, total=seen))
    if as_json:
        print_json(result.to_public())
    else:
        typer.echo(summary(result))
    if any(not s.ignored for s in result.skipped) or any(
            page.state == "refused" for page in result.pages):
        raise typer.Exit(ExitCode.PARTIAL)  # lot partiel: a page or a file was refused


def ingest_summary(report: IngestReport) -> str:
    """The French summary of an ingestion."""
    lines = []
    for file in report.files:
        if file.reason:
            lines.append(_sentence(file.reason))
        elif file.already:
            lines.append(f"Déjà intégré, rien de nouveau : {file.path}")
    lines.extend(damage.message() for damage in report.store)
    pages = report.pages
    if pages:
        parts = [f"{pages[s]} {label}" for s, label in STATES.items() if pages.get(s)]
        lines.append(f"{sum(pages.values())} page(s) nouvelle(s) : {', '.join(parts)}.")
    for refused in report.refused:
        lines.append(f"Refusée : {refused['file']}, page {refused['page']} — "
                     f"{refused['reason']}")
    names = {SheetStatus.COMMITTED: "enregistré(s)", SheetStatus.WAITING_REVIEW: "à vérifier",
             SheetStatus.WAITING_PAGES: "en attente de pages"}
    for state, label in names.items():
        serials = sorted(report.sheets.get(state, []))
        if serials:
            lines.append(f"Bordereaux {label} : {', '.join(serials)}")
    return "\n".join(lines) or "Aucun fichier à intégrer."


@app.command("ingest", cls=FrenchCommand)
def ingest(
    paths: Annotated[list[Path], PathsArgument],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
    workers: Annotated[int | None, WorkersOption] = None,
) -> None:
    """Lire des scans et les enregistrer : fichiers, pages, bordereaux, champs à vérifier."""
    est = Establishment(home, base)
    bar = progress_bar(not as_json)
    if bar is None:
        report = est.ingest(paths, workers)
    else:
        with bar:
            task = bar.add_task("pages", total=None)
            report = est.ingest(
                paths, workers, lambda done, seen: bar.update(task, completed=done, total=seen))
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        typer.echo(ingest_summary(report))
    if report.refused or report.partial:
        raise typer.Exit(ExitCode.PARTIAL)  # lot partiel: a page or a file was refused


@app.command("status", cls=FrenchCommand)
def status(
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
    verify: Annotated[bool, VerifyOption] = False,
) -> None:
    """Compter les pages et bordereaux par état (tout ce qui a été intégré)."""
    report = Establishment(home, base).status(deep=verify)
    damaged = [Damage.model_validate(d) for d in report["store"]]
    if as_json:
        print_json(report)
        return
    pages, sheets = report["pages"], report["sheets"]
    lines = [
        f"{report['files']} fichier(s), {report['pages_total']} page(s) : "
        f"{pages[PageState.READ]} lue(s), {pages[PageState.BLANK]} blanche(s), "
        f"{pages[PageState.REFUSED]} refusée(s).",
        f"Bordereaux : {sheets[SheetStatus.COMMITTED]} enregistré(s), "
        f"{sheets[SheetStatus.WAITING_REVIEW]} à vérifier ({report['review_items']} "
        f"champ(s)), {sheets[SheetStatus.WAITING_PAGES]} en attente de pages.",
    ]
    for waiting in report["waiting_pages"]:
        missing = ", ".join(map(str, waiting["missing"]))
        lines.append(f"  {waiting['serial']} : page(s) manquante(s) {missing}")
    for refused in report["refused"]:
        lines.append(f"  Refusée : {refused['file']}, page {refused['page']} — "
                     f"{refused['reason']}")
    lines.extend(damage.message() for damage in damaged)
    typer.echo("\n".join(lines))
