"""Sheet rules and trust thresholds: a failing rule sends its fields to review with its
French message and never changes a value."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bordereau.forms.centre import load_centre
from bordereau.forms.layout import build_layout
from bordereau.forms.manifest import Layout
from bordereau.ocr.rules import check_sheet, nir_key_ok
from bordereau.ocr.trust import apply_thresholds
from bordereau.ocr.types import FieldReading
from tests.conftest import LYON
from tests.factories import INITIALE

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def layout() -> Layout:
    return build_layout("initiale", load_centre(LYON))


def sheet(layout: Layout, **changes: Any) -> dict[str, FieldReading]:
    values = {**INITIALE, **{k.replace("__", "."): v for k, v in changes.items()}}
    return {
        f.id: FieldReading(id=f.id, kind=f.kind, confidence=0.99, review=False,
                           value=values.get(f.id, False if f.kind == "boolean" else None))
        for f in layout.fields
    }


def flagged(fields: dict[str, FieldReading]) -> dict[str, str | None]:
    return {k: v.reason for k, v in fields.items() if v.review}


def test_a_valid_sheet_raises_nothing(layout: Layout) -> None:
    fields = sheet(layout)
    check_sheet(fields, layout, TODAY)
    assert flagged(fields) == {}


def test_dates_must_follow_birth_inclusion_activity_today(layout: Layout) -> None:
    fields = sheet(layout, activite__date="2022-12-01")
    check_sheet(fields, layout, TODAY)
    message = ("la date d’inclusion (09/01/2023) est après la date de l’activité "
               "(01/12/2022)")
    assert flagged(fields) == {"prise_en_charge.date_inclusion": message,
                               "activite.date": message}
    assert fields["activite.date"].value == "2022-12-01"  # never changed
    future = sheet(layout, vital__decede=True, vital__date_deces="2027-01")
    check_sheet(future, layout, TODAY)
    assert flagged(future)["vital.date_deces"] == "date dans le futur (01/2027)"


def test_partial_dates_are_compared_at_their_precision(layout: Layout) -> None:
    fields = sheet(layout, patient__date_naissance="2023",
                   prise_en_charge__date_inclusion="2023-01-09")
    check_sheet(fields, layout, TODAY)
    assert flagged(fields) == {}


def test_deceased_needs_a_date_and_a_date_needs_deceased(layout: Layout) -> None:
    fields = sheet(layout, vital__decede=True)
    check_sheet(fields, layout, TODAY)
    assert flagged(fields)["vital.date_deces"] == "patient décédé sans date de décès"
    fields = sheet(layout, vital__date_deces="2024-02-02")
    check_sheet(fields, layout, TODAY)
    assert flagged(fields)["vital.decede"] == (
        "date de décès écrite mais « Patient décédé » non coché")


def test_confirmed_needs_a_disease_and_codes_outside_the_thesaurus_are_reviewed(
    layout: Layout,
) -> None:
    fields = sheet(layout, diagnostic1__maladie=None)
    check_sheet(fields, layout, TODAY)
    assert flagged(fields)["diagnostic1.statut"] == (
        "diagnostic confirmé sans maladie cochée ni code ORPHA")
    fields = sheet(layout, diagnostic1__maladie=None, diagnostic1__code_orpha="0000558")
    check_sheet(fields, layout, TODAY)
    assert flagged(fields) == {"diagnostic1.code_orpha":
                               "code ORPHA 558 absent du thésaurus du centre : à vérifier"}
    fields = sheet(layout, diagnostic1__code_orpha="15")
    check_sheet(fields, layout, TODAY)
    assert flagged(fields)["diagnostic1.maladie"] == (
        "une maladie cochée et un autre code ORPHA écrit")


def test_nir_key_and_age_units(layout: Layout) -> None:
    body = "1850578006084"
    good = f"{body}{97 - int(body) % 97:02d}"
    bad = f"{body}{(98 - int(body) % 97) % 100:02d}"
    assert nir_key_ok(good) and not nir_key_ok(bad)
    fields = sheet(layout, patient__ins=bad,
                   diagnostic1__age_premiers_signes_valeur="3")
    check_sheet(fields, layout, TODAY)
    reasons = flagged(fields)
    assert reasons["patient.ins"].startswith("matricule INS invalide")
    assert reasons["diagnostic1.age_premiers_signes_unite"] == "âge précisé sans son unité"


def test_required_items_and_optional_sections_once_used(layout: Layout) -> None:
    fields = sheet(layout, patient__sexe=None)
    check_sheet(fields, layout, TODAY)
    assert flagged(fields) == {"patient.sexe": "champ obligatoire non rempli"}
    fields = sheet(layout, diagnostic2__maladie="15")
    check_sheet(fields, layout, TODAY)
    reasons = flagged(fields)
    assert reasons["diagnostic2.statut"] == "champ obligatoire non rempli"
    assert "diagnostic2.gene1" not in reasons


def test_the_patient_label_confirms_fills_or_contradicts_the_identity(layout: Layout) -> None:
    def with_label(fields: dict[str, FieldReading], **identity: str) -> None:
        fields["patient.etiquette"].details["identity"] = identity
        fields["patient.etiquette"].details["barcode"] = {"format": "Code128",
                                                          "text": identity["ipp"]}

    fields = sheet(layout, patient__ipp=None)
    with_label(fields, ipp="4100200300", date_naissance="2012-04-17", nom="MARTIN")
    check_sheet(fields, layout, TODAY)
    assert fields["patient.ipp"].value == "4100200300" and not fields["patient.ipp"].review
    assert fields["patient.ipp"].details["label"] == "repris de l’étiquette"
    fields = sheet(layout)
    with_label(fields, ipp="4100200300", date_naissance="2012-04-18", nom="MARTÍN")
    check_sheet(fields, layout, TODAY)
    assert flagged(fields) == {"patient.date_naissance":
                               "la date de naissance écrite diffère de celle de l’étiquette "
                               "patient"}
    assert fields["patient.nom_naissance"].details["label"] == "confirmé par l’étiquette"


def test_thresholds_send_unsure_fields_to_review(layout: Layout) -> None:
    fields = sheet(layout)
    fields["patient.nom_naissance"].confidence = 0.8
    fields["activite.date"].confidence = 0.949
    apply_thresholds(fields, {"letters": 0.95, "date": 0.95, "single_choice": 0.9,
                              "multi_choice": 0.9, "boolean": 0.9, "digits": 0.9,
                              "alphanumeric": 0.9, "orpha_code": 0.9})
    assert flagged(fields) == {
        "patient.nom_naissance": "lecture incertaine (confiance 0,80 < 0,95)",
        "activite.date": "lecture incertaine (confiance 0,949 < 0,950)",
    }


def test_the_label_proves_an_unsure_name_it_agrees_with_but_never_a_box(
        layout: Layout) -> None:
    table = {"letters": 0.95, "date": 0.95, "single_choice": 0.9, "multi_choice": 0.9,
             "boolean": 0.9, "digits": 0.9, "alphanumeric": 0.9, "orpha_code": 0.9}

    def read(label_review: bool = False, **unsure: float) -> dict[str, FieldReading]:
        fields = sheet(layout)
        for field_id, confidence in unsure.items():
            fields[field_id.replace("__", ".")].confidence = confidence
        fields["patient.etiquette"].details["identity"] = {
            "nom": "MARTIN", "prenom": "Lea", "sexe": "F", "date_naissance": "2012-04-17"}
        fields["patient.etiquette"].review = label_review
        apply_thresholds(fields, table)
        check_sheet(fields, layout, TODAY)
        return fields

    fields = read(patient__nom_naissance=0.6, patient__premier_prenom=0.5, patient__sexe=0.5)
    # two independent readings agree: the hand and the printed label
    assert not fields["patient.nom_naissance"].review
    assert not fields["patient.premier_prenom"].review
    assert fields["patient.premier_prenom"].details["label"] == "confirmé par l’étiquette"
    assert fields["patient.sexe"].review  # a faint box is not proved by the label
    # a label itself in doubt proves nothing
    assert read(True, patient__nom_naissance=0.6)["patient.nom_naissance"].review


# A NIR of a girl born in April 2012 in Lyon (69123), with its key.
NIR_BODY = "2120469123001"
NIR = NIR_BODY + f"{97 - int(NIR_BODY) % 97:02d}"


def doubtful(reading: FieldReading, cells: list[float], chars: str) -> None:
    """The reading as the trust stage leaves it: in review for its confidence alone."""
    reading.details["cells"] = [{"char": ch, "confidence": p} for ch, p in zip(chars, cells,
                                                                                strict=True)]
    reading.confidence = min(cells)
    reading.review = True
    reading.reason = f"lecture incertaine (confiance {min(cells):.2f} < 0,99)".replace(".", ",")


def test_a_nir_whose_key_is_right_is_trusted_on_digits_read_at_half_or_more(
        layout: Layout) -> None:
    assert nir_key_ok(NIR)
    fields = sheet(layout, patient__ins=NIR)
    doubtful(fields["patient.ins"], [0.99] * 14 + [0.62], NIR)
    check_sheet(fields, layout, TODAY)
    assert not fields["patient.ins"].review and fields["patient.ins"].confidence == 0.99
    assert fields["patient.ins"].details["cle"] == "clé du NIR juste"
    weak = sheet(layout, patient__ins=NIR)
    doubtful(weak["patient.ins"], [0.99] * 14 + [0.45], NIR)  # a digit the readers doubt
    check_sheet(weak, layout, TODAY)
    assert weak["patient.ins"].review
    wrong = NIR[:-1] + str((int(NIR[-1]) + 1) % 10)  # a misread key digit
    keyless = sheet(layout, patient__ins=wrong)
    doubtful(keyless["patient.ins"], [0.99] * 15, wrong)
    check_sheet(keyless, layout, TODAY)
    assert keyless["patient.ins"].review
    assert "clé" in (keyless["patient.ins"].reason or "")


def test_a_trusted_nir_answers_for_the_month_and_year_of_birth(layout: Layout) -> None:
    fields = sheet(layout, patient__ins=NIR)
    day_century = {0, 1, 4, 5}
    cells = [0.995 if n in day_century else 0.7 for n in range(8)]
    doubtful(fields["patient.date_naissance"], cells, "17042012")
    check_sheet(fields, layout, TODAY)
    born = fields["patient.date_naissance"]
    assert not born.review and born.details["nir"] == "mois et année confirmés par le NIR"
    # the day is the NIR's blind spot: a doubtful day cell keeps the date in review
    unsure_day = sheet(layout, patient__ins=NIR)
    doubtful(unsure_day["patient.date_naissance"], [0.95, *cells[1:]], "17042012")
    check_sheet(unsure_day, layout, TODAY)
    assert unsure_day["patient.date_naissance"].review
    # a NIR the trust stage doubts confirms nothing
    unsure_nir = sheet(layout, patient__ins=NIR)
    doubtful(unsure_nir["patient.ins"], [0.99] * 14 + [0.3], NIR)
    doubtful(unsure_nir["patient.date_naissance"], cells, "17042012")
    check_sheet(unsure_nir, layout, TODAY)
    assert unsure_nir["patient.date_naissance"].review
    # another month: the NIR contradicts the date, both go to review with the message
    other = sheet(layout, patient__ins=NIR, patient__date_naissance="2012-05-17")
    doubtful(other["patient.date_naissance"], cells, "17052012")
    check_sheet(other, layout, TODAY)
    assert other["patient.date_naissance"].review
    assert "matricule INS" in (other["patient.date_naissance"].reason or "")


def test_a_trusted_nir_answers_for_the_place_of_birth_it_carries(layout: Layout) -> None:
    fields = sheet(layout, patient__ins=NIR, patient__lieu_naissance="69123")
    doubtful(fields["patient.lieu_naissance"], [0.99, 0.6, 0.99, 0.99, 0.99], "69123")
    check_sheet(fields, layout, TODAY)
    place = fields["patient.lieu_naissance"]
    assert not place.review and place.details["nir"] == "code confirmé par le NIR"
    other = sheet(layout, patient__ins=NIR, patient__lieu_naissance="69124")
    doubtful(other["patient.lieu_naissance"], [0.99, 0.6, 0.99, 0.99, 0.99], "69124")
    check_sheet(other, layout, TODAY)
    assert other["patient.lieu_naissance"].review
    corsican_body = "1120419004001"  # born in Ajaccio (2A004), written 19004 in a NIR
    corsican = corsican_body + f"{97 - int(corsican_body) % 97:02d}"
    ajaccio = sheet(layout, patient__ins=corsican, patient__lieu_naissance="2A004",
                    patient__sexe="M")
    doubtful(ajaccio["patient.lieu_naissance"], [0.99, 0.7, 0.99, 0.99, 0.99], "2A004")
    check_sheet(ajaccio, layout, TODAY)
    assert not ajaccio["patient.lieu_naissance"].review
