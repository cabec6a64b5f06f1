"""Issue 12 defects of the CDA export, each with the record that showed it: the activity
performer invented from the médecin référent, a valid HGNC gene refused, a change of disease
overwriting diagnosis 1, impossible date orders and a first-case IPP dropped silently.
Every document produced is checked with the ANS kit shipped in the package."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import etree

from bordereau.export import ExportIncompleteError, check_exportable, render_cda
from bordereau.export.checks import export_notes
from bordereau.templates.hgnc import SOURCE_DATE, hgnc_table
from tests.test_cda import NS, PARIS, build, initiale, suivi, valid_cda
from tests.test_cda_refusals import reasons

REFERENT_RPPS = "810000999010"  # IdNat_PS of the Lyon médecin référent (8 + RPPS)
AT = datetime(2024, 5, 2, 10, 0, tzinfo=PARIS)


def performers(doc: etree._Element) -> list[tuple[str, str]]:
    """(IdNat_PS, profession code) of every activity performer."""
    path = ("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.76']//h:encounter"
            "/h:performer/h:assignedEntity")
    return [(e.find("h:id", NS).get("extension"), e.find("h:code", NS).get("code"))
            for e in doc.xpath(path, namespaces=NS)]


# -- 1. activity performer -----------------------------------------------------------------
def test_blank_responsable_of_a_psychologist_is_refused_not_the_referent() -> None:
    patient = build(initiale(activite__profession="93"))  # Psychologue, responsable blank
    found = reasons(patient)
    item = "Activité (fiche initiale) — Responsable de l’activité"
    assert found[item].startswith("non renseigné alors que la profession est « Psychologue » : "
                                  "le médecin référent ne peut pas en tenir lieu")
    assert patient.activites[0].responsable is None
    with pytest.raises(ExportIncompleteError) as caught:
        render_cda(patient)  # before: exported with 810000999010 coded 93 (Psychologue)
    assert "Patient IPP 0012345678 (MARTIN LEA)" in str(caught.value)


def test_blank_responsable_on_a_suivi_names_the_sheet() -> None:
    sheet = suivi(activite__date="2024-05-02", activite__profession="G15_60")  # Infirmier
    patient = build(initiale(), suivis=[(sheet, AT)])
    item = "Activité (fiche de suivi du 02/05/2024) — Responsable de l’activité"
    assert "« Infirmier »" in reasons(patient)[item]


def test_blank_responsable_of_a_medecin_is_still_the_referent() -> None:
    doc = valid_cda(render_cda(build(initiale())))
    assert performers(doc) == [(REFERENT_RPPS, "G15_10")]


def test_a_named_responsable_keeps_the_profession_written() -> None:
    patient = build(initiale(activite__profession="93", activite__responsable="10000999010"))
    assert check_exportable(patient) == []
    assert performers(valid_cda(render_cda(patient))) == [(REFERENT_RPPS, "93")]


# -- 2. genes --------------------------------------------------------------------------------
def genes(doc: etree._Element) -> list[str]:
    path = "//h:observation[h:code/@code='MED-552']/h:value/@code"
    return [str(v) for v in doc.xpath(path, namespaces=NS)]


def test_the_shipped_hgnc_list() -> None:
    table = hgnc_table()
    assert (len(table.approved), SOURCE_DATE) == (43837, "2024-07-23")
    assert table.lookup(" cftr ") == ("CFTR", 1884) and table.lookup("c1orf21") == (
        "C1orf21", 15494)
    assert table.lookup("ABCC7") is None and table.replaced_by("abcc7") == ("CFTR",)


def test_a_valid_hgnc_symbol_outside_the_centre_file_is_exported() -> None:
    patient = build(initiale(diagnostic1__gene1="CFTR", diagnostic1__gene2="col1a1"))
    assert check_exportable(patient) == [] and patient.to_review == ()  # before: refused
    assert genes(valid_cda(render_cda(patient))) == ["HGNC:1884", "HGNC:2197"]


def test_an_unknown_symbol_is_left_out_and_listed_for_review_not_blocking() -> None:
    patient = build(initiale(diagnostic1__gene1="ABCC7", diagnostic1__gene2="FGFR3"))
    assert check_exportable(patient) == []
    (review,) = patient.to_review
    assert review.patient == "Patient IPP 0012345678 (MARTIN LEA)"
    assert review.item == "Gène (symbole HGNC) [diagnostic1.gene1, fiche initiale]"
    assert review.reason == ("gène « ABCC7 » absent des symboles HGNC approuvés (2024-07-23) "
                             "(ancien symbole de CFTR) : gène non transmis, à vérifier")
    assert genes(valid_cda(render_cda(patient))) == ["HGNC:3690"]


# -- 3. diagnosis history ------------------------------------------------------------------
def concerns(doc: etree._Element) -> list[dict[str, object]]:
    out = []
    path = "//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.129']/h:entry/h:act"
    for act in doc.xpath(path, namespaces=NS):
        problem = act.find("h:entryRelationship/h:observation", NS)
        status = problem.xpath("h:entryRelationship/h:observation[h:code/@code='MED-072']"
                               "/h:value/@code", namespaces=NS)
        high = act.find("h:effectiveTime/h:high", NS)
        out.append({"id": problem.find("h:id", NS).get("root"),
                    "orpha": problem.find("h:value", NS).get("code"),
                    "low": problem.find("h:effectiveTime/h:low", NS).get("value"),
                    "concern": act.find("h:statusCode", NS).get("code"),
                    "high": None if high is None else high.get("value"),
                    "status": status[0]})
    return out


def test_a_change_of_disease_closes_diagnosis_1_and_adds_a_new_one() -> None:
    sheet = suivi(activite__date="2024-05-02", diagnostic__maladie="429",
                  diagnostic__statut="255545003")
    first = build(initiale(diagnostic1__date="2024-01-10"), suivis=[(sheet, AT)])
    again = build(initiale(diagnostic1__date="2024-01-10"), suivis=[(sheet, AT)], version=2)
    assert check_exportable(first) == []
    old, new = concerns(valid_cda(render_cda(first)))
    # before: one diagnosis, ORPHA 429 under diagnosis 1's id and date 20240110
    assert old == {"id": first.diagnostics[0].id, "orpha": "15", "low": "20240110",
                   "concern": "completed", "high": "20240502", "status": "723511001"}
    assert new == {"id": first.diagnostics[1].id, "orpha": "429", "low": "20240502",
                   "concern": "active", "high": None, "status": "255545003"}
    assert new["id"] != old["id"] and first.diagnostics[1].revises == old["id"]
    assert [d.id for d in again.diagnostics] == [d.id for d in first.diagnostics]  # stable
    age = first.diagnostics[1].age_clinical  # born 2015-03-14, diagnosed 2024-05-02
    assert age.precision is not None and (age.precision.value, age.precision.unit.code) == (9, "a")
    assert first.current_diagnosis == first.diagnostics[1]


def test_the_death_is_linked_to_the_current_disease() -> None:
    sheet = suivi(activite__date="2024-05-02", diagnostic__code_orpha="1860",
                  vital__decede=True, vital__date_deces="2024-06-01")
    patient = build(initiale(vital__deces_lie_maladie="Y"), suivis=[(sheet, AT)])
    doc = valid_cda(render_cda(patient))
    path = ("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.132']//h:observation"
            "/h:value[@codeSystem='1.2.250.1.213.2.49.1']/@code")
    assert doc.xpath(path, namespaces=NS) == ["1860"]


def test_a_disease_found_for_a_diagnosis_en_cours_revises_it_in_place() -> None:
    data = initiale(diagnostic1__maladie=None, diagnostic1__statut="385651009")
    sheet = suivi(activite__date="2024-05-02", diagnostic__maladie="15",
                  diagnostic__statut="255545003")
    patient = build(data, suivis=[(sheet, AT)])
    (only,) = concerns(valid_cda(render_cda(patient)))
    assert (only["id"], only["orpha"], only["status"], only["concern"]) == (
        build(data).diagnostics[0].id, "15", "255545003", "active")


def test_two_changes_keep_the_whole_history() -> None:
    one = suivi(activite__date="2024-05-02", diagnostic__maladie="429")
    two = suivi(activite__date="2024-09-12", diagnostic__maladie="1860")
    later = datetime(2024, 9, 12, tzinfo=PARIS)
    patient = build(initiale(), suivis=[(two, later), (one, AT)])
    found = concerns(valid_cda(render_cda(patient)))
    assert [(c["orpha"], c["concern"], c["high"]) for c in found] == [
        ("15", "completed", "20240502"), ("429", "completed", "20240912"),
        ("1860", "active", None)]


# -- 4. date orders and the first case -----------------------------------------------------
ORDER_CASES = {
    "activity before inclusion": (
        {"activite__date": "2023-12-01"}, "activite.date",
        "Activité (fiche initiale) — Date de l’activité",
        "antérieure à la date d’inclusion dans le site (01/12/2023 < 10/01/2024)"),
    "inclusion before birth": (
        {"prise_en_charge__date_inclusion": "2014-05", "activite__date": "2014-06-01"},
        "prise_en_charge.date_inclusion", "Prise en charge (S901) — Date d’inclusion dans le site",
        "antérieure à la date de naissance (05/2014 < 14/03/2015)"),
    "diagnosis before birth": (
        {"diagnostic1__date": "2015-01-20"}, "diagnostic1.date",
        "Diagnostic 1 — Date du diagnostic",
        "antérieure à la date de naissance (20/01/2015 < 14/03/2015)"),
}


@pytest.mark.parametrize("case", ORDER_CASES)
def test_impossible_date_orders_are_refused_unless_a_reviewer_confirmed(case: str) -> None:
    values, field, item, reason = ORDER_CASES[case]
    refused = build(initiale(**values))
    assert reasons(refused)[item].startswith(reason + " : à corriger, ou à confirmer")
    confirmed = build(initiale(**values), reviewed={field})
    assert check_exportable(confirmed) == []
    valid_cda(render_cda(confirmed))


def test_a_suivi_activity_before_the_inclusion_needs_its_date_confirmed() -> None:
    sheet = suivi(activite__date="2023-11-30")
    item = "Activité (fiche de suivi du 02/05/2024) — Date de l’activité"
    assert item in reasons(build(initiale(), suivis=[(sheet, AT)]))
    assert check_exportable(build(initiale(), suivis=[(sheet, AT, {"activite.date"})])) == []


def test_partial_dates_are_compared_at_their_precision() -> None:
    same_month = build(initiale(activite__date="2024-01", prise_en_charge__date_inclusion="2024"))
    assert check_exportable(same_month) == []


def test_a_first_case_ipp_beside_premier_cas_oui_is_never_dropped_silently() -> None:
    data = initiale(famille__premier_cas="Y", famille__ipp_premier_cas="0077777777")
    item = "Informations familiales — IPP du premier cas de la famille"
    assert reasons(build(data))[item].startswith(  # before: exported without it, no word
        "IPP 0077777777 écrit alors que « Premier cas diagnostiqué de la famille » est « Oui »")
    doc = valid_cda(render_cda(build(data, reviewed={"famille.ipp_premier_cas"})))
    assert doc.xpath("//sdtc:id/@extension", namespaces=NS) == ["0077777777"]
    own = build(initiale(famille__premier_cas="Y", famille__ipp_premier_cas="0012345678"))
    assert check_exportable(own) == []
    assert "IPP du premier cas = IPP du patient" in {p.item: p.reason for p in
                                                    export_notes(own)}["Premier cas de la famille"]
