"""The layout manifest: complete, inside the printable area, nothing overlapping, stable."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from bordereau.errors import InputError
from bordereau.forms.centre import load_centre
from bordereau.forms.layout import build_layout
from bordereau.forms.manifest import Box, Layout
from bordereau.forms.model import CHOICE_KINDS, COMB_KINDS, load_form
from tests.conftest import LYON, MARSEILLE

CENTRES = [LYON, MARSEILLE]
KINDS = ["initiale", "suivi"]


def boxes_of(layout: Layout) -> list[tuple[int, str, Box]]:
    found = []
    for field in layout.fields:
        for box in field.cells_mm or ():
            found.append((field.page, field.id, box))
        for choice in field.choices or ():
            found.append((field.page, f"{field.id}={choice.code}", choice.box_mm))
        if field.box_mm:
            found.append((field.page, field.id, field.box_mm))
    return found


def overlap(a: Box, b: Box) -> bool:
    return not (a[0] + a[2] <= b[0] + 1e-6 or b[0] + b[2] <= a[0] + 1e-6
                or a[1] + a[3] <= b[1] + 1e-6 or b[1] + b[3] <= a[1] + 1e-6)


@pytest.fixture(scope="module", params=[(c, k) for c in CENTRES for k in KINDS],
                ids=lambda p: f"{p[0].stem}-{p[1]}")
def layout(request: pytest.FixtureRequest) -> Layout:
    centre, kind = request.param
    return build_layout(kind, load_centre(centre))


def test_every_item_of_the_form_has_a_field(layout: Layout) -> None:
    form = load_form(layout.form.kind)
    assert [f.id for f in layout.fields] == [i.id for i in form.items]


def test_fields_have_the_geometry_of_their_kind(layout: Layout) -> None:
    for field in layout.fields:
        if field.kind in CHOICE_KINDS:
            assert field.choices and not field.cells_mm
        elif field.kind in COMB_KINDS:
            assert field.cells_mm and not field.choices
            assert len(field.cells_mm) == (8 if field.kind == "date" else len(field.cells_mm))
        else:
            assert field.box_mm


def test_four_anchors_inside_printable_margins_and_two_diagonal_codes(layout: Layout) -> None:
    for page in layout.pages:
        assert [a.id for a in page.anchors] == [0, 1, 2, 3]
        for anchor in page.anchors:
            x, y = anchor.center_mm
            half = anchor.size_mm / 2
            assert x - half >= 8 and y - half >= 8
            assert x + half <= 210 - 8 and y + half <= 297 - 8
        corners = {code.corner for code in page.codes}
        assert corners == {"top_right", "bottom_left"}
        for code in page.codes:
            x, y, w, h = code.box_mm
            assert x >= 8 and y >= 8 and x + w <= 202 and y + h <= 289


def test_no_box_overlaps_another_or_a_marker_or_a_code(layout: Layout) -> None:
    boxes = boxes_of(layout)
    for (p1, n1, b1), (p2, n2, b2) in itertools.combinations(boxes, 2):
        assert p1 != p2 or not overlap(b1, b2), (n1, n2)
    for page, name, box in boxes:
        frame = layout.pages[page - 1]
        for anchor in frame.anchors:
            (cx, cy), s = anchor.center_mm, anchor.size_mm
            assert not overlap(box, (cx - s / 2 - 2, cy - s / 2 - 2, s + 4, s + 4)), name
        for code in frame.codes:
            x, y, w, h = code.box_mm
            assert not overlap(box, (x - 2, y - 2, w + 4, h + 4)), name
        assert box[0] >= 8 and box[1] >= 8 and box[0] + box[2] <= 202 and box[1] + box[3] <= 289


def test_comb_cells_are_big_enough_to_write_in(layout: Layout) -> None:
    for field in layout.fields:
        for _, _, w, h in field.cells_mm or ():
            assert w >= 4.5 and h >= 6
        for choice in field.choices or ():
            assert choice.box_mm[2] >= 3.5


def test_suivi_is_one_page_initiale_several() -> None:
    for centre in CENTRES:
        assert build_layout("suivi", load_centre(centre)).form.pages == 1
        assert build_layout("initiale", load_centre(centre)).form.pages >= 3


def test_layout_is_deterministic_and_round_trips_as_json() -> None:
    first = build_layout("initiale", load_centre(LYON))
    second = build_layout("initiale", load_centre(LYON))
    assert first.form.layout_id == second.form.layout_id
    assert len(first.form.layout_id) == 8
    again = Layout.model_validate_json(first.to_json())
    assert again == first
    data = json.loads(first.to_json())
    assert set(data) == {"manifest_version", "form", "pages", "fields"}
    assert data["form"]["page_size_mm"] == [210.0, 297.0]


def test_a_different_centre_gives_a_different_layout_id() -> None:
    lyon = build_layout("initiale", load_centre(LYON))
    marseille = build_layout("initiale", load_centre(MARSEILLE))
    assert lyon.form.layout_id != marseille.form.layout_id
    assert len(lyon.field("patient.ipp").cells_mm or ()) == 10
    assert len(marseille.field("patient.ipp").cells_mm or ()) == 8


def test_thesaurus_and_referents_become_choices() -> None:
    layout = build_layout("initiale", load_centre(LYON))
    codes = [c.code for c in layout.field("diagnostic1.maladie").choices or ()]
    assert codes[:3] == ["666", "15", "429"]
    referents = layout.field("prise_en_charge.medecin_referent").choices or ()
    assert [c.code for c in referents] == ["10000999010", "10000999028", "10000999036"]
    assert {c.system for c in referents} == {"1.2.250.1.71.4.2.1"}


def test_a_suivi_that_cannot_fit_one_page_is_refused(tmp_path: Path) -> None:
    text = LYON.read_text(encoding="utf-8").split("referents:")[0] + "referents:\n"
    for rpps in ("10000999010", "10000999028", "10000999036", "10000999119", "10000999127",
                 "10000999135"):
        text += f'  - {{nom: "Dr Marie-Hélène de La Rochefoucauld", rpps: "{rpps}"}}\n'
    text += "thesaurus:\n"
    for n in range(12):
        label = f"Maladie rare au nom vraiment très long et détaillé, forme {n}, type adulte"
        text += f'  - {{orpha: {1000 + n}, libelle: "{label}"}}\n'
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        build_layout("suivi", load_centre(path))
    assert info.value.message.startswith("La fiche de suivi ne tient pas sur 1 page")
