"""Context decides: an invalid reading is replaced by the most probable valid one (from the
digit recogniser's per-cell probabilities), and never trusted."""

from __future__ import annotations

from typing import Any

import pytest

from bordereau.forms.centre import load_centre
from bordereau.forms.layout import build_layout
from bordereau.forms.manifest import Layout
from bordereau.ocr.context import candidates, range_of
from bordereau.ocr.rules import check_sheet
from bordereau.ocr.types import FieldReading
from tests.conftest import LYON
from tests.test_rules import TODAY, sheet


@pytest.fixture(scope="module")
def layout() -> Layout:
    return build_layout("initiale", load_centre(LYON))


def cells(*tops: list[tuple[str, float]] | str) -> list[dict[str, Any]]:
    """Comb cells: "" empty, or the recogniser's top digits (best first)."""
    out: list[dict[str, Any]] = []
    for top in tops:
        if isinstance(top, str):
            out.append({"ink": 0.0, "char": top, "confidence": 1.0})
        else:
            out.append({"ink": 0.1, "char": top[0][0], "confidence": top[0][1],
                        "top": [list(t) for t in top]})
    return out


def read(field_id: str, kind: str, value: str | None, details: dict[str, Any],
         reason: str | None = None) -> FieldReading:
    return FieldReading(id=field_id, kind=kind, value=value, confidence=0.97,  # type: ignore[arg-type]
                        review=reason is not None, reason=reason, details=details)


def sure(digit: str) -> list[tuple[str, float]]:
    return [(digit, 0.99), ("7", 0.005)]


def test_the_reader_uses_the_templates_table() -> None:
    head = range_of("neonatal.perimetre_cranien")
    assert head is not None and (head.low.value, head.high.value, head.unit) == (18, 45, "cm")
    assert range_of("diagnostic2.age_diagnostic_valeur") is None  # the unit decides


def test_candidates_are_ordered_by_joint_probability() -> None:
    found = candidates(cells([("8", 0.6), ("3", 0.35)], [("5", 0.9), ("6", 0.1)]))
    assert [("".join(c), round(p, 3)) for c, p in found[:3]] == [
        ("85", 0.54), ("35", 0.315), ("86", 0.06)]


def test_85_cm_of_head_circumference_is_never_trusted(layout: Layout) -> None:
    fields = sheet(layout)
    fields["neonatal.perimetre_cranien"] = read(
        "neonatal.perimetre_cranien", "digits", "85",
        {"cells": cells([("8", 0.6), ("3", 0.35)], [("5", 0.9), ("6", 0.1)])})
    check_sheet(fields, layout, TODAY)
    head = fields["neonatal.perimetre_cranien"]
    assert head.review and head.value == "35"
    assert head.reason == ("lu « 85 » : 85 cm hors de l’intervalle plausible 18–45 cm "
                           "(INTERGROWTH-21st ; macrocéphalie congénitale) ; 35 proposé")


def test_98_cm_without_cell_details_is_never_trusted(layout: Layout) -> None:
    fields = sheet(layout)  # a replayed or typed value: nothing to propose, still reviewed
    fields["neonatal.perimetre_cranien"] = read("neonatal.perimetre_cranien", "digits", "98",
                                                {})
    fields["neonatal.poids"] = read("neonatal.poids", "digits", "9", {})
    check_sheet(fields, layout, TODAY)
    head, weight = fields["neonatal.perimetre_cranien"], fields["neonatal.poids"]
    assert head.review and head.value == "98" and head.confidence == 0.0
    assert head.reason == ("lu « 98 » : 98 cm hors de l’intervalle plausible 18–45 cm "
                           "(INTERGROWTH-21st ; macrocéphalie congénitale)")
    assert weight.review and weight.reason == (
        "lu « 9 » : 9 g hors de l’intervalle plausible 300–6500 g (INTERGROWTH-21st ; "
        "ENP 2021 / OMS)")


def test_an_age_beyond_the_oldest_human_life_is_never_trusted(layout: Layout) -> None:
    fields = sheet(layout, patient__date_naissance=None)  # no birth date: the table decides
    fields["diagnostic1.age_diagnostic_unite"].value = "a"
    fields["diagnostic1.age_diagnostic_valeur"] = read(
        "diagnostic1.age_diagnostic_valeur", "digits", "130", {})
    check_sheet(fields, layout, TODAY)
    age = fields["diagnostic1.age_diagnostic_valeur"]
    assert age.review and age.reason is not None and age.reason.startswith(
        "lu « 130 » : 130 ans hors de l’intervalle plausible 0–122 ans (SDM-MR 2024.01 ; "
        "Guinness World Records (122 ans))")


def test_an_impossible_date_gets_the_most_probable_real_date(layout: Layout) -> None:
    fields = sheet(layout)
    comb = cells([("9", 0.7), ("0", 0.25)], sure("4"), sure("0"), sure("1"),
                 sure("2"), sure("0"), sure("2"), sure("1"))
    fields["activite.date"] = read("activite.date", "date", None,
                                   {"cells": comb, "read": "94/01/2021"},
                                   "date impossible (94/01/2021)")
    check_sheet(fields, layout, TODAY)
    date = fields["activite.date"]
    assert date.review and date.value == "2021-01-04"
    assert date.reason is not None and date.reason.startswith("date impossible (94/01/2021)")
    assert "04/01/2021 proposé" in date.reason


