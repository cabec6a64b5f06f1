"""A simulated batch of one annex kind, read, then reviewed to its truth: what the annex
reading tests (grossesse et fœtus, traitements) share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bordereau.base.ingest import Ingestor
from bordereau.home import Home
from bordereau.ocr.engine import EngineSpec
from bordereau.ocr.pipeline import ReadOptions, ReadResult, read_batch
from bordereau.review.queue import Queue
from bordereau.review.values import format_value
from bordereau.simulate.batch import make_batch
from bordereau.simulate.truth import BatchTruth
from bordereau.simulate.values import FillOptions
from tests.conftest import LYON
from tests.factories import INITIALE, Factory

CLEAN = FillOptions(optional_sections=0.5, required_missing=0, inconsistency_rate=0,
                    ambiguity_rate=0, cancel_rate=0, partial_date_rate=0)
Batch = tuple[Factory, BatchTruth, Path]


def simulate(tmp_path_factory: pytest.TempPathFactory, kind: str) -> Batch:
    """Six clean 200 dpi scans of ``kind`` for the Lyon centre (fixed seed: the OCR
    recordings of the tests hold their crops)."""
    root = tmp_path_factory.mktemp(kind)
    factory = Factory(root, LYON)
    truth = make_batch(LYON, root / "home", root / "scans", sheets=6, kinds=(kind,),
                       split="eval", profile="clean_300", fmt="png", dpi=200, seed=12,
                       fill=CLEAN)
    return factory, truth, root / "scans"


def read(batch: Batch, engine: EngineSpec) -> ReadResult:
    factory, _, scans = batch
    return read_batch([scans], Home.open(factory.root / "home", create=False),
                      ReadOptions(workers=1, engine=engine))


def written(truth: BatchTruth, field_id: str) -> list[Any]:
    return [s.fields[field_id].value for s in truth.sheets if field_id in s.fields]


def ingest_and_review_to_truth(batch: Batch, engine: EngineSpec, letter: str,
                               initiale: dict[str, Any] | None = None) -> None:
    """The patients' fiches initiales (``INITIALE``, updated by ``initiale``) in the base, the
    annexes ingested, every queued item accepted or set to what was written; nothing left
    pending."""
    factory, truth, scans = batch
    for sheet in truth.sheets:
        value = {k: sheet.fields[k].value for k in
                 ("patient.ipp", "patient.nom_naissance", "patient.date_naissance")}
        factory.sheet("initiale", INITIALE | (initiale or {}) | value)
    Ingestor(factory.db, "secretariat", engine=engine).ingest([scans], workers=1)
    queue = Queue(factory.db, "alice")
    sheets = {s.serial: s for s in truth.sheets}
    for item in queue.items(status="pending"):
        assert item.serial.endswith(f"-{letter}")
        want = sheets[item.serial].fields[item.field_id].value
        if item.value == want:
            queue.accept(item.id)
        else:
            queue.set(item.id, format_value(queue.field_of(item.id), want) or "vide")
    assert queue.items(status="pending") == []
