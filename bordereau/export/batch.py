"""Export committed records to BaMaRa: one CDA R2 SDM-MR document per patient.

By default only patients whose records changed since their last export are written
(``--since DATE``: records committed since that date; ``--all``: every patient). Each
document written is logged (record versions, time, file), so nothing is sent twice by
accident. A patient whose records cannot make a valid document is not exported; the
problems name the patient, the item and the reason.

Every document is checked with the ANS conformance kit (XML Schema and schematron,
``export/ans.py``) before it is written: a document the kit refuses is neither written nor
logged, and its patient is reported as not exported (``validate=False`` skips the check).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from bordereau.base.engine import Database
from bordereau.base.schema import ExportLog, Patient, Reading, Record, Sheet
from bordereau.base.sheets import DECIDED
from bordereau.base.verify import verify
from bordereau.errors import OutputError, os_reason
from bordereau.export.ans import validator
from bordereau.export.cda import ExportIncompleteError, render_cda
from bordereau.export.checks import check_exportable
from bordereau.export.model import Problem
from bordereau.export.sheets import patient_from_sheets
from bordereau.files import write_private
from bordereau.forms.centre import Centre
from bordereau.forms.model import ANNEX_KINDS

log = logging.getLogger(__name__)


class CdaExportReport(BaseModel):
    """What ``records export --format cda`` did."""

    written: list[dict[str, Any]]  # {"patient_ipp", "file", "document_version", "records"}
    skipped: list[Problem]  # patients not exported, with the reasons
    unchanged: int  # patients already exported in their current state
    # values left out of the documents for a person to check (unknown gene symbol): the
    # document is written without them; not a reason to refuse the patient
    to_review: list[Problem] = []


class CdaExporter:
    """Write the CDA documents of one base into a folder."""

    def __init__(self, db: Database, user: str, validate: bool = True) -> None:
        self.db = db
        self.user = user
        self.tampered: set[int] = set()
        self.validate = validate

    def centre_of(self, layout_id: str) -> Centre:
        """The centre file the sheet was printed with, completed with the establishment's
        identifiers (IPP OID, type) from the newest snapshot of the same site."""
        home = self.db.home
        centre = home.load_centre(home.layout(layout_id).form.centre.snapshot)
        if centre.etablissement.oid_ipp is not None:
            return centre
        for snapshot in home.centre_snapshots():
            candidate = home.load_centre(snapshot)
            if candidate.site.code == centre.site.code and candidate.etablissement.oid_ipp:
                return centre.model_copy(update={
                    "etablissement": centre.etablissement.model_copy(update={
                        "oid_ipp": candidate.etablissement.oid_ipp,
                        "type": candidate.etablissement.type})})
        return centre

    def export(self, output: Path, since: dt.date | None = None,
               everything: bool = False) -> CdaExportReport:
        """Write the documents due and log them; returns what was written and skipped."""
        try:
            output.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise OutputError(f"{output} : dossier d’export impossible à créer "
                              f"({os_reason(exc)}).") from exc
        report = CdaExportReport(written=[], skipped=[], unchanged=0)
        check = verify(self.db)  # never send what was changed outside bordereau
        self.tampered = check.tampered_patients()
        with self.db.writing(), self.db.session() as session:
            records = session.execute(
                select(Record, Sheet).join(Sheet).where(Record.current.is_(True))
                .order_by(Record.committed_at)).all()
            by_patient: dict[int, list[tuple[Record, Sheet]]] = defaultdict(list)
            for record, sheet in records:
                by_patient[record.patient_id].append((record, sheet))
            for patient_id, items in sorted(by_patient.items()):
                patient = session.get(Patient, patient_id)
                assert patient is not None
                self._export_one(session, patient, items, output, since, everything, report)
            session.commit()
        log.info("export CDA : %d document(s) écrit(s), %d dossier(s) non exporté(s), %d "
                 "inchangé(s)", len(report.written), len(report.skipped), report.unchanged)
        return report

    @staticmethod
    def _reviewed(session: Any, sheet_ids: list[int]) -> dict[int, set[str]]:
        """Per sheet, the fields whose value a reviewer accepted or corrected."""
        found: dict[int, set[str]] = defaultdict(set)
        for sheet_id, field_id in session.execute(
                select(Reading.sheet_id, Reading.field_id).where(
                    Reading.sheet_id.in_(sheet_ids), Reading.status.in_(DECIDED))):
            found[sheet_id].add(field_id)
        return found

    def _export_one(self, session: Any, patient: Patient, items: list[tuple[Record, Sheet]],
                    output: Path, since: dt.date | None, everything: bool,
                    report: CdaExportReport) -> None:
        versions = sorted({(r.id, r.version) for r, _ in items})
        logs = session.scalars(select(ExportLog).where(ExportLog.patient_id == patient.id)
                               .order_by(ExportLog.id)).all()
        last = logs[-1] if logs else None
        already = last is not None and sorted(
            (e["id"], e["version"]) for e in last.records) == versions
        if since is not None:
            due = any(r.committed_at.astimezone().date() >= since for r, _ in items)
        else:
            due = everything or not already
        if not due:
            report.unchanged += 1
            return
        who = f"Patient IPP {patient.ipp}"
        if patient.id in self.tampered:
            report.skipped.append(Problem(
                patient=f"Patient {patient.id}", item="base",
                reason="dossier modifié hors de bordereau (voir bordereau base verify) : "
                       "non exporté"))
            return
        initiales = [(r, s) for r, s in items if r.kind == "initiale"]
        if not initiales:
            report.skipped.append(Problem(patient=who, item="fiche initiale",
                                          reason="aucune fiche initiale enregistrée"))
            return
        record, sheet = initiales[-1]
        centre = self.centre_of(sheet.layout_id)
        if not centre.etablissement.oid_ipp:
            report.skipped.append(Problem(
                patient=who, item="etablissement.oid_ipp",
                reason="racine OID des IPP absente du fichier de centre"))
            return
        reviewed = self._reviewed(session, [s.id for _, s in items])
        suivis = [(r.values, r.committed_at, reviewed.get(s.id, set()))
                  for r, s in items if r.kind == "suivi"]
        annexes = [(r.kind, r.values, r.committed_at) for r, _ in items
                   if r.kind in ANNEX_KINDS]
        version = (last.document_version + 1) if last else 1
        exported = patient_from_sheets(
            record.values, suivis, centre, ipp_oid=centre.etablissement.oid_ipp,
            initiale_at=record.committed_at, version=version,
            facility_type=centre.etablissement.type, reviewed=reviewed.get(sheet.id, set()),
            annexes=annexes)
        problems = check_exportable(exported)
        if problems:
            report.skipped.extend(problems)
            return
        try:
            xml = render_cda(exported)
        except ExportIncompleteError as exc:
            report.skipped.extend(exc.problems)
            return
        if self.validate:
            conformity = validator().check(xml)
            if not conformity.valid:  # only rule names: the full messages quote values
                report.skipped.append(Problem(
                    patient=who, item="document CDA",
                    reason="refusé par le kit de conformité ANS SDM-MR ("
                           + ", ".join(conformity.rules) + ") ; document non écrit"))
                return
        target = output / f"SDM-MR_{sheet.serial}_v{version}.xml"
        try:
            write_private(target, xml.encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"{target} : écriture impossible ({os_reason(exc)}).") from exc
        session.add(ExportLog(format="cda", patient_id=patient.id,
                              records=[{"id": i, "version": v} for i, v in versions],
                              document_id=exported.meta.document_id,
                              document_version=version, file=str(target),
                              exported_by=self.user))
        report.to_review.extend(exported.to_review)  # left out of the document written
        report.written.append({"patient_ipp": patient.ipp, "file": str(target),
                               "document_version": version,
                               "records": [{"id": i, "version": v} for i, v in versions]})
