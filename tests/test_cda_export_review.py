"""``records export --format cda`` on committed records (issue 12): a gene symbol outside the
centre file never skips the patient (valid HGNC symbol: exported; unknown: listed in
``to_review``), and a date order a reviewer confirmed in the queue is exported, while the
same order never reviewed is refused with the patient, the item and a French reason; an
implausible measurement is never trusted at reading and exported once a reviewer kept it."""

from __future__ import annotations

import json
from pathlib import Path

from bordereau.export.ans import validator
from bordereau.export.batch import CdaExporter
from bordereau.review.queue import Queue
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, SUIVI, Factory


def export_json(factory: Factory, out: Path) -> tuple[int, dict[str, object]]:
    result = run_cli(["records", "export", "--format", "cda", "-o", str(out), "--json",
                      "--home", str(factory.home.root)])
    return result.exit_code, json.loads(result.stdout)


def test_a_gene_outside_the_centre_file_never_skips_the_patient(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", {**INITIALE, "diagnostic1.gene1": "CFTR"})
    factory.sheet("initiale", {**INITIALE, "patient.ipp": "4100200555",
                               "patient.nom_naissance": "BERNARD", "diagnostic1.gene1": "QQQ42"})
    code, report = export_json(factory, tmp_path / "cda")
    assert code == 0  # before: exit 10, "gène « CFTR » absent des gènes du fichier de centre"
    assert report["skipped"] == []
    assert sorted(w["patient_ipp"] for w in report["written"]) == [  # type: ignore[index, union-attr]
        "4100200300", "4100200555"]
    assert report["to_review"] == [{
        "patient": "Patient IPP 4100200555 (BERNARD LEA)",
        "item": "Gène (symbole HGNC) [diagnostic1.gene1, fiche initiale]",
        "reason": "gène « QQQ42 » absent des symboles HGNC approuvés (2024-07-23) : gène non "
                  "transmis, à vérifier"}]
    files = sorted((tmp_path / "cda").glob("*.xml"))
    assert all(validator().check_file(f).valid for f in files)
    texts = [f.read_text(encoding="utf-8") for f in files]
    assert sum('code="HGNC:1884"' in t for t in texts) == 1 and not any("QQQ42" in t
                                                                          for t in texts)
    text = run_cli(["records", "export", "--format", "cda", "-o", str(tmp_path / "again"),
                    "--all", "--home", str(factory.home.root)])
    assert text.exit_code == 0
    assert ("À vérifier (valeurs non transmises, document écrit sans elles) :\n"
            "  Patient IPP 4100200555 (BERNARD LEA) — Gène (symbole HGNC) [diagnostic1.gene1, "
            "fiche initiale] : gène « QQQ42 » absent") in text.stdout


def test_a_date_order_is_exported_once_a_reviewer_confirmed_it(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    early = {**INITIALE, "activite.date": "2022-12-20"}  # inclusion 2023-01-09
    reason = "la date d’inclusion (09/01/2023) est après la date de l’activité (20/12/2022)"
    confirmed = factory.sheet("initiale", early, doubtful={"activite.date": reason})
    queue = Queue(factory.db, "bob")
    items = queue.items(serial=confirmed.serial)
    assert "activite.date" in {i.field_id for i in items}
    for item in items:  # the reviewer keeps the dates as written
        queue.accept(item.id)
    # Another patient: his fiche de suivi's activity predates his inclusion. The reading
    # rules cannot see it (the inclusion is on the fiche initiale): trusted, never reviewed.
    other = {"patient.ipp": "4100200555", "patient.nom_naissance": "BERNARD"}
    factory.sheet("initiale", {**INITIALE, **other})
    factory.sheet("suivi", {**SUIVI, **other, "activite.date": "2022-11-05"})
    report = CdaExporter(factory.db, "alice").export(tmp_path / "cda")
    assert [w["patient_ipp"] for w in report.written] == ["4100200300"]
    (problem,) = report.skipped
    assert problem.patient == "Patient IPP 4100200555 (BERNARD LEA)"
    assert problem.item.startswith("Activité (fiche de suivi du ")
    assert problem.item.endswith(") — Date de l’activité")
    assert problem.reason == (
        "antérieure à la date d’inclusion dans le site (05/11/2022 < 09/01/2023) : à corriger, "
        "ou à confirmer en vérification (bordereau review)")
    (written,) = (tmp_path / "cda").glob("*.xml")
    assert validator().check_file(written).valid


def test_an_implausible_measure_is_exported_only_once_a_reviewer_confirmed_it(
        tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    big = factory.sheet("initiale", {**INITIALE, "neonatal.perimetre_cranien": "98"})
    # Another patient's 9 g birth weight, read with confidence: the sheet rules distrust it.
    other = {"patient.ipp": "4100200555", "patient.nom_naissance": "BERNARD"}
    light = factory.sheet("initiale", {**INITIALE, **other, "neonatal.poids": "9"})
    assert (big.status, light.status) == ("waiting_review", "waiting_review")
    queue = Queue(factory.db, "bob")
    (item,) = queue.items(serial=light.serial)
    assert (item.field_id, item.reason) == ("neonatal.poids", "lu « 9 » : 9 g hors de "
                                            "l’intervalle plausible 300–6500 g (INTERGROWTH-21st "
                                            "; ENP 2021 / OMS)")
    for item in queue.items(serial=big.serial):  # the reviewer checked the paper: 98 it is
        queue.accept(item.id)
    report = CdaExporter(factory.db, "alice").export(tmp_path / "cda")
    assert [w["patient_ipp"] for w in report.written] == ["4100200300"]
    assert report.skipped == []  # the 9 g sheet waits in the queue, it is not a record yet
    (written,) = (tmp_path / "cda").glob("*.xml")
    assert validator().check_file(written).valid
    assert 'value="98" unit="cm"' in written.read_text(encoding="utf-8")
