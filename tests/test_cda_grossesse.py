"""CDA export of the annexe grossesse et fœtus: the section FR-Historique-des-grossesses as
in the ANS examples « patiente enceinte » (pregnancy in progress) and « patiente
post-grossesse » (ended: issue from JDV_IssueGrossesse, gestational age, fœtopathology),
checked by the kit's XML Schema and schematron; contradictions refused in French."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from bordereau.export import check_exportable, render_cda
from bordereau.export.ans import KIT, validator
from bordereau.export.model import ExportPatient
from tests.conftest import LYON
from tests.factories import INITIALE, Factory
from tests.test_cda import NS, PARIS, blank, build, exported_alone, initiale, valid_cda

AT = datetime(2024, 3, 5, 11, tzinfo=PARIS)
SECTION = "//h:section[h:templateId/@root='1.3.6.1.4.1.19376.1.5.3.1.1.5.3.4']"
BIRTHS = f"{SECTION}/h:entry/h:organizer/h:component/h:organizer"
ISSUE_SET = KIT / "jeuxDeValeurs" / "JDV_IssueGrossesse_CISIS.xml"


def grossesse(**values: object) -> dict[str, object]:
    """An annexe grossesse et fœtus of the Lyon patient of ``initiale()`` (a woman)."""
    data = blank("annexe_grossesse") | {"patient.ipp": "0012345678"}
    return data | {key.replace("__", "."): value for key, value in values.items()}


def patient(*annexes: dict[str, object], **fiche: object) -> ExportPatient:
    data = initiale(patient__date_naissance="1990-06-02", **fiche)
    return build(data, annexes=[("annexe_grossesse", a, AT) for a in annexes])


def document(*annexes: dict[str, object], **fiche: object) -> Any:
    exported = patient(*annexes, **fiche)
    assert check_exportable(exported) == []
    xml = render_cda(exported)
    root = valid_cda(xml)
    ids = {str(i) for i in root.xpath("//h:text//@ID", namespaces=NS)}
    refs = {str(r)[1:] for r in root.xpath(f"{SECTION}//h:reference/@value", namespaces=NS)}
    assert refs <= ids, refs - ids  # every narrative reference of the section resolves
    return root


TWINS_ENDED = grossesse(
    grossesse__date_debut="2023-09-01", grossesse__date_fin="2024-02-28",
    grossesse__nombre_foetus="2", grossesse__amp="N",
    foetus1__ipp="8800000001", foetus1__sexe="F", foetus1__prenom="LEA",
    foetus1__nom_enfant="DECOURCY", foetus1__issue="236973005",
    foetus2__ipp="8800000002", foetus2__sexe="M", foetus2__prenom="PIERRE",
    foetus2__issue="O04", foetus2__age_gestationnel="27", foetus2__foetopathologie="Y")


def test_an_ended_pregnancy_is_sent_as_in_the_post_pregnancy_example() -> None:
    root = document(TWINS_ENDED, patient__nom_utilise="NESSI")
    (organizer,) = root.xpath(f"{SECTION}/h:entry/h:organizer", namespaces=NS)
    x = lambda path: organizer.xpath(path, namespaces=NS)  # noqa: E731
    assert x("string(h:effectiveTime/h:low/@value)") == "20230901"
    assert x("string(h:effectiveTime/h:high/@value)") == "20240228"
    assert x("string(.//h:observation[h:code/@code='55281-0']/h:value/@value)") == "2"
    amp = x(".//h:observation[h:code/@code='09.02']/h:value")[0]
    assert amp.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "BL"
    assert amp.get("value") == "false"
    child, fetus = root.xpath(BIRTHS, namespaces=NS)
    s = lambda node, path: str(node.xpath(f"string({path})", namespaces=NS))  # noqa: E731
    subject = "h:subject/h:relatedSubject/h:subject"
    # the newborn: its own birth name and forename, born the day the pregnancy ended
    assert s(child, f"{subject}/sdtc:id/@extension") == "8800000001"
    assert s(child, f"{subject}/sdtc:id/@root") == "1.2.250.1.999.42.1"
    assert s(child, f"{subject}/h:name/h:family[@qualifier='BR']") == "DECOURCY"
    assert s(child, f"{subject}/h:name/h:given[@qualifier='BR']") == "LEA"
    assert s(child, f"{subject}/h:birthTime/@value") == "20240228"
    assert s(child, f"{subject}/h:administrativeGenderCode/@code") == "F"
    assert s(child, f"{subject}/sdtc:multipleBirthOrderNumber/@value") == "1"
    # the fœtus: the mother's birth name, used name and first forename, its own forename
    assert s(fetus, f"{subject}/h:name/h:family[@qualifier='BR']") == "MARTIN"
    assert s(fetus, f"{subject}/h:name/h:family[@qualifier='CL']") == "NESSI"
    assert s(fetus, f"{subject}/h:name/h:given[@qualifier='BR']") == "LEA"
    assert s(fetus, f"{subject}/h:name/h:given[@qualifier='CL']") == "PIERRE"
    assert s(fetus, f"{subject}/sdtc:multipleBirthInd/@value") == "true"
    assert s(fetus, "../h:sequenceNumber/@value") == "2"
    issues = root.xpath(f"{BIRTHS}/h:component/h:observation[h:code/@code='63893-2']/h:value",
                        namespaces=NS)
    assert [(v.get("code"), v.get("codeSystem"), v.get("displayName")) for v in issues] == [
        ("236973005", "2.16.840.1.113883.6.96", "Accouchement"),
        ("O04", "2.16.840.1.113883.6.3", "Avortement médical")]
    age = fetus.xpath(".//h:observation[h:code/@code='11884-4']/h:value", namespaces=NS)[0]
    assert (age.get("value"), age.get("unit")) == ("27", "wk")
    assert s(fetus, ".//h:observation[h:code/@code='JQQP003']/h:value/@value") == "true"
    assert not child.xpath(".//h:observation[h:code/@code='JQQP003']", namespaces=NS)


def test_every_issue_on_paper_is_a_code_of_jdv_issue_grossesse() -> None:
    svs = {"s": "urn:ihe:iti:svs:2008"}
    concepts = {(c.get("code"), c.get("codeSystem"), c.get("displayName"))
                for c in etree.parse(str(ISSUE_SET)).xpath("//s:Concept", namespaces=svs)}
    assert len(concepts) == 7
    sent = set()
    for code, _, _ in sorted(concepts):
        root = document(grossesse(grossesse__date_debut="2023-09-01",
                                  grossesse__date_fin="2024-01-15",
                                  grossesse__nombre_foetus="1", foetus1__ipp="8800000001",
                                  foetus1__issue=code))
        (value,) = root.xpath(f"{BIRTHS}//h:observation[h:code/@code='63893-2']/h:value",
                              namespaces=NS)
        sent.add((value.get("code"), value.get("codeSystem"), value.get("displayName")))
    assert sent == concepts


def test_a_pregnancy_in_progress_is_sent_as_in_the_pregnant_patient_example() -> None:
    root = document(grossesse(grossesse__date_debut="2023-09-01",
                              grossesse__nombre_foetus="2",
                              foetus1__ipp="8800000001", foetus1__sexe="F",
                              foetus1__prenom="LEA", foetus2__ipp="8800000002"))
    (organizer,) = root.xpath(f"{SECTION}/h:entry/h:organizer", namespaces=NS)
    assert not organizer.xpath("h:effectiveTime/h:high", namespaces=NS)
    amp = organizer.xpath(".//h:observation[h:code/@code='09.02']/h:value", namespaces=NS)[0]
    assert amp.get("nullFlavor") == "UNK"  # not written: the volet still wants the element
    births = root.xpath(BIRTHS, namespaces=NS)
    assert len(births) == 2
    for birth in births:
        (obs,) = birth.xpath("h:component/h:observation", namespaces=NS)
        assert obs.xpath("string(h:code/@nullFlavor)", namespaces=NS) == "NA"
        assert obs.xpath("string(h:value/@nullFlavor)", namespaces=NS) == "NA"
        assert birth.xpath("string(h:effectiveTime/h:low/@value)", namespaces=NS) == "20230901"
    sex = births[1].xpath(".//h:administrativeGenderCode", namespaces=NS)[0]
    assert sex.get("nullFlavor") == "UNK"


def test_no_annex_no_section_and_a_later_sheet_updates_the_same_pregnancy() -> None:
    assert not document().xpath(SECTION, namespaces=NS)
    during = grossesse(grossesse__date_debut="2023-09-01", grossesse__nombre_foetus="2",
                       foetus1__ipp="8800000001")
    data = initiale(patient__date_naissance="1990-06-02")
    exported = build(data, annexes=[("annexe_grossesse", during, AT),
                                    ("annexe_grossesse", TWINS_ENDED,
                                     datetime(2024, 3, 9, tzinfo=PARIS))])
    assert check_exportable(exported) == []
    (pregnancy,) = exported.pregnancies
    assert pregnancy.end is not None and len(pregnancy.fetuses) == 2
    other = grossesse(grossesse__date_debut="2019-01-10", grossesse__date_fin="2019-09-30",
                      grossesse__nombre_foetus="1", grossesse__amp="Y",
                      foetus1__ipp="8800000009", foetus1__issue="236973005")
    root = document(TWINS_ENDED, other)
    lows = root.xpath(f"{SECTION}/h:entry/h:organizer/h:effectiveTime/h:low/@value",
                      namespaces=NS)
    assert lows == ["20190110", "20230901"]


def test_contradictions_are_refused_in_french() -> None:
    def reasons(**values: object) -> list[str]:
        return [p.reason for p in check_exportable(patient(grossesse(**values)))]

    assert reasons(grossesse__nombre_foetus="1") == ["date de début de grossesse absente"]
    assert reasons(grossesse__date_debut="2023-09-01", grossesse__date_fin="2023-08-01",
                   grossesse__nombre_foetus="1") == [
        "fin de grossesse (01/08/2023) avant son début (01/09/2023)"]
    assert reasons(grossesse__date_debut="2023-09-01", foetus1__ipp="8800000001") == [
        "nombre de fœtus absent"]
    assert reasons(grossesse__date_debut="2023-09-01", grossesse__nombre_foetus="1",
                   foetus2__ipp="8800000002") == ["nombre de fœtus (1) inférieur au fœtus 2 "
                                                  "décrit"]
    assert reasons(grossesse__date_debut="2023-09-01", grossesse__nombre_foetus="1",
                   foetus1__ipp="8800000001", foetus1__issue="O03") == [
        "grossesse sans date de fin : l’issue, l’âge gestationnel et la fœtopathologie "
        "s’écrivent une fois la grossesse terminée"]
    assert reasons(grossesse__date_debut="2023-09-01", grossesse__date_fin="2023-12-01",
                   grossesse__nombre_foetus="1", foetus1__ipp="8800000001",
                   foetus1__age_gestationnel="3") == [
        "nombre entre 4 et 45 attendu, valeur lue « 3 »",
        "issue de la grossesse absente (grossesse terminée)"]


def test_a_missing_fetus_ipp_or_a_child_name_without_birth_goes_to_review() -> None:
    exported = patient(grossesse(
        grossesse__date_debut="2023-09-01", grossesse__date_fin="2024-01-15",
        grossesse__nombre_foetus="1", foetus1__sexe="M", foetus1__issue="P95",
        foetus1__nom_enfant="DUPONT"))
    assert check_exportable(exported) == []
    assert [p.reason for p in exported.to_review] == [
        "IPP du fœtus absent : fœtus transmis sans identifiant",
        "nom de naissance de l’enfant sans issue « Accouchement » : non transmis"]
    xml = render_cda(exported)
    assert validator().check(xml).valid
    assert "DUPONT" not in xml


def test_a_committed_annex_goes_out_in_its_patients_document(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE | {"patient.date_naissance": "1990-06-02"})
    annex = factory.sheet("annexe_grossesse", {
        "patient.ipp": INITIALE["patient.ipp"], "grossesse.date_debut": "2023-09-01",
        "grossesse.date_fin": "2024-02-28", "grossesse.nombre_foetus": "1",
        "foetus1.ipp": "8800000001", "foetus1.issue": "O04",
        "foetus1.age_gestationnel": "27"})
    assert annex.status == "committed"
    root = exported_alone(factory.db, tmp_path / "cda")
    assert root.xpath(f"{BIRTHS}//h:observation[h:code/@code='63893-2']/h:value/@code",
                      namespaces=NS) == ["O04"]


def test_the_kit_really_checks_the_section() -> None:
    """Not vacuous: an issue outside JDV_IssueGrossesse, or an ended pregnancy's fœtus
    without its issue, is refused by the kit's schematron."""
    xml = render_cda(patient(TWINS_ENDED))
    assert validator().check(xml).valid
    wrong = validator().check(xml.replace('code="O04"', 'code="O05"'))
    assert not wrong.valid and any("IssueGrossesse" in e for e in wrong.schematron_errors)
    root = etree.fromstring(xml.encode("utf-8"))
    for obs in root.xpath(f"{BIRTHS}/h:component[h:observation/h:code/@code='63893-2']",
                          namespaces=NS):
        obs.getparent().remove(obs)
    missing = validator().check(etree.tostring(root, encoding="unicode"))
    assert not missing.valid
    assert any("HistoriqueDesGrossesses" in e for e in missing.schematron_errors)


