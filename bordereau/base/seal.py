"""Tamper evidence: keyed hashes over what bordereau writes, checked by ``base verify``.

- **Records and patients** carry ``mac`` = HMAC-SHA256, under a key derived from the
  establishment's secret, of their values (a record: its values, pages, items and
  identifiers; a patient: the identity traits). Someone who edits the base directly,
  without the secret, cannot make a matching hash.
- **The audit** is an append-only chain: row ``seq`` carries the previous row's hash and
  its own, keyed hash of (previous hash, its decision). ``audit_head`` keeps the last
  position and hash under the key, so rows cut off the end are seen too. Appends lock the
  head row (PostgreSQL ``FOR UPDATE``; SQLite has one writer): the chain stays a chain
  when several reviewers decide at once.

Sealing is automatic: every session of a :class:`~bordereau.base.engine.Database` seals,
just before it commits, the records, patients and audit rows it added or changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bordereau.base.schema import Audit, AuditHead, Patient, Record, RecordItem

KEY_LABEL = b"bordereau-seal-v1"
GENESIS = "0" * 64
PATIENT_FIELDS = ("ipp", "ins", "nom_naissance", "premier_prenom", "nom_utilise", "sexe_code",
                  "sexe_system", "date_naissance", "lieu_naissance", "commune_residence")
_PENDING = "seal_pending"


def seal_key(secret: bytes) -> bytes:
    """The sealing key, derived from the establishment's secret (never stored)."""
    return hmac.new(secret, KEY_LABEL, hashlib.sha256).digest()


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str).encode("utf-8")


def _mac(key: bytes, kind: str, data: Any) -> str:
    return hmac.new(key, kind.encode() + b"\n" + _canonical(data), hashlib.sha256).hexdigest()


def _moment(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def record_mac(key: bytes, record: Record, items: list[RecordItem]) -> str:
    rows = sorted((i.entity, i.rank, i.item, i.code or "", i.system or "", i.display or "",
                   i.text or "") for i in items)
    return _mac(key, "record", {
        "id": record.id, "sheet_id": record.sheet_id, "patient_id": record.patient_id,
        "kind": record.kind, "version": record.version, "current": bool(record.current),
        "committed_at": _moment(record.committed_at), "committed_by": record.committed_by,
        "values": record.values, "pages": record.pages, "items": rows})


def patient_mac(key: bytes, patient: Patient) -> str:
    return _mac(key, "patient", {"id": patient.id,
                                 **{name: getattr(patient, name) for name in PATIENT_FIELDS}})


def audit_hash(key: bytes, row: Audit, prev_hash: str) -> str:
    return _mac(key, "audit", {
        "seq": row.seq, "prev": prev_hash, "at": _moment(row.at), "reviewer": row.reviewer,
        "action": row.action, "reading_id": row.reading_id, "serial": row.serial,
        "field_id": row.field_id, "machine_value": row.machine_value,
        "previous_value": row.previous_value, "final_value": row.final_value,
        "reason": row.reason})


def head_mac(key: bytes, seq: int, last: str) -> str:
    return _mac(key, "head", {"seq": seq, "hash": last})


def install(sessions: sessionmaker[Session], key: bytes) -> None:
    """Make every session of ``sessions`` seal what it writes before it commits."""
    event.listen(sessions, "before_flush", _collect)
    event.listen(sessions, "before_commit", _seal)
    sessions.kw.setdefault("info", {})["seal_key"] = key


def _collect(session: Session, _context: Any, _instances: Any) -> None:
    pending: set[Any] = session.info.setdefault(_PENDING, set())
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Record | Patient | Audit):
            pending.add(obj)
        elif isinstance(obj, RecordItem) and obj.record is not None:
            pending.add(obj.record)


def _seal(session: Session) -> None:
    key = session.info.get("seal_key")
    if key is None:
        return
    session.flush()
    pending: set[Any] = session.info.pop(_PENDING, set())
    if not pending:
        return
    audits = sorted((o for o in pending if isinstance(o, Audit) and o.seq is None),
                    key=lambda a: a.id)
    if audits:
        append(session, key, audits)
    for obj in pending:
        if isinstance(obj, Record):
            obj.mac = record_mac(key, obj, list(obj.items))
        elif isinstance(obj, Patient):
            obj.mac = patient_mac(key, obj)
    session.flush()
    session.info.pop(_PENDING, None)


def _head(session: Session) -> AuditHead | None:
    return session.scalars(select(AuditHead).with_for_update()
                           .execution_options(populate_existing=True)).first()


def append(session: Session, key: bytes, audits: list[Audit]) -> None:
    """Chain new audit rows after the head (locked until the transaction ends)."""
    head = _head(session)
    if head is None:  # a base sealed before its first decision: start the chain
        head = AuditHead(id=1, seq=0, hash=GENESIS, mac=head_mac(key, 0, GENESIS))
        session.add(head)
    seq, last = head.seq, head.hash
    for row in audits:
        seq += 1
        row.seq, row.prev_hash = seq, last
        row.hash = last = audit_hash(key, row, row.prev_hash)
    head.seq, head.hash, head.mac = seq, last, head_mac(key, seq, last)


def needs_first_seal(session: Session) -> bool:
    """A base from before tamper evidence: no head yet and nothing sealed."""
    if session.scalar(select(func.count()).select_from(AuditHead)):
        return False
    sealed = (session.scalar(select(func.count()).select_from(Record)
                             .where(Record.mac.is_not(None)))
              or session.scalar(select(func.count()).select_from(Audit)
                                .where(Audit.hash.is_not(None))))
    return not sealed


def seal_existing(session: Session, key: bytes) -> None:
    """Seal every row of a base from before tamper evidence, once (then a row without
    its hash is reported, never sealed again)."""
    for record in session.scalars(select(Record).order_by(Record.id)):
        record.mac = record_mac(key, record, list(record.items))
    for patient in session.scalars(select(Patient).order_by(Patient.id)):
        patient.mac = patient_mac(key, patient)
    audits = list(session.scalars(select(Audit).order_by(Audit.id)))
    append(session, key, audits)
