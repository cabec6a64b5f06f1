"""The annexe identité et famille (version 2) from paper to BaMaRa, for « Mère de l’enfant »:
simulated filled annexes (printed, filled by hand and scanned by ``bordereau.simulate``)
are read as sheets ``<serial>-C``, ingested for their patients, reviewed (a simulated
reviewer types the written value where the reader was wrong or unsure), committed and
exported; each document passes the ANS kit and names the mother written on paper in its
header ``informant`` (relatedEntity CON, RoleCode MTH), and only when one was written."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from bordereau.export.ans import validator
from bordereau.export.batch import CdaExporter
from bordereau.ocr.pipeline import ReadResult
from bordereau.simulate.evaluate import compare
from tests.annex_batches import Batch, ingest_and_review_to_truth, simulate, written
from tests.annex_batches import read as read_annexes
from tests.conftest import replay
from tests.test_cda import NS

ENGINE = replay("simulated-identite")
MOTHER = "/h:ClinicalDocument/h:informant/h:relatedEntity[@classCode='CON'][h:code/@code='MTH']"
# the simulated patients include children born in 2024: their fiches are dated after birth
# every written name read right and trusted (the other three sheets have no mother)
READ = {("000001-C", "mere.nom_naissance"): ("FRANCOIS", False),
        ("000001-C", "mere.premier_prenom"): ("VALERIE", False),
        ("000002-C", "mere.nom_naissance"): ("MARTIN", False),
        ("000002-C", "mere.premier_prenom"): ("MARIE-LOU", False),
        # letters-cnn-v4 reads its O as Q (LECQMTE) under the threshold: reviewed, not trusted
        ("000003-C", "mere.nom_naissance"): ("LECQMTE", True),
        ("000003-C", "mere.premier_prenom"): ("EMILIE", False)}
LATER = {"prise_en_charge.date_inclusion": "2025-06-02", "activite.date": "2025-06-02"}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    return simulate(tmp_path_factory, "annexe_identite")


@pytest.fixture(scope="module")
def read(batch: Batch) -> ReadResult:
    return read_annexes(batch, ENGINE)


def test_the_mother_is_read_as_written(batch: Batch, read: ReadResult) -> None:
    _, truth, scans = batch
    assert written(truth, "mere.nom_naissance") == ["FRANCOIS", "MARTIN", "LECOMTE", None,
                                                   None, None]
    assert written(truth, "mere.premier_prenom")[:3] == ["VALERIE", "MARIE-LOU", "EMILIE"]
    outcome = compare(read, truth, scans)
    assert outcome["pages"]["wrong"] == []
    fields = [f for f in outcome["fields"] if f.truth is not None and f.expect != "review"]
    assert [(f.serial, f.field_id) for f in fields if not f.review and not f.right] == []
    mother = {(f.serial, f.field_id): (f.value, f.review) for f in fields
              if f.field_id.startswith("mere.")}
    assert mother == READ


def test_read_reviewed_committed_exported_with_the_mother_and_valid(
        batch: Batch, tmp_path: Path) -> None:
    factory, truth, _ = batch
    ingest_and_review_to_truth(batch, ENGINE, "C", LATER)
    out = tmp_path / "cda"
    report = CdaExporter(factory.db, "alice").export(out)
    assert report.skipped == [] and len(report.written) == len(truth.sheets)
    mothers = {}
    for entry in report.written:
        path = out / entry["file"]
        assert validator().check_file(path).valid
        root = etree.parse(str(path)).getroot()
        ipp = root.xpath("string(//h:recordTarget//h:id/@extension)", namespaces=NS)
        names = root.xpath(f"{MOTHER}/h:relatedPerson/h:name/*", namespaces=NS)
        mothers[ipp] = [(n.get("qualifier"), n.text) for n in names]
    assert {ipp: m for ipp, m in mothers.items() if m} == {
        "8092752530": [("BR", "FRANCOIS"), ("BR", "VALERIE")],
        "0021825920": [("BR", "MARTIN"), ("BR", "MARIE-LOU")],
        "8925607086": [("BR", "LECOMTE"), ("BR", "EMILIE")]}
