"""« Mère de l’enfant » and « Sujet lié à l’activité / à la prise en charge » (issue 12):
written on the annexes identité et famille and grossesse et fœtus (version 2), exported as
the ANS examples carry them (header informant MTH of « nouveau-né »; the activity encounter's
fœtus subject of « patiente enceinte »), checked by the kit's XML Schema and schematron."""

from __future__ import annotations

from typing import Any

from lxml import etree

from bordereau.export import check_exportable, render_cda
from bordereau.export.ans import KIT
from bordereau.ocr.rules import check_identifiers
from bordereau.ocr.types import FieldReading
from tests.test_cda import NS, blank, build, initiale, valid_cda
from tests.test_cda_annex_examples import plain
from tests.test_cda_annexes import AT
from tests.test_cda_grossesse import MOTHER, TWINS_ENDED, grossesse

EXAMPLES = KIT / "examples"
INFORMANT = "/h:ClinicalDocument/h:informant/h:relatedEntity"
ACT = ("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.76']/h:entry/h:encounter")
PEC = ("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.158']/h:entry/h:encounter")
SUBJECT = "h:subject/h:relatedSubject"


def mother_facts(root: Any) -> list[tuple[str, ...]]:
    """Each informant relatedEntity: class, role code and system, the names (qualifier,
    text as written on paper)."""
    facts = []
    for entity in root.xpath(INFORMANT, namespaces=NS):
        (code,) = entity.xpath("h:code", namespaces=NS)
        names = [(n.get("qualifier"), plain(n.text)) for n in
                 entity.xpath("h:relatedPerson/h:name/*", namespaces=NS)]
        facts.append((entity.get("classCode"), code.get("code"), code.get("codeSystem"),
                      *(f"{q}:{t}" for q, t in names)))
    return facts


def identity_document(annex: dict[str, object]) -> tuple[Any, Any]:
    patient = build(initiale(patient__date_naissance="2024-02-28",
                             prise_en_charge__date_inclusion="2024-03-10",
                             activite__date="2024-03-10"),
                    annexes=[("annexe_identite", blank("annexe_identite")
                              | {"patient.ipp": "0012345678"} | annex, AT)])
    assert check_exportable(patient) == []
    return patient, valid_cda(render_cda(patient))


def test_the_newborn_examples_mother_written_on_paper_comes_back_out_equivalent() -> None:
    example = etree.parse(str(EXAMPLES / "SDM-MR_2024.01_nouveau-ne.xml")).getroot()
    expected = mother_facts(example)
    assert expected == [("CON", "MTH", "2.16.840.1.113883.5.111", "BR:NESSI", "BR:RUTH")]
    _, root = identity_document({"mere.nom_naissance": "NESSI",
                                 "mere.premier_prenom": "RUTH"})
    assert mother_facts(root) == expected
    # before custodian, after author: the header order the XML Schema checks (valid above)
    names = [etree.QName(e).localname for e in root if isinstance(e.tag, str)]
    assert names.index("author") < names.index("informant") < names.index("custodian")


def test_no_mother_written_no_informant_and_a_forename_alone_is_left_for_review() -> None:
    _, root = identity_document({})
    assert root.xpath(INFORMANT, namespaces=NS) == []
    patient, root = identity_document({"mere.premier_prenom": "RUTH"})
    assert root.xpath(INFORMANT, namespaces=NS) == []
    assert [(p.item, p.reason) for p in patient.to_review] == [(
        "Nom de naissance de la mère [mere.nom_naissance, annexe identité et famille du "
        "22/07/2024]", "premier prénom de la mère sans son nom de naissance : mère non "
                       "transmise")]
    _, root = identity_document({"mere.nom_naissance": "NESSI"})
    assert mother_facts(root) == [("CON", "MTH", "2.16.840.1.113883.5.111", "BR:NESSI")]


def subject_facts(encounter: Any) -> dict[str, object]:
    """What paper carries of an encounter's fœtus subject (the examples' hexadecimal fœtus
    identifiers cannot be written in an IPP comb: only its presence is compared)."""
    subject = f"{SUBJECT}/h:subject"

    def one(path: str) -> str:
        return plain(str(encounter.xpath(f"string({path})", namespaces=NS)))

    return {
        "type": one("h:subject/@typeCode"),
        "templates": sorted(encounter.xpath("h:subject/h:templateId/@root", namespaces=NS)),
        "role": (one(f"{SUBJECT}/@classCode"), one(f"{SUBJECT}/h:code/@code"),
                 one(f"{SUBJECT}/h:code/@codeSystem")),
        "has_id": bool(encounter.xpath(f"{subject}/sdtc:id/@extension", namespaces=NS)),
        "names": [(n.get("qualifier"), plain(n.text)) for n in
                  encounter.xpath(f"{subject}/h:name/*", namespaces=NS)],
        "sex": one(f"{subject}/h:administrativeGenderCode/@code"),
        "multiple": one(f"{subject}/sdtc:multipleBirthInd/@value"),
        "order": one(f"{subject}/sdtc:multipleBirthOrderNumber/@value"),
    }


IN_PROGRESS = grossesse(
    grossesse__date_debut="2023-09-01", grossesse__nombre_foetus="2", grossesse__amp="N",
    foetus1__ipp="8800000001", foetus1__sexe="F", foetus1__prenom="LEA",
    foetus1__sujet_activite=True,
    foetus2__ipp="8800000002", foetus2__sexe="M", foetus2__prenom="PIERRE")


def pregnancy_document(annex: dict[str, object]) -> Any:
    patient = build(initiale(patient__date_naissance="1990-06-02", **MOTHER),
                    annexes=[("annexe_grossesse", annex, AT)])
    assert check_exportable(patient) == []
    return valid_cda(render_cda(patient))


