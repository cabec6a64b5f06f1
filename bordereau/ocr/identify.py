"""Which sheet and page is this scan? Decode the page code, check it was issued by this
establishment, rebuild the page's layout and fit the scan onto it.

A page that is not one of our forms, a form issued by another establishment, or a code
whose tag does not verify is refused with a French reason and never read.
"""

from __future__ import annotations

from dataclasses import dataclass

from bordereau.errors import BordereauError
from bordereau.forms.codes import PageCode, PageCodeError, parse_payload
from bordereau.forms.manifest import Layout
from bordereau.home import Home
from bordereau.ocr.align import MAX_RESIDUAL_MM, MIN_MARKERS, Detection, Transform, fit_transform


@dataclass(frozen=True)
class Located:
    """An identified page of a known sheet, and how the scan maps onto its layout."""

    code: PageCode
    layout: Layout
    transform: Transform
    review_reason: str | None  # French; set when the fit is not trusted

    @property
    def page_number(self) -> int:
        return self.code.page


@dataclass(frozen=True)
class Refused:
    """A page that must not be read, and why (French)."""

    reason: str
    code: PageCode | None = None
    detection: Detection | None = None  # what was found on the page, for its overlay


def _first_code(detection: Detection) -> tuple[PageCode | None, str | None, str | None]:
    """The first parseable page code, its raw text, or the reason none parsed."""
    reason = None
    for found in detection.codes:
        try:
            return parse_payload(found.text), found.text, None
        except PageCodeError as exc:
            reason = str(exc)
    return None, None, reason


def locate(detection: Detection, home: Home) -> Located | Refused:
    """Identify a page from what the detectors found on it."""
    code, text, reason = _first_code(detection)
    if code is None or text is None:
        if reason:
            return Refused(f"page refusée : {reason}")
        if detection.markers:
            return Refused("page refusée : repères présents mais code de la page illisible "
                           "(coin abîmé ou masqué ?) ; rescanner la page")
        return Refused("page refusée : aucun code de bordereau trouvé (ce n’est pas un "
                       "bordereau de ce logiciel ?)")
    if code.establishment != home.establishment:
        return Refused("page refusée : bordereau émis par un autre établissement "
                       f"(empreinte {code.establishment}, la nôtre est {home.establishment})",
                       code)
    if not code.verify(home.secret):
        return Refused("page refusée : code du bordereau altéré (signature invalide)", code)
    try:
        layout = home.layout(code.layout_id)
    except BordereauError as exc:
        return Refused(f"page refusée : {exc.message}", code)
    if code.page > layout.form.pages or code.kind != layout.form.kind:
        return Refused("page refusée : code incohérent avec sa mise en page", code)
    transform = fit_transform(detection, layout.pages[code.page - 1], text)
    if transform is None:
        return Refused("page refusée : impossible de repérer la page (repères et codes "
                       "illisibles)", code)
    review = None
    if transform.markers < MIN_MARKERS:
        review = (f"page mal repérée : {transform.markers} repère(s) d’angle sur 4 trouvé(s) ; "
                  "valeurs à vérifier")
    elif transform.residual_mm > MAX_RESIDUAL_MM:
        review = (f"page déformée : écart de recalage {transform.residual_mm:.2f} mm ; "
                  "valeurs à vérifier")
    return Located(code, layout, transform, review)
