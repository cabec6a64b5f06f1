"""``bordereau base verify``: check the keyed hashes of records and patients and the audit
chain; name every row changed, added or removed outside bordereau.

Messages name rows by number, form serial and version, never by a patient value.
"""

from __future__ import annotations

import hmac
from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bordereau.base.engine import Database
from bordereau.base.schema import Audit, AuditHead, Patient, Record, RecordItem, Sheet
from bordereau.base.seal import (
    GENESIS,
    audit_hash,
    head_mac,
    patient_mac,
    record_mac,
    seal_key,
)
from bordereau.base.states import SheetStatus


class Finding(BaseModel):
    """One row changed, added or removed outside bordereau."""

    table: str  # record, patient, audit
    row: int | None  # the row's id (None: a removed row)
    message: str  # French
    record: int | None = None  # the record it makes unexportable
    patient: int | None = None  # the patient it makes unexportable


class Verification(BaseModel):
    """What ``base verify`` checked and found."""

    records: int
    patients: int
    audit: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings

    def tampered_records(self) -> set[int]:
        return {f.record for f in self.findings if f.record is not None}

    def tampered_patients(self) -> set[int]:
        return {f.patient for f in self.findings if f.patient is not None}


def _same(stored: str | None, expected: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, expected)


def verify(db: Database) -> Verification:
    """Check every record, patient and audit row of the base."""
    key = seal_key(db.home.secret)
    with db.session() as session:
        findings = _records(session, key) + _missing(session) + _patients(session, key)
        audit, chain = _audit(session, key)
        findings += chain
        return Verification(
            records=session.scalar(select(func.count()).select_from(Record)) or 0,
            patients=session.scalar(select(func.count()).select_from(Patient)) or 0,
            audit=audit, findings=findings)


def _records(session: Session, key: bytes) -> list[Finding]:
    items: dict[int, list[RecordItem]] = defaultdict(list)
    for item in session.scalars(select(RecordItem)):
        items[item.record_id].append(item)
    findings = []
    for record, serial in session.execute(
            select(Record, Sheet.serial).join(Sheet, Sheet.id == Record.sheet_id,
                                              isouter=True).order_by(Record.id)).all():
        if _same(record.mac, record_mac(key, record, items.get(record.id, []))):
            continue
        what = "empreinte absente" if record.mac is None else "valeurs modifiées"
        findings.append(Finding(
            table="record", row=record.id, record=record.id, patient=record.patient_id,
            message=f"enregistrement {record.id} (bordereau {serial or '?'}, version "
                    f"{record.version}) : {what} hors de bordereau"))
    return findings


def _missing(session: Session) -> list[Finding]:
    """Committed sheets left without a record in force (a record row deleted)."""
    current = select(Record.sheet_id).where(Record.current.is_(True))
    return [Finding(table="record", row=None, message=(
                f"bordereau {serial} enregistré sans enregistrement en vigueur "
                "(supprimé hors de bordereau)"))
            for serial in session.scalars(select(Sheet.serial).where(
                Sheet.status == SheetStatus.COMMITTED,
                Sheet.id.not_in(current)).order_by(Sheet.serial))]


def _patients(session: Session, key: bytes) -> list[Finding]:
    findings = []
    for patient in session.scalars(select(Patient).order_by(Patient.id)):
        if _same(patient.mac, patient_mac(key, patient)):
            continue
        what = "empreinte absente" if patient.mac is None else "identité modifiée"
        findings.append(Finding(table="patient", row=patient.id, patient=patient.id,
                                message=f"patient {patient.id} : {what} hors de bordereau"))
    return findings


def _removed(first: int, last: int) -> Finding:
    span = f"n° {first}" if first == last else f"n° {first} à {last}"
    return Finding(table="audit", row=None,
                   message=f"décision(s) tracée(s) {span} supprimée(s) du journal")


def _audit(session: Session, key: bytes) -> tuple[int, list[Finding]]:
    rows = list(session.scalars(select(Audit).order_by(Audit.seq, Audit.id)))
    head = session.scalars(select(AuditHead)).first()
    findings: list[Finding] = []
    if head is None:
        findings.append(Finding(table="audit", row=None,
                                message="tête du journal des décisions absente"))
        top, top_hash = 0, GENESIS
    else:
        top, top_hash = head.seq, head.hash
        if not _same(head.mac, head_mac(key, head.seq, head.hash)):
            findings.append(Finding(table="audit", row=None,
                                    message="tête du journal des décisions modifiée"))
    expected, previous = 1, GENESIS
    for row in rows:
        if row.seq is None:
            findings.append(Finding(table="audit", row=row.id, message=(
                f"décision tracée (ligne {row.id}, bordereau {row.serial}) ajoutée hors de "
                "bordereau (hors de la chaîne)")))
            continue
        if row.seq > expected:
            findings.append(_removed(expected, row.seq - 1))
        elif row.prev_hash != previous:
            findings.append(Finding(table="audit", row=row.id, message=(
                f"décision tracée n° {row.seq} : chaînage rompu")))
        if not _same(row.hash, audit_hash(key, row, row.prev_hash or "")):
            findings.append(Finding(table="audit", row=row.id, message=(
                f"décision tracée n° {row.seq} (ligne {row.id}, bordereau {row.serial}) "
                "modifiée hors de bordereau")))
        if row.seq > top:
            findings.append(Finding(table="audit", row=row.id, message=(
                f"décision tracée n° {row.seq} ajoutée après la tête du journal")))
        expected, previous = row.seq + 1, row.hash or ""
    if top >= expected:
        findings.append(_removed(expected, top))
    elif top and previous != top_hash and top == expected - 1:
        findings.append(Finding(table="audit", row=None, message=(
            "dernière décision tracée différente de la tête du journal")))
    return len(rows), findings