def test_the_pregnant_patients_activity_linked_to_fetus_1_is_sent_as_in_the_example() -> None:
    example = etree.parse(str(EXAMPLES / "SDM-MR_2024.01_patiente-enceinte.xml")).getroot()
    (official,) = [e for e in example.xpath(ACT, namespaces=NS)
                   if e.xpath("h:subject", namespaces=NS)]
    expected = subject_facts(official)
    assert expected["names"] == [("BR", "NESSI"), ("CL", "DECOURCY"), ("BR", "RUTH"),
                                 ("CL", "LEA")]
    root = pregnancy_document(IN_PROGRESS)
    (activity,) = root.xpath(ACT, namespaces=NS)
    assert subject_facts(activity) == expected
    assert activity.xpath(f"string({SUBJECT}/h:subject/sdtc:id/@extension)",
                          namespaces=NS) == "8800000001"
    # the narrative names the subject as the example's table does; the prise en charge,
    # not ticked, is the patient's (no subject element)
    assert "Fœtus 1 (F) LEA 8800000001" in etree.tostring(root, encoding="unicode")
    (care,) = root.xpath(PEC, namespaces=NS)
    assert care.xpath("h:subject", namespaces=NS) == []


def test_the_prise_en_charge_can_concern_a_fetus_and_a_newborn_is_named_as_a_child() -> None:
    annex = TWINS_ENDED | {"foetus2.sujet_pec": True, "foetus1.sujet_activite": True}
    root = pregnancy_document(annex)
    (care,) = root.xpath(PEC, namespaces=NS)
    facts = subject_facts(care)
    assert (facts["names"], facts["sex"], facts["multiple"], facts["order"]) == (
        [("BR", "NESSI"), ("CL", "DECOURCY"), ("BR", "RUTH"), ("CL", "PIERRE")], "M", "TRUE",
        "2")
    (activity,) = root.xpath(ACT, namespaces=NS)
    newborn = subject_facts(activity)  # fœtus 1 was born: « Accouchement », name written
    assert newborn["names"] == [("BR", "DECOURCY"), ("CL", "DECOURCY"), ("BR", "LEA")]
    assert activity.xpath(f"string({SUBJECT}/h:subject/h:birthTime/@value)",
                          namespaces=NS) == "20240228"


def test_no_box_ticked_the_encounters_are_the_patients() -> None:
    root = pregnancy_document(IN_PROGRESS | {"foetus1.sujet_activite": False})
    assert root.xpath(f"{ACT}/h:subject | {PEC}/h:subject", namespaces=NS) == []


def test_two_fetuses_ticked_for_one_encounter_are_refused_at_export_and_reviewed() -> None:
    annex = IN_PROGRESS | {"foetus2.sujet_activite": True}
    patient = build(initiale(patient__date_naissance="1990-06-02", **MOTHER),
                    annexes=[("annexe_grossesse", annex, AT)])
    assert [(p.item, p.reason) for p in check_exportable(patient)] == [(
        "Sujet lié à l’activité [foetusN.sujet_activite, annexe grossesse et fœtus]",
        "plusieurs fœtus cochés (fœtus 1 de la grossesse du 01/09/2023, fœtus 2 de la "
        "grossesse du 01/09/2023) : un seul sujet possible, à corriger")]

    def reading(field_id: str, value: object) -> FieldReading:
        return FieldReading(id=field_id, kind="boolean" if "sujet" in field_id else "digits",
                            value=value, confidence=0.99, review=False, reason=None, page=1)

    fields = {f: reading(f, v) for f, v in [
        ("grossesse.nombre_foetus", "2"), ("foetus1.ipp", "8800000001"),
        ("foetus2.ipp", "8800000002"), ("foetus1.sujet_activite", True),
        ("foetus2.sujet_activite", True), ("foetus1.sujet_pec", True),
        ("foetus2.sujet_pec", False)]}
    check_identifiers(fields)
    assert {f: r.reason for f, r in fields.items() if r.review} == {
        f"foetus{n}.sujet_activite": "deux fœtus cochés comme sujet de l’activité de la "
                                     "fiche (un seul possible)" for n in (1, 2)}
    # a box ticked in a fœtus block the number of fœtus does not cover is a contradiction
    fields = {f: reading(f, v) for f, v in [
        ("grossesse.nombre_foetus", "1"), ("foetus1.ipp", "8800000001"),
        ("foetus2.sujet_pec", True)]}
    check_identifiers(fields)
    assert {f for f, r in fields.items() if r.review} == {"grossesse.nombre_foetus"}


def test_annexes_printed_as_version_1_export_as_before() -> None:
    # sheets of version 1, committed before issue 12, have no mother and no subject boxes
    v1_identity = {k: v for k, v in (blank("annexe_identite") | {
        "patient.ipp": "0012345678", "identite.prenoms_acte": "LEA"}).items()
        if not k.startswith("mere.")}
    v1_pregnancy = {k: v for k, v in IN_PROGRESS.items() if ".sujet_" not in k}
    patient = build(initiale(patient__date_naissance="1990-06-02", **MOTHER),
                    annexes=[("annexe_identite", v1_identity, AT),
                             ("annexe_grossesse", v1_pregnancy, AT)])
    assert check_exportable(patient) == [] and patient.to_review == ()
    root = valid_cda(render_cda(patient))
    assert root.xpath(f"{INFORMANT} | {ACT}/h:subject | {PEC}/h:subject", namespaces=NS) == []
    assert len(root.xpath("//h:relatedSubject[h:code/@code='CHILD']", namespaces=NS)) == 2
