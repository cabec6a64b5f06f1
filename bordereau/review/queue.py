"""The review queue: the only place that changes a queued item.

Items are the readings the machine was not sure of. Several reviewers can share one
PostgreSQL base: an item is claimed under a row lock (``FOR UPDATE SKIP LOCKED``) with a
lease that expires if the reviewer leaves, so no two reviewers get the same item. Every
decision is audited; when a sheet's last doubtful field is resolved, its record is
committed in the same transaction. A change to a committed sheet is a new record version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, undefer

from bordereau.base.engine import Database
from bordereau.base.records import commit_sheet
from bordereau.base.schema import Audit, Page, Reading, Record, Sheet, utcnow
from bordereau.base.sheets import DECIDED, current_value, refresh_sheet
from bordereau.errors import BordereauError, ExitCode, InputError, NotFoundError
from bordereau.forms.manifest import FieldLayout
from bordereau.review.values import InvalidValueError, format_value, parse_value

LEASE = dt.timedelta(minutes=10)


class ConflictError(BordereauError):
    """Another reviewer holds or already decided the item."""

    exit_code = ExitCode.CONFLICT


class Item(BaseModel):
    """One queued (or decided) field, as lists and the application show it."""

    id: int
    serial: str
    sheet_kind: str
    sheet_status: str
    field_id: str
    label: str
    kind: str
    page: int
    value: Any
    shown: str  # the value as a reviewer would type it
    confidence: float
    reason: str | None
    status: str
    final: Any = None
    claimed_by: str | None = None


class Decision(BaseModel):
    """What a decision did."""

    item: Item
    action: str
    sheet_status: str
    record_id: int | None = None
    record_version: int | None = None


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


class Queue:
    """The review queue of one base, seen by one reviewer."""

    def __init__(self, db: Database, reviewer: str, lease: dt.timedelta = LEASE,
                 today: dt.date | None = None) -> None:
        self.db = db
        self.reviewer = reviewer
        self.lease = lease
        self.today = today

    # -- reading -----------------------------------------------------------------------
    def field(self, row: Reading) -> FieldLayout:
        return self.db.home.layout(row.sheet.layout_id).field(row.field_id)

    def _item(self, row: Reading) -> Item:
        field = self.field(row)
        return Item(id=row.id, serial=row.sheet.serial, sheet_kind=row.sheet.kind,
                    sheet_status=row.sheet.status, field_id=row.field_id, label=field.label,
                    kind=row.kind, page=row.page_number, value=row.value,
                    shown=format_value(field, current_value(row)), confidence=row.confidence,
                    reason=row.reason, status=row.status, final=row.final,
                    claimed_by=row.claimed_by)

    def items(self, status: str | None = "pending", field_id: str | None = None,
              serial: str | None = None, limit: int | None = None) -> list[Item]:
        """Items ordered by sheet then by confidence (the least sure first)."""
        with self.db.session() as session:
            query = select(Reading).join(Sheet)
            if status == "pending":
                query = query.where(Reading.status == "pending",
                                    Sheet.status == "waiting_review")
            elif status is not None:
                query = query.where(Reading.status == status)
            if field_id:
                query = query.where(Reading.field_id == field_id)
            if serial:
                query = query.where(Sheet.serial == serial)
            query = query.order_by(Sheet.serial, Reading.confidence, Reading.position)
            if limit:
                query = query.limit(limit)
            return [self._item(row) for row in session.scalars(query)]

    def counts(self) -> tuple[int, int]:
        """How many items wait, on how many sheets (without loading them)."""
        with self.db.session() as session:
            row = session.execute(
                select(func.count(Reading.id), func.count(func.distinct(Reading.sheet_id)))
                .join(Sheet).where(Reading.status == "pending",
                                   Sheet.status == "waiting_review")).one()
            return int(row[0]), int(row[1])

    def get(self, item_id: int) -> Item:
        with self.db.session() as session:
            return self._item(self._row(session, item_id))

    def images(self, item_id: int) -> tuple[bytes | None, bytes | None]:
        """The crop of the field and the whole page it is on (PNG bytes)."""
        with self.db.session() as session:
            row = session.scalars(select(Reading).options(undefer(Reading.crop))
                                  .where(Reading.id == item_id)).first()
            if row is None:
                raise NotFoundError(f"Élément de vérification {item_id} introuvable.")
            page = session.scalars(select(Page).options(undefer(Page.image))
                                   .where(Page.id == row.page_id)).first()
            return row.crop, page.image if page else None

    def field_of(self, item_id: int) -> FieldLayout:
        with self.db.session() as session:
            return self.field(self._row(session, item_id))

    def _row(self, session: Session, item_id: int, lock: bool = False) -> Reading:
        query = select(Reading).where(Reading.id == item_id)
        if lock:
            query = query.with_for_update()
        row = session.scalars(query).first()
        if row is None:
            raise NotFoundError(f"Élément de vérification {item_id} introuvable.")
        return row

    # -- claims ------------------------------------------------------------------------
    def claim_next(self, field_id: str | None = None,
                   skip: set[int] | None = None) -> Item | None:
        """Claim the next free pending item (none left: None)."""
        now = utcnow()
        with self.db.writing(), self.db.session() as session:
            query = (select(Reading).join(Sheet)
                     .where(Reading.status == "pending", Sheet.status == "waiting_review",
                            or_(Reading.claimed_by.is_(None), Reading.claim_expires < now,
                                Reading.claimed_by == self.reviewer))
                     .order_by(Sheet.serial, Reading.confidence, Reading.position))
            if field_id:
                query = query.where(Reading.field_id == field_id)
            if skip:
                query = query.where(Reading.id.not_in(skip))
            row = session.scalars(query.limit(1).with_for_update(skip_locked=True,
                                                                 of=Reading)).first()
            if row is None:
                return None
            row.claimed_by, row.claim_expires = self.reviewer, now + self.lease
            session.commit()
            return self._item(row)

    def claim(self, item_id: int) -> Item:
        """Claim (or renew the lease of) one pending item; ConflictError if another
        reviewer holds it."""
        now = utcnow()
        with self.db.writing(), self.db.session() as session:
            row = self._row(session, item_id, lock=True)
            expires = _aware(row.claim_expires)
            if (row.claimed_by and row.claimed_by != self.reviewer and expires
                    and expires > now):
                raise ConflictError(f"Élément {item_id} réservé par {row.claimed_by} jusqu’à "
                                    f"{expires.astimezone():%H:%M}.")
            if row.status == "pending":
                row.claimed_by, row.claim_expires = self.reviewer, now + self.lease
            session.commit()
            return self._item(row)

    def release(self, item_id: int) -> None:
        """Give an item back to the queue."""
        with self.db.writing(), self.db.session() as session:
            row = self._row(session, item_id, lock=True)
            if row.claimed_by == self.reviewer:
                row.claimed_by, row.claim_expires = None, None
            session.commit()

    # -- decisions ---------------------------------------------------------------------
    def accept(self, item_id: int) -> Decision:
        """Keep the machine's value (or the current one)."""
        return self._decide(item_id, None, accept=True)

    def set(self, item_id: int, text: str) -> Decision:
        """Set the value a reviewer typed (validated first)."""
        field = self.field_of(item_id)
        try:
            value = parse_value(field, text, self.today)
        except InvalidValueError as exc:
            raise InputError(f"Valeur refusée pour « {field.label} » : {exc}.") from exc
        if value in (None, []) and self._required(item_id, field):
            raise InputError(
                f"Valeur refusée pour « {field.label} » : champ obligatoire, il ne peut pas "
                "rester vide (demander la valeur au médecin, ou passer cet élément).")
        return self._decide(item_id, value, accept=False)

    def _required(self, item_id: int, field: FieldLayout) -> bool:
        """Required now: always, or because its optional section is used on this sheet."""
        if field.required:
            return True
        if not field.required_if_used:
            return False
        with self.db.session() as session:
            row = self._row(session, item_id)
            layout = self.db.home.layout(row.sheet.layout_id)
            section = {f.id for f in layout.fields if f.section == field.section}
            return any(current_value(r) not in (None, False, [])
                       for r in row.sheet.readings if r.field_id in section and r.id != row.id)

    def _decide(self, item_id: int, value: Any, accept: bool) -> Decision:
        with self.db.writing(), self.db.session() as session:
            probe = self._row(session, item_id)
            sheet = session.scalars(select(Sheet).where(Sheet.id == probe.sheet_id)
                                    .with_for_update()).one()
            row = self._row(session, item_id, lock=True)
            session.refresh(sheet)
            expires = _aware(row.claim_expires)
            if (row.claimed_by and row.claimed_by != self.reviewer and expires
                    and expires > utcnow() and row.status == "pending"):
                raise ConflictError(f"Élément {item_id} réservé par {row.claimed_by} jusqu’à "
                                    f"{expires.astimezone():%H:%M}.")
            if sheet.status == "waiting_pages":
                raise ConflictError(f"Bordereau {sheet.serial} incomplet : attendre ses pages "
                                    "manquantes avant de vérifier ses champs.")
            before = current_value(row)
            final = before if accept else value
            if accept and row.status in DECIDED:
                raise ConflictError(f"Élément {item_id} déjà traité par {row.decided_by}.")
            action = "accept" if accept or final == row.value else "correct"
            row.final, row.status = final, "accepted" if action == "accept" else "corrected"
            row.decided_by, row.decided_at = self.reviewer, utcnow()
            row.claimed_by, row.claim_expires = None, None
            session.add(Audit(reviewer=self.reviewer, action=action, reading_id=row.id,
                              serial=sheet.serial, field_id=row.field_id,
                              machine_value=row.value, previous_value=before,
                              final_value=final, reason=row.reason))
            session.flush()
            record = self._after_decision(session, sheet)
            session.commit()
            return Decision(item=self._item(row), action=action, sheet_status=sheet.status,
                            record_id=record.id if record else None,
                            record_version=record.version if record else None)

    def _after_decision(self, session: Session, sheet: Sheet) -> Record | None:
        layout = self.db.home.layout(sheet.layout_id)
        if sheet.status == "committed":
            values = {r.field_id: current_value(r) for r in sheet.readings}
            old = session.scalars(select(Record).where(Record.sheet_id == sheet.id,
                                                       Record.current.is_(True))).first()
            pages = old.pages if old else []
            return commit_sheet(session, sheet, layout,
                                {f.id: values.get(f.id) for f in layout.fields}, pages,
                                self.reviewer)
        refresh_sheet(session, sheet, layout, self.reviewer, self.today, recheck=True)
        if sheet.status == "committed":
            return session.scalars(select(Record).where(Record.sheet_id == sheet.id,
                                                        Record.current.is_(True))).first()
        return None
