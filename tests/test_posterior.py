"""A comb field's posterior: the probability of its value among the values it may hold
(``ocr.posterior``), from the digit recogniser's per-cell probabilities."""

from __future__ import annotations

from typing import Any

import pytest

from bordereau.forms.centre import load_centre
from bordereau.forms.layout import build_layout
from bordereau.forms.manifest import Layout
from bordereau.ocr import posterior
from bordereau.ocr.pipeline import finish_sheet
from bordereau.ocr.rules import thesaurus_of
from bordereau.ocr.trust import apply_thresholds, thresholds
from bordereau.ocr.types import FieldReading
from tests.conftest import LYON
from tests.test_rules import TODAY, sheet

Top = list[tuple[str, float]]


@pytest.fixture(scope="module")
def layout() -> Layout:
    return build_layout("initiale", load_centre(LYON))


def comb(text: str, doubts: dict[int, Top] | None = None) -> list[dict[str, Any]]:
    """The cells of a comb reading ``text`` (" ": an empty cell): every digit sure at
    0.999 (its rival 0.001) unless ``doubts`` gives a cell's top digits."""
    cells: list[dict[str, Any]] = []
    for n, char in enumerate(text):
        if char == " ":
            cells.append({"ink": 0.0, "char": "", "confidence": 1.0})
            continue
        top = (doubts or {}).get(n) or [(char, 0.999), ("1" if char != "1" else "7", 0.001)]
        cells.append({"ink": 0.1, "char": top[0][0], "confidence": top[0][1],
                      "top": [list(t) for t in top]})
    return cells


def reading(field_id: str, kind: str, value: str, cells: list[dict[str, Any]],
            ) -> FieldReading:
    return FieldReading(id=field_id, kind=kind, value=value,
                        confidence=min(float(c["confidence"]) for c in cells),
                        review=False, details={"cells": cells})


def scored(layout: Layout, found: FieldReading) -> dict[str, float]:
    fields = sheet(layout)
    fields[found.id] = found
    result = posterior.score(found, fields, TODAY, thesaurus_of(layout))
    assert result is not None
    return result


def test_mass_on_impossible_dates_is_not_doubt(layout: Layout) -> None:
    # 15/08/2020, the month's first cell 0 at 0.8, 7 at 0.2: month 78 does not exist
    found = scored(layout, reading("activite.date", "date", "2020-08-15",
                                   comb("15082020", {2: [("0", 0.8), ("7", 0.2)]})))
    assert found["product"] == pytest.approx(0.8 * 0.999 ** 7, abs=1e-6)
    assert found["posterior"] > found["product"] + 0.15
    assert found["posterior"] > 0.99
    # with a valid rival instead (month 08 or 09), the same cells are as doubtful as read
    rival = scored(layout, reading("activite.date", "date", "2020-08-15",
                                   comb("15082020", {3: [("8", 0.8), ("9", 0.2)]})))
    assert rival["product"] < rival["posterior"] <= 0.8  # (the sure cells' rivals: 1020...)


def test_with_no_invalid_rival_the_posterior_is_the_product(layout: Layout) -> None:
    # a head circumference of 35 cm, rivals 34, 25, 24 cm: all plausible, all the mass kept
    found = scored(layout, reading("neonatal.perimetre_cranien", "digits", "35",
                                   comb("35", {0: [("3", 0.9), ("2", 0.1)],
                                               1: [("5", 0.95), ("4", 0.05)]})))
    assert found["posterior"] == pytest.approx(0.9 * 0.95, abs=1e-6)
    assert found["posterior"] == pytest.approx(found["product"], abs=1e-6)
    # 85 cm is not: its mass leaves the denominator, the posterior rises above the product
    invalid = scored(layout, reading("neonatal.perimetre_cranien", "digits", "35",
                                     comb("35", {0: [("3", 0.9), ("8", 0.1)],
                                                 1: [("5", 0.95), ("4", 0.05)]})))
    assert invalid["posterior"] == pytest.approx(0.9 * 0.95 / 0.9, abs=1e-6)


def test_mass_outside_the_beam_stays_doubt(layout: Layout) -> None:
    # each cell's top digits hold 0.9 of its mass: the rest may be anything, valid or not
    found = scored(layout, reading("neonatal.perimetre_cranien", "digits", "35",
                                   comb("35", {0: [("3", 0.85), ("8", 0.05)],
                                               1: [("5", 0.85), ("4", 0.05)]})))
    assert found["beam_mass"] == pytest.approx(0.81, abs=1e-6)
    # valid: 35 and 34 (0.85 × 0.9); outside the beam: 0.19; 85 and 84 are left out
    assert found["posterior"] == pytest.approx(0.85 * 0.85 / (0.85 * 0.9 + 0.19), abs=1e-6)
    assert found["posterior"] < 0.85 * 0.85 / (0.85 * 0.9)


