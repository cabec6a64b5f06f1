"""The official ANS example documents' content that the annexes carry, written on paper
(capitals, as the forms ask) and exported again, comes back out equivalent: same codes,
same identifiers, same names (case and accents aside), same dates."""

from __future__ import annotations

import unicodedata
from typing import Any

from lxml import etree

from bordereau.export import check_exportable, render_cda
from bordereau.export.ans import KIT, validator
from tests.test_cda import NS, blank, build, initiale
from tests.test_cda_annexes import AT

EXAMPLES = KIT / "examples"
RT = "/h:ClinicalDocument/h:recordTarget/h:patientRole/h:patient"
ICF = ("//h:section[h:templateId/@root='1.2.250.1.213.1.1.2.246']"
       "//h:observation[h:value/@codeSystem='2.16.840.1.113883.6.254']")
WHAT = {
    "forenames": f"string({RT}/h:name/h:given[not(@qualifier)])",
    "multiple": f"string({RT}/sdtc:multipleBirthInd/@value)",
    "rank": f"string({RT}/sdtc:multipleBirthOrderNumber/@value)",
    "guardian": f"string({RT}/h:guardian//h:family[@qualifier='BR'])",
    "guardian_given": f"string({RT}/h:guardian//h:given[@qualifier='BR'])",
    "gp": "string(/h:ClinicalDocument/h:participant[h:functionCode/@code='PCP']//h:id/@extension)",
    "gp_name": "string(/h:ClinicalDocument/h:participant[h:functionCode/@code='PCP']//h:family)",
    "relation": "string(//h:relatedSubject/h:code/@code)",
    "first_case_sex": "string(//h:relatedSubject/h:subject/h:administrativeGenderCode/@code)",
    "first_case_disease": "string(//h:organizer/h:component/h:observation"
                          "[h:code/@code='404684003']/h:value/@code)",
    "icf": f"string({ICF}/h:value/@code)",
    "icf_date": f"string({ICF}/h:effectiveTime/h:low/@value)",
}


def plain(text: str) -> str:
    """As written on the form: capitals without accents."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def facts(root: Any, keys: list[str]) -> dict[str, str]:
    return {key: plain(str(root.xpath(WHAT[key], namespaces=NS))) for key in keys}


def export(identity: dict[str, object], statut: dict[str, object] | None = None,
           **fiche: object) -> Any:
    annexes = [("annexe_identite", blank("annexe_identite") | identity, AT)]
    if statut:
        annexes.append(("annexe_statut", blank("annexe_statut") | statut, AT))
    patient = build(initiale(**fiche), annexes=annexes)
    assert check_exportable(patient) == []
    xml = render_cda(patient)
    assert validator().check(xml).valid
    return etree.fromstring(xml.encode("utf-8"))


def test_the_newborn_example_identity_comes_back_out_equivalent() -> None:
    example = etree.parse(str(EXAMPLES / "SDM-MR_2024.01_nouveau-ne.xml")).getroot()
    keys = ["forenames", "multiple", "rank", "guardian", "guardian_given", "gp", "gp_name"]
    expected = facts(example, keys)
    assert all(expected.values()), expected  # the example really has them
    gp = expected["gp"].removeprefix("8")
    root = export({
        "patient.ipp": "0012345678", "identite.prenoms_acte": expected["forenames"],
        "identite.naissance_multiple": "Y", "identite.rang": expected["rank"],
        "representant.nom_naissance": expected["guardian"],
        "representant.premier_prenom": expected["guardian_given"],
        "medecin_traitant.rpps": gp, "medecin_traitant.nom": expected["gp_name"],
    }, patient__premier_prenom="LEA", patient__nom_naissance="DECOURCY",
        patient__date_naissance="2024-02-28", prise_en_charge__date_inclusion="2024-03-10",
        activite__date="2024-03-10")
    assert facts(root, keys) == expected


def test_the_pregnant_patient_example_first_case_and_icf_come_back_out_equivalent() -> None:
    example = etree.parse(str(EXAMPLES / "SDM-MR_2024.01_patiente-enceinte.xml")).getroot()
    keys = ["relation", "first_case_sex", "first_case_disease", "icf", "icf_date"]
    expected = facts(example, keys)
    assert all(expected.values()), expected
    category, qualifier = expected["icf"].split(".")
    date = expected["icf_date"]
    root = export({
        "patient.ipp": "0012345678", "premier_cas.lien": expected["relation"],
        "premier_cas.sexe": expected["first_case_sex"],
        "premier_cas.code_orpha": expected["first_case_disease"],
    }, {"patient.ipp": "0012345678", "statut1.code": category,
        "statut1.qualificatif": qualifier,
        "statut1.date": f"{date[:4]}-{date[4:6]}-{date[6:]}"},
        famille__premier_cas="N", famille__ipp_premier_cas="0077777777")
    assert facts(root, keys) == expected
