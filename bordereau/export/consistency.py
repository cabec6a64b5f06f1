"""Consistency across blocks, checked at export: date orders and the first case of the family.

The reading rules (``ocr/rules.py``) send an unusual date order within one sheet to review;
across sheets (a fiche de suivi's activity against the fiche initiale's inclusion) and for
records entered otherwise, only the export sees it. A date order that is surely wrong at the
precision both dates have — activity before the inclusion in the site, inclusion before
birth, diagnosis before birth — refuses the record, unless a reviewer confirmed one of the two
dates (``ExportPatient.reviewed``): a prenatal diagnosis is dated before birth on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from bordereau.export.model import ExportPatient, PartialDate

Add = Callable[[str, str], None]
CONFIRM = "à corriger, ou à confirmer en vérification (bordereau review)"
FIRST_CASE_IPP = "famille.ipp_premier_cas"


def _surely_before(a: PartialDate, b: PartialDate) -> bool:
    """True when ``a`` is before ``b`` whatever days the partial dates stand for."""
    return a.latest < b.earliest


def check_date_orders(patient: ExportPatient, add: Add) -> None:
    """Refuse the unconfirmed impossible orders between birth, inclusion, activities and
    diagnoses (French reasons naming the item and both dates)."""
    ok = set(patient.reviewed)
    birth = patient.identity.birth_date
    birth_ok = "patient.date_naissance" in ok
    for pec in patient.prises_en_charge:
        inclusion = pec.inclusion_date
        if inclusion is None:
            continue
        inclusion_ok = "prise_en_charge.date_inclusion" in ok
        name = f"Prise en charge ({pec.site.code}) — Date d’inclusion dans le site"
        if birth and _surely_before(inclusion, birth) and not (birth_ok or inclusion_ok):
            add(name, f"antérieure à la date de naissance ({inclusion.french} < "
                      f"{birth.french}) : {CONFIRM}")
        for act in patient.activites:
            if act.date and _surely_before(act.date, inclusion) and not (
                    inclusion_ok or act.id in ok):
                add(f"Activité ({act.source}) — Date de l’activité",
                    f"antérieure à la date d’inclusion dans le site ({act.date.french} < "
                    f"{inclusion.french}) : {CONFIRM}")
    if birth is None:
        return
    for diag in patient.diagnostics:
        if diag.date and _surely_before(diag.date, birth) and not (birth_ok or diag.id in ok):
            add(f"Diagnostic {diag.number} — Date du diagnostic",
                f"antérieure à la date de naissance ({diag.date.french} < {birth.french}) : "
                f"{CONFIRM} (diagnostic prénatal)")


def propositus_ipp(patient: ExportPatient) -> str | None:
    """The first case's IPP to send (FR-Antecedents-familiaux), None for no section.

    « Premier cas : Oui » says the patient is the first case: an IPP written beside it is
    the patient's own (nothing else to send) or contradicts the answer; a contradicting IPP
    is sent only when a reviewer confirmed it (else :func:`check_first_case` refuses).
    """
    family, own = patient.family, patient.identity.ipp
    ipp = family.propositus_ipp
    if ipp is None or ipp == own:
        return None
    if family.first_case != "oui" or FIRST_CASE_IPP in patient.reviewed:
        return ipp
    return None


def check_first_case(patient: ExportPatient, add: Add) -> None:
    """A first-case IPP is never dropped silently when « premier cas » is « Oui »."""
    family = patient.family
    ipp = family.propositus_ipp
    if (family.first_case == "oui" and ipp is not None and ipp != patient.identity.ipp
            and FIRST_CASE_IPP not in patient.reviewed):
        add("Informations familiales — IPP du premier cas de la famille",
            f"IPP {ipp} écrit alors que « Premier cas diagnostiqué de la famille » est "
            f"« Oui » (le patient serait lui-même le premier cas) : {CONFIRM}")