def test_a_birth_year_before_1900_is_read_in_the_right_century(layout: Layout) -> None:
    fields = sheet(layout)
    comb = cells(sure("1"), sure("4"), sure("0"), sure("6"),
                 sure("1"), [("4", 0.8), ("9", 0.15)], sure("6"), sure("1"))
    fields["patient.date_naissance"] = read("patient.date_naissance", "date", "1461-06-14",
                                            {"cells": comb})
    check_sheet(fields, layout, TODAY)
    born = fields["patient.date_naissance"]
    assert born.review and born.value == "1961-06-14"


def test_an_age_older_than_the_patient_is_not_trusted(layout: Layout) -> None:
    fields = sheet(layout)  # born 2012-04-17, activity 2023-01-09: 10 years old
    fields["diagnostic1.age_premiers_signes"].value = "767023003"
    fields["diagnostic1.age_premiers_signes_unite"].value = "a"
    fields["diagnostic1.age_premiers_signes_valeur"] = read(
        "diagnostic1.age_premiers_signes_valeur", "digits", "85",
        {"cells": cells([("8", 0.7), ("3", 0.2)], [("5", 0.9), ("6", 0.1)], "")})
    check_sheet(fields, layout, TODAY)
    age = fields["diagnostic1.age_premiers_signes_valeur"]
    assert age.review and age.reason == "lu « 85 » : âge de plus de 11 ans"


def test_a_valid_reading_is_left_alone(layout: Layout) -> None:
    fields = sheet(layout)
    fields["neonatal.poids"] = read("neonatal.poids", "digits", "3250",
                                    {"cells": cells(sure("3"), sure("2"), sure("5"),
                                                    sure("0"))})
    check_sheet(fields, layout, TODAY)
    assert (fields["neonatal.poids"].value, fields["neonatal.poids"].review) == ("3250", False)


def test_a_written_orpha_code_is_read_within_the_thesaurus(layout: Layout) -> None:
    fields = sheet(layout, diagnostic1__maladie=None)
    comb = cells("", "", "", "", [("4", 0.6), ("1", 0.4)], sure("5"))
    fields["diagnostic1.code_orpha"] = read("diagnostic1.code_orpha", "orpha_code", "45",
                                            {"cells": comb})
    check_sheet(fields, layout, TODAY)
    code = fields["diagnostic1.code_orpha"]
    assert code.review and code.value == "15"
    assert code.reason == "lu « 45 » : code absent du thésaurus ; 15 proposé"


def test_identity_fields_need_a_sure_reading_or_the_label(layout: Layout) -> None:
    from bordereau.ocr.trust import apply_thresholds

    table = {"date": 0.7, "digits": 0.8}
    fields = sheet(layout)
    fields["patient.date_naissance"].confidence = 0.95
    fields["activite.date"].confidence = 0.95
    apply_thresholds(fields, table)
    assert fields["patient.date_naissance"].review and not fields["activite.date"].review
    fields = sheet(layout)
    fields["patient.date_naissance"].confidence = 0.95
    fields["patient.etiquette"].details["identity"] = {"date_naissance": "2012-04-17"}
    apply_thresholds(fields, table)
    check_sheet(fields, layout, TODAY)
    assert not fields["patient.date_naissance"].review


def nir_of(sex: str, year: int, month: int) -> str:
    body = f"{sex}{year % 100:02d}{month:02d}69123456"
    return body + f"{97 - int(body) % 97:02d}"


def test_the_nir_and_the_written_sex_and_birth_date_agree(layout: Layout) -> None:
    fields = sheet(layout, patient__ins=nir_of("2", 2012, 4))  # F, 2012-04-17: agrees
    check_sheet(fields, layout, TODAY)
    assert not fields["patient.ins"].review
    fields = sheet(layout, patient__ins=nir_of("1", 2012, 3))
    check_sheet(fields, layout, TODAY)
    assert fields["patient.sexe"].reason == "le sexe coché ne correspond pas au matricule INS"
    assert fields["patient.date_naissance"].reason == ("la date de naissance ne correspond "
                                                       "pas au matricule INS")


def test_the_nir_helps_read_the_birth_month(layout: Layout) -> None:
    fields = sheet(layout, patient__ins=nir_of("2", 2012, 4))
    comb = cells(sure("1"), sure("7"), sure("0"), [("3", 0.6), ("4", 0.35)],
                 sure("2"), sure("0"), sure("1"), sure("2"))
    fields["patient.date_naissance"] = read("patient.date_naissance", "date", "2012-03-17",
                                            {"cells": comb})
    check_sheet(fields, layout, TODAY)
    born = fields["patient.date_naissance"]
    assert born.review and born.value == "2012-04-17"
