"""Exporting committed records as CDA documents: valid for the ANS, logged, never sent twice
by accident, incomplete records refused with their reasons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bordereau.base.schema import ExportLog
from bordereau.export import ExportPatient, batch
from bordereau.export.ans import validator
from bordereau.export.batch import CdaExporter
from bordereau.review.queue import Queue
from tests.conftest import LYON
from tests.factories import INITIALE, SUIVI, Factory


def validate(paths: list[Path]) -> list[dict[str, object]]:
    """The ANS kit's verdict on each file, checked again independently of the export."""
    results = [validator().check_file(path) for path in paths]
    return [{"document": str(path), "valid": r.valid, "errors": r.xsd_errors
             + r.schematron_errors} for path, r in zip(paths, results, strict=True)]


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE)
    factory.sheet("suivi", SUIVI)
    factory.sheet("initiale", {**INITIALE, "patient.ipp": "4100200555",
                               "patient.nom_naissance": "BERNARD", "vital.decede": True,
                               "vital.date_deces": "2024-05-02",
                               "diagnostic1.statut": "385651009", "diagnostic1.maladie": None})
    return factory


def test_export_writes_one_valid_document_per_patient_and_logs_it(
    factory: Factory, tmp_path: Path,
) -> None:
    out = tmp_path / "cda"
    report = CdaExporter(factory.db, "alice").export(out)
    assert report.skipped == []
    assert sorted(w["patient_ipp"] for w in report.written) == ["4100200300", "4100200555"]
    files = sorted(out.glob("*.xml"))
    assert len(files) == 2 and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    results = validate(files)
    assert all(r["valid"] for r in results), results
    text = files[0].read_text(encoding="utf-8")
    assert "4100200300" in text and "1.2.250.1.999.690009998.1" in text
    with factory.db.session() as session:
        logs = session.scalars(select(ExportLog)).all()
        assert [(log.format, log.document_version, log.exported_by) for log in logs] == [
            ("cda", 1, "alice"), ("cda", 1, "alice")]
        assert len(logs[0].records) == 2  # the initiale and its suivi went out together


def test_nothing_is_sent_twice_and_a_correction_goes_out_as_a_new_version(
    factory: Factory, tmp_path: Path,
) -> None:
    exporter = CdaExporter(factory.db, "alice")
    exporter.export(tmp_path / "a")
    again = exporter.export(tmp_path / "b")
    assert again.written == [] and again.unchanged == 2
    queue = Queue(factory.db, "bob")
    (item,) = queue.items(status="trusted", field_id="patient.premier_prenom",
                          serial=queue.items(status="trusted", field_id="patient.ipp")[0].serial)
    queue.set(item.id, "Léa-Marie")
    changed = exporter.export(tmp_path / "c")
    assert [(w["patient_ipp"], w["document_version"]) for w in changed.written] == [
        ("4100200300", 2)]
    (document,) = (tmp_path / "c").glob("*.xml")
    assert document.name.endswith("_v2.xml")
    assert all(r["valid"] for r in validate([document]))
    everything = exporter.export(tmp_path / "d", everything=True)
    assert len(everything.written) == 2


def test_since_exports_records_committed_since_a_date(factory: Factory, tmp_path: Path) -> None:
    exporter = CdaExporter(factory.db, "alice")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert exporter.export(tmp_path / "a", since=tomorrow).written == []
    assert len(exporter.export(tmp_path / "b", since=dt.date.today()).written) == 2


def test_a_record_that_cannot_make_a_valid_document_is_not_exported(
    tmp_path: Path,
) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE)
    broken = {**INITIALE, "patient.ipp": "999111", "opposition.information": "N"}
    factory.sheet("initiale", broken)
    report = CdaExporter(factory.db, "alice").export(tmp_path / "cda")
    assert [w["patient_ipp"] for w in report.written] == ["4100200300"]
    (problem,) = report.skipped
    assert problem.patient.startswith("Patient IPP 999111")
    assert problem.reason
    assert len(list((tmp_path / "cda").glob("*.xml"))) == 1


