"""CDA R2 SDM-MR 2024.01 export: varied records from both sample centres, every document
checked by the official ANS rules (XML Schema + schematron, the kit in
``bordereau/templates/ans-sdm-mr``), content checked with XPath, incomplete records refused
with French reasons."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from bordereau.base.engine import Database
from bordereau.export import (
    ExportPatient,
    patient_from_sheets,
    render_cda,
)
from bordereau.export.ans import VALUE_SETS, validator
from bordereau.export.batch import CdaExporter
from bordereau.forms.centre import Centre, load_centre
from bordereau.forms.model import load_form

ROOT = Path(__file__).resolve().parents[1]
LYON = ROOT / "samples" / "centres" / "lyon-os.yaml"
MARSEILLE = ROOT / "samples" / "centres" / "marseille-neuromusculaire.yaml"
JDV = VALUE_SETS
NS = {"h": "urn:hl7-org:v3", "sdtc": "urn:hl7-org:sdtc", "svs": "urn:ihe:iti:svs:2008"}
PARIS = timezone(timedelta(hours=1))
CREATED = datetime(2024, 3, 1, 9, 30, tzinfo=PARIS)
IPP_OID = "1.2.250.1.999.42.1"


@cache
def centre(path: Path) -> Centre:
    return load_centre(path).centre


def blank(kind: str) -> dict[str, object]:
    """Every item id of the form, empty (as committed when nothing was written)."""
    return {item.id: None for item in load_form(kind).items if item.kind != "label_zone"}


def initiale(path: Path = LYON, **values: object) -> dict[str, object]:
    """A minimal complete fiche initiale of the centre, with ``values`` (``__`` for ``.``)."""
    lyon = path == LYON
    # fmt: off
    data = blank("initiale") | {
        "opposition.information": "Y", "opposition.opposition_eds": "N",
        "patient.nom_naissance": "MARTIN" if lyon else "OUALI",
        "patient.premier_prenom": "LEA" if lyon else "YANIS",
        "patient.sexe": "F" if lyon else "M",
        "patient.date_naissance": "2015-03-14" if lyon else "2012-11-02",
        "patient.ipp": "0012345678" if lyon else "20241234",
        "prise_en_charge.date_inclusion": "2024-01-10",
        "prise_en_charge.medecin_referent": "10000999010" if lyon else "10000999119",
        "prise_en_charge.hors_labellisation": "N", "prise_en_charge.adresse_par": ["ORG-022"],
        "activite.date": "2024-01-10", "activite.contexte": "11429006",
        "activite.objectifs": ["MED-097"], "activite.profession": "G15_10",
        "diagnostic1.maladie": "15" if lyon else "98896", "diagnostic1.statut": "255545003",
        "diagnostic1.age_premiers_signes": "303112003", "diagnostic1.age_diagnostic": "255407002",
        "diagnostic1.appreciation": "2667000", "vital.decede": False, "vital.perdu_de_vue": False,
    }
    # fmt: on
    return data | {key.replace("__", "."): value for key, value in values.items()}


def suivi(**values: object) -> dict[str, object]:
    """A fiche de suivi of the Lyon patient of ``initiale()``."""
    # fmt: off
    data = blank("suivi") | {
        "patient.date_naissance": "2015-03-14", "patient.ipp": "0012345678",
        "patient.nom_naissance": "MARTIN", "patient.premier_prenom": "LEA",
        "activite.contexte": "11429006", "activite.objectifs": ["ORG-047"],
        "activite.profession": "G15_10", "vital.decede": False, "vital.perdu_de_vue": False,
    }
    # fmt: on
    return data | {key.replace("__", "."): value for key, value in values.items()}


def valid_cda(xml: str) -> etree._Element:
    """A rendered document, checked by the ANS kit (XSD and schematron), parsed."""
    result = validator().check(xml)
    assert result.valid, result.xsd_errors + result.schematron_errors
    return etree.fromstring(xml.encode("utf-8"))


def exported_alone(db: Database, out: Path) -> etree._Element:
    """The one document an export of the base writes to ``out`` (no patient skipped),
    checked by the ANS kit (XSD and schematron), parsed."""
    report = CdaExporter(db, "alice").export(out)
    assert report.skipped == [] and len(report.written) == 1
    (path,) = out.glob("*.xml")
    assert validator().check_file(path).valid
    return etree.parse(str(path)).getroot()


def build(
    data: dict[str, object],
    path: Path = LYON,
    suivis: list[tuple[dict[str, object], datetime]] | None = None,
    **options: Any,
) -> ExportPatient:
    return patient_from_sheets(
        data, suivis or [], centre(path), ipp_oid=IPP_OID, created_at=CREATED, **options
    )


def cases() -> dict[str, ExportPatient]:
    """Varied, realistic records; every one must give a valid document."""
    m = MARSEILLE
    # fmt: off
    return {
        "lyon-minimal": build(initiale()),
        "marseille-minimal": build(initiale(m), m),
        "lyon-deceased": build(initiale(
            vital__decede=True, vital__date_deces="2024-02-20", vital__deces_lie_maladie="Y",
            famille__consanguinite="Y", famille__premier_cas="Y", opposition__opposition_eds="Y",
            patient__commune_residence="69266", patient__lieu_naissance="69123",
        )),
        "marseille-two-diagnoses": build(initiale(
            m,
            diagnostic1__date="2016-04-11", diagnostic1__cas="255401001",
            diagnostic2__code_orpha="558", diagnostic2__statut="24800002",
            diagnostic2__age_premiers_signes="MED-1288", diagnostic2__age_diagnostic="767023003",
            diagnostic2__age_diagnostic_valeur="12", diagnostic2__age_diagnostic_unite="a",
            diagnostic2__appreciation="88323005", diagnostic2__cim10="Q874",
        ), m),
        "marseille-en-cours": build(initiale(
            m, diagnostic1__maladie=None, diagnostic1__statut="385651009",
            diagnostic1__age_premiers_signes="767023003",
            diagnostic1__age_premiers_signes_valeur="18",
            diagnostic1__age_premiers_signes_unite="mo",
            diagnostic1__age_diagnostic="373068000", diagnostic1__cim10="G710",
            famille__consanguinite="UNK",
        ), m),
        "lyon-genetics": build(initiale(
            diagnostic1__maladie="666", diagnostic1__techniques=["MED-083", "MED-084", "MED-082"],
            diagnostic1__gene1="COL1A1", diagnostic1__gene2="col1a2",
            diagnostic1__age_diagnostic_genetique="767023003",
            diagnostic1__age_diagnostic_genetique_valeur="2",
            diagnostic1__age_diagnostic_genetique_unite="a",
            patient__ins="215036912345691", patient__lieu_naissance="69123",
        ), birth_forenames="LEA MARIE", facility_type="SA01"),
        "lyon-neonatal": build(initiale(
            patient__date_naissance="2023-12-01", neonatal__amp="Y", neonatal__terme="N",
            neonatal__age_gestationnel="34", neonatal__malformation="255204007",
            neonatal__poids="2100", neonatal__taille="44", neonatal__perimetre_cranien="31",
        )),
        "lyon-neonatal-at-term": build(initiale(
            neonatal__amp="UNK", neonatal__terme="Y", neonatal__malformation="50607009",
            neonatal__poids="3350",
        )),
        "marseille-research": build(initiale(
            m, recherche__accord_contact="Y", recherche__echantillon_recherche="N",
            recherche__echantillon_diagnostic="UNK", opposition__consentement_ern="Y",
            commentaire__texte='Suivi partagé avec Lyon <cardio> & "kiné" l\'été\x0c',
        ), m),
        "lyon-suivis": build(
            initiale(diagnostic1__maladie=None, diagnostic1__statut="385651009"),
            suivis=[
                (suivi(activite__date="2024-09-03", activite__responsable="10000999036",
                       activite__profession="93", vital__perdu_de_vue=True,
                       diagnostic__statut="255545003", diagnostic__maladie="1860"),
                 datetime(2024, 9, 4, 14, 0, tzinfo=PARIS)),
                (suivi(activite__date="2024-04-15", activite__contexte="ORG-198",
                       activite__objectifs=["ORG-047", "MED-098"]),
                 datetime(2024, 4, 16, 8, 0, tzinfo=PARIS)),
            ],
        ),
        "marseille-partial-dates": build(initiale(
            m, patient__date_naissance="1987", prise_en_charge__date_inclusion="2023-05",
            activite__date="2023-05", diagnostic1__date="1994", vital__decede=True,
            vital__date_deces="2024-01",
        ), m),
        "lyon-family": build(initiale(
            famille__premier_cas="N", famille__ipp_premier_cas="0012300001",
            patient__lieu_naissance="99134", patient__nom_utilise="DURAND", neonatal__amp="N",
        )),
    }
    # fmt: on


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Render every case and check each with the official ANS kit (compiled once)."""
    folder = tmp_path_factory.mktemp("cda")
    documents = {}
    start = time.monotonic()
    for name, patient in cases().items():
        path = folder / f"{name}.xml"
        path.write_text(render_cda(patient), encoding="utf-8")
        documents[name] = {"tree": etree.parse(str(path)),
                           "result": validator().check_file(path)}
    print(f"\n{len(documents)} documents rendered and validated in "
          f"{time.monotonic() - start:.1f} s")
    return documents