def birth_facts(root: Any) -> dict[str, object]:
    """What paper carries of the pregnancy section (case and accents aside; the examples'
    hexadecimal fœtus identifiers cannot be written in an IPP comb)."""
    subject = "h:subject/h:relatedSubject/h:subject"

    def plain(text: str) -> str:
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()

    def one(node: Any, path: str) -> str:
        return plain(str(node.xpath(f"string({path})", namespaces=NS)))

    (organizer,) = root.xpath(f"{SECTION}/h:entry/h:organizer", namespaces=NS)
    births = []
    for birth in root.xpath(BIRTHS, namespaces=NS):
        births.append({
            "order": one(birth, f"{subject}/sdtc:multipleBirthOrderNumber/@value"),
            "names": [(n.get("qualifier"), plain(n.text)) for n in
                      birth.xpath(f"{subject}/h:name/*", namespaces=NS)],
            "sex": one(birth, f"{subject}/h:administrativeGenderCode/@code"),
            "born": one(birth, f"{subject}/h:birthTime/@value"),
            "multiple": one(birth, f"{subject}/sdtc:multipleBirthInd/@value"),
            "observations": [(one(o, "h:code/@code") or one(o, "h:code/@nullFlavor"),
                              one(o, "h:value/@code") or one(o, "h:value/@value")
                              or one(o, "h:value/@nullFlavor"), one(o, "h:value/@unit"))
                             for o in birth.xpath("h:component/h:observation", namespaces=NS)],
        })
    return {
        "period": (one(organizer, "h:effectiveTime/h:low/@value"),
                   one(organizer, "h:effectiveTime/h:high/@value")),
        "count": one(organizer, ".//h:observation[h:code/@code='55281-0']/h:value/@value"),
        "amp": one(organizer, ".//h:observation[h:code/@code='09.02']/h:value/@value"),
        "births": births,
    }


