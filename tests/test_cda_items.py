"""``docs/cda.md`` lists every SDM-MR 2024.01 item with where it is on paper, where it goes in
the CDA and whether it is sent; this test keeps that table true.

The item list is ``tests/resources/sdm-mr-2024.01-items.csv`` (provenance in its README). The
paper column must name fields of the form definitions (or keys of the centre file); the CDA
column is an XPath that must find something in a fully filled exported document when the
item is sent, and nothing when it is not."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from bordereau.export import check_exportable, render_cda
from bordereau.export.ans import KIT, validator
from bordereau.forms.model import ALL_KINDS, load_form
from tests.test_cda import LYON, NS, PARIS, blank, build, initiale, suivi

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "cda.md"
ITEMS = ROOT / "tests" / "resources" / "sdm-mr-2024.01-items.csv"
HEADING = "## Every SDM-MR 2024.01 item"
SENT = {"yes", "partly", "text", "no"}
ABBREVIATION = re.compile(r"^- `(\$[A-Z]+)` = `([^`]+)`")


def section() -> list[str]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(HEADING))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return lines[start:end]


def ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


@cache
def rows() -> list[dict[str, str]]:
    found = []
    for line in section():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 6, line
        key, item, paper, cda, sent, notes = cells
        (xpath,) = ticked(cda)
        found.append({"key": ticked(key)[0], "item": item, "paper": paper, "xpath": xpath,
                      "sent": sent, "notes": notes})
    return found


def expand(xpath: str) -> str:
    """Replace the abbreviations defined above the table (longest names first)."""
    names = dict(m.groups() for line in section() if (m := ABBREVIATION.match(line)))
    for name in sorted(names, key=len, reverse=True):
        xpath = xpath.replace(name, names[name])
    assert "$" not in xpath, xpath
    return xpath


@cache
def full_document() -> Any:
    """Both sheets with every field the forms carry, a suivi changing the disease."""
    # fmt: off
    data = initiale(
        opposition__consentement_ern="Y", opposition__opposition_eds="Y",
        patient__nom_utilise="DUPONT", patient__lieu_naissance="69123",
        patient__commune_residence="69266", patient__ins="215036912345691",
        famille__consanguinite="Y", famille__premier_cas="N", famille__ipp_premier_cas="0077777777",
        vital__decede=True, vital__date_deces="2024-09-20", vital__deces_lie_maladie="Y",
        activite__responsable="10000999010", activite__contexte="GEN-092.05.04",
        diagnostic1__date="2024-01-10",
        diagnostic1__cas="255401001", diagnostic1__age_premiers_signes="767023003",
        diagnostic1__age_premiers_signes_valeur="18", diagnostic1__age_premiers_signes_unite="mo",
        diagnostic1__age_diagnostic="767023003", diagnostic1__age_diagnostic_valeur="8",
        diagnostic1__age_diagnostic_unite="a", diagnostic1__age_diagnostic_genetique="767023003",
        diagnostic1__age_diagnostic_genetique_valeur="9",
        diagnostic1__age_diagnostic_genetique_unite="a",
        diagnostic1__techniques=["MED-083", "GEN-092.04.17"],
        diagnostic1__gene1="FGFR3", diagnostic1__gene2="CFTR", diagnostic1__cim10="Q774",
        diagnostic2__code_orpha="558", diagnostic2__statut="24800002",
        diagnostic2__age_premiers_signes="MED-1288", diagnostic2__age_diagnostic="373068000",
        diagnostic2__appreciation="88323005",
        neonatal__amp="Y", neonatal__terme="N", neonatal__age_gestationnel="34",
        neonatal__malformation="255204007", neonatal__poids="2100", neonatal__taille="44",
        neonatal__perimetre_cranien="31", recherche__accord_contact="Y",
        recherche__echantillon_recherche="N", recherche__echantillon_diagnostic="Y",
        commentaire__texte="Suivi en kinésithérapie.",
    )
    sheet = suivi(activite__date="2024-05-02", diagnostic__maladie="429",
                  diagnostic__statut="255545003", vital__perdu_de_vue=True)
    # fmt: on
    annex = blank("annexe_statut") | {"patient.ipp": "0012345678", "statut1.code": "B117",
                                      "statut1.qualificatif": "3", "statut1.date": "2024-05-02"}
    identity = blank("annexe_identite") | {
        "patient.ipp": "0012345678", "identite.prenoms_acte": "LEA MARIE",
        "identite.prenom_utilise": "LOU", "identite.naissance_multiple": "Y",
        "identite.rang": "1", "representant.nom_naissance": "NESSI",
        "representant.premier_prenom": "RUTH", "medecin_traitant.rpps": "10000999010",
        "medecin_traitant.nom": "MEDIONI", "premier_cas.lien": "PCOUSN",
        "premier_cas.sexe": "M", "premier_cas.code_orpha": "15", "biobanque.nom": "CRB LYON",
        "mere.nom_naissance": "NESSI", "mere.premier_prenom": "RUTH"}
    genetics = blank("annexe_genetique") | {
        "patient.ipp": "0012345678", "genetique.site_diagnostic": "S001",
        "genetique.site_nom": "HU ROBERT DEBRE", "genetique.hpo1": "0001250",
        "genetique.groupe_orpha1": "98006",
        "genetique.gene3": "COL1A1", "genetique.precision_technique": "PCR DIGITALE",
        "genetique.autres_descriptions": "Variant de novo",
        "activite.precision_contexte": "RCP REGIONALE", "activite.lieu_finess": "750803454"}
    pregnancy = blank("annexe_grossesse") | {
        "patient.ipp": "0012345678", "grossesse.date_debut": "2023-09-01",
        "grossesse.date_fin": "2024-02-28", "grossesse.nombre_foetus": "2",
        "grossesse.amp": "N", "foetus1.ipp": "8800000001", "foetus1.sexe": "F",
        "foetus1.prenom": "LEA", "foetus1.nom_enfant": "DECOURCY",
        "foetus1.issue": "236973005", "foetus1.sujet_activite": True,
        "foetus1.sujet_pec": True, "foetus2.ipp": "8800000002", "foetus2.sexe": "M",
        "foetus2.prenom": "PIERRE", "foetus2.issue": "O04", "foetus2.age_gestationnel": "27",
        "foetus2.foetopathologie": "Y"}
    treatments = blank("annexe_traitements") | {
        "patient.ipp": "0012345678", "traitement1.medicament": "SAPROPTERINE",
        "traitement1.atc": "A16AX07", "traitement1.ema": "000943",
        "traitement1.date_debut": "2024-01-20", "traitement2.medicament": "NITISINONE",
        "traitement2.atc": "A16AX04", "traitement2.date_debut": "2024-02",
        "traitement2.arrete": True, "traitement2.date_fin": "2024-04-30"}
    patient = build(data, suivis=[(sheet, datetime(2024, 5, 2, 10, tzinfo=PARIS))],
                    facility_type="SA01",
                    annexes=[("annexe_statut", annex, datetime(2024, 5, 2, 11, tzinfo=PARIS)),
                             ("annexe_identite", identity, datetime(2024, 5, 2, 11,
                                                                    tzinfo=PARIS)),
                             ("annexe_genetique", genetics, datetime(2024, 5, 2, 11,
                                                                     tzinfo=PARIS)),
                             ("annexe_grossesse", pregnancy, datetime(2024, 5, 2, 11,
                                                                      tzinfo=PARIS)),
                             ("annexe_traitements", treatments, datetime(2024, 5, 2, 11,
                                                                         tzinfo=PARIS))])
    assert check_exportable(patient) == []
    xml = render_cda(patient)
    result = validator().check(xml)
    assert result.valid, result.xsd_errors + result.schematron_errors
    return etree.fromstring(xml.encode("utf-8"))


def test_the_table_lists_every_item_of_the_data_set_once() -> None:
    with ITEMS.open(encoding="utf-8") as handle:
        items = [(r["key"], r["label"]) for r in csv.DictReader(handle, delimiter=";")]
    assert len(items) > 80
    assert [(r["key"], r["item"]) for r in rows()] == items
    assert all(r["sent"] in SENT for r in rows()), [r["sent"] for r in rows()]


def test_every_paper_field_exists_on_the_forms_or_in_the_centre_file() -> None:
    fields = {kind: {i.id for i in load_form(kind).items} for kind in ALL_KINDS}
    centre = yaml.safe_load(LYON.read_text(encoding="utf-8"))
    for row in rows():
        names = ticked(row["paper"])
        if not names:
            assert row["paper"] in {"absent", "computed"}, row
            continue
        for name in names:
            if name.startswith("centre:"):
                node: Any = centre
                for part in name.removeprefix("centre:").split("."):
                    node = node[part]
            elif ":" in name:
                kind, field = name.split(":", 1)
                assert field in fields[kind], name
            else:
                assert name in fields["initiale"], name


def test_absent_items_are_never_marked_as_sent_from_paper() -> None:
    for row in rows():
        if row["paper"] == "absent":
            assert row["sent"] in {"no", "partly"}, row


@pytest.mark.parametrize("key", [r["key"] for r in rows()])
def test_the_cda_column_is_true_of_a_fully_filled_document(key: str) -> None:
    row = next(r for r in rows() if r["key"] == key)
    found = full_document().xpath(expand(row["xpath"]), namespaces=NS)
    if row["sent"] == "no":
        assert not found, f"{key}: marked not sent, found in the document"
    else:
        assert found, f"{key}: marked {row['sent']}, not in the document"


def test_the_xpath_of_an_item_not_sent_finds_it_in_the_official_examples() -> None:
    """So that « not sent » is not vacuous: the element really exists in the volet."""
    examples = [etree.parse(str(path)) for path in sorted((KIT / "examples").glob("*.xml"))]
    assert len(examples) == 3
    for row in rows():
        if row["sent"] != "no" or "not in the ANS examples" in row["notes"]:
            continue
        xpath = expand(row["xpath"])
        assert any(doc.xpath(xpath, namespaces=NS) for doc in examples), row["key"]
