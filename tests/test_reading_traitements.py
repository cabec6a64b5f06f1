"""The annexe traitements from paper to BaMaRa: simulated filled annexes (printed, filled by
hand and scanned by ``bordereau.simulate``) are read as sheets ``<serial>-T`` with no value
trusted wrong; ingested for their patients (whose fiches initiales are in the base),
reviewed (a simulated reviewer types the written value where the reader was wrong or
unsure), committed and exported, they give documents the ANS kit and the vendored rules of
the section FR-Traitements-maladies-rares accept, carrying the treatments written on paper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from tests.test_cda_traitements import ENTRIES, MATERIAL

ENGINE = replay("simulated-traitements")
BLOCKS = ("traitement1", "traitement2", "traitement3", "traitement4")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    return simulate(tmp_path_factory, "annexe_traitements")


@pytest.fixture(scope="module")
def read(batch: Batch) -> ReadResult:
    return read_annexes(batch, ENGINE)


def test_the_simulated_annexes_cover_ongoing_and_stopped_treatments(batch: Batch) -> None:
    _, truth, _ = batch
    def every(item: str) -> list[Any]:
        return [v for block in BLOCKS for v in written(truth, f"{block}.{item}")]

    assert any(every("date_fin"))  # stopped
    assert None in every("date_fin")  # in progress
    assert any(written(truth, "traitement2.atc"))  # more than one treatment
    assert any(every("ema"))


def test_annex_pages_are_sheets_named_serial_dash_t_and_nothing_is_trusted_wrong(
        batch: Batch, read: ReadResult) -> None:
    _, truth, scans = batch
    outcome = compare(read, truth, scans)
    assert outcome["pages"]["wrong"] == []
    assert sorted(s.serial for s in read.sheets) == [f"00000{n}-T" for n in range(1, 7)]
    assert {s.kind for s in read.sheets} == {"annexe_traitements"}
    fields = [f for f in outcome["fields"] if f.truth is not None and f.expect != "review"]
    wrong = [(f.serial, f.field_id, f.truth, f.value) for f in fields
             if not f.review and not f.right]
    assert wrong == []
    codes = [f for f in fields if f.field_id.endswith(".atc")]
    assert len(codes) >= 4 and sum(f.right and not f.review for f in codes) >= 2


def test_read_reviewed_committed_exported_and_valid(batch: Batch, tmp_path: Path) -> None:
    factory, truth, _ = batch
    ingest_and_review_to_truth(batch, ENGINE, "T")
    out = tmp_path / "cda"
    report = CdaExporter(factory.db, "alice").export(out)
    assert report.skipped == [] and len(report.written) == len(truth.sheets)
    for entry in report.written:
        path = out / entry["file"]
        assert validator().check_file(path).valid
        root = etree.parse(str(path)).getroot()
        ipp = root.xpath("string(//h:recordTarget//h:id/@extension)", namespaces=NS)
        (sheet,) = [s for s in truth.sheets if s.fields["patient.ipp"].value == ipp]
        f = {k: a.value for k, a in sheet.fields.items()}
        described = [b for b in BLOCKS if any(f.get(f"{b}.{i}") for i in
                                              ("medicament", "atc", "ema"))]
        entries = root.xpath(ENTRIES, namespaces=NS)
        assert len(entries) == len(described)
        for node, block in zip(entries, described, strict=True):
            s = lambda path, n=node: str(n.xpath(f"string({path})", namespaces=NS))  # noqa: E731
            assert s(f"{MATERIAL}/h:name") == (f[f"{block}.medicament"] or "")
            atc = f[f"{block}.atc"]
            codes = node.xpath(f"{MATERIAL}/h:code/@code | {MATERIAL}/h:code/h:translation"
                               "/@code", namespaces=NS)
            assert [c for c in codes if "/" not in c] == ([atc] if atc else [])
            ema = f[f"{block}.ema"]
            assert (f"EMEA/H/C/{ema}" in codes) == bool(ema)
            assert s("h:effectiveTime/h:low/@value") == (f[f"{block}.date_debut"] or ""
                                                         ).replace("-", "")
            assert s("h:effectiveTime/h:high/@value") == (f[f"{block}.date_fin"] or ""
                                                          ).replace("-", "")


def test_treatment_contradictions_go_to_review_at_reading() -> None:
    def flagged(**values: object) -> dict[str, str | None]:
        fields = {fid.replace("__", "."): FieldReading(
            id=fid.replace("__", "."), kind="digits", value=value, confidence=0.99,
            review=False, reason=None, page=1) for fid, value in values.items()}
        check_identifiers(fields)
        return {f: r.reason for f, r in fields.items() if r.review}

    assert flagged(traitement1__medicament="SAPROPTERINE", traitement1__atc="A16AX07",
                   traitement1__ema="000943", traitement1__date_debut="2023-05-02",
                   traitement1__arrete=True, traitement1__date_fin="2024-01-15",
                   traitement2__medicament=None, traitement2__arrete=False) == {}
    atc = "code ATC invalide (une lettre, 2 chiffres, 2 lettres, 2 chiffres : ex. A16AX07)"
    assert flagged(traitement1__medicament="SAPROPTERINE", traitement1__atc="A16AX7") == {
        "traitement1.atc": atc}
    assert flagged(traitement1__medicament="SAPROPTERINE", traitement1__atc="A1GAX07") == {
        "traitement1.atc": atc}
    assert flagged(traitement2__medicament="DECITABINE", traitement2__ema="2221") == {
        "traitement2.ema": "n° EMA incomplet (6 chiffres après EMEA/H/C/)"}
    assert flagged(traitement1__medicament=None, traitement1__date_debut="2023-05-02") == {
        "traitement1.medicament": "traitement sans nom de médicament ni code"}
    end = "date d’arrêt (01/2023) avant la date de début (02/05/2023)"
    assert flagged(traitement3__medicament="NUSINERSEN", traitement3__date_debut="2023-05-02",
                   traitement3__arrete=True, traitement3__date_fin="2023-01") == {
        "traitement3.date_debut": end, "traitement3.date_fin": end}
    assert flagged(traitement1__medicament="NUSINERSEN", traitement1__arrete=True,
                   traitement1__date_fin=None) == {
        "traitement1.arrete": "traitement arrêté sans date d’arrêt",
        "traitement1.date_fin": "traitement arrêté sans date d’arrêt"}
    reason = "date d’arrêt écrite mais « arrêté » non coché"
    assert flagged(traitement4__medicament="NUSINERSEN", traitement4__arrete=False,
                   traitement4__date_fin="2024-01-15") == {
        "traitement4.arrete": reason, "traitement4.date_fin": reason}
