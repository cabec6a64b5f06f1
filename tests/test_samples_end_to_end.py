"""The whole path on the bundled sample scans: ingest, review every doubtful field as a
reviewer would (typing what is written on the paper), commit, export to CDA, and check
every document with the official ANS rules."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bordereau.base.engine import Database
from bordereau.base.ingest import Ingestor
from bordereau.base.queries import status
from bordereau.base.schema import Sheet
from bordereau.errors import InputError
from bordereau.export.ans import validator
from bordereau.export.batch import CdaExporter
from bordereau.home import Home
from bordereau.review.queue import Queue
from bordereau.review.values import format_value
from bordereau.simulate.truth import TruthSet
from tests.conftest import SAMPLES


def written_values() -> dict[tuple[str, str], Any]:
    truths = TruthSet.model_validate_json((SAMPLES / "scans" / "truth.json").read_text())
    values: dict[tuple[str, str], Any] = {}
    for batch in truths.batches:
        for sheet in batch.sheets:
            label = next((a.label for a in sheet.fields.values() if a.label), None)
            for field_id, answer in sheet.fields.items():
                value = answer.value
                if field_id == "patient.ipp" and value is None and label is not None:
                    value = label.ipp  # the sticker says it when the cells are empty
                values[(sheet.serial, field_id)] = value
    return values


def test_sample_sheets_reviewed_committed_and_exported_are_valid_for_the_ans(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    db = Database.open(Home.open(home, create=False))
    Ingestor(db, "secretariat").ingest([SAMPLES / "scans"], workers=2)
    truth = written_values()
    queue = Queue(db, "relecteur")
    blank_required: set[str] = set()  # left blank on paper: the reviewer cannot invent it
    for _ in range(5):  # a decision may reopen a field through a sheet rule
        pending = [i for i in queue.items() if i.serial not in blank_required]
        if not pending:
            break
        for item in pending:
            field = queue.field_of(item.id)
            written = truth.get((item.serial, item.field_id))
            if field.kind in {"free_text", "label_zone"}:
                queue.accept(item.id)
            elif written in (None, []) and item.reason == "champ obligatoire non rempli":
                with pytest.raises(InputError):
                    queue.set(item.id, "")
                blank_required.add(item.serial)
            else:
                queue.set(item.id, format_value(field, written))
    summary = status(db)
    assert summary["sheets"] == {"committed": 12 - len(blank_required),
                                 "waiting_review": len(blank_required), "waiting_pages": 2}
    assert 0 < len(blank_required) <= 6
    with db.session() as session:
        initiales = session.scalar(select(func.count()).select_from(Sheet).where(
            Sheet.kind == "initiale", Sheet.status == "committed"))
    report = CdaExporter(db, "relecteur").export(tmp_path / "cda", everything=True)
    files = sorted((tmp_path / "cda").glob("*.xml"))
    assert len(files) == len(report.written) == initiales >= 3  # every committed initiale
    for problem in report.skipped:  # fiches de suivi of patients with no fiche initiale
        assert problem.reason == "aucune fiche initiale enregistrée"
    results = {f.name: validator().check_file(f) for f in files}
    assert all(r.valid for r in results.values()), {
        name: r.xsd_errors + r.schematron_errors for name, r in results.items() if not r.valid}
