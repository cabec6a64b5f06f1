"""The « à compléter » list for clinicians: a printable page per patient (PDF), or CSV.

Each page names the referent, the patient (name, date of birth, IPP), the sheet, and each
missing item with the reason, the choices to tick (for a choice) or a line to write on,
and the item number the secretary types the answer against (``bordereau review set``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from bordereau import clock
from bordereau.base.incomplete import IncompleteSheet
from bordereau.forms.fonts import PT_PER_MM, font_name, wrap
from bordereau.forms.model import KIND_NAMES

MARGIN = 18.0  # mm
KIND = KIND_NAMES


def _french(day: str | None) -> str:
    return "/".join(reversed(day.split("-"))) if day else "?"


def to_csv(sheets: list[IncompleteSheet]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["referent_rpps", "referent", "ipp", "nom", "prenom", "date_naissance",
                     "bordereau", "fiche", "element", "champ", "libelle", "motif"])
    for sheet in sheets:
        for item in sheet.missing:
            writer.writerow([sheet.referent_rpps or "", sheet.referent or "",
                             sheet.patient_ipp or "", sheet.nom or "", sheet.prenom or "",
                             sheet.date_naissance or "", sheet.serial, sheet.kind, item.item,
                             item.field_id, item.label, item.reason])
    return out.getvalue().encode("utf-8-sig")


class _Page:
    """Writing down a page from the top, in millimetres."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.width, self.height = (v / PT_PER_MM for v in A4)
        self.y = MARGIN

    def text(self, text: str, size: float = 10, style: str = "regular", indent: float = 0,
             gap: float = 1.5) -> None:
        for line in wrap(text, self.width - 2 * MARGIN - indent, size, style):
            self.y += size / PT_PER_MM * 1.25
            self.canvas.setFont(font_name(style), size)
            self.canvas.drawString((MARGIN + indent) * PT_PER_MM,
                                   (self.height - self.y) * PT_PER_MM, line)
        self.y += gap

    def rule(self, indent: float = 0, height: float = 9) -> None:
        self.y += height
        y = (self.height - self.y) * PT_PER_MM
        self.canvas.setLineWidth(0.4)
        self.canvas.line((MARGIN + indent) * PT_PER_MM, y,
                         (self.width - MARGIN) * PT_PER_MM, y)
        self.y += 2

    def box(self, label: str, indent: float) -> None:
        size = 3.2
        self.y += 5.2
        y = (self.height - self.y) * PT_PER_MM
        self.canvas.rect((MARGIN + indent) * PT_PER_MM, y, size * PT_PER_MM, size * PT_PER_MM)
        self.canvas.setFont(font_name("regular"), 9.5)
        self.canvas.drawString((MARGIN + indent + size + 2) * PT_PER_MM, y + 0.5 * PT_PER_MM,
                               label)


def to_pdf(sheets: list[IncompleteSheet], today: dt.date | None = None) -> bytes:
    """One A4 page per sheet waiting for its clinician."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    canvas.setTitle("Bordereaux à compléter")
    day = (today or clock.today()).strftime("%d/%m/%Y")
    for sheet in sheets:
        page = _Page(canvas)
        page.text("À compléter par le médecin", 16, "bold", gap=1)
        who = (f"{sheet.referent} (RPPS {sheet.referent_rpps})" if sheet.referent
               else "médecin référent non indiqué")
        page.text(f"Pour : {who} — liste du {day}", 10, "italic", gap=5)
        page.text(f"Patient : {sheet.nom or '?'} {sheet.prenom or ''} — né(e) le "
                  f"{_french(sheet.date_naissance)} — IPP {sheet.patient_ipp or '?'}", 11, "bold")
        page.text(f"Bordereau {sheet.serial} ({KIND.get(sheet.kind, sheet.kind)}). Ce "
                  "bordereau attend votre réponse ; tout le reste en est déjà vérifié.", 10,
                  gap=6)
        for item in sheet.missing:
            page.text(f"{item.label}", 11, "bold", gap=0.5)
            page.text(f"Sur le bordereau : {item.reason}. (élément {item.item})", 9, "italic",
                      indent=4, gap=0.5)
            if item.choices:
                for number, label in enumerate(item.choices, 1):
                    page.box(f"{number}. {label}", indent=6)
                page.y += 4
            else:
                page.rule(indent=4)
            page.y += 4
            if page.y > page.height - 40:
                page.text("(suite sur la page suivante)", 9, "italic")
                canvas.showPage()
                page = _Page(canvas)
        page.y = max(page.y, page.height - 34)
        page.text("Réponse à rendre au secrétariat, qui la saisit : « bordereau review set "
                  "ÉLÉMENT VALEUR » (chaque saisie est tracée).", 9, "italic")
        page.text("Document contenant des données de santé nominatives : ne pas laisser en "
                  "libre accès, détruire après saisie.", 9, "italic")
        canvas.showPage()
    if not sheets:
        page = _Page(canvas)
        page.text("Aucun bordereau à compléter.", 14, "bold")
        canvas.showPage()
    canvas.save()
    return out.getvalue()
