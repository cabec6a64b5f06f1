"""CDA export of the annex sheets (``forms generate --annexe``): the annexe statut
fonctionnel gives the section FR-Statut-fonctionnel of the ANS examples, checked by the
kit's XML Schema and schematron; bad values are refused with a French reason."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lxml import etree

from bordereau.export import check_exportable, render_cda
from tests.conftest import LYON
from tests.factories import INITIALE, Factory
from tests.test_cda import NS, PARIS, blank, build, exported_alone, initiale, valid_cda

AT = datetime(2024, 7, 22, 11, tzinfo=PARIS)


def statut(**values: object) -> dict[str, object]:
    """An annexe statut fonctionnel of the Lyon patient of ``initiale()``."""
    data = blank("annexe_statut") | {"patient.ipp": "0012345678",
                                     "patient.date_naissance": "2015-03-14"}
    return data | {key.replace("__", "."): value for key, value in values.items()}


def document(*annexes: dict[str, object]) -> etree._Element:
    patient = build(initiale(), annexes=[("annexe_statut", a, AT) for a in annexes])
    assert check_exportable(patient) == []
    xml = render_cda(patient)
    return valid_cda(xml)


def test_cif_evaluations_are_sent_as_in_the_ans_examples_and_pass_the_kit() -> None:
    root = document(statut(
        statut1__code="B117", statut1__qualificatif="3", statut1__date="2024-07-22",
        statut2__code="D450", statut2__qualificatif="2", statut2__date="2024-07-22",
        statut3__code="b1440", statut3__qualificatif="1", statut3__date="2024-05-02",
    ))
    (section,) = root.xpath("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.246']",
                            namespaces=NS)
    organizers = section.xpath("h:entry/h:organizer", namespaces=NS)
    assert [o.xpath("string(h:effectiveTime/h:low/@value)", namespaces=NS)
            for o in organizers] == ["20240722", "20240502"]
    values = section.xpath(".//h:observation/h:value", namespaces=NS)
    assert [(v.get("code"), v.get("codeSystem"), v.get("displayName")) for v in values] == [
        ("b117.3", "2.16.840.1.113883.6.254", "Déficience grave"),
        ("d450.2", "2.16.840.1.113883.6.254", "Déficience modérée"),
        ("b1440.1", "2.16.840.1.113883.6.254", "Déficience légère"),
    ]
    assert section.xpath("string(.//h:content[@ID='statut-fonctionnel-1'])",
                         namespaces=NS) == "CIF b117 : Déficience grave (CIF : b117.3)"


def test_an_evaluation_without_its_date_is_dated_by_the_annex() -> None:
    root = document(statut(statut1__code="B117", statut1__qualificatif="4"))
    (low,) = root.xpath("//h:organizer/h:effectiveTime/h:low/@value", namespaces=NS)
    assert low == "20240722"


def test_no_annex_no_section() -> None:
    root = document()
    assert not root.xpath("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.246']",
                          namespaces=NS)


def test_a_bad_cif_code_or_a_missing_qualifier_is_refused_in_french() -> None:
    patient = build(initiale(), annexes=[("annexe_statut", statut(
        statut1__code="X117", statut1__qualificatif="3",
        statut2__code="B117"), AT)])
    reasons = [(p.item, p.reason) for p in check_exportable(patient)]
    assert reasons == [
        ("Code CIF (lettre b, s, d ou e puis chiffres, sans le point) [statut1.code, annexe "
         "statut fonctionnel du 22/07/2024]",
         "code CIF « X117 » invalide (une lettre b, s, d ou e puis 1 à 5 chiffres)"),
        ("Qualificatif (étendue de la déficience) [statut2.qualificatif, annexe statut "
         "fonctionnel du 22/07/2024]", "qualificatif absent pour le code CIF B117"),
    ]


def test_a_committed_annex_goes_out_in_its_patients_document(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE)
    annex = factory.sheet("annexe_statut", {
        "patient.ipp": INITIALE["patient.ipp"], "statut1.code": "D450",
        "statut1.qualificatif": "2", "statut1.date": "2024-03-02"})
    stranger = factory.sheet("annexe_statut", {
        "patient.ipp": "4100200999", "statut1.code": "B117", "statut1.qualificatif": "3"})
    assert (annex.status, stranger.status) == ("committed", "waiting_review")
    root = exported_alone(factory.db, tmp_path / "cda")
    values = root.xpath("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.246']"
                        "//h:observation/h:value/@code", namespaces=NS)
    assert values == ["d450.2"]


def identite(**values: object) -> dict[str, object]:
    """An annexe identité et famille of the Lyon patient of ``initiale()``."""
    data = blank("annexe_identite") | {"patient.ipp": "0012345678"}
    return data | {key.replace("__", "."): value for key, value in values.items()}


NIR = "215036912345691"  # 2 = F, born 03/2015 in 69123 (Lyon), valid key


def identity_document(annex: dict[str, object], **fiche: object
                      ) -> tuple[etree._Element, list[tuple[str, str]]]:
    data = initiale(patient__ins=NIR, patient__lieu_naissance="69123", **fiche)
    patient = build(data, annexes=[("annexe_identite", annex, AT)])
    problems = [(p.item, p.reason) for p in check_exportable(patient)]
    if problems:
        return etree.Element("none"), problems
    xml = render_cda(patient)
    return valid_cda(xml), []


def test_the_birth_certificate_forenames_on_paper_make_the_ins_sendable() -> None:
    without, _ = identity_document(identite())
    ids = "/h:ClinicalDocument/h:recordTarget/h:patientRole/h:id/@extension"
    assert without.xpath(ids, namespaces=NS) == ["0012345678"]
    root, _ = identity_document(identite(identite__prenoms_acte="LEA  MARIE"))
    assert root.xpath(ids, namespaces=NS) == [NIR, "0012345678"]
    name = root.xpath("//h:recordTarget//h:patient/h:name", namespaces=NS)[0]
    assert name.xpath("string(h:given[not(@qualifier)])", namespaces=NS) == "LEA MARIE"
    # forenames that do not start with the first forename of the fiche: INS not sent
    other, _ = identity_document(identite(identite__prenoms_acte="MARIE LEA"))
    assert other.xpath(ids, namespaces=NS) == ["0012345678"]


def test_used_forename_multiple_birth_guardian_and_gp_go_where_the_examples_put_them(
        ) -> None:
    root, problems = identity_document(identite(
        identite__prenoms_acte="LEA MARIE", identite__prenom_utilise="LOU",
        identite__naissance_multiple="Y", identite__rang="2",
        representant__nom_naissance="NESSI", representant__premier_prenom="RUTH",
        medecin_traitant__rpps="10000999010", medecin_traitant__nom="MEDIONI",
        medecin_traitant__prenom="STEPHANE"))
    assert problems == []
    patient = root.xpath("//h:recordTarget//h:patient", namespaces=NS)[0]
    assert patient.xpath("string(h:name/h:given[@qualifier='CL'])", namespaces=NS) == "LOU"
    assert patient.xpath("string(sdtc:multipleBirthInd/@value)", namespaces=NS) == "true"
    assert patient.xpath("string(sdtc:multipleBirthOrderNumber/@value)", namespaces=NS) == "2"
    assert patient.xpath("string(h:guardian//h:family[@qualifier='BR'])",
                         namespaces=NS) == "NESSI"
    (gp,) = root.xpath("/h:ClinicalDocument/h:participant[h:functionCode/@code='PCP']",
                       namespaces=NS)
    assert gp.xpath("string(.//h:id/@extension)", namespaces=NS) == "810000999010"
    assert gp.xpath("string(.//h:family)", namespaces=NS) == "MEDIONI"


def test_a_bad_rpps_key_or_a_rank_without_multiple_birth_is_refused_in_french() -> None:
    _, problems = identity_document(identite(
        identite__naissance_multiple="N", identite__rang="2",
        medecin_traitant__rpps="10000999011", medecin_traitant__nom="MEDIONI"))
    assert [reason for _, reason in problems] == [
        "rang de naissance donné pour une naissance non multiple",
        "la clé du n° RPPS « 10000999011 » est fausse",
    ]


def test_first_case_relationship_sex_disease_and_biobank_are_sent_from_the_annex() -> None:
    fiche = {"famille__premier_cas": "N", "famille__ipp_premier_cas": "0077777777"}
    root, problems = identity_document(identite(
        premier_cas__lien="PCOUSN", premier_cas__sexe="M", premier_cas__code_orpha="0000015",
        biobanque__nom="CRB LYON"), **fiche)
    assert problems == []
    (subject,) = root.xpath("//h:relatedSubject", namespaces=NS)
    assert subject.xpath("string(h:code/@code)", namespaces=NS) == "PCOUSN"
    assert subject.xpath("string(h:subject/h:administrativeGenderCode/@code)",
                         namespaces=NS) == "M"
    disease = root.xpath("//h:organizer/h:component/h:observation[h:code/@code='404684003']"
                         "/h:value", namespaces=NS)[0]
    assert (disease.get("code"), disease.get("codeSystem")) == ("15", "1.2.250.1.213.2.49.1")
    (bank,) = root.xpath("//h:observation[h:code/@code='GEN-344']", namespaces=NS)
    assert root.xpath("string(//h:content[@ID='bio-banque'])", namespaces=NS) == "CRB LYON"
    assert bank.xpath("string(h:value/h:originalText/h:reference/@value)",
                      namespaces=NS) == "#bio-banque"


def test_first_case_details_without_a_first_case_ipp_are_left_for_review() -> None:
    patient = build(initiale(famille__premier_cas="Y"), annexes=[
        ("annexe_identite", identite(premier_cas__lien="MTH"), AT)])
    assert check_exportable(patient) == []
    assert [p.reason for p in patient.to_review] == [
        "premier cas de la famille décrit sur l’annexe, mais la fiche ne dit pas « premier "
        "cas : Non » avec son IPP : non transmis"]


def test_hpo_terms_and_the_diagnosing_site_go_to_diagnosis_1() -> None:
    annex = blank("annexe_genetique") | {
        "patient.ipp": "0012345678", "genetique.site_diagnostic": "S001",
        "genetique.site_nom": "HU ROBERT DEBRE PARIS", "genetique.hpo1": "0001250",
        "genetique.hpo2": "0004322", "genetique.hpo3": "0001250"}
    patient = build(initiale(), annexes=[("annexe_genetique", annex, AT)])
    assert check_exportable(patient) == []
    xml = render_cda(patient)
    root = valid_cda(xml)
    (problem,) = root.xpath("//h:observation[h:code/@code='282291009']", namespaces=NS)
    assert problem.xpath("h:entryRelationship/h:observation[h:code/@code='MED-1284']"
                         "/h:value[@codeSystem='1.2.250.1.213.2.51']/@code",
                         namespaces=NS) == ["HP:0001250", "HP:0004322"]
    assert problem.xpath("string(h:participant[@typeCode='LOC']//h:id/@extension)",
                         namespaces=NS) == "S001"
    assert problem.xpath("string(h:participant//h:playingEntity/h:name)",
                         namespaces=NS) == "HU ROBERT DEBRE PARIS"
    own = build(initiale(), annexes=[("annexe_genetique", annex | {
        "genetique.site_diagnostic": "S901", "genetique.hpo1": "12"}, AT)])
    assert own.diagnostics[0].diagnosing_site is None  # this site: nothing to add
    assert [p.reason for p in check_exportable(own)] == [
        "terme HPO (7 chiffres) incorrect : « 12 »"]
    nameless = build(initiale(), annexes=[("annexe_genetique", annex | {
        "genetique.site_nom": None}, AT)])
    assert [p.reason for p in check_exportable(nameless)] == ["nom du site S001 absent"]


def test_more_genes_other_technique_precision_and_genetic_descriptions() -> None:
    annex = blank("annexe_genetique") | {
        "patient.ipp": "0012345678", "genetique.gene3": "CFTR", "genetique.gene4": "FGFR3",
        "genetique.precision_technique": "PCR DIGITALE",
        "genetique.autres_descriptions": "Délétion 22q11.2 de novo"}
    fiche = initiale(diagnostic1__gene1="FGFR3", diagnostic1__techniques=["GEN-092.04.17"])
    patient = build(fiche, annexes=[("annexe_genetique", annex, AT)])
    assert check_exportable(patient) == []
    xml = render_cda(patient)
    root = valid_cda(xml)
    (problem,) = root.xpath("//h:observation[h:code/@code='282291009']", namespaces=NS)
    rel = "h:entryRelationship/h:observation"
    assert problem.xpath(f"{rel}[h:code/@code='MED-552']/h:value/@code",
                         namespaces=NS) == ["HGNC:3690", "HGNC:1884"]
    (technique,) = problem.xpath(f"{rel}[h:code/@code='MED-1286']/h:value", namespaces=NS)
    ref = technique.xpath("string(h:originalText/h:reference/@value)", namespaces=NS)
    assert root.xpath(f"string(//h:content[@ID='{ref[1:]}'])", namespaces=NS) == "PCR DIGITALE"
    assert problem.xpath(f"string({rel}[h:code/@code='MED-1287']/h:value)",
                         namespaces=NS) == "Délétion 22q11.2 de novo"
    unticked = build(initiale(), annexes=[("annexe_genetique", annex, AT)])
    assert unticked.diagnostics[0].other_technique is None
    assert [p.reason for p in unticked.to_review] == [
        "précision « autre technique » sans « Autre technique » cochée sur la fiche : non "
        "transmise"]


def test_other_context_precision_and_place_of_consultation_go_to_the_first_activity() -> None:
    annex = blank("annexe_genetique") | {
        "patient.ipp": "0012345678", "activite.precision_contexte": "RCP REGIONALE",
        "activite.lieu_finess": "750803454"}
    fiche = initiale(activite__contexte="GEN-092.05.04")
    patient = build(fiche, annexes=[("annexe_genetique", annex, AT)])
    assert check_exportable(patient) == []
    xml = render_cda(patient)
    root = valid_cda(xml)
    (encounter,) = root.xpath("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.76']"
                              "/h:entry/h:encounter", namespaces=NS)
    ref = encounter.xpath("string(h:code/h:originalText/h:reference/@value)", namespaces=NS)
    assert root.xpath(f"string(//h:content[@ID='{ref[1:]}'])",
                      namespaces=NS) == "Autre contexte : RCP REGIONALE"
    assert encounter.xpath("h:participant/h:participantRole/h:id[@root='1.2.250.1.71.4.2.2']"
                           "/@extension", namespaces=NS) == ["1750803454"]
    plain = build(initiale(), annexes=[("annexe_genetique", annex, AT)])
    assert plain.activites[0].contexte_precision is None
    assert [p.reason for p in plain.to_review] == [
        "précision « autre contexte » sans « Autre contexte » coché : non transmise"]
