"""The plausibility table of the templates (every bound with its source, every measurement
and age of the forms covered) and its use at export (issue 12, item 4): a value outside its
range is refused with the patient, the item and the range, unless a reviewer confirmed it."""

from __future__ import annotations

import pytest

from bordereau.export import ExportIncompleteError, check_exportable, render_cda
from bordereau.forms.model import FORM_KINDS, load_form
from bordereau.templates.plausibility import parse, plausibility
from tests.test_cda import build, initiale, valid_cda
from tests.test_cda_refusals import reasons

PATIENT = "Patient IPP 0012345678 (MARTIN LEA)"
CONFIRM = " : à corriger, ou à confirmer en vérification (bordereau review)"


def test_every_bound_has_a_source_and_a_reason() -> None:
    table = plausibility()
    ranges = [*table.measures.values(), *table.age_units.values()]
    assert len(ranges) == 8
    for found in ranges:
        assert found.low.value < found.high.value and found.unit and found.label
        for bound in (found.low, found.high):
            assert bound.source.key in table.sources and bound.source.short
            assert len(bound.source.reference) > 60 and bound.why
    broken = {"sources": {}, "measures": {"x": {"label": "x", "unit": "g",
                                               "min": {"value": 1, "source": "nowhere"},
                                               "max": {"value": 2, "source": "nowhere"}}},
              "ages": {"items": {}, "units": {}}, "identifiers": []}
    with pytest.raises(ValueError, match=r"x\.min: source « nowhere » inconnue"):
        parse(broken)


def test_every_number_of_the_forms_is_a_measurement_an_age_or_an_identifier() -> None:
    table = plausibility()
    numeric = {item.id for kind in FORM_KINDS for item in load_form(kind).items
               if item.kind == "digits"}  # every form, annexes included when they come
    measures = {f for f in numeric if table.measure(f)}
    ages = {f for f in numeric if table.age_item(f)}
    identifiers = numeric & set(table.identifiers)
    assert numeric == measures | ages | identifiers
    assert len(measures) >= 4 and len(ages) >= 6  # three ages in each diagnosis block
    assert set(table.measures) <= numeric and set(table.identifiers) <= numeric
    assert {f.rsplit(".", 1)[1] for f in ages} == set(table.age_items)
    for field_id in ages:  # each age has its unit beside it on the form
        unit = field_id.removesuffix("_valeur") + "_unite"
        assert any(i.id == unit and i.value_set == "unite_age"
                   for kind in FORM_KINDS for i in load_form(kind).items), unit
    codes = {c for c in table.age_units}
    assert codes == {"a", "mo", "wk", "d"}


MEASURES = {
    "head circumference 98 cm": (
        {"neonatal__perimetre_cranien": "98"}, "neonatal.perimetre_cranien",
        "Informations anténatales et néonatales — Périmètre crânien",
        "98 cm hors de l’intervalle plausible 18–45 cm (INTERGROWTH-21st ; macrocéphalie "
        "congénitale)"),
    "birth weight 9 g": (
        {"neonatal__poids": "9"}, "neonatal.poids",
        "Informations anténatales et néonatales — Poids de naissance",
        "9 g hors de l’intervalle plausible 300–6500 g (INTERGROWTH-21st ; ENP 2021 / OMS)"),
    "gestational age 12 SA": (
        {"neonatal__terme": "N", "neonatal__age_gestationnel": "12"},
        "neonatal.age_gestationnel", "Informations anténatales et néonatales — Âge gestationnel",
        "12 SA hors de l’intervalle plausible 22–45 SA (OMS / ENP 2021 ; HAS / CNGOF 2011)"),
    "age of 130 years": (
        {"diagnostic1__age_diagnostic": "767023003", "diagnostic1__age_diagnostic_valeur": "130",
         "diagnostic1__age_diagnostic_unite": "a"}, "diagnostic1.age_diagnostic_valeur",
        "Diagnostic 1 — Âge au diagnostic clinique (précision)",
        "130 ans hors de l’intervalle plausible 0–122 ans (SDM-MR 2024.01 ; Guinness World "
        "Records (122 ans))"),
    "age above the patient's": (  # born 14/03/2015, exported 01/03/2024: 8 years old
        {"diagnostic1__age_premiers_signes": "767023003",
         "diagnostic1__age_premiers_signes_valeur": "15",
         "diagnostic1__age_premiers_signes_unite": "a"}, "diagnostic1.age_premiers_signes_valeur",
        "Diagnostic 1 — Âge aux premiers signes (précision)",
        "15 ans : plus que l’âge du patient (8 ans le 01/03/2024)"),
}


@pytest.mark.parametrize("case", MEASURES)
def test_an_implausible_value_is_refused_unless_a_reviewer_confirmed_it(case: str) -> None:
    values, field, item, reason = MEASURES[case]
    refused = build(initiale(**values))
    assert reasons(refused)[item] == reason + CONFIRM  # before: exported as written
    with pytest.raises(ExportIncompleteError) as caught:
        render_cda(refused)
    assert str(caught.value).startswith(f"{PATIENT} : export impossible")
    assert f"  - {item} : {reason}" in str(caught.value)
    confirmed = build(initiale(**values), reviewed={field})
    assert check_exportable(confirmed) == []
    valid_cda(render_cda(confirmed))


def test_a_confirmation_of_another_field_does_not_count() -> None:
    values = {"neonatal__perimetre_cranien": "98", "neonatal__poids": "9"}
    patient = build(initiale(**values), reviewed={"neonatal.poids"})
    assert [p.item for p in check_exportable(patient)] == [
        "Informations anténatales et néonatales — Périmètre crânien"]


def test_plausible_values_and_the_bounds_themselves_export() -> None:
    patient = build(initiale(
        patient__date_naissance="2023-12-01", neonatal__terme="N", neonatal__age_gestationnel="22",
        neonatal__poids="300", neonatal__taille="62", neonatal__perimetre_cranien="45",
        diagnostic1__age_diagnostic="767023003", diagnostic1__age_diagnostic_valeur="3",
        diagnostic1__age_diagnostic_unite="mo"))
    assert check_exportable(patient) == []
    valid_cda(render_cda(patient))


@pytest.mark.parametrize("field_id", sorted(plausibility().measures))
def test_every_measure_of_the_table_is_checked_at_export(field_id: str) -> None:
    found = plausibility().measures[field_id]
    below = found.low.value - 1
    item = f"Informations anténatales et néonatales — {found.label}"
    patient = build(initiale(**{field_id.replace(".", "__"): str(below)}))
    assert reasons(patient) == {item: f"{found.outside(below)}{CONFIRM}"}