def xp(doc: dict[str, Any], path: str) -> list[Any]:
    found: list[Any] = doc["tree"].xpath(path, namespaces=NS)
    return found


def vals(doc: dict[str, Any], code: str, attr: str = "code") -> list[str]:
    """The ``attr`` of the values of every observation coded ``code``."""
    return xp(doc, f"//h:observation[h:code/@code='{code}']/h:value/@{attr}")


@pytest.mark.parametrize("name", list(cases()))
def test_document_passes_the_ans_rules(documents: dict[str, Any], name: str) -> None:
    result = documents[name]["result"]
    errors = result.xsd_errors + result.schematron_errors
    assert result.valid, f"{name}:\n" + "\n".join(errors)


def test_header_carries_identity_author_and_custodian(documents: dict[str, Any]) -> None:
    doc = documents["lyon-minimal"]
    patient = "/h:ClinicalDocument/h:recordTarget/h:patientRole"
    assert xp(doc, f"{patient}/h:id/@extension") == ["0012345678"]
    assert xp(doc, f"{patient}/h:id/@root") == [IPP_OID]
    assert xp(doc, f"{patient}/h:patient/h:name/h:family[@qualifier='BR']/text()") == ["MARTIN"]
    assert xp(doc, f"{patient}/h:patient/h:name/h:given[@qualifier='BR']/text()") == ["LEA"]
    assert xp(doc, f"{patient}/h:patient/h:administrativeGenderCode/@code") == ["F"]
    assert xp(doc, f"{patient}/h:patient/h:birthTime/@value") == ["20150314"]
    assert xp(doc, "//h:assignedAuthor/h:id/@extension") == ["810000999010"]
    assert xp(doc, "//h:representedCustodianOrganization/h:id/@extension") == ["1690009998"]
    assert xp(doc, "/h:ClinicalDocument/h:authorization") == []  # no opposition
    assert xp(doc, "//h:code[@code='PAT-061']/../h:value/@value") == ["false"]


