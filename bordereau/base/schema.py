"""The establishment's base: scans, pages, sheets, field readings, the review queue's audit,
and the committed records that follow BaMaRa's model.

Migrations (``base/migrations``) create and evolve these tables; this module is the ORM
view of the newest version. Values are stored as JSON in the same forms as ``scan read``
prints them; every coded value of a record also as code + code system.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bordereau import clock
from bordereau.base.states import (
    JobState,
    PageState,
    ReadingStatus,
    SheetStatus,
    StateColumn,
    UtcDateTime,
)


def utcnow() -> dt.datetime:
    """Now, aware, in UTC (from the package's one clock)."""
    return clock.now()


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: UtcDateTime()}


class Establishment(Base):
    """One row: the establishment this base belongs to (bound to its secret)."""

    __tablename__ = "establishment"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(8))
    proof: Mapped[str] = mapped_column(String(64))  # HMAC of a constant under the secret
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ScanFile(Base):
    """An input file, content-addressed: ingesting the same bytes again changes nothing."""

    __tablename__ = "scan_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    stored_as: Mapped[str] = mapped_column(String(255))
    ingested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ingested_by: Mapped[str] = mapped_column(String(64))
    pages: Mapped[list[Page]] = relationship(back_populates="file", order_by="Page.index")


class ScanJob(Base):
    """A file submitted for reading by the workers (``scan submit``, ``scan worker``).

    ``state``: queued, running (held by ``worker`` until ``lease_until``, renewed while it
    reads), done (stored in the same transaction as its pages), failed (``error``). The
    file's bytes live here, so a worker on any workstation that reaches the base can read
    it."""

    __tablename__ = "scan_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    state: Mapped[JobState] = mapped_column(StateColumn(JobState), index=True)
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class Sheet(Base):
    """All pages sharing a serial. ``status``: waiting_pages, waiting_review, committed."""

    __tablename__ = "sheet"
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    layout_id: Mapped[str] = mapped_column(String(16))
    centre: Mapped[str] = mapped_column(String(16))
    pages_expected: Mapped[int] = mapped_column(Integer)
    status: Mapped[SheetStatus] = mapped_column(StateColumn(SheetStatus), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    committed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    pages: Mapped[list[Page]] = relationship(back_populates="sheet")
    readings: Mapped[list[Reading]] = relationship(back_populates="sheet",
                                                   order_by="Reading.position")


class Page(Base):
    """One input page and the one state it ended in."""

    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("file_id", "index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("scan_file.id"))
    index: Mapped[int] = mapped_column(Integer)
    state: Mapped[PageState] = mapped_column(StateColumn(PageState))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    serial: Mapped[str | None] = mapped_column(String(12), default=None)
    page_number: Mapped[int | None] = mapped_column(Integer, default=None)
    residual_mm: Mapped[float | None] = mapped_column(Float, default=None)
    rotation: Mapped[int | None] = mapped_column(Integer, default=None)
    image: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("sheet.id"), default=None)
    file: Mapped[ScanFile] = relationship(back_populates="pages")
    sheet: Mapped[Sheet | None] = relationship(back_populates="pages")


class Reading(Base):
    """One field of one sheet: the machine's reading, the rules' verdict, the final value.

    ``status``: trusted (committed as read), pending (in the review queue), accepted
    (a reviewer kept the machine's value), corrected (a reviewer typed another value).
    """

    __tablename__ = "reading"
    __table_args__ = (UniqueConstraint("sheet_id", "field_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("sheet.id"), index=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("page.id"), default=None)
    field_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    page_number: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)  # the page-level FieldReading
    value: Mapped[Any] = mapped_column(JSON, nullable=True)  # machine value after rules
    confidence: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[ReadingStatus] = mapped_column(StateColumn(ReadingStatus), index=True)
    final: Mapped[Any] = mapped_column(JSON, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claim_expires: Mapped[dt.datetime | None] = mapped_column(default=None)
    crop: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    sheet: Mapped[Sheet] = relationship(back_populates="readings")
    page: Mapped[Page | None] = relationship()


class Audit(Base):
    """Every human decision: who, when, the machine's value, the final value, the reason."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # accept, correct, reopen
    reading_id: Mapped[int] = mapped_column(ForeignKey("reading.id"))
    serial: Mapped[str] = mapped_column(String(12))
    field_id: Mapped[str] = mapped_column(String(80))
    machine_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    previous_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    final_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    # the keyed hash chain (base/seal.py): position, previous row's hash, this row's hash
    seq: Mapped[int | None] = mapped_column(Integer, default=None, unique=True, index=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)


class AuditHead(Base):
    """One row: the audit chain's last position and hash, under a keyed hash (so rows cut
    off the end of the chain are seen). Appends lock this row: one at a time."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class Patient(Base):
    """A patient of the establishment (identity traits as written on the fiche initiale)."""

    __tablename__ = "patient"
    id: Mapped[int] = mapped_column(primary_key=True)
    ipp: Mapped[str] = mapped_column(String(20), unique=True)
    ins: Mapped[str | None] = mapped_column(String(15), default=None)
    nom_naissance: Mapped[str | None] = mapped_column(String(80), default=None)
    premier_prenom: Mapped[str | None] = mapped_column(String(80), default=None)
    nom_utilise: Mapped[str | None] = mapped_column(String(80), default=None)
    sexe_code: Mapped[str | None] = mapped_column(String(8), default=None)
    sexe_system: Mapped[str | None] = mapped_column(String(64), default=None)
    date_naissance: Mapped[str | None] = mapped_column(String(10), default=None)
    lieu_naissance: Mapped[str | None] = mapped_column(String(5), default=None)
    commune_residence: Mapped[str | None] = mapped_column(String(5), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    mac: Mapped[str | None] = mapped_column(String(64), default=None)  # keyed hash (seal.py)
    records: Mapped[list[Record]] = relationship(back_populates="patient",
                                                 order_by="Record.id")


class Record(Base):
    """One committed sheet, versioned: a later correction adds a version, never overwrites."""

    __tablename__ = "record"
    __table_args__ = (UniqueConstraint("sheet_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("sheet.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    committed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    committed_by: Mapped[str] = mapped_column(String(64))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)  # field id -> value (scan read forms)
    pages: Mapped[list[Any]] = mapped_column(JSON)  # [{"file": sha256, "index": n}, ...]
    mac: Mapped[str | None] = mapped_column(String(64), default=None)  # keyed hash (seal.py)
    patient: Mapped[Patient] = relationship(back_populates="records")
    items: Mapped[list[RecordItem]] = relationship(back_populates="record",
                                                   cascade="all, delete-orphan")


class RecordItem(Base):
    """One SDM-MR value of a record as code + code system (or text), grouped by entity:
    patient facts, prise en charge, activité, diagnostic N. Queries and reports read here."""

    __tablename__ = "record_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    entity: Mapped[str] = mapped_column(String(24), index=True)  # patient, prise_en_charge...
    rank: Mapped[int] = mapped_column(Integer, default=1)  # diagnostic 1 or 2
    item: Mapped[str] = mapped_column(String(80), index=True)
    code: Mapped[str | None] = mapped_column(String(40), default=None)
    system: Mapped[str | None] = mapped_column(String(64), default=None)
    display: Mapped[str | None] = mapped_column(String(200), default=None)
    text: Mapped[str | None] = mapped_column(String(200), default=None)
    record: Mapped[Record] = relationship(back_populates="items")


class ExportLog(Base):
    """One document sent out: which record versions, when, to which file, by whom."""

    __tablename__ = "export_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    format: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    records: Mapped[list[Any]] = mapped_column(JSON)  # [{"id": …, "version": …}, ...]
    document_id: Mapped[str] = mapped_column(String(64))
    document_version: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(String(512))
    exported_by: Mapped[str] = mapped_column(String(64))
