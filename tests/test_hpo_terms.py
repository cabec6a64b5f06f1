"""HPO terms of the clinical description (annexe génétique et clinique, MED-1284): the
shipped HPO list, the reading check (it only vetoes), the reviewer's evidence and the CDA
export (the list's label as displayName, checked by the ANS kit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bordereau.export import check_exportable, render_cda
from bordereau.forms.manifest import FieldLayout
from bordereau.ocr import lexicon
from bordereau.review.evidence import evidence_for
from bordereau.templates.hpo_terms import NOT_LISTED, SYSTEM, hpo_table
from tests.test_cda import NS, PARIS, blank, build, initiale, valid_cda

AT = datetime(2024, 7, 22, 11, tzinfo=PARIS)
FIELD = "genetique.hpo1"
OBSOLETE = ("HP:0000004 est un terme HPO obsolète, remplacé par HP:0012823 (Modificateur "
            f"clinique) : {NOT_LISTED}")


def test_the_shipped_list_holds_the_current_terms_with_french_labels_where_official() -> None:
    table = hpo_table()
    assert len(table.terms) == 19836
    assert table.label("0001249") == "Déficience intellectuelle"  # official French
    assert table.label("HP:0004322") == "Petite taille"
    assert table.terms["0001250"] == ("Seizure", "en")  # its French is only a candidate
    assert table.label("0000004") is None and table.obsolete["0000004"] == "0012823"
    assert table.label("0001261") is None and table.obsolete["0001261"] == ""
    assert sum(lang == "fr" for _, lang in table.terms.values()) == 12375
    assert all(label and label == label.strip() for label, _ in table.terms.values())
    assert all(by == "" or by in table.terms for by in table.obsolete.values())


def test_an_id_that_is_no_current_term_is_told_why_in_french() -> None:
    table = hpo_table()
    assert table.why_not("0001249") is None
    assert NOT_LISTED == "terme HPO absent de la liste HPO (version du 23/06/2026)"
    assert table.why_not("1001250") == NOT_LISTED
    assert table.why_not("0000004") == OBSOLETE
    assert table.why_not("0001261") == f"HP:0001261 est un terme HPO obsolète : {NOT_LISTED}"
    assert table.nearest("1001250")[0] == "0001250"  # one digit changed
    assert table.nearest("0000004")[0] == "0012823"  # the replacing term first
    assert table.nearest("12") == []


def cells(code: str, doubt: dict[int, tuple[str, float]] | None = None) -> list[dict[str, Any]]:
    """Digit cells read as ``code`` (sure), cell n also giving ``doubt[n]`` some probability."""
    out: list[dict[str, Any]] = []
    for n, char in enumerate(code):
        top = [[char, 0.97]]
        if doubt and n in doubt:
            top = [[char, 0.55], [doubt[n][0], doubt[n][1]]]
        out.append({"char": char, "confidence": top[0][1], "ink": 0.3, "top": top})
    return out


def test_a_listed_id_keeps_its_cells_confidence_and_an_unlisted_one_goes_to_review() -> None:
    assert lexicon.list_for(FIELD) == "hpo" and lexicon.list_for("genetique.hpo4") == "hpo"
    assert lexicon.unknown_code(FIELD, "0001249") is None
    found = lexicon.match(FIELD, "0001249", cells("0001249"))
    assert found is not None and found.in_list and found.best == "0001249"
    assert lexicon.confirmed(found, "0001249") is None  # the list never raises it
    assert lexicon.unknown_code(FIELD, "0000004") == OBSOLETE
    misread = cells("1001250", {0: ("0", 0.4)})
    found = lexicon.match(FIELD, "1001250", misread)
    assert found is not None and not found.in_list and found.best == "0001250"
    assert lexicon.unknown_code(FIELD, "1001250", found) == NOT_LISTED


def layout() -> FieldLayout:
    return FieldLayout.model_validate(
        {"id": FIELD, "label": "Description clinique : terme HPO (chiffres après HP:)",
         "kind": "digits", "page": 1, "required": False, "section": "genetique",
         "cells_mm": [[0, 0, 5, 5]] * 7})


def test_the_reviewer_sees_the_label_and_the_nearest_listed_ids() -> None:
    found = lexicon.match(FIELD, "1001250", cells("1001250", {0: ("0", 0.4)}))
    assert found is not None
    raws = {FIELD: {"details": {"liste": found.model_dump()}}}
    evidence = evidence_for(layout(), {FIELD: "1001250"}, raws, None)
    assert (evidence.suggestions[0].value, evidence.suggestions[0].source) == (
        "0001250", "HPO : Seizure")
    assert evidence.notes == [NOT_LISTED]
    obsolete = evidence_for(layout(), {FIELD: "0000004"}, {}, None)
    assert (obsolete.suggestions[0].value, obsolete.suggestions[0].source) == (
        "0012823", "HPO : Modificateur clinique")
    assert obsolete.notes == [OBSOLETE]
    kept = evidence_for(layout(), {FIELD: "0001249"}, {}, None)
    assert kept.notes == ["HP:0001249 : Déficience intellectuelle (HPO, version du 23/06/2026)"]


def test_hpo_terms_are_sent_with_the_label_of_the_list_and_pass_the_kit() -> None:
    annex = blank("annexe_genetique") | {
        "patient.ipp": "0012345678", "genetique.hpo1": "0001249", "genetique.hpo2": "0001250",
        "genetique.hpo3": "0001249", "genetique.groupe_orpha1": "98006"}
    patient = build(initiale(), annexes=[("annexe_genetique", annex, AT)])
    assert check_exportable(patient) == [] and patient.to_review == ()
    root = valid_cda(render_cda(patient))
    (problem,) = root.xpath("//h:observation[h:code/@code='282291009']", namespaces=NS)
    med = "h:entryRelationship/h:observation[h:code/@code='MED-1284']"
    values = problem.xpath(f"{med}/h:value[@codeSystem='{SYSTEM}']", namespaces=NS)
    assert [(v.get("code"), v.get("codeSystemName"), v.get("displayName")) for v in values] == [
        ("HP:0001249", "HPO", "Déficience intellectuelle"), ("HP:0001250", "HPO", "Seizure")]
    refs = problem.xpath(f"{med}/h:text/h:reference/@value", namespaces=NS)
    assert [root.xpath(f"string(//h:content[@ID='{r[1:]}'])", namespaces=NS)
            for r in refs[:2]] == ["Déficience intellectuelle (HP:0001249)", "Seizure (HP:0001250)"]
    assert "HPO HP:" not in render_cda(patient)  # no placeholder label any more


def test_a_kept_id_that_is_no_current_term_is_left_out_for_a_person_to_check() -> None:
    annex = blank("annexe_genetique") | {"patient.ipp": "0012345678",
                                         "genetique.hpo1": "0000004", "genetique.hpo2": "1001250",
                                         "genetique.hpo3": "0004322"}
    patient = build(initiale(), annexes=[("annexe_genetique", annex, AT)])
    assert check_exportable(patient) == []
    assert [t.code for t in patient.diagnostics[0].clinical] == ["HP:0004322"]
    assert [p.reason for p in patient.to_review] == [
        f"« HP:0000004 » : {OBSOLETE} ; non transmis",
        f"« HP:1001250 » : {NOT_LISTED} ; non transmis"]
    root = valid_cda(render_cda(patient))
    assert root.xpath(f"//h:value[@codeSystem='{SYSTEM}']/@code", namespaces=NS) == [
        "HP:0004322"]
