"""The SDM-MR form model: BaMaRa's required items are on paper, every code is official."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bordereau.errors import UsageError
from bordereau.export.ans import VALUE_SETS as JDV_DIR
from bordereau.forms.model import COMB_KINDS, load_form, value_sets

# Items the CDA volet SDM-MR 2024.01 requires (cardinality 1..1, see domain/sdm-mr.md §1.2).
BAMARA_REQUIRED = [
    "opposition.opposition_eds",
    "patient.nom_naissance",
    "patient.premier_prenom",
    "patient.sexe",
    "patient.date_naissance",
    "prise_en_charge.date_inclusion",
    "prise_en_charge.medecin_referent",
    "prise_en_charge.hors_labellisation",
    "prise_en_charge.adresse_par",
    "activite.date",
    "activite.contexte",
    "activite.objectifs",
    "activite.profession",
    "diagnostic1.statut",
    "diagnostic1.age_premiers_signes",
    "diagnostic1.age_diagnostic",
    "diagnostic1.appreciation",
]
# Present on paper, not marked required: the ORPHA code may be a nullFlavor while "en cours".
BAMARA_PRESENT = ["diagnostic1.maladie", "diagnostic1.code_orpha", "vital.decede",
                  "vital.date_deces", "famille.consanguinite", "diagnostic1.techniques",
                  "diagnostic1.gene1", "diagnostic1.cim10", "neonatal.poids",
                  "recherche.accord_contact", "commentaire.texte", "patient.ipp"]

# Code systems allowed outside the ANS value sets: HL7 v2 table 0136 (yes/no), HL7
# NullFlavor, HL7 AdministrativeGender, UCUM.
# HL7 yes/no, null flavor, administrative sex, UCUM; ICF (the CIF qualifiers of the annexe
# statut fonctionnel, sent inside the ICF code b117.3 as in the ANS examples); HL7 RoleCode
# (lien de parenté of the first case, as in the ANS example « patiente enceinte »).
OTHER_SYSTEMS = {"2.16.840.1.113883.12.136", "2.16.840.1.113883.5.1008",
                 "2.16.840.1.113883.5.1", "2.16.840.1.113883.6.8", "2.16.840.1.113883.6.254",
                 "2.16.840.1.113883.5.111"}


def official_value_sets() -> dict[str, dict[tuple[str, str], str]]:
    sets: dict[str, dict[tuple[str, str], str]] = {}
    for path in JDV_DIR.glob("JDV_*.xml"):
        text = path.read_text(encoding="utf-8")
        oid = re.search(r'<ValueSet[^>]*\sid="([^"]+)"', text, re.S)
        assert oid
        concepts = re.findall(
            r'<Concept code="([^"]*)"\s+codeSystem="([^"]*)".*?displayName="([^"]*)"', text, re.S
        )
        sets[oid.group(1)] = {(c, s): d.strip() for c, s, d in concepts}
    return sets


def test_every_bamara_required_item_is_on_the_fiche_initiale_and_required() -> None:
    form = load_form("initiale")
    for item_id in BAMARA_REQUIRED:
        assert form.item(item_id).required, item_id
    for item_id in BAMARA_PRESENT:
        form.item(item_id)


def test_fiche_de_suivi_identifies_the_patient_and_records_one_activite() -> None:
    form = load_form("suivi")
    ids = {item.id for item in form.items}
    assert {"patient.etiquette", "patient.ipp", "patient.nom_naissance", "patient.premier_prenom",
            "patient.date_naissance", "activite.date", "activite.contexte", "activite.objectifs",
            "activite.profession", "vital.decede", "vital.date_deces", "diagnostic.statut",
            "diagnostic.code_orpha"} <= ids


def test_value_sets_with_an_oid_use_exactly_the_official_codes() -> None:
    official = official_value_sets()
    for vs in value_sets().values():
        if vs.oid is None:
            assert {c.system for c in vs.concepts} <= OTHER_SYSTEMS, vs.id
            continue
        reference = official[vs.oid]
        ours = {(c.code, c.system): c.display for c in vs.concepts}
        assert set(ours) == set(reference), vs.id
        for key, display in ours.items():
            assert display == reference[key], (vs.id, key)


def test_each_item_has_a_french_label_and_a_known_kind() -> None:
    for kind in ("initiale", "suivi"):
        for item in load_form(kind).items:
            assert item.label.strip()
            if item.kind in COMB_KINDS:
                assert item.cell_count > 0


def test_repeated_diagnosis_blocks_get_their_own_ids() -> None:
    form = load_form("initiale")
    ids = [item.id for item in form.items]
    assert "diagnostic1.statut" in ids and "diagnostic2.statut" in ids
    assert len(ids) == len(set(ids))
    assert not form.item("diagnostic2.statut").required or any(
        s.optional for s in form.sections if s.id == "diagnostic2"
    )


def test_unknown_form_kind_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        load_form("annuelle")
    assert info.value.message == (
        "Type de bordereau inconnu : « annuelle ». Types possibles : initiale, suivi."
    )


def test_value_set_files_exist() -> None:
    assert len(list(Path(JDV_DIR).glob("JDV_*.xml"))) == 12


def test_every_kind_of_sheet_has_a_french_name_for_screens_and_lists() -> None:
    from bordereau.forms.model import ALL_KINDS, KIND_NAMES

    assert set(KIND_NAMES) == set(ALL_KINDS)
    assert KIND_NAMES["annexe_grossesse"] == "annexe grossesse et fœtus"
    assert KIND_NAMES["suivi"] == "fiche de suivi"
