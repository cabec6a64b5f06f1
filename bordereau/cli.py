"""The ``bordereau`` command: a thin layer over the library.

Each command opens a library object, calls one method and prints the result in French
(or as JSON with ``--json``). Library errors become French messages and the documented
exit codes in ``cli_support.FrenchGroup.main``.
"""

from __future__ import annotations

from bordereau.cli_support import FrenchCommand, new_app
from bordereau.commands import forms, records, report, review, scan, scan_queue, scan_watch

app = new_app(
    "bordereau : bordereaux papier du set de données minimal maladies rares (SDM-MR) — "
    "création, lecture des scans, vérification et export vers BaMaRa."
)
app.add_typer(forms.app, name="forms")
scan.app.command("watch", cls=FrenchCommand)(scan_watch.watch)
scan.app.command("submit", cls=FrenchCommand)(scan_queue.submit_command)
scan.app.command("worker", cls=FrenchCommand)(scan_queue.worker_command)
app.add_typer(scan.app, name="scan")
app.add_typer(review.app, name="review")
app.add_typer(records.app, name="records")
app.command("report", cls=FrenchCommand)(report.report)


def main() -> None:
    """Console entry point."""
    app()
