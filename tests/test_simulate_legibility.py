"""The simulator's truth follows what the scan kept: a light pencil that a G4 scanner's
fixed threshold erased is ``expect="lost"``, not a value the reader is counted wrong for
reading as empty (bench_read.py, annexe identité 000022-C: five "silent errors" on a page
where the scan held no handwriting at all)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from bordereau.forms.centre import load_centre
from bordereau.forms.manifest import Layout
from bordereau.simulate import handwriting as hw
from bordereau.simulate.evaluate import FieldOutcome, summarise
from bordereau.simulate.fill import fill_page, render_pages
from bordereau.simulate.legibility import lost_fields
from bordereau.simulate.printer import Printer
from bordereau.simulate.truth import Answer, ScanParams
from bordereau.simulate.values import plan_sheet
from tests.conftest import LYON

DPI = 200.0
# the fax scan of that page: its fixed threshold, blur and noise
FAX = ScanParams(profile="fax_like_200_g4", dpi=DPI, skew_deg=-1.58, blur_sigma=0.784,
                 noise_sigma=5.36, binarise=151)


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, np.ndarray]:
    folder = tmp_path_factory.mktemp("identite")
    forms = Printer.open(LYON, folder / "home")
    forms.generate("annexe_identite", 1, folder / "annexe.pdf")
    return forms.layout("annexe_identite"), next(iter(render_pages(folder / "annexe.pdf", DPI)))


def filled(blank: tuple[Layout, np.ndarray], pen: hw.Pen) -> tuple[dict[str, Answer], np.ndarray]:
    """The annexe identité written by one writer with ``pen``."""
    layout, page = blank
    rng = random.Random(22)
    answers, _, _ = plan_sheet(layout, load_centre(LYON).centre, rng, today=date(2026, 12, 1))
    writer = replace(hw.random_writer(rng, "train"), pen=pen)
    written = page.copy()
    fill_page(written, layout, 1, answers, writer, rng, DPI)
    return answers, written


def test_a_pencil_the_fax_threshold_erased_is_lost_a_ballpoint_is_not(
        blank: tuple[Layout, np.ndarray]) -> None:
    layout, page = blank
    answers, written = filled(blank, hw.Pen("pencil", 136, 0.27))
    handwritten = {f.id for f in layout.fields_on(1) if f.kind != "label_zone"
                   and answers[f.id].written}
    assert len(handwritten) >= 3
    lost = set(lost_fields(layout, 1, answers, page, written, FAX, 7, DPI, True))
    # every written comb is lost; a pencil cross in a check box may keep a few specks where
    # it crosses the noise (annexe identité v2: « naissance multiple » keeps 8-12 % of its
    # ink, the bench page's fields moved up by the shorter help text above them)
    combs = {f for f in handwritten if layout.field(f).cells_mm}
    assert len(combs) >= 3 and combs <= lost <= handwritten
    assert len(lost) >= len(handwritten) - 1
    answers, written = filled(blank, hw.Pen("blue", 80, 0.4))
    assert lost_fields(layout, 1, answers, page, written, FAX, 7, DPI, True) == []
    # a grey scan keeps the pencil: nothing is ever lost there
    grey = FAX.model_copy(update={"binarise": None})
    answers, written = filled(blank, hw.Pen("pencil", 136, 0.27))
    assert lost_fields(layout, 1, answers, page, written, grey, 7, DPI, False) == []


def test_a_lost_field_is_neither_right_nor_wrong_in_the_figures() -> None:
    def outcome(expect: str) -> FieldOutcome:
        return FieldOutcome(serial="000022-C", field_id="patient.nom_naissance", kind="letters",
                            expect=expect, truth="CARPENTIER", value=None, confidence=0.95,
                            review=False, reason=None)

    assert summarise([outcome("read")])["letters"]["trusted_wrong"] == 1
    row = summarise([outcome("lost")])["letters"]
    assert (row["clean"], row["trusted_wrong"], row["lost"]) == (0, 0, 1)
