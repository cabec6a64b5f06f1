"""What the activity report reads from the base: each patient's committed records, turned
into the typed export model by :func:`bordereau.export.sheets.patient_from_sheets` (the same
reading of the values as the CDA export: suivis applied in order, codes resolved with their
French labels, unusable values left out).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from bordereau.base.engine import Database
from bordereau.base.schema import Record, Sheet
from bordereau.errors import BordereauError, HomeError, NotFoundError, UsageError
from bordereau.export.model import Activite, ExportPatient, PartialDate
from bordereau.export.sheets import patient_from_sheets
from bordereau.forms.centre import Centre

# patient_from_sheets wants the OID root of the IPPs; the report never shows identifiers.
_ANY_OID = "2.25"


@dataclass(frozen=True)
class Period:
    """Inclusive bounds; None is open."""

    start: dt.date | None = None
    end: dt.date | None = None

    def place(self, date: PartialDate) -> str:
        """``in``, ``out``, or ``imprecise`` when the partial date straddles a bound."""
        if (self.start and date.latest < self.start) or (self.end and date.earliest > self.end):
            return "out"
        if (self.start and date.earliest < self.start) or (self.end and date.latest > self.end):
            return "imprecise"
        return "in"

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def parse_day(text: str, option: str) -> dt.date:
    """``AAAA-MM-JJ`` or ``JJ/MM/AAAA``; UsageError (exit 2) in French otherwise."""
    value = text.strip()
    french = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", value)
    if french:
        value = f"{french[3]}-{french[2]}-{french[1]}"
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"Date invalide pour {option} : « {text} » (date attendue au format "
                         "AAAA-MM-JJ ou JJ/MM/AAAA).") from exc


def make_period(start: str | None, end: str | None) -> Period:
    period = Period(parse_day(start, "--from") if start else None,
                    parse_day(end, "--to") if end else None)
    if period.start and period.end and period.start > period.end:
        raise UsageError(f"Période vide : --from ({period.start:%d/%m/%Y}) est après --to "
                         f"({period.end:%d/%m/%Y}).")
    return period


@dataclass
class RecordFacts:
    """One committed record as the completeness indicator needs it."""

    id: int
    kind: str
    values: dict[str, Any]
    dated: PartialDate | None  # its activity date, when usable
    committed: dt.date

    def in_period(self, period: Period) -> bool:
        """Its activity date is in the period; without one, the day it was committed."""
        if self.dated is not None:
            return period.place(self.dated) == "in"
        return period.contains(self.committed)


@dataclass
class PatientFile:
    """One patient: the export model and the activities of every sheet."""

    patient: ExportPatient
    activities: list[Activite]
    records: list[RecordFacts] = field(default_factory=list)


@dataclass
class BaseContent:
    patients: list[PatientFile]
    centres: dict[str, str]  # site code -> site name
    unreadable: list[int]  # record ids of patients whose records could not be read


def _activity_date(values: dict[str, Any]) -> PartialDate | None:
    text = values.get("activite.date")
    if not isinstance(text, str):
        return None
    try:
        return PartialDate.model_validate(text)
    except (ValueError, ValidationError):
        return None


class _Centres:
    """The centre file each sheet was printed with (snapshot kept in the home)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def of(self, layout_id: str) -> Centre:
        return self.db.home.load_centre(self.db.home.layout(layout_id).form.centre.snapshot)


def _patient_file(rows: list[tuple[Record, Sheet]], centres: _Centres) -> PatientFile:
    """Latest fiche initiale + every suivi; an older initiale still brings its activity."""
    initiales = [(r, s) for r, s in rows if r.kind == "initiale"]
    suivis = [(r.values, r.committed_at) for r, _ in rows if r.kind == "suivi"]
    main = initiales[-1] if initiales else rows[-1]
    centre = centres.of(main[1].layout_id)
    oid = centre.etablissement.oid_ipp or _ANY_OID
    record = main[0]
    patient = patient_from_sheets(record.values if initiales else {}, suivis, centre,
                                  ipp_oid=oid, initiale_at=record.committed_at,
                                  document_id="00000000-0000-0000-0000-000000000000")
    activities = list(patient.activites if initiales else patient.activites[1:])
    for older, sheet in initiales[:-1]:
        alone = patient_from_sheets(older.values, [], centres.of(sheet.layout_id), ipp_oid=oid,
                                    initiale_at=older.committed_at)
        activities.append(alone.activites[0])
    facts = []
    for r, _ in rows:
        facts.append(RecordFacts(r.id, r.kind, r.values, _activity_date(r.values),
                                 r.committed_at.astimezone().date()))
    return PatientFile(patient=patient, activities=activities, records=facts)


def load_base(db: Database, centre: str | None = None) -> BaseContent:
    """Every patient with committed records (current versions), optionally of one site."""
    centres = _Centres(db)
    with db.session() as session:
        query = (select(Record, Sheet).join(Sheet).where(Record.current.is_(True))
                 .order_by(Record.committed_at, Record.id))
        rows = session.execute(query).all()
    present = sorted({s.centre for _, s in rows})
    if centre is not None and centre not in present:
        known = ", ".join(present) or "aucun"
        raise NotFoundError(f"Centre « {centre} » absent de la base (centres présents : "
                            f"{known}).")
    by_patient: dict[int, list[tuple[Record, Sheet]]] = defaultdict(list)
    names: dict[str, str] = {}
    for record, sheet in rows:
        if centre is None or sheet.centre == centre:
            by_patient[record.patient_id].append((record, sheet))
            if sheet.centre not in names:
                names[sheet.centre] = centres.db.home.layout(sheet.layout_id).form.centre.site_name
    patients: list[PatientFile] = []
    unreadable: list[int] = []
    for _, items in sorted(by_patient.items()):
        try:
            patients.append(_patient_file(items, centres))
        except (ValidationError, BordereauError) as exc:
            if isinstance(exc, HomeError | NotFoundError):
                raise
            unreadable.extend(r.id for r, _ in items)
    return BaseContent(patients=patients, centres=dict(sorted(names.items())),
                       unreadable=unreadable)
