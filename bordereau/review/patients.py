"""Patients of the base a fiche de suivi may be about, when its IPP is unknown.

Searched by IPP (one or two digits apart: a misread or miswritten IPP), by birth name and by
date of birth; the best candidates come first. Nothing here changes the base.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bordereau.base.schema import Patient
from bordereau.errors import InputError
from bordereau.ocr.label import plain

MOST = 4


class Candidate(BaseModel):
    """A patient of the base, and why they may be the one."""

    ipp: str
    nom: str | None
    prenom: str | None
    date_naissance: str | None
    why: list[str]

    def describe(self) -> str:
        born = "/".join(reversed(self.date_naissance.split("-"))) if self.date_naissance else "?"
        return f"{self.nom or '?'} {self.prenom or ''}".strip() + f", né(e) le {born}"


def candidates(session: Session, values: dict[str, Any]) -> list[Candidate]:
    """Patients matching the sheet's IPP closely, or its birth name or date of birth."""
    ipp = str(values.get("patient.ipp") or "")
    name = plain(str(values.get("patient.nom_naissance") or "")).replace(" ", "")
    birth = values.get("patient.date_naissance")
    conditions = []
    if birth:
        conditions.append(Patient.date_naissance == birth)
    if name:
        conditions.append(Patient.nom_naissance == str(values["patient.nom_naissance"]))
    if ipp:
        conditions.append(Patient.ipp.like(f"{ipp[:2]}%"))
        conditions.append(Patient.ipp.like(f"%{ipp[-3:]}"))
    if not conditions:
        return []
    found: list[tuple[float, Candidate]] = []
    for patient in session.scalars(select(Patient).where(or_(*conditions)).limit(2000)):
        why, score = [], 0.0
        if ipp and patient.ipp != ipp:
            close = difflib.SequenceMatcher(None, ipp, patient.ipp).ratio()
            if close >= 0.8:
                why.append("IPP proche")
                score += 2 * close
        same_name = bool(name) and plain(patient.nom_naissance or "").replace(" ", "") == name
        if same_name:
            why.append("même nom")
            score += 1.5
        if birth and patient.date_naissance == birth:
            why.append("même date de naissance")
            score += 1.5
        if score >= 1.5:
            found.append((score, Candidate(ipp=patient.ipp, nom=patient.nom_naissance,
                                           prenom=patient.premier_prenom,
                                           date_naissance=patient.date_naissance, why=why)))
    found.sort(key=lambda pair: -pair[0])
    return [c for _, c in found[:MOST]]


def add_patient(session: Session, values: dict[str, Any]) -> Patient:
    """Create the patient of a fiche de suivi from its identity (their fiche initiale
    predates ``bordereau``); the caller audits it."""
    ipp = str(values.get("patient.ipp") or "")
    if not ipp or session.scalars(select(Patient).where(Patient.ipp == ipp)).first():
        raise InputError(f"IPP {ipp or '∅'} : patient déjà dans la base, ou IPP absent.")
    patient = Patient(ipp=ipp, nom_naissance=values.get("patient.nom_naissance"),
                      premier_prenom=values.get("patient.premier_prenom"),
                      date_naissance=values.get("patient.date_naissance"))
    session.add(patient)
    session.flush()
    return patient