def test_a_date_with_a_close_valid_rival_is_not_trusted(layout: Layout) -> None:
    # 12/03/2021 or 19/03/2021: both real dates, the posterior cannot tell them apart
    fields = sheet(layout)
    fields["activite.date"] = reading("activite.date", "date", "2021-03-12",
                                      comb("12032021", {1: [("2", 0.6), ("9", 0.4)]}))
    posterior.apply(fields, TODAY, thesaurus_of(layout), use=True)
    apply_thresholds(fields)
    date = fields["activite.date"]
    assert 0.6 * 0.999 ** 7 <= date.confidence <= 0.6
    assert date.review and date.reason is not None
    assert date.reason.startswith("lecture incertaine (confiance parmi les valeurs possibles 0,6")
    assert date.details["posterior"]["raw_confidence"] == pytest.approx(0.6)


def test_an_impossible_rival_no_longer_sends_a_date_to_review(layout: Layout) -> None:
    fields = sheet(layout)
    cells = comb("15082020", {2: [("0", 0.8), ("7", 0.2)]})  # month 78: impossible
    fields["activite.date"] = reading("activite.date", "date", "2020-08-15", cells)
    posterior.apply(fields, TODAY, thesaurus_of(layout), use=True)
    apply_thresholds(fields, {"date": 0.99})
    assert not fields["activite.date"].review
    fields["activite.date"] = reading("activite.date", "date", "2020-08-15", cells)
    posterior.apply(fields, TODAY, thesaurus_of(layout), use=False)  # the weakest cell
    apply_thresholds(fields, {"date": 0.99})
    assert fields["activite.date"].review
    assert fields["activite.date"].details["posterior"]["posterior"] > 0.99  # kept for audit


def test_on_a_hard_writers_sheet_the_weakest_cell_decides(layout: Layout) -> None:
    # the writer gate (comb_bound.writer_gate, docs/reading.md « Posterior gated by the
    # writer »): the posterior decides only where the sheet's other comb cells are sure
    cells = comb("15082020", {2: [("0", 0.8), ("7", 0.2)]})  # month 78: impossible

    def decided(weight: list[dict[str, Any]]) -> FieldReading:
        fields = sheet(layout)
        fields["activite.date"] = reading("activite.date", "date", "2020-08-15",
                                          [dict(c) for c in cells])
        fields["neonatal.poids"] = reading("neonatal.poids", "digits", "3200", weight)
        posterior.apply(fields, TODAY, thesaurus_of(layout), use=True, gate=0.1)
        apply_thresholds(fields, {"date": 0.99, "digits": 0.5})
        return fields["activite.date"]

    easy = decided(comb("3200"))
    assert not easy.review and easy.confidence > 0.99
    hard = decided(comb("3200", {n: [(d, 0.6), ("8", 0.4)] for n, d in enumerate("3200")}))
    assert hard.review and hard.confidence == pytest.approx(0.8)  # its weakest cell
    assert hard.details["posterior"]["posterior"] > 0.99  # kept for audit


def test_identity_fields_keep_their_own_rule(layout: Layout) -> None:
    fields = sheet(layout)
    cells = comb("17042012", {2: [("0", 0.95), ("7", 0.05)]})
    fields["patient.date_naissance"] = reading("patient.date_naissance", "date",
                                               "2012-04-17", cells)
    posterior.apply(fields, TODAY, thesaurus_of(layout), use=True)
    born = fields["patient.date_naissance"]
    assert born.confidence == pytest.approx(0.95)  # the weakest cell, under 0.99
    assert born.details["posterior"]["posterior"] > 0.99
    apply_thresholds(fields)
    assert born.review


def test_the_reader_scores_comb_fields_with_their_posterior(layout: Layout) -> None:
    fields = sheet(layout)
    # A month's tens cell read 0 at 0.7 (its rival 7: month 78, impossible), under the
    # shipped date threshold.
    cells = comb("15082024", {2: [("0", 0.7), ("7", 0.3)]})
    fields["activite.date"] = reading("activite.date", "date", "2024-08-15", cells)
    pages = set(range(1, layout.form.pages + 1))
    done, _ = finish_sheet(layout, list(fields.values()), pages, {}, TODAY)
    date = done["activite.date"]
    score = date.details["posterior"]["posterior"]
    assert score > 0.99 and date.details["trust"]["posterior_posterior"] == score
    if posterior.enabled():  # the shipped calibration decides on the posterior
        assert date.confidence == pytest.approx(score, abs=1e-6)
        assert not date.review and thresholds()["date"] < 0.99
    else:
        assert thresholds()["date"] > 0.7
        assert date.confidence == pytest.approx(0.7) and date.review
