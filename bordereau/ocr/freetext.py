"""Free-text boxes (comments): never read, never dropped.

Handwritten text is not transcribed: a box with writing in it goes to review with its
image kept, so a reviewer copies it. The test for writing must not miss a short comment in
a tall box, so it is not a share of the box: it is the *area* of the ink marks in mm²,
specks of dust and scanner noise left out, and faint strokes (pencil, a light scan) are
counted apart so they are looked at too. A bilevel scan (G4 fax, JBIG2) can break a light
pencil into specks, each too small to count as a mark: a line of such specks is sent to
review as well (issue 9: a pencil comment on a fax-like scan came back empty, unflagged).
"""

from __future__ import annotations

from bordereau.forms.manifest import FieldLayout
from bordereau.ocr.aligned import AlignedPage, area_and_specks, mark_area_mm2
from bordereau.ocr.types import FieldReading

INSET_MM = 1.0  # the printed frame and small misalignment stay out
WRITTEN_MM2 = 1.0  # ink area from which the box holds writing (one letter is 2-5 mm²)
FAINT_MM2 = 3.0  # faint marks of this area are sent to review too
LINE_MM = 8.0  # one line of handwriting (capitals about 4 mm, descenders, a slight slope)
BROKEN_SPECKS = 10  # specks in one line from which writing broken by the scan is suspected


def read_free_text(page: AlignedPage, field: FieldLayout) -> FieldReading:
    """A free-text box: empty and trusted, or written (or faintly marked) and in review."""
    assert field.box_mm
    region = page.crop(field.box_mm, INSET_MM)
    ink = page.ink(region)
    ink_mm2 = mark_area_mm2(ink, page.px_per_mm)
    faint_mm2, specks = area_and_specks(page.faint(region), page.px_per_mm, LINE_MM)
    reason = None
    if ink_mm2 >= WRITTEN_MM2:
        reason = "texte libre à recopier"
    elif faint_mm2 >= FAINT_MM2:
        reason = "trait pâle dans la zone de texte : à vérifier"
    elif specks >= BROKEN_SPECKS:
        reason = "traits fragmentés dans la zone de texte : à vérifier"
    details: dict[str, object] = {"ink_mm2": round(ink_mm2, 2), "faint_mm2": round(faint_mm2, 2),
                                  "specks": specks,
                                  "ink": round(float(ink.mean()), 4)}
    return FieldReading(id=field.id, kind=field.kind, value=None, confidence=1.0,
                        review=reason is not None, reason=reason, page=field.page,
                        details=details)
