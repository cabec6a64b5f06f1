"""Lay a form definition out on A4 pages for one centre: the manifest builder.

``build_layout`` flows the sections of a :class:`FormDefinition` onto pages, row by row
(label column on the left, hand-written cells or checkboxes on the right), and returns
the :class:`Layout`. Nothing else in the package decides where anything is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bordereau.errors import InputError
from bordereau.forms import fonts
from bordereau.forms.centre import LoadedCentre
from bordereau.forms.manifest import (
    Anchor,
    Box,
    CentreInfo,
    Choice,
    CodeZone,
    DrawOp,
    FieldLayout,
    FormInfo,
    Layout,
    LineOp,
    PageLayout,
    RectOp,
    TextOp,
)
from bordereau.forms.model import FormDefinition, Item, Section, ValueSet, load_form, value_sets

PAGE_W, PAGE_H = 210.0, 297.0
MARKER_SIZE = 12.0
MARKER_EDGE = 9.0  # distance from the page edge to the marker's outer edge
QR_SIZE = 19.0
LEFT, RIGHT = 10.0, 200.0
CONTENT_TOP, CONTENT_BOTTOM = 33.5, 267.0
LABEL_W = 60.0
INPUT_X = LEFT + LABEL_W + 2.0
CELL_W, CELL_H = 5.0, 6.5
DATE_GAP = 2.6
BOX = 3.8
LABEL_ZONE = (66.0, 34.0)

LABEL_PT, HELP_PT, CHOICE_PT, TAG_PT = 8.5, 6.5, 7.5, 6.0
ROW_GAP = 1.8
SECTION_BAR = 5.4

KIND_TAGS = {"digits": "0–9", "orpha_code": "0–9", "letters": "A–Z", "alphanumeric": "A–Z 0–9"}


def _r(value: float) -> float:
    return round(value, 2)


def _box(x: float, y: float, w: float, h: float) -> Box:
    return (_r(x), _r(y), _r(w), _r(h))


@dataclass
class _Block:
    """Something placed at a given top ``y``: its height, drawing and fields."""

    height: float
    ops: list[DrawOp] = field(default_factory=list)
    fields: list[dict[str, object]] = field(default_factory=list)
    right: float = 0.0


def _text(x: float, y: float, text: str, size: float, **kw: object) -> TextOp:
    return TextOp(x=_r(x), y=_r(y), text=text, size=size, **kw)


def _paragraph(
    x: float, y: float, text: str, width: float, size: float, leading: float = 1.2, **kw: object
) -> tuple[list[DrawOp], float]:
    """Wrapped text whose first line's top is at ``y``; returns ops and height."""
    style = str(kw.get("style", "regular"))
    lead = fonts.line_height(size) * leading / 1.2
    ops: list[DrawOp] = []
    for n, line in enumerate(fonts.wrap(text, width, size, style)):
        ops.append(_text(x, y + lead * (n + 0.78), line, size, **kw))
    return ops, lead * len(ops)


