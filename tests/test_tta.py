"""The test-time augmentation veto (ocr.tta): a digit read differently when its cell is
nudged sends its field to review; a stable one does not; the veto never raises a
confidence; the reader runs it when it is switched on."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from bordereau.forms.centre import load_centre
from bordereau.forms.layout import build_layout
from bordereau.forms.manifest import Layout
from bordereau.home import Home
from bordereau.ocr import tta
from bordereau.ocr.digits import default_recognizer
from bordereau.ocr.pipeline import ReadOptions, finish_sheet, read_batch
from bordereau.ocr.types import FieldReading
from tests.conftest import LYON, SAMPLES, replay
from tests.test_rules import TODAY, sheet

PX_PER_MM = 10.0  # strokes thinned or thickened by one pixel a side


class InkShare:
    """A real, transparent two-class reader: "1" when under ``limit`` of the crop is
    dark, "7" from it (what a network does at a class boundary, in one line)."""

    version = "ink-share"

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def predict(self, cells: list[np.ndarray]) -> np.ndarray:
        found = np.zeros((len(cells), 11), np.float32)
        for row, cell in enumerate(cells):
            found[row, 7 if float((cell < 128).mean()) >= self.limit else 1] = 1.0
        return found


def block(side: int) -> np.ndarray:
    """A 40 x 40 cell crop with a dark square of ``side`` pixels in its middle, and the
    ``SHIFT_PX`` pixels of blank page around it."""
    m = tta.SHIFT_PX
    image = np.full((40 + 2 * m, 40 + 2 * m), 255, np.uint8)
    a = m + (40 - side) // 2
    image[a:a + side, a:a + side] = 20
    return image


def test_a_cell_whose_variants_disagree_is_unstable() -> None:
    reader = InkShare(limit=0.045)  # 8 x 8 of 40 x 40 is 0.04: a "1", just
    assert reader.predict([block(8)[2:-2, 2:-2]]).argmax() == 1
    counts = tta.unstable(reader, [block(8)], [1], PX_PER_MM)
    names = [name for name, _ in tta.VARIANTS]
    best = reader.predict(tta.variants(block(8), PX_PER_MM)).argmax(axis=1)
    assert best[names.index("dilate")] == 7  # thicker strokes cross the boundary
    assert best[names.index("erode")] == 1
    assert counts == [int((best != 1).sum())] and counts[0] >= 1
    found = tta.probabilities(reader, [block(8)], PX_PER_MM)
    assert tta.mean_differs(found, [1]) == [counts[0] > len(tta.VARIANTS) / 2]


def test_a_cell_far_from_any_boundary_is_stable() -> None:
    assert tta.unstable(InkShare(limit=0.2), [block(8)], [1], PX_PER_MM) == [0]


def test_a_clean_digit_is_stable_for_the_shipped_network() -> None:
    zero = np.full((60, 56), 255, np.uint8)
    cv2.ellipse(zero, (28, 30), (10, 16), 0, 0, 360, 30, 4)
    network = default_recognizer()
    assert network.predict([zero[2:-2, 2:-2]]).argmax() == 0
    assert tta.unstable(network, [zero], [0], 11.8) == [0]
    assert tta.unstable(network, [zero], [8], 11.8) == [len(tta.VARIANTS)]  # read 8: all differ


def test_every_variant_keeps_the_cell_size() -> None:
    found = tta.variants(block(8), PX_PER_MM)
    assert len(found) == len(tta.VARIANTS) == 8
    assert {v.shape for v in found} == {(40, 40)}


@pytest.fixture(scope="module")
def layout() -> Layout:
    return build_layout("initiale", load_centre(LYON))


def date_read(layout: Layout, unstable: list[int]) -> dict[str, FieldReading]:
    fields = sheet(layout)
    born = fields["patient.date_naissance"]
    born.confidence = 0.9966  # every cell above the identity threshold: trusted
    born.details = {"tta": {"cells": list(range(1, 9)), "unstable": unstable}}
    return fields


def test_the_sheet_sends_an_unstable_field_to_review_and_keeps_its_confidence(
        layout: Layout) -> None:
    pages = set(range(1, layout.form.pages + 1))
    done, _ = finish_sheet(layout, list(date_read(layout, [8]).values()), pages, {}, TODAY)
    born = done["patient.date_naissance"]
    assert born.review and born.reason == "lecture instable du chiffre n° 8 : à vérifier"
    assert born.confidence == pytest.approx(0.9966) and born.value == sheet(layout)[
        "patient.date_naissance"].value
    stable, _ = finish_sheet(layout, list(date_read(layout, []).values()), pages, {}, TODAY)
    assert not stable["patient.date_naissance"].review


def test_the_veto_never_raises_a_confidence_nor_trusts(layout: Layout) -> None:
    fields = date_read(layout, [3, 5])
    fields["patient.ipp"].review, fields["patient.ipp"].reason = True, "lecture incertaine"
    fields["patient.ipp"].confidence = 0.4
    fields["patient.ipp"].details = {"tta": {"cells": [1], "unstable": []}}
    before = {k: (v.confidence, v.review, v.value) for k, v in fields.items()}
    assert tta.veto(fields) == ["patient.date_naissance"]
    for key, reading in fields.items():
        confidence, review, value = before[key]
        assert reading.confidence == confidence and reading.value == value
        assert reading.review >= review
    assert fields["patient.ipp"].reason == "lecture incertaine"
    assert fields["patient.date_naissance"].reason == (
        "lecture instable des chiffres n° 3 et 5 : à vérifier")


def test_the_reader_checks_the_fields_it_would_trust(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    scan = SAMPLES / "scans" / "lyon-os" / "recto-verso" / "recto-verso-01.pdf"
    options = ReadOptions(workers=1, engine=replay("samples"))
    monkeypatch.setenv(tta.ENVIRONMENT, "1")
    fields = [f for s in read_batch([scan], Home.open(home, create=False), options).sheets
              for f in s.fields.values()]
    checked = [f for f in fields if "tta" in f.details]
    assert checked and all(f.kind in tta.DIGIT_KINDS for f in checked)
    for found in checked:
        assert found.details["tta"]["cells"]
        if found.details["tta"]["unstable"]:
            assert found.review  # by the veto, or earlier by a sheet rule
        if found.reason and "lecture instable" in found.reason:
            assert found.details["tta"]["unstable"]
    monkeypatch.setenv(tta.ENVIRONMENT, "0")
    fields = [f for s in read_batch([scan], Home.open(home, create=False), options).sheets
              for f in s.fields.values()]
    assert not any("tta" in f.details for f in fields)