def test_codes_of_the_minimal_record(documents: dict[str, Any]) -> None:
    doc = documents["marseille-minimal"]
    problem = "//h:observation[h:code/@code='282291009']"
    assert xp(doc, f"{problem}/h:value/@code") == ["98896"]
    assert xp(doc, f"{problem}/h:value/@codeSystem") == ["1.2.250.1.213.2.49.1"]
    assert vals(doc, "MED-072") == ["255545003"]
    assert xp(doc, "//h:encounter/h:informant//h:code/@code") == ["ORG-022"]
    sites = xp(doc, "//h:participantRole/h:id[@root='1.2.250.1.213.2.61']/@extension")
    assert sites == ["S902", "S902"]
    assert vals(doc, "ORG-034") == ["MED-097"]


def test_deceased_opposed_consanguineous(documents: dict[str, Any]) -> None:
    doc = documents["lyon-deceased"]
    assert xp(doc, "//sdtc:deceasedInd/@value") == ["true"]
    assert xp(doc, "//sdtc:deceasedTime/@value") == ["20240220"]
    assert xp(doc, "//h:consent/h:code/@code") == ["GEN-315"]
    assert xp(doc, "//h:observation[h:value/@code='419620001']/h:code/@code") == ["11323-3"]
    assert xp(doc, "//h:observation[h:value/@code='842009']/@negationInd") == ["false"]
    assert xp(doc, "//h:patientRole/h:addr/h:county/text()") == ["69266"]
    assert xp(doc, "//h:birthplace//h:county/text()") == ["69123"]


