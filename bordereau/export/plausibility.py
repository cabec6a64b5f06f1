"""Plausibility at export: measurements and ages inside the ranges of the templates' table.

The reader never trusts a value outside its range (``ocr/context.py``), but a reviewer may
accept it, and records entered otherwise never met the reader. At export, a birth weight,
length, head circumference, gestational age or age precision outside its range of
``templates/plausibility.yaml`` refuses the record with a French reason naming the range and
its source — unless a reviewer confirmed or corrected that very field
(``ExportPatient.reviewed``), as for the date orders of ``export/consistency.py``. An age
precision is also refused when it is more than the patient's age on the day of the export.
"""

from __future__ import annotations

from datetime import date

from bordereau.export.consistency import CONFIRM, Add
from bordereau.export.model import Age, ExportPatient
from bordereau.templates.plausibility import DAYS_PER_UNIT as PER_DAY
from bordereau.templates.plausibility import plausibility

NEONATAL = "Informations anténatales et néonatales"


def _older_than_patient(value: int, unit: str, born: date | None, today: date) -> int | None:
    """The patient's age in ``unit`` when the age ``value`` is surely above it, else None."""
    if born is None or unit not in PER_DAY:
        return None
    alive = int((today - born).days / PER_DAY[unit])
    return alive if value > alive + 1 else None


def _ages(patient: ExportPatient, add: Add, reviewed: set[str]) -> None:
    table = plausibility()
    birth = patient.identity.birth_date
    born = birth.earliest if birth is not None else None
    today = patient.meta.created_at.date()
    for diag in patient.diagnostics:
        if diag.revises is not None:
            continue  # a diagnosis added by a fiche de suivi: ages kept or computed from dates
        ages: tuple[tuple[str, Age], ...] = (
            ("age_premiers_signes_valeur", diag.age_first_signs),
            ("age_diagnostic_valeur", diag.age_clinical),
            ("age_diagnostic_genetique_valeur", diag.age_genetic),
        )
        for item, age in ages:
            field_id = f"diagnostic{diag.number}.{item}"
            precision = age.precision
            if precision is None or field_id in reviewed:
                continue
            found = table.age(precision.unit.code, table.age_items[item])
            name = f"Diagnostic {diag.number} — {table.age_items[item]}"
            reason = found.outside(precision.value) if found is not None else None
            if reason is not None:
                add(name, f"{reason} : {CONFIRM}")
                continue
            alive = _older_than_patient(precision.value, precision.unit.code, born, today)
            if alive is not None and found is not None:
                add(name, f"{precision.value} {found.unit_word} : plus que l’âge du patient "
                          f"({alive} {found.unit_word} le {today:%d/%m/%Y}) : {CONFIRM}")


def check_plausibility(patient: ExportPatient, add: Add) -> None:
    """Refuse the unconfirmed measurements and ages outside their plausible range."""
    table = plausibility()
    reviewed = set(patient.reviewed)
    neo = patient.neonatal
    measures = (
        ("neonatal.poids", neo.weight_g),
        ("neonatal.taille", neo.length_cm),
        ("neonatal.perimetre_cranien", neo.head_circumference_cm),
        ("neonatal.age_gestationnel", neo.gestational_age_weeks),
    )
    for field_id, value in measures:
        found = table.measure(field_id)
        if value is None or found is None or field_id in reviewed:
            continue
        reason = found.outside(value)
        if reason is not None:
            add(f"{NEONATAL} — {found.label}", f"{reason} : {CONFIRM}")
    _ages(patient, add, reviewed)
