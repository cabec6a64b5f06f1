"""CDA export of the annexe traitements: the section FR-Traitements-maladies-rares
(1.2.250.1.213.1.1.2.54) as in the ANS example SDM-MR 2021.01, checked by the 2024.01 kit
(XML Schema and schematron) and by the ANS rules of that section and of its entries
vendored in ``templates/ans-traitements/``; contradictions refused in French."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from bordereau.export import check_exportable, render_cda
from bordereau.export.ans import TREATMENT_RULES, validator
from bordereau.export.model import ExportPatient
from tests.conftest import LYON
from tests.factories import INITIALE, Factory
from tests.test_cda import NS, PARIS, blank, build, exported_alone, initiale, valid_cda

AT = datetime(2024, 3, 5, 11, tzinfo=PARIS)
SECTION = "//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.54']"
ENTRIES = f"{SECTION}/h:entry/h:substanceAdministration"
MATERIAL = "h:consumable/h:manufacturedProduct/h:manufacturedMaterial"
ATC, EMA = "2.16.840.1.113883.6.73", "1.2.250.1.213.2.50"
# The entry of the ANS example SDM-MR 2021.01 (ansforge/TestContenuCDA-2-41 at 8899ee7f,
# ExemplesCDA/SDM-MR_2021.01.xml): Dacogen, EMA number and ATC translation.
EXAMPLE = {"code": "EMEA/H/C/002221", "codeSystem": EMA, "translation": "L01BC08"}


def traitements(**values: object) -> dict[str, object]:
    """An annexe traitements of the Lyon patient of ``initiale()``."""
    data = blank("annexe_traitements") | {"patient.ipp": "0012345678"}
    return data | {key.replace("__", "."): value for key, value in values.items()}


def patient(*annexes: dict[str, object], at: datetime = AT) -> ExportPatient:
    return build(initiale(), annexes=[("annexe_traitements", a, at) for a in annexes])


def document(*annexes: dict[str, object]) -> Any:
    exported = patient(*annexes)
    assert check_exportable(exported) == []
    xml = render_cda(exported)
    root = valid_cda(xml)
    ids = {str(i) for i in root.xpath("//h:text//@ID", namespaces=NS)}
    refs = {str(r)[1:] for r in root.xpath(f"{SECTION}//h:reference/@value", namespaces=NS)}
    assert refs and refs <= ids, refs - ids  # every narrative reference resolves
    return root


THREE = traitements(
    traitement1__medicament="DECITABINE", traitement1__atc="L01BC08",
    traitement1__ema="002221", traitement1__date_debut="2024-01-15",
    traitement2__medicament="SAPROPTERINE", traitement2__atc="A16AX07",
    traitement2__date_debut="2023-05", traitement2__arrete=True,
    traitement2__date_fin="2024-02-20",
    traitement4__medicament="NUSINERSEN")


def test_treatments_are_sent_as_in_the_ans_2021_example() -> None:
    root = document(THREE)
    (section,) = root.xpath(SECTION, namespaces=NS)
    # a section of the structured body, as in the example (after the research results)
    assert section.getparent().getparent().tag == "{urn:hl7-org:v3}structuredBody"
    assert section.xpath("string(h:code/@code)", namespaces=NS) == "10160-0"
    entries = root.xpath(ENTRIES, namespaces=NS)
    assert len(entries) == 3
    for entry in entries:
        assert entry.xpath("h:templateId/@root", namespaces=NS) == [
            "2.16.840.1.113883.10.20.1.24", "1.3.6.1.4.1.19376.1.5.3.1.4.7",
            "1.2.250.1.213.1.1.3.13", "1.3.6.1.4.1.19376.1.5.3.1.4.7.1"]
        assert entry.xpath("string(h:statusCode/@code)", namespaces=NS) == "completed"
    s = lambda node, path: str(node.xpath(f"string({path})", namespaces=NS))  # noqa: E731
    decitabine, sapropterine, nusinersen = entries
    code = f"{MATERIAL}/h:code"
    assert {"code": s(decitabine, f"{code}/@code"),
            "codeSystem": s(decitabine, f"{code}/@codeSystem"),
            "translation": s(decitabine, f"{code}/h:translation[@codeSystem='{ATC}']/@code")
            } == EXAMPLE
    assert s(decitabine, f"{MATERIAL}/h:name") == "DECITABINE"
    assert s(decitabine, "h:effectiveTime/h:low/@value") == "20240115"
    assert s(decitabine, "h:effectiveTime/h:high/@nullFlavor") == "UNK"  # in progress
    assert s(sapropterine, f"{code}/@code") == "A16AX07"
    assert s(sapropterine, f"{code}/@codeSystem") == ATC
    assert s(sapropterine, "h:effectiveTime/h:low/@value") == "202305"
    assert s(sapropterine, "h:effectiveTime/h:high/@value") == "20240220"
    assert s(nusinersen, f"{code}/@nullFlavor") == "UNK"  # named, not coded
    assert s(nusinersen, f"{MATERIAL}/h:name") == "NUSINERSEN"
    text = " ".join(section.xpath("string(h:text)", namespaces=NS).split())
    assert "SAPROPTERINE A16AX07 05/2023 20/02/2024 Arrêté" in text
    assert "DECITABINE L01BC08 EMEA/H/C/002221 15/01/2024 En cours" in text


def test_no_annex_no_section_and_a_later_sheet_updates_the_same_treatment() -> None:
    assert not etree.fromstring(render_cda(patient()).encode("utf-8")).xpath(
        SECTION, namespaces=NS)
    started = traitements(traitement1__medicament="NUSINERSEN", traitement1__atc="M09AX07",
                          traitement1__date_debut="2023-05-02")
    stopped = started | {"traitement1.arrete": True, "traitement1.date_fin": "2024-03-01"}
    exported = build(initiale(), annexes=[("annexe_traitements", started, AT),
                                          ("annexe_traitements", stopped,
                                           datetime(2024, 3, 6, tzinfo=PARIS))])
    (treatment,) = exported.treatments
    assert treatment.stopped and treatment.end is not None and treatment.end.ts == "20240301"


def test_contradictions_are_refused_in_french() -> None:
    def reasons(**values: object) -> list[str]:
        return [p.reason for p in check_exportable(patient(traitements(**values)))]

    assert reasons(traitement1__medicament="SAPROPTERINE", traitement1__atc="A16AX7") == [
        "code ATC « A16AX7 » invalide (une lettre, 2 chiffres, 2 lettres, 2 chiffres : "
        "ex. A16AX07)"]
    assert reasons(traitement1__atc="16AAX07") == [
        "code ATC « 16AAX07 » invalide (une lettre, 2 chiffres, 2 lettres, 2 chiffres : "
        "ex. A16AX07)"]
    assert reasons(traitement1__medicament="DECITABINE", traitement1__ema="2221") == [
        "n° EMA (6 chiffres après EMEA/H/C/) incorrect : « 2221 »"]
    assert reasons(traitement1__date_debut="2024-01-15") == [
        "traitement sans nom de médicament ni code ATC"]
    assert reasons(traitement1__medicament="NUSINERSEN", traitement1__date_debut="2024-01-15",
                   traitement1__date_fin="2023-12-01") == [
        "date d’arrêt (01/12/2023) avant la date de début (15/01/2024)"]
    exported = patient(traitements(traitement1__medicament="NUSINERSEN",
                                   traitement1__date_debut="2024-01-15",
                                   traitement1__arrete=True))
    assert check_exportable(exported) == []  # sent without its end, left for review
    assert [p.reason for p in exported.to_review] == [
        "traitement arrêté sans date d’arrêt : transmis sans date de fin"]


def test_the_vendored_ans_rules_really_check_the_section() -> None:
    """Not vacuous: the 2024.01 kit has no rule for this section; the ANS rules vendored
    from the previous kit refuse a wrong section code and an entry without its IHE
    templates, and are not run on a document without the section."""
    assert TREATMENT_RULES.is_file()
    xml = render_cda(patient(THREE))
    assert validator().check(xml).valid
    wrong = validator().check(xml.replace('code="10160-0"', 'code="10160-1"'))
    assert not wrong.valid and wrong.xsd_errors == []
    assert "schématron S_traitementsMaladiesRares_ANS" in wrong.rules
    root = etree.fromstring(xml.encode("utf-8"))
    for template in root.xpath(f"{ENTRIES}/h:templateId[@root='2.16.840.1.113883.10.20.1.24']",
                               namespaces=NS):
        template.getparent().remove(template)
    missing = validator().check(etree.tostring(root, encoding="unicode"))
    assert "schématron E_medications_int.sch" in missing.rules
    for node in root.xpath(f"{ENTRIES}/h:text", namespaces=NS):
        node.getparent().remove(node)
    assert "schématron E_medications_int.sch" in validator().check(
        etree.tostring(root, encoding="unicode")).rules
    no_section = render_cda(patient())
    assert validator().check(no_section.replace('code="10160-0"', 'code="10160-1"')).valid


def test_a_committed_annex_goes_out_in_its_patients_document(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE)
    annex = factory.sheet("annexe_traitements", {
        "patient.ipp": INITIALE["patient.ipp"], "traitement1.medicament": "SAPROPTERINE",
        "traitement1.atc": "A16AX07", "traitement1.date_debut": "2024-01-15"})
    assert annex.status == "committed" and annex.kind == "annexe_traitements"
    root = exported_alone(factory.db, tmp_path / "cda")
    assert root.xpath(f"{ENTRIES}/{MATERIAL}/h:code/@code", namespaces=NS) == ["A16AX07"]
