"""Committed records: match the patient, version the record, store every value coded.

A sheet is committed only when every field is trusted or decided by a reviewer. A fiche
initiale creates the patient (identity traits as written); a fiche de suivi attaches its
activité to a known patient, found by IPP and checked against birth name and date of birth.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bordereau.base.schema import Patient, Record, RecordItem, Sheet, utcnow
from bordereau.base.states import SheetStatus
from bordereau.forms.manifest import FieldLayout, Layout
from bordereau.forms.model import ANNEX_KINDS
from bordereau.ocr.label import plain

ENTITIES = {
    "opposition": "patient", "patient": "patient", "famille": "patient", "vital": "patient",
    "neonatal": "patient", "recherche": "patient", "commentaire": "patient",
    "prise_en_charge": "prise_en_charge", "activite": "activite",
    "diagnostic": "diagnostic", "diagnostic1": "diagnostic", "diagnostic2": "diagnostic",
}
IDENTITY = ("ins", "nom_naissance", "premier_prenom", "nom_utilise", "date_naissance",
            "lieu_naissance", "commune_residence")


def identity_problems(session: Session, kind: str, values: dict[str, Any],
                      sheet_id: int) -> dict[str, str]:
    """Fields whose identity check fails, with the French reason shown to reviewers."""
    ipp = values.get("patient.ipp")
    if not ipp:
        return {"patient.ipp": "IPP absent : impossible de rattacher le bordereau à un patient"}
    patient = session.scalars(select(Patient).where(Patient.ipp == ipp)).first()
    if kind == "initiale":
        if patient is None or any(r.sheet_id == sheet_id for r in patient.records):
            return {}
        first = patient.records[0].values if patient.records else {}
        return {"patient.ipp": (
            f"fiche initiale pour un patient déjà dans la base (IPP {ipp}, "
            f"{first.get('patient.nom_naissance') or '?'}) : accepter pour l’ajouter à son "
            "dossier, ou corriger l’IPP")}
    if patient is None:
        return {"patient.ipp": (f"patient inconnu (IPP {ipp}) : intégrer d’abord sa fiche "
                                "initiale, ou corriger l’IPP")}
    problems = {}
    if kind in ANNEX_KINDS:
        problems.update(_annex_problems(session, sheet_id, ipp))
    name = values.get("patient.nom_naissance")
    if name and patient.nom_naissance and plain(name) != plain(patient.nom_naissance):
        problems["patient.nom_naissance"] = (
            f"nom de naissance différent de celui du patient IPP {ipp} "
            f"({patient.nom_naissance})")
    birth = values.get("patient.date_naissance")
    if birth and patient.date_naissance and birth != patient.date_naissance:
        problems["patient.date_naissance"] = (
            f"date de naissance différente de celle du patient IPP {ipp}")
    return problems


def _annex_problems(session: Session, sheet_id: int, ipp: str) -> dict[str, str]:
    """An annex shares its fiche initiale's serial (``000123-F``): the fiche, when it is in
    the base, must be the same patient's."""
    annex = session.get(Sheet, sheet_id)
    if annex is None:
        return {}
    fiche_serial = annex.serial.split("-", 1)[0]
    fiche = session.scalars(select(Sheet).where(Sheet.serial == fiche_serial)).first()
    record = None if fiche is None else session.scalars(select(Record).where(
        Record.sheet_id == fiche.id, Record.current.is_(True))).first()
    if record is None or record.values.get("patient.ipp") in {None, ipp}:
        return {}
    return {"patient.ipp": (
        f"annexe du bordereau {fiche_serial}, dont la fiche initiale porte un autre IPP "
        f"({record.values.get('patient.ipp')}) : corriger l’IPP ou vérifier l’annexe")}


def _items(field: FieldLayout, value: Any) -> list[tuple[str | None, str | None, str | None,
                                                         str | None]]:
    """(code, system, display, text) rows for one value."""
    if value is None or value == [] or field.kind in {"free_text"}:
        return []
    if field.choices:
        codes = value if isinstance(value, list) else [value]
        by_code = {c.code: c for c in field.choices}
        return [(c, by_code[c].system, by_code[c].label, None) for c in codes if c in by_code]
    if field.kind == "boolean":
        return [("Y" if value else "N", "2.16.840.1.113883.12.136", "Oui" if value else "Non",
                 None)]
    if field.kind == "orpha_code":
        code = str(value).lstrip("0")
        return [(code, "1.2.250.1.213.2.49.1", None, None)]
    return [(None, None, None, str(value))]


def _record_items(layout: Layout, values: dict[str, Any]) -> list[RecordItem]:
    rows = []
    for field in layout.fields:
        prefix = field.id.split(".", 1)[0]
        entity = ENTITIES.get(prefix, "patient")
        rank = int(prefix[-1]) if prefix[-1].isdigit() else 1
        for code, system, display, text in _items(field, values.get(field.id)):
            rows.append(RecordItem(entity=entity, rank=rank, item=field.id, code=code,
                                   system=system, display=display, text=text))
    return rows


def _update_identity(patient: Patient, values: dict[str, Any]) -> None:
    for name in IDENTITY:
        value = values.get(f"patient.{name}")
        if value:
            setattr(patient, name, value)
    sexe = values.get("patient.sexe")
    if sexe:
        patient.sexe_code, patient.sexe_system = sexe, "2.16.840.1.113883.5.1"


def commit_sheet(session: Session, sheet: Sheet, layout: Layout, values: dict[str, Any],
                 pages: list[dict[str, Any]], by: str) -> Record:
    """Store (a new version of) the record of a fully decided sheet."""
    ipp = values["patient.ipp"]
    patient = session.scalars(select(Patient).where(Patient.ipp == ipp)).first()
    created = patient is None
    if patient is None:
        patient = Patient(ipp=ipp)
        session.add(patient)
    if sheet.kind == "initiale" or created:  # a suivi for a patient new to the base
        _update_identity(patient, values)
    session.flush()
    previous = session.scalars(select(Record).where(Record.sheet_id == sheet.id,
                                                    Record.current.is_(True))).all()
    for old in previous:
        old.current = False
    version = (session.scalar(select(func.max(Record.version)).where(
        Record.sheet_id == sheet.id)) or 0) + 1
    record = Record(sheet_id=sheet.id, patient_id=patient.id, kind=sheet.kind, version=version,
                    current=True, committed_by=by, values=values, pages=pages)
    for item in _record_items(layout, values):
        item.patient_id = patient.id
        record.items.append(item)
    session.add(record)
    sheet.status = SheetStatus.COMMITTED
    sheet.committed_at = sheet.committed_at or utcnow()
    session.flush()
    return record
