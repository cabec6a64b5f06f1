"""``bordereau records export --format cda``: documents for BaMaRa, with their log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from bordereau.cli_support import print_json
from bordereau.errors import ExitCode, UsageError
from bordereau.establishment import Establishment


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"Date invalide pour --since : « {text} » (attendu AAAA-MM-JJ).") from exc


def export_cda(output: Path | None, since: str | None, everything: bool, home: Path | None,
               base: str | None, as_json: bool, validate: bool = True) -> None:
    """Write the documents due into ``output``, each checked with the ANS kit unless
    ``validate`` is false; exit 10 when a patient could not go."""
    if output is None:
        raise UsageError("--format cda écrit un document par patient : donner le dossier "
                         "avec --output DOSSIER.")
    if since and everything:
        raise UsageError("--since et --all ne vont pas ensemble.")
    report = Establishment(home, base).export_cda(output, _date(since) if since else None,
                                                  everything, validate)
    if as_json:
        print_json(report.model_dump(mode="json"))
    else:
        lines = [f"{len(report.written)} document(s) CDA écrit(s) dans {output}"
                 + (f", {report.unchanged} dossier(s) déjà envoyé(s) sans changement."
                    if report.unchanged else ".")]
        for written in report.written:
            lines.append(f"  {Path(written['file']).name} (IPP {written['patient_ipp']}, "
                         f"version {written['document_version']})")
        if report.to_review:
            lines.append("À vérifier (valeurs non transmises, document écrit sans elles) :")
            lines += [f"  {problem}" for problem in report.to_review]
        if report.skipped:
            lines.append("Non exporté(s) :")
            lines += [f"  {problem}" for problem in report.skipped]
        typer.echo("\n".join(lines))
    if report.skipped:
        raise typer.Exit(ExitCode.EXPORT_INCOMPLETE)
