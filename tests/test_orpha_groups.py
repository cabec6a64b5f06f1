"""ORPHA group codes of the clinical description (annexe génétique et clinique, MED-1284):
the shipped Orphanet list, the reading check, the reviewer's evidence and the CDA export
(JDV_Orpha_Groupes-Maladies, next to the HPO terms, checked by the ANS kit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bordereau.export import check_exportable, render_cda
from bordereau.forms.manifest import FieldLayout
from bordereau.forms.model import load_form
from bordereau.ocr import lexicon
from bordereau.review.evidence import evidence_for
from bordereau.templates.orpha_groups import NOT_A_GROUP, SYSTEM, orpha_table
from tests.test_cda import NS, PARIS, blank, build, initiale, valid_cda

AT = datetime(2024, 7, 22, 11, tzinfo=PARIS)
FIELD = "genetique.groupe_orpha1"


def test_the_shipped_list_holds_the_groups_with_their_french_names() -> None:
    table = orpha_table()
    assert len(table.groups) == 2154
    assert table.group("98006") == "Maladie neurologique rare"  # the ANS example's code
    assert table.group("068335") == "Anomalie chromosomique rare"  # leading zero ignored
    assert table.group("558") is None  # Marfan syndrome: a disease
    assert table.levels["558"] == "maladie"
    assert all(name and name == name.strip() for name in table.groups.values())


def test_a_code_that_is_no_group_is_told_why_in_french() -> None:
    table = orpha_table()
    assert table.why_not("98006") is None
    assert table.why_not("558") == f"ORPHA 558 est une maladie, pas un groupe : {NOT_A_GROUP}"
    assert table.why_not("999999") == NOT_A_GROUP
    assert NOT_A_GROUP == ("code absent de la liste des groupes ORPHA (Orphadata, "
                           "nomenclature du 22/06/2023)")
    assert table.nearest("98007")[0] == "98006"  # one digit changed
    assert "98006" in table.nearest("98060", count=6)  # two digits swapped count as one


def test_the_annex_has_digit_cells_for_two_group_codes_on_one_page() -> None:
    form = load_form("annexe_genetique")
    items = {item.id: item for item in form.items}
    assert form.version == 2 and form.max_pages == 1
    for n in (1, 2):
        assert items[f"genetique.groupe_orpha{n}"].kind == "digits"
        assert items[f"genetique.groupe_orpha{n}"].cells == 6
    assert lexicon.list_for(FIELD) == "orpha_groupes"


def cells(code: str, doubt: dict[int, tuple[str, float]] | None = None) -> list[dict[str, Any]]:
    """Digit cells read as ``code`` (sure), cell n also giving ``doubt[n]`` some probability."""
    out: list[dict[str, Any]] = []
    for n, char in enumerate(code.ljust(6)):
        if char == " ":
            out.append({"char": None, "confidence": 0.0, "ink": 0.0})
            continue
        top = [[char, 0.97]]
        if doubt and n in doubt:
            top = [[char, 0.55], [doubt[n][0], doubt[n][1]]]
        out.append({"char": char, "confidence": top[0][1], "ink": 0.3, "top": top})
    return out


def test_a_group_code_read_passes_and_a_disease_code_goes_to_review() -> None:
    assert lexicon.unknown_code(FIELD, "98006") is None
    found = lexicon.match(FIELD, "98006", cells("98006"))
    assert found is not None and found.in_list and found.best == "98006"
    assert lexicon.confirmed(found, "98006") is None  # trusted by its cells only
    reason = lexicon.unknown_code(FIELD, "558")
    assert reason is not None and reason.startswith("ORPHA 558 est une maladie")
    misread = cells("98007", {4: ("6", 0.4)})
    found = lexicon.match(FIELD, "98007", misread)
    assert found is not None and not found.in_list and found.best == "98006"
    assert lexicon.unknown_code(FIELD, "98007", found) == NOT_A_GROUP


def test_the_reviewer_sees_the_group_name_and_the_nearest_groups() -> None:
    field = FieldLayout.model_validate(
        {"id": FIELD, "label": "Description clinique : groupe ORPHA (code)", "kind": "digits",
         "page": 1, "required": False, "section": "genetique", "cells_mm": [[0, 0, 5, 5]] * 6})
    found = lexicon.match(FIELD, "98007", cells("98007", {4: ("6", 0.4)}))
    assert found is not None
    raws = {FIELD: {"details": {"liste": found.model_dump()}}}
    evidence = evidence_for(field, {FIELD: "98007"}, raws, None)
    assert evidence.suggestions[0].value == "98006"
    assert evidence.suggestions[0].source == "groupes ORPHA : Maladie neurologique rare"
    assert evidence.notes == [NOT_A_GROUP]
    kept = evidence_for(field, {FIELD: "98006"}, {}, None)
    assert kept.notes == ["ORPHA 98006 : Maladie neurologique rare (groupes ORPHA, Orphadata)"]


def test_group_codes_are_sent_as_med_1284_next_to_the_hpo_terms_and_pass_the_kit() -> None:
    annex = blank("annexe_genetique") | {
        "patient.ipp": "0012345678", "genetique.hpo1": "0001250",
        "genetique.groupe_orpha1": "98006", "genetique.groupe_orpha2": "068335"}
    patient = build(initiale(), annexes=[("annexe_genetique", annex, AT)])
    assert check_exportable(patient) == []
    root = valid_cda(render_cda(patient))
    (problem,) = root.xpath("//h:observation[h:code/@code='282291009']", namespaces=NS)
    values = problem.xpath("h:entryRelationship/h:observation[h:code/@code='MED-1284']/h:value",
                           namespaces=NS)
    assert [(v.get("code"), v.get("codeSystem"), v.get("codeSystemName"),
             v.get("displayName")) for v in values] == [
        ("HP:0001250", "1.2.250.1.213.2.51", "HPO", "Seizure"),
        ("98006", SYSTEM, "JDV_Orpha_Groupes-Maladies", "Maladie neurologique rare"),
        ("68335", SYSTEM, "JDV_Orpha_Groupes-Maladies", "Anomalie chromosomique rare")]
    refs = problem.xpath("h:entryRelationship/h:observation[h:code/@code='MED-1284']"
                         "/h:text/h:reference/@value", namespaces=NS)
    assert root.xpath(f"string(//h:content[@ID='{refs[1][1:]}'])", namespaces=NS) == (
        "Maladie neurologique rare (groupe ORPHA : 98006)")


def test_a_kept_code_that_is_no_group_is_left_out_for_a_person_to_check() -> None:
    annex = blank("annexe_genetique") | {"patient.ipp": "0012345678",
                                         "genetique.groupe_orpha1": "558"}
    patient = build(initiale(), annexes=[("annexe_genetique", annex, AT)])
    assert check_exportable(patient) == []
    assert patient.diagnostics[0].clinical_groups == ()
    assert [p.reason for p in patient.to_review] == [
        f"« 558 » : ORPHA 558 est une maladie, pas un groupe : {NOT_A_GROUP} ; non transmis"]
    root = valid_cda(render_cda(patient))
    assert not root.xpath(f"//h:value[@codeSystem='{SYSTEM}']", namespaces=NS)


def test_a_version_1_sheet_without_the_group_cells_exports_as_before() -> None:
    annex = {k: v for k, v in blank("annexe_genetique").items() if "groupe_orpha" not in k}
    patient = build(initiale(), annexes=[("annexe_genetique", annex | {
        "patient.ipp": "0012345678", "genetique.hpo1": "0001250"}, AT)])
    assert check_exportable(patient) == [] and patient.to_review == ()
    assert patient.diagnostics[0].clinical_groups == ()
    assert [t.code for t in patient.diagnostics[0].clinical] == ["HP:0001250"]
