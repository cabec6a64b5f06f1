"""Qualified identity (issue 12, item 3): the INS written on the form is sent in the CDA
header only when its key is valid, its traits match the identity written (sex, year and month
of birth, place of birth) and the birth-certificate forenames are known (the form asks only
the first one); otherwise the IPP alone, as before. Both cases pass the ANS kit, and the
CI-SIS header rule on the INS traits (``recordTarget_fr.sch``, not in the SDM-MR subset of the
kit) is checked here with its own XPath."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from bordereau.export import check_exportable, render_cda
from bordereau.export.checks import export_notes
from bordereau.export.ins import INS_NIA, INS_NIR, ins_root
from tests.test_cda import IPP_OID, NS, build, initiale, valid_cda

NIR = "215036912345691"  # 2 = F, born 03/2015 in 69123 (Lyon), valid key
NIA = "815036912345682"  # an NIA (8 = F) with the same traits
INS_ROOTS = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10",
             "1.2.250.1.213.1.4.11"}
# recordTarget_fr.sch (ANS, 18/04/2024): with an INS root, the INS traits are required.
INS_TRAITS = ("h:patient/h:name/h:family[@qualifier='BR'] and "
              "h:patient/h:name/h:given[@qualifier='BR'] and h:patient/h:birthTime and "
              "h:patient/h:administrativeGenderCode")


def document(**values: Any) -> tuple[etree._Element, dict[str, str]]:
    options = {k: values.pop(k) for k in ("birth_forenames", "ins_qualified") if k in values}
    data = initiale(**({"patient__ins": NIR, "patient__lieu_naissance": "69123"} | values))
    patient = build(data, **options)
    assert check_exportable(patient) == []  # an INS not sent never blocks the export
    doc = valid_cda(render_cda(patient))
    return doc, {p.item: p.reason for p in export_notes(patient)}


def ids(doc: etree._Element) -> list[tuple[str, str]]:
    role = doc.find("h:recordTarget/h:patientRole", NS)
    return [(i.get("root"), i.get("extension")) for i in role.findall("h:id", NS)]


def test_ins_roots() -> None:
    assert (ins_root(NIR), ins_root(NIA), ins_root("315036912345600")) == (INS_NIR, INS_NIA, None)
    assert int(NIA[:13]) % 97 + int(NIA[13:]) == 97


@pytest.mark.parametrize("ins", [NIR, NIA])
def test_a_verified_ins_is_sent_as_the_qualified_identity(ins: str) -> None:
    patient = build(initiale(patient__ins=ins, patient__lieu_naissance="69123"),
                    birth_forenames="Léa Marie")  # accents and case do not matter
    doc = valid_cda(render_cda(patient))
    assert ids(doc) == [(ins_root(ins), ins), (IPP_OID, "0012345678")]
    role = doc.find("h:recordTarget/h:patientRole", NS)
    assert role.xpath(INS_TRAITS, namespaces=NS)
    assert role.xpath("h:patient/h:name/h:given[not(@qualifier)]/text()", namespaces=NS) == [
        "Léa Marie"]
    assert "Matricule INS" not in {p.item for p in export_notes(patient)}


MISMATCHES = {
    "forenames not on the form": ({}, "prénoms de l’acte de naissance inconnus (à écrire sur "
                                      "l’annexe identité et famille)"),
    "sex": ({"patient__sexe": "M", "birth_forenames": "LEA"},
            "sexe M contredit par le matricule INS (2 = féminin)"),
    "year": ({"patient__date_naissance": "2014-03-14", "birth_forenames": "LEA"},
             "année de naissance contredite par le matricule INS (« 15 »)"),
    "month": ({"patient__date_naissance": "2015-04-14", "birth_forenames": "LEA"},
              "mois de naissance contredit par le matricule INS (« 03 »)"),
    "year only": ({"patient__date_naissance": "2015", "prise_en_charge__date_inclusion": "2024",
                   "activite__date": "2024", "birth_forenames": "LEA"},
                  "mois de naissance non renseigné (le matricule INS dit « 03 »)"),
    "birthplace": ({"patient__lieu_naissance": "69266", "birth_forenames": "LEA"},
                   "lieu de naissance 69266 contredit par le matricule INS (« 69123 »)"),
    "first forename": ({"birth_forenames": "MARIE LEA"},
                       "premier prénom « LEA » différent du premier des prénoms de l’acte de "
                       "naissance « MARIE LEA »"),
}


@pytest.mark.parametrize("case", MISMATCHES)
def test_otherwise_the_ipp_only_and_a_note_saying_why(case: str) -> None:
    values, reason = MISMATCHES[case]
    doc, notes = document(**values)
    assert ids(doc) == [(IPP_OID, "0012345678")]
    assert not {r for r, _ in ids(doc)} & INS_ROOTS
    assert notes["Matricule INS"].startswith("non transmis : identité non qualifiée — ")
    assert reason in notes["Matricule INS"]


def test_the_establishment_may_say_the_identity_is_not_qualified() -> None:
    doc, notes = document(birth_forenames="LEA", ins_qualified=False)
    assert ids(doc) == [(IPP_OID, "0012345678")]
    assert notes["Matricule INS"] == "non transmis : identité non qualifiée selon l’établissement"


def test_a_corsican_birth_is_not_qualified_from_the_form() -> None:
    nir = "2150319004123"
    nir += f"{97 - int(nir) % 97:02d}"
    doc, notes = document(patient__ins=nir, patient__lieu_naissance="2A004", birth_forenames="LEA")
    assert ids(doc) == [(IPP_OID, "0012345678")]
    assert "né en Corse : le matricule INS porte 2A/2B" in notes["Matricule INS"]
