"""Pages of one sheet that may belong to different patients.

A serial is printed once, but a filled or blank sheet can be photocopied: two physical
sheets then share it, and their pages can be mixed (patient B's page 1 with patient A's
pages 2 to 5). Two signals are used when a page is attached to a sheet:

- **a second copy of a page that names another patient**: a page already read for this
  sheet arrives again, and its identity fields (IPP, label, names, date of birth: page 1
  carries them) disagree with the first copy's. The copy is refused and, if the sheet is
  not committed yet, its identity page goes to review as « pages de patients différents ? »;
- **pages that arrive far apart**: a page scanned in a file ingested more than
  ``LATE_DAYS`` days after the sheet's first pages goes to review with the same question,
  for a reviewer to confirm it belongs to the same patient.

Pages that carry no identity and arrive together cannot be told apart (the forms print
the patient's identity on page 1 only). Reasons never carry a patient value.
"""

from __future__ import annotations

import datetime as dt

from bordereau.base.schema import Page, Reading, Sheet
from bordereau.base.states import PageState
from bordereau.ocr.label import plain
from bordereau.ocr.types import FieldReading

LATE_DAYS = 7  # a page ingested more than a week after its sheet's first pages
MIXED = "pages de patients différents ?"
IDENTITY = ("patient.ipp", "patient.etiquette", "patient.nom_naissance",
            "patient.premier_prenom", "patient.date_naissance")


def late_reason(sheet: Sheet, page: Page, now: dt.datetime) -> str | None:
    """Why ``page`` must be confirmed: it came long after the sheet's other pages."""
    earlier = [p.file.ingested_at for p in sheet.pages
               if p is not page and p.state == PageState.READ and p.file is not None
               and p.file_id != page.file_id]
    if not earlier:
        return None
    days = (now - min(earlier)).days
    if days <= LATE_DAYS:
        return None
    return (f"{MIXED} page reçue {days} jours après les premières pages du bordereau : "
            "confirmer qu’elle est du même patient")


def _same(a: object, b: object) -> bool:
    return plain(str(a)).replace(" ", "") == plain(str(b)).replace(" ", "")


def other_patient(readings: list[FieldReading], earlier: Page,
                  kept: list[Reading]) -> bool:
    """Whether a second copy of ``earlier`` names another patient than the first."""
    first = {row.field_id: row.value for row in kept if row.page_id == earlier.id}
    return any(reading.id in IDENTITY and reading.value not in (None, "")
               and first.get(reading.id) not in (None, "")
               and not _same(reading.value, first[reading.id])
               for reading in readings)


def copy_reason(page_number: int, serial: str) -> str:
    """Why a second copy of a page naming another patient is refused (French)."""
    return (f"{MIXED} un deuxième exemplaire de la page {page_number} du bordereau "
            f"{serial} porte un autre patient (bordereau photocopié ?) : page ignorée, "
            "le bordereau est à vérifier")


def flag_identity_page(earlier: Page, other_file: str, other_index: int) -> None:
    """Send the kept identity page to review (its readings follow the page's reason)."""
    earlier.reason = (f"{MIXED} un autre exemplaire de cette page ({other_file}, page "
                      f"{other_index + 1}) porte un autre patient : vérifier l’identité")
