"""What a fiche de suivi changes in the export record: vital status and diagnosis history.

A fiche de suivi may give the current status of diagnosis 1 and its disease. The volet keeps
one FR-Liste-des-problemes (problem concern) per diagnosis, with its own id and date, and
the status list (JDV_StatutActuelDiagnostic) has « réfuté »: so a sheet that names another
disease does not overwrite diagnosis 1. The diagnosis it replaces keeps its id, date and
disease, takes the status « Réfuté » and its concern is closed on the date of the sheet
(``statusCode completed`` with ``effectiveTime/high``); the new disease becomes a new
diagnosis with its own stable id (derived from the sheet, like the sheet's activity) and
the date of the sheet. A sheet that gives the disease of a diagnosis that had none (« en
cours ») or only changes the status revises the current diagnosis in place (same id).
"""

from __future__ import annotations

import unicodedata

from bordereau.export._values import SheetReader, coded
from bordereau.export.model import (
    Age,
    AgePrecision,
    Diagnostic,
    Identity,
    PartialDate,
    VitalStatus,
    stable_id,
)

REFUTED = "723511001"  # réfuté (JDV_StatutActuelDiagnostic)
AT_AGE = "767023003"  # « à l'âge de (préciser) »
UNDETERMINED_AGE = "373068000"  # « non déterminé »


def _plain(text: str) -> str:
    """Upper case without accents, hyphens, apostrophes or spaces, to compare names."""
    letters = unicodedata.normalize("NFKD", text)
    return "".join(c for c in letters if c.isalnum()).upper()


def same_patient(reader: SheetReader, identity: Identity) -> None:
    """A fiche de suivi must name the patient of the fiche initiale."""
    checks = {
        "patient.ipp": identity.ipp,
        "patient.nom_naissance": identity.birth_name,
        "patient.date_naissance": identity.birth_date.ts if identity.birth_date else None,
    }
    for item, expected in checks.items():
        value = reader.text(item)
        if item == "patient.date_naissance" and value is not None:
            value = value.replace("-", "")
        if value is not None and expected is not None and _plain(value) != _plain(expected):
            reader.note(item, f"« {value} » ne correspond pas à la fiche initiale (« {expected} »)")


def update_vital(reader: SheetReader, vital: VitalStatus) -> VitalStatus:
    """A death is never undone by a later sheet; the latest « perdu de vue » wins."""
    deceased = reader.yes_no("vital.decede")
    death_date = reader.date("vital.date_deces")
    lost = reader.yes_no("vital.perdu_de_vue")
    update: dict[str, object] = {}
    if deceased or death_date is not None:
        update["deceased"] = True
    if death_date is not None:
        update["death_date"] = death_date
    if lost is not None:
        update["lost_to_follow_up"] = lost
    return vital.model_copy(update=update)


def _age_at(birth: PartialDate | None, when: PartialDate) -> Age:
    """The clinical age at the new diagnosis, from the dates (« non déterminé » otherwise)."""
    if birth is None or birth.day is None or when.day is None:
        return Age(period=coded("age", UNDETERMINED_AGE))
    born, then = birth.earliest, when.earliest
    months = (then.year - born.year) * 12 + then.month - born.month - (then.day < born.day)
    if months < 0:
        return Age(period=coded("age", UNDETERMINED_AGE))
    value, unit = (months, "mo") if months < 24 else (months // 12, "a")
    unit_coded = coded("unite_age", unit)
    assert unit_coded is not None
    return Age(period=coded("age", AT_AGE), precision=AgePrecision(value=value, unit=unit_coded))


def _current(diagnostics: list[Diagnostic]) -> int:
    """Index of diagnosis 1 as revised so far (the last of its history)."""
    index = 0
    while True:
        later = next((i for i, d in enumerate(diagnostics)
                      if d.revises == diagnostics[index].id), None)
        if later is None:
            return index
        index = later


def update_diagnoses(
    reader: SheetReader,
    diagnostics: list[Diagnostic],
    *,
    key: str,
    sheet: str,
    when: PartialDate | None,
    birth: PartialDate | None,
) -> list[Diagnostic]:
    """Apply the sheet's « diagnostic » block to the history of diagnosis 1.

    ``sheet`` names the sheet in the new diagnosis's stable id; ``when`` is the date of the
    sheet (its activity date, else the day it was committed).
    """
    status = reader.choice("diagnostic.statut", "statut_diagnostic")
    disease = reader.disease("diagnostic.maladie", "diagnostic.code_orpha")
    if not diagnostics or (status is None and disease is None):
        return diagnostics
    result = list(diagnostics)
    index = _current(result)
    current = result[index]
    changed = (disease is not None and current.disease is not None
               and disease.code != current.disease.code)
    if not changed:
        update: dict[str, object] = {"status": status or current.status}
        if disease is not None:
            update["disease"] = disease
        result[index] = current.model_copy(update=update)
        return result
    refuted = coded("statut_diagnostic", REFUTED)
    result[index] = current.model_copy(update={"status": refuted, "closed": when})
    result.append(Diagnostic(
        id=stable_id(key, "diagnostic", sheet),
        number=len(result) + 1,
        disease=disease,
        status=status or current.status,
        date=when,
        sporadic_familial=current.sporadic_familial,
        age_first_signs=current.age_first_signs,
        age_clinical=_age_at(birth, when) if when else Age(period=coded("age", UNDETERMINED_AGE)),
        appreciation=current.appreciation,
        revises=current.id,
    ))
    return result
