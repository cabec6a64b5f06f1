"""The fillable twin of a generated form: AcroForm fields at the manifest's geometry.

``add_fields`` takes a PDF written by ``forms.generate`` and adds, on every page of every
sheet, one form field per input of the layout manifest (the single source of truth for
where each cell and box is): a radio group for a single choice, a check box per answer of
a multiple choice and for a yes/no box, comb text fields (``MaxLen`` and the comb flag,
one character per printed cell) for digits, letters, codes and each part of a date
(JJ, MM, AAAA), a multi-line text field for the comment. The patient-label zone gets no
field: a sticker is stuck on paper. Each field carries its French tooltip (``/TU``), a
keystroke check where readers run them (digits only, capitals), and appearance streams
drawn here, so a typed value prints clearly inside its cells (``NeedAppearances`` false).

Field names: ``bdx-<serial>-<field id, "." replaced by "-">`` with ``-p1``/``-p2``/``-p3``
for the parts of a date and ``-c<i>`` for the i-th box of a multiple choice. Radio kids
and multiple-choice boxes use ``c<i>`` (the choice's index in the manifest) as their "on"
state. Typing values into them (with fresh appearances) is ``forms.fillable_values``'.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from bordereau.forms.codes import format_serial
from bordereau.forms.manifest import Box, FieldLayout, Layout
from bordereau.forms.model import COMB_KINDS, load_form

PREFIX = "bdx-"
PT_PER_MM = 72 / 25.4
PAGE_H_MM = 297.0
FONTS = {"Helv": "Helvetica", "HeBo": "Helvetica-Bold", "Cour": "Courier",
         "CoBo": "Courier-Bold"}  # standard fonts: every reader has them, nothing embedded
COMB_FONT = "HeBo"  # typed characters in comb cells (cells are 5 x 6.5 mm)
TEXT_PT = 12.0
CAP_HEIGHT = 0.716  # Helvetica-Bold's capital height, in ems
COMMENT_SIZES = (13.0, 12.0, 11.0, 10.0, 9.0, 8.0, 7.0)
COMMENT_MAX = 2000
DATE_PARTS = ((0, 2), (2, 4), (4, 8))  # JJ, MM, AAAA among the eight date cells
ON = "Yes"
FLAG_MULTILINE, FLAG_RADIO, FLAG_DONT_SPELL = 1 << 12, 1 << 15, 1 << 22
FLAG_DONT_SCROLL, FLAG_COMB = 1 << 23, 1 << 24
PRINT = 4  # annotation flag: print the field

PLAIN = ("if(event.change.normalize){event.change=event.change.normalize('NFD')"
         ".replace(/[\\u0300-\\u036f]/g,'');}")  # É -> E where the engine can
KEYSTROKE = {
    "D": "if(!event.willCommit&&!/^[0-9]*$/.test(event.change)){event.rc=false;app.beep(0);}",
    "L": PLAIN + "event.change=event.change.toUpperCase();"
         "if(!event.willCommit&&!/^[A-Z' -]*$/.test(event.change)){event.rc=false;app.beep(0);}",
    "A": PLAIN + "event.change=event.change.toUpperCase();"
         "if(!event.willCommit&&!/^[A-Z0-9]*$/.test(event.change)){event.rc=false;app.beep(0);}",
}
DATE_CHECK = {
    1: ("31", "jour"), 2: ("12", "mois"),
}


def field_name(serial: int | str, field_id: str, suffix: str = "") -> str:
    """The AcroForm name of a field (or of a part/box of it with ``suffix``)."""
    number = serial if isinstance(serial, str) else format_serial(serial)
    return f"{PREFIX}{number}-{field_id.replace('.', '-')}{suffix}"


def rect_pt(box: Box) -> tuple[float, float, float, float]:
    """A manifest box (mm from the top-left) as a PDF rectangle (points from bottom-left)."""
    x, y, w, h = box
    return (x * PT_PER_MM, (PAGE_H_MM - y - h) * PT_PER_MM,
            (x + w) * PT_PER_MM, (PAGE_H_MM - y) * PT_PER_MM)


def union(boxes: tuple[Box, ...] | list[Box]) -> Box:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def tooltip(field: FieldLayout, help_text: str, part: str = "") -> str:
    """The French tooltip: label, part of a date, what may be typed, help."""
    kind = {"digits": "chiffres", "orpha_code": "chiffres (code ORPHA)", "date": "chiffres",
            "letters": "lettres majuscules", "alphanumeric": "lettres majuscules et chiffres",
            "free_text": "texte libre", "single_choice": "une seule réponse",
            "multi_choice": "plusieurs réponses possibles", "boolean": "cocher si oui"}
    words = [field.label + (f" ({part})" if part else ""), kind.get(field.kind, "")]
    if field.required:
        words.append("obligatoire pour BaMaRa")
    if help_text:
        words.append(help_text)
    return " — ".join(w for w in words if w)


# --- appearance streams ----------------------------------------------------------------------

def _pdf_text(text: str) -> str:
    """A PDF literal string in WinAnsi (Latin-1 range) for the standard Helvetica."""
    data = text.encode("cp1252", "replace").decode("latin-1")
    return data.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _stream(writer: PdfWriter, content: str, width: float, height: float,
            font: str | None) -> IndirectObject:
    """An appearance stream; identical ones (every cross and every empty box of a size)
    are one object in the file, which keeps a blank fillable PDF small."""
    cache: dict[tuple[str, float, float, str | None], IndirectObject] = \
        writer.__dict__.setdefault("_bdx_streams", {})
    key = (content, round(width, 3), round(height, 3), font)
    if key not in cache:
        cache[key] = _new_stream(writer, content, width, height, font)
    return cache[key]


def _new_stream(writer: PdfWriter, content: str, width: float, height: float,
                font: str | None) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(content.encode("latin-1"))
    stream[NameObject("/Type")] = NameObject("/XObject")
    stream[NameObject("/Subtype")] = NameObject("/Form")
    stream[NameObject("/BBox")] = ArrayObject([FloatObject(0), FloatObject(0),
                                               FloatObject(round(width, 3)),
                                               FloatObject(round(height, 3))])
    if font:
        stream[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject(f"/{font}"): _font(writer, font)})})
    return writer._add_object(stream)


def _font(writer: PdfWriter, resource: str) -> IndirectObject:
    """The font dictionary of a standard font (``FONTS``), one per file."""
    cache: dict[str, IndirectObject] = writer.__dict__.setdefault("_bdx_fonts", {})
    if resource not in cache:
        cache[resource] = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject(f"/{FONTS[resource]}"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding")}))
    return cache[resource]


def glyph_origin(char: str, width: float, height: float) -> tuple[float, float]:
    """Where a typed character starts in a comb cell of ``width`` x ``height`` points
    (from its bottom left corner): centred by its Helvetica-Bold width, capitals centred
    vertically. ``ocr.printed`` draws its glyph templates from the same place."""
    x = (width - stringWidth(char, FONTS[COMB_FONT], TEXT_PT)) / 2
    return x, (height - TEXT_PT * CAP_HEIGHT) / 2


def comb_content(text: str, cells: int, width: float, height: float) -> str:
    """Draw one character centred in each of ``cells`` equal cells."""
    if not text:
        return ""
    cell = width / cells
    ops = ["/Tx BMC", "q", "BT", f"/{COMB_FONT} {TEXT_PT} Tf", "0 g"]
    x_prev, y_prev = 0.0, 0.0
    for n, char in enumerate(text[:cells]):
        if char == " ":
            continue
        x, base = glyph_origin(char, cell, height)
        x += n * cell
        ops.append(f"{x - x_prev:.3f} {base - y_prev:.3f} Td ({_pdf_text(char)}) Tj")
        x_prev, y_prev = x, base
    ops += ["ET", "Q", "EMC"]
    return "\n".join(ops)


def comment_content(text: str, width: float, height: float) -> str:
    """Wrapped lines of a typed comment from the top of the box, in the largest size that
    fits (13 pt for a short comment, so that it also prints with enough ink for the
    scanner path to see it), cut at the bottom of the box."""
    if not text:
        return ""
    for size in COMMENT_SIZES:
        lines = [line for paragraph in text.split("\n")
                 for line in simpleSplit(paragraph, "Helvetica", size, width - 6) or [""]]
        if len(lines) * size * 1.2 <= height - 4:
            break
    ops = ["/Tx BMC", "q", f"1 1 {width - 2:.3f} {height - 2:.3f} re W n", "BT",
           f"/Helv {size:g} Tf", "0 g", f"{size * 1.2:.2f} TL", f"3 {height - 2 - size:.3f} Td"]
    ops += [f"({_pdf_text(line)}) Tj T*" for line in lines]
    ops += ["ET", "Q", "EMC"]
    return "\n".join(ops)


def cross_content(width: float, height: float) -> str:
    """A clear cross inside a check box, as a person would draw it."""
    m = 0.1 * width
    return (f"q 0 g 0 G {0.5 * PT_PER_MM:.3f} w 1 J {m:.3f} {m:.3f} m {width - m:.3f} "
            f"{height - m:.3f} l S {m:.3f} {height - m:.3f} m {width - m:.3f} {m:.3f} l S Q")


def _size(annot: DictionaryObject) -> tuple[float, float]:
    x0, y0, x1, y1 = (float(v) for v in cast(ArrayObject, annot["/Rect"]))
    return x1 - x0, y1 - y0


def text_appearance(writer: PdfWriter, annot: DictionaryObject, value: str) -> None:
    """Set a text widget's normal appearance for ``value`` (none when empty: nothing to
    draw; a reader that edits the field makes its own, never one shared with others)."""
    if not value:
        annot.pop(NameObject("/AP"), None)
        return
    width, height = _size(annot)
    cells = int(annot.get("/MaxLen", 0))
    if int(annot.get("/Ff", 0)) & FLAG_COMB and cells:
        content, font = comb_content(value, cells, width, height), COMB_FONT
    else:
        content, font = comment_content(value, width, height), "Helv"
    annot[NameObject("/AP")] = DictionaryObject(
        {NameObject("/N"): _stream(writer, content, width, height, font)})


def box_appearance(writer: PdfWriter, annot: DictionaryObject, on: str) -> None:
    """A check box or radio kid's appearances: crossed for ``on``, empty for Off."""
    width, height = _size(annot)
    states = DictionaryObject({
        NameObject(f"/{on}"): _stream(writer, cross_content(width, height), width, height, None),
        NameObject("/Off"): _stream(writer, "", width, height, None)})
    annot[NameObject("/AP")] = DictionaryObject({NameObject("/N"): states})