def test_the_cda_export_command(factory: Factory, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    home = ["--home", str(factory.home.root)]
    out = tmp_path / "envoi"
    result = run_cli(["records", "export", "--format", "cda", "--output", str(out), *home])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"2 document(s) CDA écrit(s) dans {out}."
    again = run_cli(["records", "export", "--format", "cda", "-o", str(out), *home, "--json"])
    assert json.loads(again.stdout)["unchanged"] == 2
    missing = run_cli(["records", "export", "--format", "cda", *home])
    assert missing.exit_code == 2
    assert missing.stderr == ("Erreur : --format cda écrit un document par patient : donner "
                              "le dossier avec --output DOSSIER.\n")
    bad = run_cli(["records", "export", "--format", "cda", "-o", str(out), "--since",
                   "hier", *home])
    assert bad.exit_code == 2
    assert bad.stderr == "Erreur : Date invalide pour --since : « hier » (attendu AAAA-MM-JJ).\n"


def test_the_cda_export_command_exits_10_when_a_patient_cannot_go(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", {**INITIALE, "opposition.information": "N"})
    result = run_cli(["records", "export", "--format", "cda", "-o", str(tmp_path / "o"),
                      "--home", str(factory.home.root)])
    assert result.exit_code == 10
    assert "Non exporté(s) :" in result.stdout and "Patient IPP 4100200300" in result.stdout


def _break_one_patient(monkeypatch: pytest.MonkeyPatch, ipp: str) -> None:
    """The builder's output for one patient loses its LOINC document code: a defect the
    ANS schematron catches (rule Entete_SDMMR) while the XML Schema still accepts it."""
    real = batch.render_cda

    def render(patient: ExportPatient) -> str:
        xml = real(patient)
        return xml.replace('code="34133-9"', 'code="00000-0"') if ipp in xml else xml

    monkeypatch.setattr(batch, "render_cda", render)


def test_a_document_the_ans_kit_refuses_is_never_written_nor_logged(
    factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_one_patient(monkeypatch, "4100200555")
    out = tmp_path / "cda"
    report = CdaExporter(factory.db, "alice").export(out)
    assert [w["patient_ipp"] for w in report.written] == ["4100200300"]
    (problem,) = report.skipped
    assert (problem.patient, problem.item, problem.reason) == (
        "Patient IPP 4100200555", "document CDA",
        "refusé par le kit de conformité ANS SDM-MR (schématron Entete_SDMMR) ; "
        "document non écrit")
    (written,) = out.glob("*.xml")
    assert "4100200300" in written.read_text(encoding="utf-8")
    with factory.db.session() as session:
        logged = session.scalars(select(ExportLog)).all()
        assert [log.file for log in logged] == [str(written)]
    again = CdaExporter(factory.db, "alice").export(tmp_path / "again")  # still due
    assert again.unchanged == 1 and [p.patient for p in again.skipped] == [
        "Patient IPP 4100200555"]


def test_the_cda_export_command_refuses_an_invalid_document_unless_no_validate(
    factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import run_cli

    _break_one_patient(monkeypatch, "4100200555")
    home = ["--home", str(factory.home.root)]
    checked = run_cli(["records", "export", "--format", "cda", "-o", str(tmp_path / "a"),
                       *home, "--json"])
    assert checked.exit_code == 10
    assert json.loads(checked.stdout)["skipped"] == [{
        "patient": "Patient IPP 4100200555", "item": "document CDA",
        "reason": "refusé par le kit de conformité ANS SDM-MR (schématron Entete_SDMMR) ; "
                  "document non écrit"}]
    assert len(list((tmp_path / "a").glob("*.xml"))) == 1
    unchecked = run_cli(["records", "export", "--format", "cda", "-o", str(tmp_path / "b"),
                         *home, "--no-validate", "--json"])
    assert unchecked.exit_code == 0, unchecked.stderr
    assert [w["patient_ipp"] for w in json.loads(unchecked.stdout)["written"]] == [
        "4100200555"]
    wrong = run_cli(["records", "export", "--format", "json", "--no-validate", *home])
    assert wrong.exit_code == 2
    assert wrong.stderr == ("Erreur : --since, --all et --no-validate ne s’appliquent qu’à "
                            "--format cda.\n")
