"""Build bases with sheets in them without scanning (for queue, app and record tests).

Sheets are made from real generated forms: each page of a printed blank is rendered, kept
as the page image, and cut into the same crops the reader would store. Readings carry the
values given; fields named in ``doubtful`` are sent to review with that reason. The sheet
state is then computed by the same code as after a real ingestion.

The blank of a (centre, kind) is printed and rendered once per test process (in a scratch
home; 0.2 s of CPU each time): a factory's home gets what printing gives a home (the
centre file and layout kept, a serial reserved, the issue recorded), and its sheets the
pixels of that shared blank, which nothing writes to.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium

from bordereau.base.engine import Database
from bordereau.base.schema import Page, Reading, ScanFile, Sheet
from bordereau.base.sheets import refresh_sheet
from bordereau.establishment import Establishment
from bordereau.forms.manifest import Layout
from bordereau.home import Home
from bordereau.ocr.page_reader import crop_png
from bordereau.ocr.types import FieldReading

PX_PER_MM = 4.0

INITIALE: dict[str, Any] = {
    "opposition.information": "Y",
    "opposition.opposition_eds": "N",
    "patient.nom_naissance": "MARTIN",
    "patient.premier_prenom": "LEA",
    "patient.sexe": "F",
    "patient.date_naissance": "2012-04-17",
    "patient.ipp": "4100200300",
    "prise_en_charge.date_inclusion": "2023-01-09",
    "prise_en_charge.medecin_referent": "10000999010",
    "prise_en_charge.hors_labellisation": "N",
    "prise_en_charge.adresse_par": ["ORG-022"],
    "activite.date": "2023-01-09",
    "activite.contexte": "11429006",
    "activite.objectifs": ["MED-097"],
    "activite.profession": "G15_10",
    "diagnostic1.maladie": "666",
    "diagnostic1.statut": "255545003",
    "diagnostic1.age_premiers_signes": "255407002",
    "diagnostic1.age_diagnostic": "255407002",
    "diagnostic1.appreciation": "88323005",
    "vital.decede": False,
    "vital.perdu_de_vue": False,
}

SUIVI: dict[str, Any] = {
    "patient.ipp": "4100200300",
    "patient.nom_naissance": "MARTIN",
    "patient.premier_prenom": "LEA",
    "patient.date_naissance": "2012-04-17",
    "activite.date": "2024-03-02",
    "activite.contexte": "ORG-028",
    "activite.objectifs": ["ORG-047"],
    "activite.profession": "G15_10",
    "vital.decede": False,
    "vital.perdu_de_vue": False,
}


_BLANKS: dict[tuple[Path, str], list[np.ndarray]] = {}  # (centre, kind) -> its pages


def blank_pages(centre: Path, kind: str) -> list[np.ndarray]:
    """The pages of a printed blank of ``kind`` for ``centre`` at ``PX_PER_MM`` (greyscale,
    read-only), printed once per process."""
    if (centre, kind) not in _BLANKS:
        with tempfile.TemporaryDirectory() as scratch:
            pdf = Path(scratch) / "blank.pdf"
            Establishment(Path(scratch) / "home").print_forms(centre, kind, 1, pdf)
            document = pdfium.PdfDocument(pdf)
            pages = [np.array(page.render(scale=PX_PER_MM * 25.4 / 72, grayscale=True)
                              .to_pil().convert("L"))
                     for page in document]
            document.close()
        for page in pages:
            page.flags.writeable = False
        _BLANKS[centre, kind] = pages
    return _BLANKS[centre, kind]


class Factory:
    """One establishment home, one base, one centre; sheets made on request."""

    def __init__(self, root: Path, centre: Path, url: str | None = None) -> None:
        self.root = root
        self.home = Home.open(root / "home")
        self.centre = centre
        self.db = Database.open(self.home, url)
        self.establishment = Establishment(self.home, self.db)
        self._pages: dict[str, list[np.ndarray]] = {}
        self._layouts: dict[str, Layout] = {}
        self._serial = 0

    def layout(self, kind: str) -> Layout:
        """The layout of ``kind`` for the factory's centre (built once: it takes 70 ms)."""
        if kind not in self._layouts:
            self._layouts[kind] = self.establishment.layout(self.centre, kind)
        return self._layouts[kind]

    def _rendered(self, kind: str) -> list[np.ndarray]:
        if kind not in self._pages:
            # what Establishment.print_forms does to the home, one copy, without drawing it
            layout = self.layout(kind)
            self.home.save_snapshot(self.establishment.centre(self.centre), layout)
            serials = self.home.reserve_serials(1)
            self.home.record_issue(layout, serials, self.root / f"blank-{kind}.pdf")
            self._serial = max(self._serial, serials.stop)
            self._pages[kind] = blank_pages(self.centre, kind)
        return self._pages[kind]

    def sheet(self, kind: str, values: dict[str, Any], doubtful: dict[str, str] | None = None,
              pages: list[int] | None = None, confidence: float = 0.99,
              details: dict[str, dict[str, Any]] | None = None) -> Sheet:
        """Store a sheet (with only ``pages`` scanned, default all) and compute its state.

        ``details`` gives some readings the details a reader keeps (ink, boxes, label)."""
        doubtful = doubtful or {}
        details = details or {}
        layout = self.layout(kind)
        images = self._rendered(kind)
        serial = f"{900000 + self._serial:06d}"
        self._serial += 1
        wanted = pages or list(range(1, layout.form.pages + 1))
        with self.db.session() as session:
            scan = ScanFile(sha256=hashlib.sha256(serial.encode()).hexdigest(),
                            name=f"scan-{serial}.pdf", size=1, stored_as="-",
                            ingested_by="factory")
            sheet = Sheet(serial=serial, kind=kind, version=layout.form.version,
                          layout_id=layout.form.layout_id, centre=layout.form.centre.site_code,
                          pages_expected=layout.form.pages, status="waiting_pages")
            session.add_all([scan, sheet])
            session.flush()
            for number in wanted:
                image = images[number - 1]
                _, png = cv2.imencode(".png", image)
                page = Page(file_id=scan.id, index=number - 1, state="read", serial=serial,
                            page_number=number, residual_mm=0.05, rotation=0,
                            image=png.tobytes(), sheet_id=sheet.id)
                session.add(page)
                session.flush()
                for position, field in enumerate(layout.fields):
                    if field.page != number:
                        continue
                    value = values.get(field.id, False if field.kind == "boolean" else None)
                    reason = doubtful.get(field.id)
                    reading = FieldReading(id=field.id, kind=field.kind, value=value,
                                           confidence=0.4 if reason else confidence,
                                           review=reason is not None, reason=reason,
                                           page=number, details=details.get(field.id, {}))
                    session.add(Reading(
                        sheet_id=sheet.id, page_id=page.id, field_id=field.id, kind=field.kind,
                        page_number=number, position=position,
                        raw=reading.model_dump(mode="json"), value=value,
                        confidence=reading.confidence, reason=reason,
                        status="pending" if reason else "trusted",
                        crop=crop_png(image, PX_PER_MM, field.bounds())))
            session.flush()
            session.refresh(sheet)
            refresh_sheet(session, sheet, self.home.layout(sheet.layout_id), "factory")
            session.commit()
            return sheet
