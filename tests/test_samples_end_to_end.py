"""The whole path on the bundled sample scans: ingest, review every doubtful field as a
reviewer would (typing what is written on the paper), commit, export to CDA, and check
every document with the official ANS rules."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bordereau.base.engine import Database
from bordereau.base.queries import status
from bordereau.base.schema import Sheet
from bordereau.export.ans import validator
from bordereau.home import Home
from bordereau.review.queue import Queue
from bordereau.review.values import format_value
from bordereau.simulate.truth import TruthSet
from tests.conftest import SAMPLES, Result, run_cli

pytestmark = pytest.mark.usefixtures("replay_samples")  # recorded Tesseract output


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


def patient_identifiers() -> set[str]:
    """Names, IPPs, NIRs and birth dates of every sample patient, as they could be written."""
    truths = TruthSet.model_validate_json((SAMPLES / "scans" / "truth.json").read_text())
    found: set[str] = set()
    for batch in truths.batches:
        for sheet in batch.sheets:
            for field_id, answer in sheet.fields.items():
                if answer.label is not None:
                    label = answer.label.model_dump()
                    found |= {str(v) for k, v in label.items() if v and k != "symbology"}
                if field_id.startswith("patient.") and isinstance(answer.value, str):
                    found.add(answer.value)
    dates = {d for d in found if len(d) == 10 and d[4] == "-"}
    found |= {f"{d[8:]}/{d[5:7]}/{d[:4]}" for d in dates} | {d.replace("-", "") for d in dates}
    return {v for v in found if (len(v) >= 4 and not v.isdigit()) or len(v) >= 6}


def test_sample_sheets_reviewed_committed_and_exported_are_valid_for_the_ans(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    log = tmp_path / "journal.log"

    def cli(*args: str) -> Result:  # every command with -vv and the log file
        return run_cli(["-vv", "--log-file", str(log), *args, "--home", str(home)],
                       env={"BORDEREAU_REVIEWER": "relecteur"})

    ingested = cli("scan", "ingest", str(SAMPLES / "scans"), "--workers", "2", "--json")
    # exit 6 (lot partiel): bureau-jpeg holds a page of another establishment (issue 11)
    assert ingested.exit_code == 6, ingested.stderr
    assert "autre établissement" in ingested.stdout
    truth = written_values()
    db = Database.open(Home.open(home, create=False))
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
                decided = cli("review", "accept", str(item.id))
            elif written in (None, []) and item.reason == "champ obligatoire non rempli":
                decided = cli("review", "set", str(item.id), "")
                assert decided.exit_code == 3, decided.stderr  # refused: it is required
                blank_required.add(item.serial)
                continue
            else:
                decided = cli("review", "set", str(item.id), format_value(field, written))
            assert decided.exit_code == 0, decided.stderr
    summary = status(db)
    assert summary["sheets"] == {"committed": 12 - len(blank_required),
                                 "waiting_review": len(blank_required), "waiting_pages": 2}
    assert 0 < len(blank_required) <= 6
    with db.session() as session:
        initiales = session.scalar(select(func.count()).select_from(Sheet).where(
            Sheet.kind == "initiale", Sheet.status == "committed"))
    exported = cli("records", "export", "--format", "cda", "--all", "-o", str(tmp_path / "cda"),
                   "--json")
    assert exported.exit_code in (0, 10), exported.stderr
    report = json.loads(exported.stdout)
    files = sorted((tmp_path / "cda").glob("*.xml"))
    assert len(files) == len(report["written"]) == initiales >= 3  # every committed initiale
    for problem in report["skipped"]:  # fiches de suivi of patients with no fiche initiale
        assert problem["reason"] == "aucune fiche initiale enregistrée"
    results = {f.name: validator().check_file(f) for f in files}
    assert all(r.valid for r in results.values()), {
        name: r.xsd_errors + r.schematron_errors for name, r in results.items() if not r.valid}
    # The log of the whole run tells each stage, and never a patient's identity.
    text = log.read_text(encoding="utf-8")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "identification" in text and "règles" in text and "export CDA" in text
    assert "élément" in text
    identifiers = patient_identifiers()
    assert len(identifiers) > 40
    leaked = sorted(v for v in identifiers if v.upper() in text.upper())
    assert leaked == []