class _Widgets:
    """Draws the input part of a row for each field kind."""

    def __init__(self, sets: dict[str, ValueSet]) -> None:
        self.sets = sets

    def comb(self, item: Item, x: float, y: float) -> tuple[_Block, float]:
        cells: list[Box] = []
        ops: list[DrawOp] = []
        cx = x
        for n in range(item.cell_count):
            if item.kind == "date" and n in (2, 4):
                ops.append(
                    _text(cx + DATE_GAP / 2, y + CELL_H * 0.72, "/", 9, grey=0.35, align="center")
                )
                cx += DATE_GAP
            cells.append(_box(cx, y, CELL_W, CELL_H))
            cx += CELL_W
        height = CELL_H
        if item.kind == "date":
            for n, letter in enumerate("JJMMAAAA"):
                cell = cells[n]
                ops.append(
                    _text(
                        cell[0] + CELL_W / 2,
                        y + CELL_H + 2.2,
                        letter,
                        5.5,
                        grey=0.45,
                        align="center",
                    )
                )
            height += 2.6
        end = cx
        tag = KIND_TAGS.get(item.kind)
        if tag:
            width = fonts.text_width(tag, TAG_PT, "bold") + 2.4
            ops.append(
                RectOp(
                    box_mm=_box(cx + 1.8, y + 1.6, width, 3.4),
                    line_width=0.25,
                    stroke_grey=0.55,
                    fill_grey=None,
                    radius=1.2,
                )
            )
            ops.append(
                _text(
                    cx + 1.8 + width / 2,
                    y + 4.2,
                    tag,
                    TAG_PT,
                    style="bold",
                    grey=0.4,
                    align="center",
                )
            )
            end = cx + 1.8 + width
        return _Block(height, ops, [{"cells_mm": tuple(cells)}]), end

    def choices(self, item: Item, x: float, y: float, width: float) -> tuple[_Block, float]:
        assert item.value_set
        concepts = self.sets[item.value_set].concepts
        ops: list[DrawOp] = []
        choices: list[Choice] = []
        lead = fonts.line_height(CHOICE_PT)
        if item.columns:
            col_w = width / item.columns
            rows = -(-len(concepts) // item.columns)
            cy, end = y, x
            for r in range(rows):
                row_h = BOX + 1.2
                for c in range(item.columns):
                    index = c * rows + r
                    if index >= len(concepts):
                        continue
                    concept = concepts[index]
                    bx = x + c * col_w
                    choices.append(
                        Choice(
                            code=concept.code,
                            system=concept.system,
                            label=concept.label,
                            box_mm=_box(bx, cy, BOX, BOX),
                        )
                    )
                    text_ops, text_h = _paragraph(
                        bx + BOX + 1.5,
                        cy + 0.15,
                        concept.label,
                        col_w - BOX - 3.0,
                        CHOICE_PT,
                        leading=1.08,
                    )
                    ops += text_ops
                    row_h = max(row_h, text_h + 1.2)
                    end = max(end, bx + col_w)
                cy += row_h
            order = {concept.code: n for n, concept in enumerate(concepts)}
            choices.sort(key=lambda choice: order[choice.code])
            return _Block(cy - y, ops, [{"choices": tuple(choices)}]), end
        cx, cy = x, y
        for concept in concepts:
            w = BOX + 1.5 + fonts.text_width(concept.label, CHOICE_PT) + 4.5
            if cx > x and cx + w > x + width:
                cx, cy = x, cy + BOX + 1.6
            choices.append(
                Choice(
                    code=concept.code,
                    system=concept.system,
                    label=concept.label,
                    box_mm=_box(cx, cy, BOX, BOX),
                )
            )
            ops.append(_text(cx + BOX + 1.5, cy + 0.15 + lead * 0.78, concept.label, CHOICE_PT))
            cx += w
        return _Block(cy + BOX - y, ops, [{"choices": tuple(choices)}]), cx

    def boolean(self, item: Item, x: float, y: float) -> tuple[_Block, float]:
        lead = fonts.line_height(CHOICE_PT)
        ops: list[DrawOp] = [_text(x + BOX + 1.5, y + 0.15 + lead * 0.78, "Oui", CHOICE_PT)]
        end = x + BOX + 1.5 + fonts.text_width("Oui", CHOICE_PT)
        return _Block(BOX, ops, [{"box_mm": _box(x, y, BOX, BOX)}]), end

    def label_zone(self, item: Item, x: float, y: float) -> tuple[_Block, float]:
        w, h = LABEL_ZONE
        ops: list[DrawOp] = [
            _text(
                x + w / 2,
                y + h / 2 - 0.5,
                "Coller l’étiquette patient ici",
                8,
                style="italic",
                grey=0.55,
                align="center",
            ),
            _text(
                x + w / 2,
                y + h / 2 + 3.3,
                "(avec son code-barres)",
                6.5,
                style="italic",
                grey=0.6,
                align="center",
            ),
        ]
        return _Block(h, ops, [{"box_mm": _box(x, y, w, h)}]), x + w

    def free_text(self, item: Item, x: float, y: float, width: float) -> tuple[_Block, float]:
        h = item.height_mm or 30.0
        return _Block(h, [], [{"box_mm": _box(x, y, width, h)}]), x + width

    def draw(self, item: Item, x: float, y: float, width: float) -> tuple[_Block, float]:
        if item.kind in {"single_choice", "multi_choice"}:
            return self.choices(item, x, y, width)
        if item.kind == "boolean":
            return self.boolean(item, x, y)
        if item.kind == "label_zone":
            return self.label_zone(item, x, y)
        if item.kind == "free_text":
            return self.free_text(item, x, y, width)
        return self.comb(item, x, y)


class _Builder:
    def __init__(self, form: FormDefinition, loaded: LoadedCentre) -> None:
        self.form = form
        self.loaded = loaded
        centre = loaded.centre
        sets = dict(value_sets())
        for name in ("centre.thesaurus", "centre.referents"):
            sets[name] = centre.value_set(name)
        self.widgets = _Widgets(sets)
        self.pages: list[list[DrawOp]] = []
        self.fields: list[FieldLayout] = []
        self.y = CONTENT_TOP

    # -- pages ---------------------------------------------------------------------
    def new_page(self) -> None:
        self.pages.append([])
        self.y = CONTENT_TOP
        if len(self.pages) == 1:
            full = self.form.instructions == "full"
            self.place(self.instructions() if full else self.short_instructions())

    def place(self, block: _Block) -> None:
        self.pages[-1].extend(block.ops)
        self.y += block.height

    def fits(self, height: float) -> bool:
        return self.y + height <= CONTENT_BOTTOM

    # -- blocks --------------------------------------------------------------------
    def instructions(self) -> _Block:
        y0 = self.y
        ops: list[DrawOp] = [
            _text(LEFT + 2, y0 + 3.9, "Comment remplir ce bordereau", 8, style="bold")
        ]
        half = (RIGHT - LEFT) / 2
        lines = [
            (
                "cell",
                "Écrire en CAPITALES d’imprimerie, au stylo noir ou bleu foncé, un seul "
                "caractère par case ; dates : JJ MM AAAA.",
            ),
            ("cross", "Cocher une case d’une croix nette, sans déborder de la case."),
            (
                "fill",
                "Pour annuler une case cochée par erreur : la noircir entièrement, puis "
                "cocher la bonne.",
            ),
            (
                "star",
                "* : obligatoire pour BaMaRa. Ne rien écrire dans les marges ni sur les "
                "carrés noirs et les codes des coins.",
            ),
        ]
        bottom = y0
        for n, (icon, text) in enumerate(lines):
            x0 = LEFT + (n % 2) * half
            y = y0 + 5.8 + (n // 2) * 7.2
            if icon == "cell":
                ops.append(RectOp(box_mm=_box(x0 + 2.6, y - 0.3, 4.0, 4.8), line_width=0.3))
                ops.append(_text(x0 + 4.6, y + 3.4, "A", 8, align="center"))
            elif icon in {"cross", "fill"}:
                ops.append(
                    RectOp(
                        box_mm=_box(x0 + 2.7, y + 0.2, BOX, BOX),
                        line_width=0.3,
                        fill_grey=0.0 if icon == "fill" else None,
                    )
                )
                if icon == "cross":
                    for a, b in (((0.4, 0.4), (3.4, 3.4)), ((0.4, 3.4), (3.4, 0.4))):
                        ops.append(
                            LineOp(
                                start=(_r(x0 + 2.7 + a[0]), _r(y + 0.2 + a[1])),
                                end=(_r(x0 + 2.7 + b[0]), _r(y + 0.2 + b[1])),
                                line_width=0.5,
                            )
                        )
            else:
                ops.append(_text(x0 + 4.6, y + 3.8, "*", 11, style="bold", align="center"))
            text_ops, h = _paragraph(x0 + 9.0, y - 0.2, text, half - 11.0, 7)
            ops += text_ops
            bottom = max(bottom, y + max(h, 4.6))
        height = bottom - y0 + 1.2
        ops.insert(
            0,
            RectOp(
                box_mm=_box(LEFT, y0, RIGHT - LEFT, height),
                line_width=0.3,
                stroke_grey=0.35,
                fill_grey=0.97,
                radius=1.5,
            ),
        )
        return _Block(height + 2.5, ops)

    def short_instructions(self) -> _Block:
        y = self.y
        text = (
            "CAPITALES d’imprimerie, un caractère par case ; cocher d’une croix nette ; "
            "case entièrement noircie = annulée ; * = obligatoire pour BaMaRa."
        )
        ops, h = _paragraph(
            LEFT + 2, y + 1.0, text, RIGHT - LEFT - 4, 7.5, style="italic", grey=0.15
        )
        ops.insert(
            0,
            RectOp(
                box_mm=_box(LEFT, y, RIGHT - LEFT, h + 2.0),
                line_width=0.3,
                stroke_grey=0.35,
                fill_grey=0.97,
                radius=1.5,
            ),
        )
        return _Block(h + 4.5, ops)

    def section_bar(self, section: Section, y: float) -> _Block:
        ops: list[DrawOp] = [
            RectOp(
                box_mm=_box(LEFT, y, RIGHT - LEFT, SECTION_BAR), stroke_grey=None, fill_grey=0.86
            ),
            _text(LEFT + 2, y + 3.9, section.title, 9.5, style="bold"),
        ]
        if section.optional:
            x = LEFT + 2 + fonts.text_width(section.title, 9.5, "bold") + 1.5
            ops.append(_text(x, y + 3.9, "(facultatif)", 8, style="italic", grey=0.3))
        return _Block(SECTION_BAR + 1.6, ops)

    def label_column(
        self, item: Item, star: str, y: float, width: float
    ) -> tuple[list[DrawOp], float]:
        ops, height = _paragraph(LEFT, y + 0.1, item.label + star, width, LABEL_PT)
        if item.help:
            help_ops, help_h = _paragraph(
                LEFT, y + 0.3 + height, item.help, width, HELP_PT, style="italic", grey=0.35
            )
            ops += help_ops
            height += 0.3 + help_h
        return ops, height

    def row(self, section: Section, items: list[Item], y: float, right: float = RIGHT) -> _Block:
        """One row: the first item with its label, then the inline items after it."""
        main, *inline = items
        star = " *" if main.required and not section.optional else ""
        if main.kind == "free_text" or main.wide:
            ops, label_h = self.label_column(main, star, y, right - LEFT)
            widget, _ = self.widgets.draw(main, LEFT, y + label_h + 1.0, right - LEFT)
            block = _Block(label_h + 1.0 + widget.height + ROW_GAP, ops + widget.ops)
            block.fields.append(self.field_entry(section, main, widget))
            return block
        ops, label_h = self.label_column(main, star, y, LABEL_W)
        widget, end = self.widgets.draw(main, INPUT_X, y, right - INPUT_X)
        block = _Block(0.0, ops + widget.ops)
        block.fields.append(self.field_entry(section, main, widget))
        widget_h, line_y, line_h = widget.height, y, widget.height
        for extra in inline:
            label_w = fonts.text_width(extra.label, CHOICE_PT, "italic")
            x = end + 5.0
            trial, trial_end = self.widgets.draw(extra, x + label_w + 1.8, line_y, right - x)
            if trial_end > right:
                line_y = y + widget_h + 1.8
                x = INPUT_X
                trial, trial_end = self.widgets.draw(
                    extra, x + label_w + 1.8, line_y, right - x - label_w - 1.8
                )
                line_h = 0.0
            baseline = line_y + min(trial.height, CELL_H) / 2 + 1.0
            block.ops.append(_text(x, baseline, extra.label, CHOICE_PT, style="italic", grey=0.2))
            block.ops += trial.ops
            block.fields.append(self.field_entry(section, extra, trial))
            line_h = max(line_h, trial.height)
            widget_h = max(widget_h, line_y - y + line_h)
            end = trial_end
        block.height = max(label_h, widget_h) + ROW_GAP
        block.right = max(end, INPUT_X)
        return block

    def field_entry(self, section: Section, item: Item, widget: _Block) -> dict[str, object]:
        entry: dict[str, object] = {
            "id": item.id,
            "label": item.label,
            "kind": item.kind,
            "required": item.required and not section.optional,
            "section": section.id,
            "optional_section": section.optional,
            "required_if_used": item.required and section.optional,
            "value_set": item.value_set,
        }
        for geometry in widget.fields:
            entry.update(geometry)
        if "cells_mm" in entry:
            entry["cell_classes"] = item.classes()
        return entry

    def rows_of(self, section: Section) -> list[list[Item]]:
        rows: list[list[Item]] = []
        for item in section.items:
            if item.inline and rows:
                rows[-1].append(item)
            else:
                rows.append([item])
        return rows

    def flow(self, section: Section, rows: list[list[Item]], commit: bool) -> float:
        """Place the rows of a section from ``self.y`` (or only measure them); return the
        height used. A ``float_right`` item sits at the right of the rows that follow it."""
        y0 = y = self.y
        float_bottom, float_left = y, RIGHT
        for items in rows:
            main = items[0]
            if main.float_right:
                w = LABEL_ZONE[0]
                widget, _ = self.widgets.draw(main, RIGHT - w, y, w)
                if commit:
                    self.commit(
                        _Block(0.0, widget.ops, [self.field_entry(section, main, widget)]),
                        separator=False,
                    )
                float_bottom, float_left = y + widget.height + ROW_GAP, RIGHT - w - 3.0
                continue
            right = float_left if y < float_bottom else RIGHT
            block = self.row(section, items, y, right)
            if right < RIGHT and block.right > right:
                y, right = float_bottom, RIGHT
                block = self.row(section, items, y)
            if commit and not self.fits_at(y, block.height):
                self.new_page()
                y0 = y = float_bottom = self.y
                right = RIGHT
                block = self.row(section, items, y)
                if not self.fits_at(y, block.height):
                    raise InputError(f"L’item {main.id} ne tient pas sur une page.")
            if commit:
                self.y = y
                self.commit(block, right=right)
            y += block.height
        y = max(y, float_bottom)
        if commit:
            self.y = y
        return y - y0

    def fits_at(self, y: float, height: float) -> bool:
        return y + height <= CONTENT_BOTTOM

    def add_section(self, section: Section) -> None:
        if section.page_break_before and self.y > CONTENT_TOP + 40:
            self.new_page()
        rows = self.rows_of(section)
        bar_h = self.section_bar(section, self.y).height
        whole = bar_h + self.flow(section, rows, commit=False)
        first = bar_h + self.flow(section, rows[:2], commit=False)
        fits_fresh_page = whole <= CONTENT_BOTTOM - CONTENT_TOP
        if not self.fits(first) or (fits_fresh_page and not self.fits(whole)):
            self.new_page()
        self.place(self.section_bar(section, self.y))
        self.flow(section, rows, commit=True)

    def commit(self, block: _Block, separator: bool = True, right: float = RIGHT) -> None:
        page = len(self.pages)
        for entry in block.fields:
            self.fields.append(FieldLayout.model_validate({**entry, "page": page}))
        self.pages[-1].extend(block.ops)
        if separator:
            line_y = _r(self.y + block.height - ROW_GAP / 2)
            self.pages[-1].append(
                LineOp(start=(LEFT, line_y), end=(_r(right), line_y), line_width=0.15, grey=0.82)
            )
        self.y += block.height

    # -- frame ---------------------------------------------------------------------
    def frame(self, number: int, pages: int) -> PageLayout:
        m = MARKER_EDGE + MARKER_SIZE / 2
        centres = [(m, m), (PAGE_W - m, m), (m, PAGE_H - m), (PAGE_W - m, PAGE_H - m)]
        anchors = tuple(
            Anchor(id=i, center_mm=(_r(x), _r(y)), size_mm=MARKER_SIZE)
            for i, (x, y) in enumerate(centres)
        )
        codes = (
            CodeZone(
                box_mm=_box(
                    PAGE_W - MARKER_EDGE - MARKER_SIZE - 5.0 - QR_SIZE,
                    MARKER_EDGE,
                    QR_SIZE,
                    QR_SIZE,
                ),
                corner="top_right",
            ),
            CodeZone(
                box_mm=_box(
                    MARKER_EDGE + MARKER_SIZE + 5.0,
                    PAGE_H - MARKER_EDGE - QR_SIZE,
                    QR_SIZE,
                    QR_SIZE,
                ),
                corner="bottom_left",
            ),
        )
        centre = self.loaded.centre
        x = MARKER_EDGE + MARKER_SIZE + 4.0
        right = codes[0].box_mm[0] - 3.0
        site = fonts.wrap(centre.site.nom, right - x, 8)[0]
        header: list[DrawOp] = [
            _text(x, 14.0, f"Bordereau SDM-MR — {self.form.title}", 12.5, style="bold"),
            _text(x, 19.2, f"{site} ({centre.site.type}, {centre.site.code})", 8),
            _text(
                x,
                23.4,
                f"{centre.etablissement.nom} — FINESS {centre.etablissement.finess}"
                f" — filière {centre.filiere}",
                7,
                grey=0.25,
            ),
            _text(
                x,
                29.0,
                "N° de bordereau {serial}  ·  page {page}/{pages}",
                9.5,
                style="bold",
                stamp=True,
            ),
        ]
        fx = codes[1].box_mm[0] + QR_SIZE + 4.0
        footer: list[DrawOp] = [
            _text(
                fx,
                PAGE_H - 15.5,
                "Bordereau n° {serial} — page {page}/{pages}",
                7.5,
                style="bold",
                stamp=True,
            ),
            _text(
                fx,
                PAGE_H - 11.6,
                f"{self.form.title} v{self.form.version} · SDM-MR {self.form.sdm_version} · "
                "ne pas plier, agrafer ni écrire sur les codes des coins",
                6.2,
                grey=0.35,
            ),
        ]
        ops = tuple(header + self.pages[number - 1] + footer)
        return PageLayout(number=number, anchors=anchors, codes=codes, drawing=ops)

    def resolve(self, section: Section) -> Section:
        """Apply the centre's options to the section's items (IPP length)."""
        length = self.loaded.centre.options.longueur_ipp
        items = tuple(
            item.model_copy(update={"cells": length}) if item.cells_from else item
            for item in section.items
        )
        return section.model_copy(update={"items": items})

    def build(self) -> Layout:
        self.new_page()
        for section in self.form.sections:
            self.add_section(self.resolve(section))
        total = len(self.pages)
        if self.form.max_pages and total > self.form.max_pages:
            raise InputError(
                f"La {self.form.title.lower()} ne tient pas sur {self.form.max_pages} page(s) "
                f"avec ce fichier de centre ({total} pages) : raccourcir le thésaurus."
            )
        centre = self.loaded.centre
        info = FormInfo(
            kind=self.form.kind,
            version=self.form.version,
            title=self.form.title,
            sdm_version=self.form.sdm_version,
            pages=total,
            centre=CentreInfo(
                site_code=centre.site.code,
                site_name=centre.site.nom,
                finess=centre.etablissement.finess,
                snapshot=self.loaded.digest,
            ),
        )
        pages = tuple(self.frame(n, total) for n in range(1, total + 1))
        return Layout(form=info, pages=pages, fields=tuple(self.fields)).with_id()


def build_layout(kind: str, loaded: LoadedCentre) -> Layout:
    """The manifest of the ``kind`` form for this centre."""
    return _Builder(load_form(kind), loaded).build()
