"""The review queue: the only place that changes a queued item.

Items are the readings the machine was not sure of. Several reviewers can share one
PostgreSQL base: an item is claimed under a row lock (``FOR UPDATE SKIP LOCKED``) with a
lease that expires if the reviewer leaves, so no two reviewers get the same item. Every
decision is audited; when a sheet's last doubtful field is resolved, its record is
committed in the same transaction. A change to a committed sheet is a new record version.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, object_session, undefer

from bordereau.base.engine import Database
from bordereau.base.ink import ink_found
from bordereau.base.people import check_name
from bordereau.base.records import commit_sheet
from bordereau.base.schema import Audit, Page, Reading, Record, Sheet, utcnow
from bordereau.base.sheets import CLINICIAN, DECIDED, IMAGE, current_value, refresh_sheet
from bordereau.base.states import ReadingStatus, SheetStatus
from bordereau.errors import BordereauError, InputError, NotFoundError
from bordereau.forms.centre import Centre
from bordereau.forms.manifest import FieldLayout
from bordereau.forms.model import ANNEX_KINDS
from bordereau.review.evidence import KEYS, Suggestion, evidence_for
from bordereau.review.items import ConflictError, Decision, Item, aware, empty_value
from bordereau.review.patients import add_patient, candidates, known_identity
from bordereau.review.values import InvalidValueError, format_value, parse_value

__all__ = ["LEASE", "ConflictError", "Decision", "Item", "Queue"]

LEASE = dt.timedelta(minutes=10)
WRITE_WAIT = 15.0  # seconds a claim or decision waits for another SQLite writer
log = logging.getLogger(__name__)
OPEN = (ReadingStatus.PENDING, IMAGE, CLINICIAN)  # items that can still be decided


def _shown(field: FieldLayout, row: Reading) -> str:
    """The value as a reviewer would type it; for a value the reader could not make valid
    (an impossible date), the characters it read, so they are offered instead of "vide"."""
    shown = format_value(field, current_value(row))
    if not shown and row.status == ReadingStatus.PENDING and isinstance(row.raw, dict):
        details = row.raw.get("details")
        read = details.get("read") if isinstance(details, dict) else None
        if isinstance(read, str):
            return read
    return shown


class Queue:
    """The review queue of one base, seen by one reviewer."""

    def __init__(self, db: Database, reviewer: str, lease: dt.timedelta = LEASE,
                 today: dt.date | None = None, transcribe: bool = False) -> None:
        self.db = db
        self.reviewer = check_name(reviewer)
        self.lease = lease
        self.today = today
        # The queue served: doubtful fields, or (opt-in) the handwritten comments kept as
        # images, to transcribe — on sheets still in review or already committed.
        self.transcribe = transcribe
        self.waiting = IMAGE if transcribe else ReadingStatus.PENDING

    def _waiting(self) -> Any:
        """The condition on (Reading, Sheet) of the items this queue serves."""
        sheets = ((SheetStatus.WAITING_REVIEW, SheetStatus.COMMITTED) if self.transcribe
                  else (SheetStatus.WAITING_REVIEW,))
        return and_(Reading.status == self.waiting, Sheet.status.in_(sheets))

    # -- reading -----------------------------------------------------------------------
    def field(self, row: Reading) -> FieldLayout:
        return self.db.home.layout(row.sheet.layout_id).field(row.field_id)

    def centre(self, layout_id: str) -> Centre | None:
        """The centre file a sheet was printed with (None if its copy is missing)."""
        try:
            return self.db.home.load_centre(self.db.home.layout(layout_id).form.centre.snapshot)
        except BordereauError:
            return None

    def _item(self, row: Reading) -> Item:
        field = self.field(row)
        sheet = row.sheet
        values = {r.field_id: current_value(r) for r in sheet.readings}
        raws = {r.field_id: r.raw or {} for r in sheet.readings}
        found = evidence_for(field, values, raws, self.centre(sheet.layout_id), self.today)
        session = object_session(row)
        attached = sheet.kind == "suivi" or sheet.kind in ANNEX_KINDS  # joined by IPP
        if attached and session is not None and row.status in OPEN:
            known = known_identity(session, values, row.field_id)
            if known is not None and known not in [s.value for s in found.suggestions] \
                    and len(found.suggestions) < len(KEYS):
                found.suggestions.append(Suggestion(
                    key=KEYS[len(found.suggestions)], value=known,
                    shown=format_value(field, known),
                    source=f"patient de la base (IPP {values.get('patient.ipp')})"))
        if (row.field_id == "patient.ipp" and attached and session is not None
                and row.status in OPEN and "patient inconnu" in (row.reason or "")):
            for candidate in candidates(session, values)[:len(KEYS) - len(found.suggestions)]:
                found.suggestions.append(Suggestion(
                    key=KEYS[len(found.suggestions)], value=candidate.ipp, shown=candidate.ipp,
                    source=f"patient de la base ({', '.join(candidate.why)}) : "
                           f"{candidate.describe()}"))
        return Item(id=row.id, serial=sheet.serial, sheet_kind=sheet.kind,
                    sheet_status=sheet.status, field_id=row.field_id, label=field.label,
                    kind=row.kind, page=row.page_number, value=row.value,
                    shown=_shown(field, row), confidence=row.confidence,
                    reason=row.reason, status=row.status, final=row.final,
                    claimed_by=row.claimed_by, ink=ink_found(row.kind, row.raw),
                    required=self._required_row(row, field),
                    suggestions=found.suggestions, notes=found.notes)

    def items(self, status: str | None = ReadingStatus.PENDING, field_id: str | None = None,
              serial: str | None = None, limit: int | None = None) -> list[Item]:
        """Items ordered by sheet then by confidence (the least sure first)."""
        with self.db.session() as session:
            query = select(Reading).join(Sheet)
            if status == ReadingStatus.PENDING:
                query = query.where(self._waiting())
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
                .join(Sheet).where(self._waiting())).one()
            return int(row[0]), int(row[1])

    def questions(self) -> int:
        """How many items wait for the clinician's answer (« à compléter »)."""
        with self.db.session() as session:
            return int(session.scalar(select(func.count(Reading.id)).join(Sheet).where(
                Reading.status == CLINICIAN, Sheet.status == SheetStatus.WAITING_REVIEW)) or 0)

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
            return self._row_field(session, item_id)[1]

    def _row_field(self, session: Session, item_id: int) -> tuple[Reading, FieldLayout]:
        """An item's row and its field, in one query (its sheet's layout id joined)."""
        found = session.execute(select(Reading, Sheet.layout_id).join(Sheet)
                                .where(Reading.id == item_id)).first()
        if found is None:
            raise NotFoundError(f"Élément de vérification {item_id} introuvable.")
        row, layout_id = found
        return row, self.db.home.layout(layout_id).field(row.field_id)

    def _row(self, session: Session, item_id: int, lock: bool = False) -> Reading:
        query = select(Reading).where(Reading.id == item_id)
        if lock:  # re-read from the base under the lock (the session's copy may be stale)
            query = query.with_for_update().execution_options(populate_existing=True)
        row = session.scalars(query).first()
        if row is None:
            raise NotFoundError(f"Élément de vérification {item_id} introuvable.")
        return row

    # -- claims ------------------------------------------------------------------------
    def claim_next(self, field_id: str | None = None,
                   skip: set[int] | None = None) -> Item | None:
        """Claim the next free pending item (none left: None)."""
        now = utcnow()
        with self.db.writing(wait=WRITE_WAIT), self.db.session() as session:
            query = (select(Reading).join(Sheet)
                     .where(self._waiting(),
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
        with self.db.writing(wait=WRITE_WAIT), self.db.session() as session:
            row = self._row(session, item_id, lock=True)
            expires = aware(row.claim_expires)
            if (row.claimed_by and row.claimed_by != self.reviewer and expires
                    and expires > now):
                raise ConflictError(f"Élément {item_id} réservé par {row.claimed_by} jusqu’à "
                                    f"{expires.astimezone():%H:%M}.")
            if row.status in OPEN:
                row.claimed_by, row.claim_expires = self.reviewer, now + self.lease
            session.commit()
            return self._item(row)

    def release(self, item_id: int) -> None:
        """Give an item back to the queue."""
        with self.db.writing(wait=WRITE_WAIT), self.db.session() as session:
            row = self._row(session, item_id, lock=True)
            if row.claimed_by == self.reviewer:
                row.claimed_by, row.claim_expires = None, None
            session.commit()

    # -- decisions ---------------------------------------------------------------------
    def accept(self, item_id: int) -> Decision:
        """Keep the machine's value (or the current one).

        Never empties a field where the reader saw ink: the reviewer says so on purpose
        (``set`` with « vide »), or transcribes it."""
        with self.db.session() as session:  # the row alone: no evidence to build
            row, field = self._row_field(session, item_id)
            label = field.label
            empty = empty_value(current_value(row), row.kind)
            open_with_ink = row.status in (ReadingStatus.PENDING, IMAGE) and ink_found(
                row.kind, row.raw)
        if open_with_ink and empty:
            raise InputError(
                f"Élément {item_id} : de l’écriture a été trouvée dans « {label} » mais "
                "la lecture est vide ; taper la valeur, ou « vide » pour confirmer qu’il n’y "
                "a rien à garder.")
        return self._decide(item_id, None, accept=True)

    def set(self, item_id: int, text: str) -> Decision:
        """Set the value a reviewer typed (validated first)."""
        with self.db.session() as session:  # one read: the row, its field, its sheet
            row, field = self._row_field(session, item_id)
            try:
                value = parse_value(field, text, self.today)
            except InvalidValueError as exc:
                raise InputError(f"Valeur refusée pour « {field.label} » : {exc}.") from exc
            if value in (None, []) and self._required_row(row, field):
                raise InputError(
                    f"Valeur refusée pour « {field.label} » : champ obligatoire, il ne peut "
                    "pas rester vide (demander la valeur au médecin, ou passer cet élément).")
        return self._decide(item_id, value, accept=False)

    def _required_row(self, row: Reading, field: FieldLayout) -> bool:
        """Required now: always, or because its optional section is used on this sheet."""
        if field.required or not field.required_if_used:
            return field.required
        layout = self.db.home.layout(row.sheet.layout_id)
        section = {f.id for f in layout.fields if f.section == field.section}
        return any(current_value(r) not in (None, False, [])
                   for r in row.sheet.readings if r.field_id in section and r.id != row.id)

    def ask_clinician(self, item_id: int) -> Decision:
        """« À compléter » : a required item blank on paper, or a choice with two live marks,
        is a question for the clinician (``records incomplete``), not for the reviewer. The
        sheet waits for the answer, entered later with ``set`` (audited)."""
        return self._decide(item_id, None, accept=False, action="ask")

    def create_patient(self, item_id: int) -> Decision:
        """A fiche de suivi for a patient whose fiche initiale predates ``bordereau``: create
        the patient from the suivi's identity (IPP, names, date of birth), audited."""
        item = self.get(item_id)
        if item.field_id != "patient.ipp" or item.sheet_kind != "suivi" or not item.shown:
            raise InputError(f"Élément {item_id} : seul l’IPP d’une fiche de suivi permet de "
                             "créer un patient.")
        return self._decide(item_id, None, accept=True, action="new_patient")

    def _decide(self, item_id: int, value: Any, accept: bool,
                action: str | None = None) -> Decision:
        with self.db.writing(wait=WRITE_WAIT), self.db.session() as session:
            # Lock the sheet, then the item, and decide only on what the base says under
            # those locks: a reviewer racing on the same item waits here, then sees it
            # decided (or claimed) and gets a conflict.
            sheet_id = session.scalar(select(Reading.sheet_id).where(Reading.id == item_id))
            if sheet_id is None:
                raise NotFoundError(f"Élément de vérification {item_id} introuvable.")
            sheet = session.scalars(select(Sheet).where(Sheet.id == sheet_id)
                                    .with_for_update()
                                    .execution_options(populate_existing=True)).one()
            row = self._row(session, item_id, lock=True)
            expires = aware(row.claim_expires)
            if (row.claimed_by and row.claimed_by != self.reviewer and expires
                    and expires > utcnow() and row.status in OPEN):
                raise ConflictError(f"Élément {item_id} réservé par {row.claimed_by} jusqu’à "
                                    f"{expires.astimezone():%H:%M}.")
            if sheet.status == SheetStatus.WAITING_PAGES:
                raise ConflictError(f"Bordereau {sheet.serial} incomplet : attendre ses pages "
                                    "manquantes avant de vérifier ses champs.")
            before = current_value(row)
            final = before if accept else value
            if (accept or action) and row.status in DECIDED:
                raise ConflictError(f"Élément {item_id} déjà traité par {row.decided_by}.")
            if action == "ask":
                row.status = CLINICIAN
            else:
                if action == "new_patient":
                    add_patient(session, {r.field_id: current_value(r) for r in sheet.readings})
                action = action or ("accept" if accept or final == row.value else "correct")
                row.final = final
                row.status = (ReadingStatus.CORRECTED if action == "correct"
                              else ReadingStatus.ACCEPTED)
                row.decided_by, row.decided_at = self.reviewer, utcnow()
            row.claimed_by, row.claim_expires = None, None
            session.add(Audit(reviewer=self.reviewer, action=action, reading_id=row.id,
                              serial=sheet.serial, field_id=row.field_id,
                              machine_value=row.value, previous_value=before,
                              final_value=final, reason=row.reason))
            session.flush()
            waiting = {r.id for r in sheet.readings
                       if r.status == ReadingStatus.PENDING and r.id != row.id}
            record = self._after_decision(session, sheet)
            cleared = sorted(r.id for r in sheet.readings
                             if r.id in waiting and r.status != ReadingStatus.PENDING)
            session.commit()
            log.info("élément %d (%s, bordereau %s) : %s par %s ; bordereau %s", item_id,
                     row.field_id, sheet.serial, action, self.reviewer, sheet.status)
            return Decision(item=self._item(row), action=action, sheet_status=sheet.status,
                            record_id=record.id if record else None,
                            record_version=record.version if record else None,
                            cleared=cleared)

    def _after_decision(self, session: Session, sheet: Sheet) -> Record | None:
        layout = self.db.home.layout(sheet.layout_id)
        already = sheet.status == SheetStatus.COMMITTED  # (refresh_sheet may commit it below)
        if already:
            values = {r.field_id: current_value(r) for r in sheet.readings}
            old = session.scalars(select(Record).where(Record.sheet_id == sheet.id,
                                                       Record.current.is_(True))).first()
            pages = old.pages if old else []
            return commit_sheet(session, sheet, layout,
                                {f.id: values.get(f.id) for f in layout.fields}, pages,
                                self.reviewer)
        refresh_sheet(session, sheet, layout, self.reviewer, self.today)
        if sheet.status == SheetStatus.COMMITTED:
            return session.scalars(select(Record).where(Record.sheet_id == sheet.id,
                                                        Record.current.is_(True))).first()
        return None
