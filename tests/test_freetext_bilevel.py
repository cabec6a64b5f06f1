"""A pencil comment on a fax-like bilevel scan is never dropped silently (issue 9).

The G4 scanner's fixed threshold keeps a light pencil only as specks, each too small to
count as a mark: sheet 000024-G of the annex benchmark (« annexe génétique », field
``genetique.autres_descriptions``) came back empty and trusted. Here a real annexe
génétique is printed, written in pencil by a training-split writer, passed through the
``fax_like_200_g4`` scanner profile, written as a G4 PDF and read back by the reader's own
input, alignment and free-text stages.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bordereau.establishment import Establishment
from bordereau.forms.manifest import FieldLayout, Layout
from bordereau.ocr.aligned import mark_area_mm2, specks_in_a_line
from bordereau.ocr.freetext import BROKEN_SPECKS, FAINT_MM2, LINE_MM, WRITTEN_MM2, read_free_text
from bordereau.ocr.page_reader import Context, LocatedPage, align_page
from bordereau.ocr.pages import iter_pages
from bordereau.ocr.types import FieldReading, PageImage
from bordereau.simulate.degrade import scan
from bordereau.simulate.fill import fill_page, render_pages
from bordereau.simulate.handwriting import Pen, random_writer
from bordereau.simulate.profiles import PRESETS
from bordereau.simulate.scanfile import write_scan
from bordereau.simulate.truth import Answer
from tests.conftest import LYON

DPI = 200  # the fax-like profile's resolution
FIELD = "genetique.autres_descriptions"
TEXT = "Kinesitherapie deux fois par semaine."
PALE_PENCIL = Pen("pencil", 136, 0.25)  # a light pencil (pencils are drawn 95-140)

Printed = tuple[Path, Layout, np.ndarray]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    """A blank annexe génétique of a home, its page rendered at 200 dpi."""
    folder = tmp_path_factory.mktemp("fax")
    establishment = Establishment(folder / "home")
    establishment.print_forms(LYON, "annexe_genetique", 1, folder / "annexe.pdf")
    layout = establishment.layout(LYON, "annexe_genetique")
    return folder, layout, next(render_pages(folder / "annexe.pdf", DPI))


def the_field(layout: Layout) -> FieldLayout:
    return next(f for f in layout.fields if f.id == FIELD)


def fax_read(printed: Printed, text: str | None, seed: int) -> FieldReading:
    """The comment zone read from a G4 fax-like scan of the page with ``text`` written
    in a pale pencil (or left blank), the scan drawn from ``seed``."""
    folder, layout, blank = printed
    field = the_field(layout)
    page = blank.copy()
    rng = random.Random(seed)
    writer = replace(random_writer(rng, "train"), pen=PALE_PENCIL)
    answers = {FIELD: Answer(kind="free_text", value=text, text=text)} if text else {}
    fill_page(page, layout, field.page, answers, writer, rng, DPI)
    params = PRESETS["fax_like_200_g4"].sample(rng)
    scanned, _ = scan(page, params, rng.getrandbits(31))
    [pdf] = write_scan([scanned], folder / f"fax-{seed}-{bool(text)}.pdf", "pdf-g4", DPI)
    [image] = list(iter_pages(pdf))
    assert isinstance(image, PageImage) and image.bilevel
    aligned = align_page(image, Context(folder / "home"))
    assert isinstance(aligned, LocatedPage)
    return read_free_text(aligned, field)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_pale_pencil_comment_broken_by_a_fax_scan_goes_to_review(
        printed: Printed, seed: int) -> None:
    reading = fax_read(printed, TEXT, seed)
    # the scan kept the writing as specks only: less than a mark, less than a faint mark
    assert reading.details["ink_mm2"] < WRITTEN_MM2  # type: ignore[operator]
    assert reading.details["faint_mm2"] < FAINT_MM2  # type: ignore[operator]
    assert (reading.value, reading.review) == (None, True)
    assert reading.reason == "traits fragmentés dans la zone de texte : à vérifier"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_blank_comment_zone_on_the_same_fax_scans_is_not_flagged(
        printed: Printed, seed: int) -> None:
    reading = fax_read(printed, None, seed)
    assert (reading.value, reading.review, reading.reason) == (None, False, None)
    assert reading.details["specks"] == 0


def test_specks_count_as_writing_only_along_a_line() -> None:
    px_per_mm = DPI / 25.4
    height, width = round(20 * px_per_mm), round(188 * px_per_mm)  # the annex's comment box

    def specks_at(points: list[tuple[float, float]]) -> np.ndarray:
        mask = np.zeros((height, width), bool)
        for x_mm, y_mm in points:
            x, y = round(x_mm * px_per_mm), round(y_mm * px_per_mm)
            mask[y:y + 2, x:x + 2] = True  # a 2 × 2 pixel speck
        return mask

    along_a_line = specks_at([(10 + 8 * i, 6 + 0.2 * (i % 3)) for i in range(12)])
    scattered = specks_at([(10 + 8 * i, 1 + 1.6 * i) for i in range(12)])  # dust, 20 mm high
    assert mark_area_mm2(along_a_line, px_per_mm) == 0.0  # each one a speck, no mark
    assert specks_in_a_line(along_a_line, px_per_mm, LINE_MM) == 12
    assert specks_in_a_line(scattered, px_per_mm, LINE_MM) < BROKEN_SPECKS
