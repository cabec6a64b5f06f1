"""``bordereau scan watch``: a scanner's hot folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bordereau.base.states import PageState
from bordereau.base.watch import DONE_DIR, REFUSED_DIR, WatchedFile
from bordereau.cli_support import BaseOption, HomeOption, JsonOption, line_reporter, stderr
from bordereau.establishment import Establishment

STATES = {PageState.READ: "lue(s)", PageState.BLANK: "blanche(s)", PageState.REFUSED: "refusée(s)"}


def describe(done: WatchedFile) -> str:
    """One French line per file taken."""
    if done.reason:
        return f"Refusé : {done.file} — {done.reason} (déplacé dans {done.moved_to})"
    if done.already:
        return f"Déjà intégré, rien de nouveau : {done.file} (déplacé dans {done.moved_to})"
    parts = [f"{done.pages[s]} {label}" for s, label in STATES.items() if done.pages.get(s)]
    return (f"Intégré : {done.file}, {sum(done.pages.values())} page(s) : {', '.join(parts)} "
            f"(déplacé dans {done.moved_to})")


def watch(
    folder: Annotated[Path, typer.Argument(help="Dossier où le scanner dépose les fichiers.")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Nombre de processus de lecture (défaut : un par cœur).")] = None,
    interval: Annotated[float, typer.Option(
        "--interval", help="Secondes entre deux regards sur le dossier.")] = 2.0,
    settle: Annotated[float, typer.Option(
        "--settle", help="Secondes pendant lesquelles la taille d’un fichier ne doit plus "
        "changer avant qu’il soit lu (fichier en cours d’écriture).")] = 5.0,
    once: Annotated[bool, typer.Option(
        "--once", help="Traiter les fichiers présents puis s’arrêter.")] = False,
) -> None:
    """Surveiller un dossier de dépôt du scanner : chaque fichier qui apparaît est intégré,
    puis déplacé dans traités/ (ou refusés/, avec un .txt qui dit pourquoi). Ctrl-C ou
    SIGTERM : le fichier en cours est terminé, puis arrêt (un second Ctrl-C l’abandonne)."""
    hot = Establishment(home, base).hot_folder(folder, workers, interval, settle)

    report = line_reporter(as_json, describe)

    if not as_json:
        stderr.print(f"Surveillance de {folder} (fichiers traités dans {DONE_DIR}/, refusés "
                     f"dans {REFUSED_DIR}/) ; Ctrl-C pour arrêter.", markup=False)
    with hot.signals():
        try:
            hot.run(report, once)
        except KeyboardInterrupt:
            stderr.print("Arrêt : le fichier en cours est abandonné (rien n’en est "
                         "enregistré), il sera lu au prochain démarrage.", markup=False)
            return
    if not as_json:
        stderr.print("Surveillance arrêtée.", markup=False)
