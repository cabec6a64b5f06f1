"""The ``bordereau`` command: a thin layer over the library.

Each command opens a library object, calls one method and prints the result in French
(or as JSON with ``--json``). Library errors become French messages and the documented
exit codes in ``cli_support.FrenchGroup.main``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bordereau import logs
from bordereau.cli_support import FrenchCommand, new_app
from bordereau.commands import (
    base,
    forms,
    models,
    records,
    report,
    review,
    scan,
    scan_queue,
    scan_watch,
)

app = new_app(
    "bordereau : bordereaux papier du set de données minimal maladies rares (SDM-MR) — "
    "création, lecture des scans, vérification et export vers BaMaRa."
)


@app.callback()
def global_options(
    verbose: Annotated[int, typer.Option(
        "-v", "--verbose", count=True, show_default=False,
        help="Afficher les étapes de chaque page et leur durée (-vv : plus de détails). "
        "Jamais de données des patients.")] = 0,
    log_file: Annotated[Path | None, typer.Option(
        "--log-file", dir_okay=False,
        help="Écrire le journal détaillé dans ce fichier (lisible par son seul propriétaire). "
        "Sinon les erreurs internes vont dans logs/bordereau.log du dossier de "
        "l’établissement.")] = None,
) -> None:
    logs.configure(verbose, log_file)


app.add_typer(forms.app, name="forms")
scan.app.command("watch", cls=FrenchCommand)(scan_watch.watch)
scan.app.command("submit", cls=FrenchCommand)(scan_queue.submit_command)
scan.app.command("worker", cls=FrenchCommand)(scan_queue.worker_command)
app.add_typer(scan.app, name="scan")
app.add_typer(review.app, name="review")
app.add_typer(records.app, name="records")
app.add_typer(base.app, name="base")
app.add_typer(models.app, name="models")
app.command("report", cls=FrenchCommand)(report.report)


def main() -> None:
    """Console entry point."""
    app()