def test_two_diagnoses_and_a_written_orpha_code(documents: dict[str, Any]) -> None:
    doc = documents["marseille-two-diagnoses"]
    values = vals(doc, "282291009")
    assert values == ["98896", "558"]
    assert vals(doc, "MED-072") == ["255545003", "24800002"]
    assert vals(doc, "MED-1284") == ["Q87.4"]
    assert vals(doc, "PAT-063", "unit") == ["a"]


def test_en_cours_without_orpha_code(documents: dict[str, Any]) -> None:
    doc = documents["marseille-en-cours"]
    value = xp(doc, "//h:observation[h:code/@code='282291009']/h:value")[0]
    assert value.get("nullFlavor") == "UNK"
    assert vals(doc, "PAT-014", "value") == ["18"]
    assert xp(doc, "//h:observation[h:value/@code='842009']") == []  # "ne sait pas"
    assert xp(
        doc, "//h:observation[h:text/h:reference/@value='#consanguinite']/h:value/@nullFlavor"
    ) == ["UNK"]


def test_genetics_genes_and_qualified_ins(documents: dict[str, Any]) -> None:
    doc = documents["lyon-genetics"]
    assert vals(doc, "MED-1286") == ["MED-083", "MED-084", "MED-082"]
    assert vals(doc, "MED-552") == ["HGNC:2197", "HGNC:2198"]
    assert vals(doc, "PAT-064") == ["767023003"]
    assert xp(doc, "//h:patient/h:name/h:given[not(@qualifier)]/text()") == ["LEA MARIE"]
    assert xp(doc, "//h:healthCareFacility/h:code/@code") == ["SA01"]
    ins = xp(doc, "//h:patientRole/h:id[@root='1.2.250.1.213.1.4.8']/@extension")
    assert ins == ["215036912345691"]


def test_neonatal_sections(documents: dict[str, Any]) -> None:
    doc = documents["lyon-neonatal"]
    assert xp(doc, "//h:procedure/h:code/@code") == ["09.02"]
    assert vals(doc, "11884-4", "value") == ["34"]
    assert vals(doc, "MED-078") == ["255204007"]
    vitals = xp(doc, "//h:organizer[h:code/@code='85353-1']/h:component/h:observation")
    measures = [(v[5].get("code"), v[-1].get("value")) for v in vitals]
    assert measures == [("29463-7", "2100"), ("8302-2", "44"), ("8287-5", "31")]
    at_term = documents["lyon-neonatal-at-term"]
    assert xp(at_term, "//h:procedure") == []  # AMP "ne sait pas": narrative only
    assert xp(at_term, "//h:observation[h:code/@code='MED-078']") == []  # see docs/cda.md
    assert xp(at_term, "//h:content[@ID='malformation']/text()") == ["Unique"]


def test_research_consent_and_escaped_comment(documents: dict[str, Any]) -> None:
    doc = documents["marseille-research"]
    research = "//h:section[h:code/@code='GEN-369']//h:observation"
    answers = {o[3].get("code"): o[-1] for o in xp(doc, research)}
    assert answers["PAT-012"].get("value") == "true"
    assert answers["MED-065"].get("value") == "false"
    assert answers["MED-066"].get("nullFlavor") == "UNK"
    assert xp(doc, "//h:consent/h:code/@code") == ["GEN-320"]
    comment = xp(doc, "//h:content[@ID='diag1-commentaire']/text()")
    assert comment == ['Suivi partagé avec Lyon <cardio> & "kiné" l\'été']