MOTHER = {"patient__nom_naissance": "NESSI", "patient__nom_utilise": "DECOURCY",
          "patient__premier_prenom": "RUTH"}


@pytest.mark.parametrize(("example", "annex"), [
    ("patiente-enceinte", grossesse(
        grossesse__date_debut="2023-09-01", grossesse__nombre_foetus="2", grossesse__amp="N",
        foetus1__ipp="8800000001", foetus1__sexe="F", foetus1__prenom="LEA",
        foetus2__ipp="8800000002", foetus2__sexe="M", foetus2__prenom="PIERRE")),
    ("patiente-post-grossesse", TWINS_ENDED),
])
def test_the_ans_examples_pregnancy_written_on_paper_comes_back_out_equivalent(
        example: str, annex: dict[str, object]) -> None:
    official = etree.parse(str(KIT / "examples" / f"SDM-MR_2024.01_{example}.xml")).getroot()
    expected = birth_facts(official)
    assert len(expected["births"]) == 2  # type: ignore[arg-type]
    ours = birth_facts(document(annex, **MOTHER))
    if example == "patiente-post-grossesse":
        # the example's newborn also has the list of its forenames (« Léa Marie »): the
        # annex has one forename comb, the list is not on paper
        newborn = expected["births"][0]  # type: ignore[index]
        newborn["names"] = [n for n in newborn["names"] if n[0] is not None]
    assert ours == expected