# --- fields ----------------------------------------------------------------------------------

def _widget(page: IndirectObject, box: Box, extra: dict[str, object]) -> DictionaryObject:
    x0, y0, x1, y1 = rect_pt(box)
    annot = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/Rect"): ArrayObject([FloatObject(round(v, 3)) for v in (x0, y0, x1, y1)]),
        NameObject("/F"): NumberObject(PRINT), NameObject("/P"): page})
    for key, value in extra.items():
        annot[NameObject(key)] = cast(PdfObject, value)
    return annot


def _js(writer: PdfWriter, code: str) -> IndirectObject:
    """A JavaScript action, one object per distinct script."""
    cache: dict[str, IndirectObject] = writer.__dict__.setdefault("_bdx_scripts", {})
    if code not in cache:
        cache[code] = writer._add_object(DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(code)}))
    return cache[code]


class _Adder:
    def __init__(self, writer: PdfWriter, helps: Mapping[str, str]) -> None:
        self.writer = writer
        self.helps = helps
        self.fields: list[IndirectObject] = []
        self.tips: dict[str, IndirectObject] = {}

    def tip(self, text: str) -> IndirectObject:
        """A tooltip, one object for every copy of the field (they are long, in UTF-16)."""
        if text not in self.tips:
            self.tips[text] = self.writer._add_object(TextStringObject(text))
        return self.tips[text]

    def add(self, page: IndirectObject, annot: DictionaryObject) -> IndirectObject:
        ref = self.writer._add_object(annot)
        page_dict = cast(DictionaryObject, page.get_object())
        annots = cast(ArrayObject, page_dict.setdefault(NameObject("/Annots"), ArrayObject()))
        annots.append(ref)
        return ref

    def text(self, page: IndirectObject, name: str, tip: str, box: Box, cells: int,
             classes: str, check: str = "") -> None:
        flags = FLAG_DONT_SPELL | FLAG_DONT_SCROLL | FLAG_COMB if cells else FLAG_MULTILINE
        extra: dict[str, object] = {
            "/FT": NameObject("/Tx"), "/T": TextStringObject(name),
            "/TU": self.tip(tip), "/Ff": NumberObject(flags),
            "/V": TextStringObject(""), "/Q": NumberObject(0),  # comb: from the first cell
            "/MaxLen": NumberObject(cells or COMMENT_MAX),
            "/DA": TextStringObject(f"/{COMB_FONT} {TEXT_PT:g} Tf 0 g" if cells
                                    else "/Helv 0 Tf 0 g")}
        keys = KEYSTROKE.get(classes[:1]) if cells and len(set(classes)) == 1 else None
        actions = DictionaryObject()
        if keys:
            actions[NameObject("/K")] = _js(self.writer, keys)
        if check:
            actions[NameObject("/V")] = _js(self.writer, check)
        if actions:
            extra["/AA"] = actions
        annot = _widget(page, box, extra)
        text_appearance(self.writer, annot, "")
        self.fields.append(self.add(page, annot))

    def box(self, page: IndirectObject, name: str, tip: str, box: Box) -> None:
        annot = _widget(page, box, {
            "/FT": NameObject("/Btn"), "/T": TextStringObject(name),
            "/TU": self.tip(tip), "/V": NameObject("/Off"), "/AS": NameObject("/Off"),
            "/DA": TextStringObject("/ZaDb 0 Tf 0 g"),
            "/MK": DictionaryObject({NameObject("/CA"): TextStringObject("8")})})
        box_appearance(self.writer, annot, ON)
        self.fields.append(self.add(page, annot))

    def radio(self, page: IndirectObject, name: str, tip: str, boxes: list[Box]) -> None:
        parent = self.writer._add_object(DictionaryObject({
            NameObject("/FT"): NameObject("/Btn"), NameObject("/T"): TextStringObject(name),
            NameObject("/TU"): self.tip(tip), NameObject("/Ff"): NumberObject(FLAG_RADIO),
            NameObject("/V"): NameObject("/Off"), NameObject("/DA"): TextStringObject(
                "/ZaDb 0 Tf 0 g"), NameObject("/Kids"): ArrayObject()}))
        for n, box in enumerate(boxes):
            annot = _widget(page, box, {"/Parent": parent, "/AS": NameObject("/Off"),
                                        "/MK": DictionaryObject({NameObject("/CA"):
                                                                 TextStringObject("8")})})
            box_appearance(self.writer, annot, f"c{n}")
            kids = cast(ArrayObject, cast(DictionaryObject, parent.get_object())["/Kids"])
            kids.append(self.add(page, annot))
        self.fields.append(parent)

    def field(self, page: IndirectObject, serial: int, field: FieldLayout) -> None:
        help_text = self.helps.get(field.id, "")
        name = field_name(serial, field.id)
        if field.kind == "single_choice" and field.choices:
            self.radio(page, name, tooltip(field, help_text), [c.box_mm for c in field.choices])
        elif field.kind == "multi_choice" and field.choices:
            for n, choice in enumerate(field.choices):
                tip = tooltip(field, help_text, choice.label)
                self.box(page, f"{name}-c{n}", tip, choice.box_mm)
        elif field.kind == "boolean" and field.box_mm:
            self.box(page, name, tooltip(field, help_text), field.box_mm)
        elif field.kind == "date" and field.cells_mm:
            for part, (a, b) in enumerate(DATE_PARTS, start=1):
                what = ("jour JJ", "mois MM", "année AAAA")[part - 1]
                check = ""
                if part in DATE_CHECK:
                    top, word = DATE_CHECK[part]
                    check = (f"if(event.value!==''&&(event.value.length!=2||+event.value<1||"
                             f"+event.value>{top})){{app.alert('{word} : 01 à {top}');"
                             "event.rc=false;}")
                self.text(page, f"{name}-p{part}", tooltip(field, help_text, what),
                          union(field.cells_mm[a:b]), b - a, "D" * (b - a), check)
        elif field.kind in COMB_KINDS and field.cells_mm:
            self.text(page, name, tooltip(field, help_text), union(field.cells_mm),
                      len(field.cells_mm), field.cell_classes or "A")
        elif field.kind == "free_text" and field.box_mm:
            x, y, w, h = field.box_mm
            self.text(page, name, tooltip(field, help_text), (x + 0.4, y + 0.4, w - 0.8, h - 0.8),
                      0, "")