def test_suivis_add_activities_and_update_status(documents: dict[str, Any]) -> None:
    doc = documents["lyon-suivis"]
    activities = "//h:section[h:code/@code='46240-8']/h:entry/h:encounter"
    assert xp(doc, f"{activities}/h:effectiveTime/@value") == ["20240110", "20240415", "20240903"]
    assert xp(doc, f"{activities}/h:code/@code") == ["11429006", "ORG-198", "11429006"]
    performer = f"({activities})[3]/h:performer/h:assignedEntity"
    assert xp(doc, f"{performer}/h:id/@extension") == ["810000999036"]
    assert xp(doc, f"{performer}/h:code/@code") == ["93"]
    objectives = xp(doc, f"({activities})[2]/h:entryRelationship//h:value/@code")
    assert objectives == ["ORG-047", "MED-098"]
    assert vals(doc, "MED-072") == ["255545003"]
    assert vals(doc, "282291009") == ["1860"]
    assert xp(doc, "//h:code[@code='PAT-061']/../h:value/@value") == ["true"]
    assert xp(doc, "//h:code[@code='GEN-165']/../h:value/@value") == ["20240904140000+0100"]


def test_partial_dates_keep_their_precision(documents: dict[str, Any]) -> None:
    doc = documents["marseille-partial-dates"]
    assert xp(doc, "//h:patient/h:birthTime/@value") == ["1987"]
    assert xp(doc, "//sdtc:deceasedTime/@value") == ["202401"]
    inclusion = "//h:section[h:code/@code='18776-5']//h:encounter/h:effectiveTime/h:low/@value"
    assert xp(doc, inclusion) == ["202305"]
    diagnosis = "//h:observation[h:code/@code='282291009']/h:effectiveTime/h:low/@value"
    assert xp(doc, diagnosis) == ["1994"]


def test_family_first_case_and_used_name(documents: dict[str, Any]) -> None:
    doc = documents["lyon-family"]
    assert xp(doc, "//h:relatedSubject/h:subject/sdtc:id/@extension") == ["0012300001"]
    assert xp(doc, "//h:patient/h:name/h:family[@qualifier='CL']/text()") == ["DURAND"]
    assert xp(doc, "//h:birthplace//h:county/text()") == ["99134"]
    assert xp(doc, "//h:procedure[h:code/@code='09.02']/@negationInd") == ["true"]


def _concepts(file: str) -> set[tuple[str, str]]:
    tree = etree.parse(str(JDV / file))
    return {
        (str(c.get("code")), str(c.get("codeSystem"))) for c in tree.iterfind(".//svs:Concept", NS)
    }


BINDINGS = {  # item code -> value set (some are not bound by the official schematron)
    "MED-072": "JDV_StatutActuelDiagnostic_CISIS.xml",
    "PAT-013": "JDV_Age_CISIS.xml",
    "PAT-062": "JDV_Age_CISIS.xml",
    "PAT-064": "JDV_Age_CISIS.xml",
    "MED-071": "JDV_AppreciationDiagnosticCentre_CISIS.xml",
    "MED-073": "JDV_CasSporadiqueFamilial_CISIS.xml",
    "MED-1286": "JDV_TechniquesDiagnostic_CISIS.xml",
    "MED-078": "JDV_MalformationAntenatale_CISIS.xml",
    "ORG-034": "JDV_ObjectifActivite_CISIS.xml",
}


def test_bound_values_are_official_and_references_resolve(documents: dict[str, Any]) -> None:
    for name, doc in documents.items():
        ids = set(xp(doc, "//@ID"))
        refs = {r.lstrip("#") for r in xp(doc, "//h:reference/@value")}
        assert refs <= ids, (name, refs - ids)
        for code, file in BINDINGS.items():
            allowed = _concepts(file)
            for value in xp(doc, f"//h:observation[h:code/@code='{code}']/h:value[@code]"):
                assert (value.get("code"), value.get("codeSystem")) in allowed, (name, code)
        contexts = _concepts("JDV_ContexteActivite_CISIS.xml")
        for c in xp(doc, "//h:section[h:code/@code='46240-8']//h:encounter/h:code"):
            assert (c.get("code"), c.get("codeSystem")) in contexts, name
