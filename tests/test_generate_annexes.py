"""Annex sheets printed with their fiche initiale (``forms generate --annexe``): each fiche
is followed by its annex, signed with the same serial and the annex's own kind and layout,
every box drawn where the annex manifest says, French headers naming the fiche."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pdfplumber
import pytest

from bordereau.establishment import Establishment
from bordereau.forms.codes import parse_payload
from bordereau.forms.manifest import Layout
from tests.conftest import LYON
from tests.test_generate import MM_PER_PT, decode_qr, render

Printed = tuple[Establishment, Layout, Layout, Path]
# --annexe name: kind letter, the title, a label of the annex (printed in French)
ANNEXES = {
    "statut": ("F", "Annexe statut fonctionnel", "Qualificatif (étendue de la déficience)"),
    "grossesse": ("P", "Annexe grossesse et fœtus", "Issue de la grossesse (grossesse terminée)"),
    "traitements": ("T", "Annexe traitements", "Code ATC (ex. A16AX07)"),
}


@pytest.fixture(scope="module", params=list(ANNEXES))
def printed(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Printed:
    folder = tmp_path_factory.mktemp("annexes")
    est = Establishment(folder / "home")
    output = folder / "fiches.pdf"
    result = est.print_forms(LYON, "initiale", 2, output, [request.param])
    (annex,) = result.annexes
    return est, est.layout(LYON, "initiale"), annex, output


def texts(annex: Layout) -> tuple[str, str, str]:
    return next(v for k, v in ANNEXES.items() if annex.form.kind == f"annexe_{k}")


def test_each_fiche_is_followed_by_its_annex_signed_with_the_same_serial(
        printed: Printed) -> None:
    est, fiche, annex, pdf = printed
    per_sheet = fiche.form.pages + annex.form.pages
    pages = render(pdf, 200)
    assert len(pages) == 2 * per_sheet == 12
    for n, image in enumerate(pages):
        serial, index = n // per_sheet + 1, n % per_sheet
        layout = fiche if index < fiche.form.pages else annex
        number = index + 1 if layout is fiche else index - fiche.form.pages + 1
        for zone in layout.pages[number - 1].codes:
            code = parse_payload(decode_qr(image, zone.box_mm, 200))
            assert code.verify(est.home.secret)
            assert (code.kind, code.layout_id, code.serial, code.page, code.pages) == (
                layout.form.kind, layout.form.layout_id, serial, number, layout.form.pages)
            letter = texts(annex)[0]
            expected = f"{serial:06d}-{letter}" if layout is annex else f"{serial:06d}"
            assert code.sheet == expected and code.fiche == f"{serial:06d}"


def test_the_annex_is_drawn_where_its_manifest_says_with_french_headers(
        printed: Printed) -> None:
    _, fiche, annex, pdf = printed
    with pdfplumber.open(pdf) as document:
        page = document.pages[fiche.form.pages]  # the first annex page, serial 000001
        text = page.extract_text()
        drawn = np.array([(r["x0"] * MM_PER_PT, r["top"] * MM_PER_PT, r["width"] * MM_PER_PT,
                           r["height"] * MM_PER_PT) for r in [*page.rects, *page.curves]])
    _, title, label = texts(annex)
    assert f"Bordereau SDM-MR — {title}" in text
    assert "Annexe du bordereau n° 000001 · page 1/1" in text
    assert "Coller l’étiquette patient ici" in text
    assert label in text
    ids = [f.id for f in annex.fields]
    assert ids[:4] == ["patient.etiquette", "patient.date_naissance", "patient.ipp",
                       "patient.nom_naissance"]
    assert annex.field("patient.ipp").required
    for field in annex.fields:
        boxes = [*(field.cells_mm or ()), *(c.box_mm for c in field.choices or ())]
        boxes += [field.box_mm] if field.box_mm else []
        for box in boxes:
            assert np.abs(drawn - np.array(box)).max(axis=1).min() <= 0.2, (field.id, box)


def test_annex_fields_do_not_overlap(printed: Printed) -> None:
    _, _, annex, _ = printed
    boxes = []
    for field in annex.fields:
        boxes += [*(field.cells_mm or ()), *(c.box_mm for c in field.choices or ())]
        boxes += [field.box_mm] if field.box_mm else []
    for i, (x, y, w, h) in enumerate(boxes):
        for a, b, c, d in boxes[i + 1:]:
            assert x + w <= a + 0.01 or a + c <= x + 0.01 or y + h <= b + 0.01 \
                or b + d <= y + 0.01, ((x, y, w, h), (a, b, c, d))
