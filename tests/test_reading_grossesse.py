"""The annexe grossesse et fœtus from paper to BaMaRa: simulated filled annexes (printed,
filled by hand and scanned by ``bordereau.simulate``) are read as sheets ``<serial>-P``
with no value trusted wrong; ingested for their patients (whose fiches initiales are in
the base), reviewed (a simulated reviewer types the written value where the reader was
wrong or unsure), committed and exported, they give documents the ANS kit accepts, carrying
the pregnancy and fœtus written on paper (issues as codes of JDV_IssueGrossesse)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from bordereau.export.ans import validator
from bordereau.export.batch import CdaExporter
from bordereau.ocr.pipeline import ReadResult
from bordereau.ocr.rules import check_identifiers
from bordereau.ocr.types import FieldReading
from bordereau.simulate.evaluate import compare
from tests.annex_batches import Batch, ingest_and_review_to_truth, simulate, written
from tests.annex_batches import read as read_annexes
from tests.conftest import replay
from tests.test_cda import NS
from tests.test_cda_grossesse import BIRTHS, ISSUE_SET, SECTION

ENGINE = replay("simulated-grossesse")
ACTIVITY = "//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.76']/h:entry/h:encounter"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    return simulate(tmp_path_factory, "annexe_grossesse")


@pytest.fixture(scope="module")
def read(batch: Batch) -> ReadResult:
    return read_annexes(batch, ENGINE)


def test_the_simulated_annexes_cover_both_kinds_of_pregnancy(batch: Batch) -> None:
    _, truth, _ = batch
    assert any(written(truth, "grossesse.date_fin"))  # ended
    assert None in written(truth, "grossesse.date_fin")  # in progress
    assert any(written(truth, "foetus2.ipp"))  # twins
    assert any(written(truth, "foetus1.issue"))


def test_annex_pages_are_sheets_named_serial_dash_p_and_nothing_is_trusted_wrong(
        batch: Batch, read: ReadResult) -> None:
    _, truth, scans = batch
    outcome = compare(read, truth, scans)
    assert outcome["pages"]["wrong"] == []
    assert sorted(s.serial for s in read.sheets) == [f"00000{n}-P" for n in range(1, 7)]
    assert {s.kind for s in read.sheets} == {"annexe_grossesse"}
    fields = [f for f in outcome["fields"] if f.truth is not None and f.expect != "review"]
    wrong = [(f.serial, f.field_id, f.truth, f.value) for f in fields
             if not f.review and not f.right]
    assert wrong == []
    issues = [f for f in fields if f.field_id.endswith(".issue")]
    assert len(issues) >= 2 and all(f.right and not f.review for f in issues)
    # « sujet de l’activité / de la prise en charge » (v2): every box read as written
    subjects = [f for f in fields if ".sujet_" in f.field_id]
    assert len(subjects) == 4 * len(truth.sheets)
    assert all(f.right and not f.review for f in subjects)
    assert [(f.serial, f.field_id) for f in subjects if f.value] == [
        ("000001-P", "foetus1.sujet_activite"), ("000002-P", "foetus2.sujet_activite"),
        ("000002-P", "foetus2.sujet_pec"), ("000003-P", "foetus1.sujet_activite")]


def test_read_reviewed_committed_exported_and_valid(batch: Batch, tmp_path: Path) -> None:
    factory, truth, _ = batch
    ingest_and_review_to_truth(batch, ENGINE, "P")
    out = tmp_path / "cda"
    report = CdaExporter(factory.db, "alice").export(out)
    assert report.skipped == [] and len(report.written) == len(truth.sheets)
    svs = {"s": "urn:ihe:iti:svs:2008"}
    jdv = {c.get("code") for c in etree.parse(str(ISSUE_SET)).xpath("//s:Concept",
                                                                    namespaces=svs)}
    for entry in report.written:
        path = out / entry["file"]
        assert validator().check_file(path).valid
        root = etree.parse(str(path)).getroot()
        ipp = root.xpath("string(//h:recordTarget//h:id/@extension)", namespaces=NS)
        (sheet,) = [s for s in truth.sheets if s.fields["patient.ipp"].value == ipp]
        f = {k: a.value for k, a in sheet.fields.items()}
        (organizer,) = root.xpath(f"{SECTION}/h:entry/h:organizer", namespaces=NS)
        low = organizer.xpath("string(h:effectiveTime/h:low/@value)", namespaces=NS)
        high = organizer.xpath("string(h:effectiveTime/h:high/@value)", namespaces=NS)
        assert low == f["grossesse.date_debut"].replace("-", "")
        assert high == (f["grossesse.date_fin"] or "").replace("-", "")
        count = organizer.xpath("string(.//h:observation[h:code/@code='55281-0']/h:value"
                                "/@value)", namespaces=NS)
        assert count == f["grossesse.nombre_foetus"]
        activity = root.xpath(f"{ACTIVITY}/h:subject//sdtc:id/@extension", namespaces=NS)
        assert activity == [f[f"foetus{n}.ipp"] for n in (1, 2)
                            if f.get(f"foetus{n}.sujet_activite")]
        births = root.xpath(BIRTHS, namespaces=NS)
        blocks = [n for n in (1, 2) if f.get(f"foetus{n}.ipp")]
        assert len(births) == len(blocks)
        for birth, n in zip(births, blocks, strict=True):
            assert birth.xpath("string(.//sdtc:id/@extension)",
                               namespaces=NS) == f[f"foetus{n}.ipp"]
            issue = birth.xpath("h:component/h:observation[h:code/@code='63893-2']/h:value"
                                "/@code", namespaces=NS)
            assert issue == ([f[f"foetus{n}.issue"]] if f[f"foetus{n}.issue"] else [])
            assert set(issue) <= jdv


def test_pregnancy_contradictions_go_to_review_at_reading() -> None:
    def flagged(**values: str | None) -> dict[str, str | None]:
        fields = {fid.replace("__", "."): FieldReading(
            id=fid.replace("__", "."), kind="digits", value=value, confidence=0.99,
            review=False, reason=None, page=1) for fid, value in values.items()}
        check_identifiers(fields)
        return {f: r.reason for f, r in fields.items() if r.review}

    assert flagged(grossesse__nombre_foetus="2", grossesse__date_fin=None,
                   foetus1__ipp="8800000001", foetus2__ipp="8800000002") == {}
    assert flagged(grossesse__nombre_foetus="3", foetus1__ipp="8800000001") == {
        "grossesse.nombre_foetus": "nombre de fœtus à vérifier (3 ; fœtus décrits sur la "
                                   "page : 1)"}
    assert flagged(grossesse__nombre_foetus="1", foetus2__sexe="F") == {
        "grossesse.nombre_foetus": "nombre de fœtus à vérifier (1 ; fœtus décrits sur la "
                                   "page : 1)"}
    reason = "issue de la grossesse écrite sans date de fin de grossesse"
    assert flagged(grossesse__nombre_foetus="1", grossesse__date_fin=None,
                   foetus1__issue="O03") == {"grossesse.date_fin": reason,
                                             "foetus1.issue": reason}
    assert flagged(grossesse__nombre_foetus="1", grossesse__date_fin="2024-01-15",
                   foetus1__ipp="8800000001", foetus1__issue=None) == {
        "foetus1.issue": "issue de la grossesse absente alors que la grossesse est terminée"}