def add_fields(pdf: Path, layout: Layout, serials: range) -> None:
    """Add the AcroForm fields of ``layout`` to every sheet of ``pdf`` (rewritten in place,
    atomically), tooltips from the items' help text."""
    helps = {item.id: item.help for item in load_form(layout.form.kind).items}
    writer = PdfWriter(clone_from=str(pdf))
    adder = _Adder(writer, helps)
    pages = layout.form.pages
    for s, serial in enumerate(serials):
        for number in range(1, pages + 1):
            page_ref = writer.pages[s * pages + number - 1].indirect_reference
            assert page_ref is not None
            for field in layout.fields_on(number):
                adder.field(page_ref, serial, field)
    zadb = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/ZapfDingbats")}))
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject(adder.fields),
        NameObject("/NeedAppearances"): BooleanObject(False),
        NameObject("/DA"): TextStringObject(f"/Helv {TEXT_PT:g} Tf 0 g"),
        NameObject("/DR"): DictionaryObject({NameObject("/Font"): DictionaryObject(
            {**{NameObject(f"/{r}"): _font(writer, r) for r in FONTS},
             NameObject("/ZaDb"): zadb})})})
    tmp = pdf.with_name(f".{pdf.name}.{os.getpid()}.fields")
    try:  # an OSError is the caller's to word (forms.generate)
        with tmp.open("wb") as handle:
            writer.write(handle)
        tmp.replace(pdf)
    finally:
        tmp.unlink(missing_ok=True)


# --- values ------------------------------------------------------------------------------

def plain_capitals(text: str) -> str:
    """Capitals without accents, as the paper form asks (Léa → LEA)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
