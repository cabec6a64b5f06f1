"""``bordereau scan submit`` and ``bordereau scan worker``: reading on several machines."""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path
from typing import Annotated

import typer

from bordereau.base.scan_queue import JobDone
from bordereau.base.states import PageState
from bordereau.cli_support import (
    BaseOption,
    HomeOption,
    JsonOption,
    line_reporter,
    print_json,
    stderr,
)
from bordereau.establishment import Establishment

STATES = {PageState.READ: "lue(s)", PageState.BLANK: "blanche(s)", PageState.REFUSED: "refusée(s)"}


def submit_command(
    paths: Annotated[list[Path], typer.Argument(
        help="Fichiers (PDF, TIFF, PNG, JPEG) ou dossiers de scans.")],
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Mettre des scans en file d’attente dans la base PostgreSQL partagée : les lecteurs
    (« bordereau scan worker ») de n’importe quel poste les liront."""
    done = Establishment(home, base).submit(paths)
    if as_json:
        print_json({"files": [f.model_dump(mode="json") for f in done]})
        return
    lines = []
    for file in done:
        if file.reason:
            lines.append(file.reason[0].upper() + file.reason[1:])
        elif file.already:
            lines.append(f"Déjà intégré ou en file, rien de nouveau : {Path(file.path).name}")
        else:
            lines.append(f"En file (n° {file.job}) : {Path(file.path).name}")
    typer.echo("\n".join(lines) or "Aucun fichier.")


def describe(done: JobDone) -> str:
    if not done.stored:
        return f"Déjà intégré par un autre lecteur : {Path(done.name).name}"
    parts = [f"{done.pages[s]} {label}" for s, label in STATES.items() if done.pages.get(s)]
    return (f"Lu et intégré (n° {done.job}) : {Path(done.name).name}, "
            f"{sum(done.pages.values())} page(s) : {', '.join(parts)}")


def worker_command(
    home: Annotated[Path | None, HomeOption] = None,
    base: Annotated[str | None, BaseOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Processus de lecture sur ce poste (défaut : un par cœur).")] = None,
    lease: Annotated[float, typer.Option(
        "--lease", help="Secondes sans signe de vie après lesquelles le fichier d’un lecteur "
        "arrêté est repris par un autre.")] = 60.0,
    once: Annotated[bool, typer.Option(
        "--once", help="S’arrêter quand la file est vide (sinon attendre de nouveaux "
        "fichiers).")] = False,
) -> None:
    """Lire les scans mis en file (« bordereau scan submit ») ; autant de lecteurs que
    voulu, sur autant de postes que voulu, se partagent la file. SIGTERM ou Ctrl-C : le
    fichier en cours est terminé, puis arrêt."""
    worker = Establishment(home, base).scan_worker(workers, dt.timedelta(seconds=lease))

    report = line_reporter(as_json, describe)

    def on_signal(_signum: int, _frame: object) -> None:
        worker.request_stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    try:
        worker.run(report, once)
    except KeyboardInterrupt:
        stderr.print("Arrêt : le fichier en cours est abandonné (rien n’en est enregistré), "
                     "un autre lecteur le reprendra.", markup=False)
