"""« À compléter » : the items only the clinician can answer, per referent and per patient.

A required item left blank on paper, or a choice with two live marks, is sent to the
clinician by a reviewer (``Queue.ask_clinician``): the item waits with the status
``clinician``, its sheet waits for the answer while everything else on it is settled. The
answer comes back on paper (the printed list) and a reviewer enters it with
``bordereau review set ITEM VALUE`` (validated and audited like any correction).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from bordereau.base.engine import Database
from bordereau.base.schema import Reading, Sheet
from bordereau.base.sheets import CLINICIAN, current_value

REFERENT_FIELDS = ("prise_en_charge.medecin_referent", "activite.responsable")


class Missing(BaseModel):
    """One question for the clinician."""

    item: int
    field_id: str
    label: str
    reason: str
    choices: list[str] = []  # for a choice: the labels to tick from


class IncompleteSheet(BaseModel):
    """A sheet waiting for its clinician, with who the patient is."""

    serial: str
    kind: str
    referent_rpps: str | None
    referent: str | None
    patient_ipp: str | None
    nom: str | None
    prenom: str | None
    date_naissance: str | None
    missing: list[Missing]


def _referent(layout: Any, values: dict[str, Any]) -> tuple[str | None, str | None]:
    for field_id in REFERENT_FIELDS:
        code = values.get(field_id)
        if code and field_id in {f.id for f in layout.fields}:
            labels = {c.code: c.label for c in layout.field(field_id).choices or ()}
            return str(code), labels.get(str(code))
    return None, None


def incomplete(db: Database, referent: str | None = None) -> list[IncompleteSheet]:
    """Every sheet with a question for the clinician (only ``referent``'s, an RPPS, if
    given), by referent then serial."""
    out: list[IncompleteSheet] = []
    with db.session() as session:
        sheets = session.scalars(select(Sheet).join(Reading)
                                 .where(Reading.status == CLINICIAN).distinct()
                                 .order_by(Sheet.serial)).all()
        for sheet in sheets:
            layout = db.home.layout(sheet.layout_id)
            values = {r.field_id: current_value(r) for r in sheet.readings}
            rpps, name = _referent(layout, values)
            if referent and rpps != referent:
                continue
            missing = []
            for row in sorted(sheet.readings, key=lambda r: r.position):
                if row.status != CLINICIAN:
                    continue
                field = layout.field(row.field_id)
                missing.append(Missing(
                    item=row.id, field_id=row.field_id, label=field.label,
                    reason=row.reason or "non rempli",
                    choices=[c.label for c in field.choices or ()]))
            out.append(IncompleteSheet(
                serial=sheet.serial, kind=sheet.kind, referent_rpps=rpps, referent=name,
                patient_ipp=values.get("patient.ipp"), nom=values.get("patient.nom_naissance"),
                prenom=values.get("patient.premier_prenom"),
                date_naissance=values.get("patient.date_naissance"), missing=missing))
    out.sort(key=lambda s: (s.referent or "~", s.serial))
    return out
