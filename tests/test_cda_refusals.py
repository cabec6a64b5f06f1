"""CDA export refusals and identifiers: an incomplete record is refused with the patient,
the item and a French reason, and nothing is rendered; unusable values are reported, not
guessed; document ids are stable across exports and the INS needs a qualified identity.
(Split from tests/test_cda.py, whose record builders it uses.)"""

from __future__ import annotations

from datetime import datetime

import pytest

from bordereau.export import ExportIncompleteError, ExportPatient, check_exportable, render_cda
from bordereau.export.checks import export_notes
from tests.test_cda import PARIS, build, initiale, suivi


def reasons(patient: ExportPatient) -> dict[str, str]:
    return {p.item: p.reason for p in check_exportable(patient)}


def test_missing_required_items_are_named_and_nothing_is_rendered() -> None:
    # fmt: off
    patient = build(initiale(
        patient__nom_naissance=None, patient__date_naissance=None, opposition__information="N",
        prise_en_charge__adresse_par=None, activite__objectifs=None, diagnostic1__statut=None,
        diagnostic1__appreciation=None, vital__decede=True,
    ))
    # fmt: on
    missing = "obligatoire, non renseigné"
    assert reasons(patient) == {
        "Identité — Nom de naissance": missing,
        "Identité — Date de naissance": missing,
        "Information du patient": "le patient doit être informé avant tout envoi à BaMaRa",
        "Statut vital — Date du décès": "obligatoire quand le patient est décédé",
        "Prise en charge (S901) — Patient adressé par": "au moins une réponse est obligatoire",
        "Activité (fiche initiale) — Objectif(s)": "au moins un objectif est obligatoire",
        "Diagnostic 1 — Statut actuel du diagnostic": missing,
        "Diagnostic 1 — Appréciation du diagnostic à l’entrée dans le centre": missing,
    }
    assert all(p.patient == "Patient IPP 0012345678 (LEA)" for p in check_exportable(patient))
    with pytest.raises(ExportIncompleteError) as info:
        render_cda(patient)
    assert info.value.exit_code == 10
    assert "export impossible" in info.value.message


def test_confirmed_status_needs_a_disease_code() -> None:
    patient = build(initiale(diagnostic1__maladie=None))
    reason = (
        "obligatoire quand le statut est « Confirmé » (seuls « En cours » et « Indéterminé »"
        " permettent de ne pas coder la maladie)"
    )
    assert reasons(patient) == {"Diagnostic 1 — Maladie rare (code ORPHA)": reason}


def test_unusable_values_are_reported_not_guessed() -> None:
    # fmt: off
    patient = build(
        initiale(
            diagnostic1__code_orpha="166", diagnostic1__gene1="BRCAX9",
            diagnostic1__age_diagnostic_valeur="4", patient__ins="215037512345699",
            diagnostic1__date="2023-02-30", prise_en_charge__medecin_referent="10000999044",
        ),
        suivis=[(suivi(patient__ipp="0099999999", activite__date="2024-05-02"),
                 datetime(2024, 5, 2, tzinfo=PARIS))],
    )
    # fmt: on
    found = reasons(patient)
    conflict = "la maladie cochée (ORPHA:15) et le code ORPHA écrit (ORPHA:166) diffèrent"
    assert conflict in found.values()
    assert "unité de l’âge manquante (jours, semaines, mois ou ans)" in found.values()
    assert "la clé du matricule INS « 215037512345699 » est fausse" in found.values()
    assert "RPPS « 10000999044 » absent des référents du fichier de centre" in found.values()
    assert any(r.startswith("date impossible « 2023-02-30 »") for r in found.values())
    assert "« 0099999999 » ne correspond pas à la fiche initiale (« 0012345678 »)" in found.values()
    # an unknown gene symbol is not a reason to refuse: left out and listed for review
    assert not any("BRCAX9" in r for r in found.values())
    (review,) = patient.to_review
    assert review.item == "Gène (symbole HGNC) [diagnostic1.gene1, fiche initiale]"
    assert review.reason.startswith("gène « BRCAX9 » absent des symboles HGNC approuvés")


def test_ids_are_stable_across_exports_and_ins_needs_qualification() -> None:
    first = build(initiale(patient__ins="215037512345626"))
    second = build(initiale(patient__ins="215037512345626"), version=2)
    assert first.meta.document_id != second.meta.document_id
    assert first.meta.set_id == second.meta.set_id
    assert first.prises_en_charge[0].id == second.prises_en_charge[0].id
    assert first.diagnostics[0].id == second.diagnostics[0].id
    xml = render_cda(first)
    assert "215037512345626" not in xml
    notes = {p.item: p.reason for p in export_notes(first)}
    assert notes["Matricule INS"].startswith("non transmis : identité non qualifiée — ")
    assert "prénoms de l’acte de naissance inconnus" in notes["Matricule INS"]
    qualified = build(initiale(patient__ins="215037512345626"), ins_qualified=True)
    assert "215037512345626" not in render_cda(qualified)  # traits incomplete
    assert "lieu de naissance (trait INS) non renseigné" in {
        p.item: p.reason for p in export_notes(qualified)}["Matricule INS"]
