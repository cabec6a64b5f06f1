"""Lay a form definition out on A4 pages for one centre: the manifest builder.

``build_layout`` flows the sections of a :class:`FormDefinition` onto pages, row by row
(label column on the left, hand-written cells or checkboxes on the right), and returns
the :class:`Layout`. Nothing else in the package decides where anything is printed; the
inputs themselves are drawn by ``forms.widgets``.
"""

from __future__ import annotations

from bordereau.errors import InputError
from bordereau.forms import fonts
from bordereau.forms.centre import LoadedCentre
from bordereau.forms.instructions import full_instructions, short_instructions
from bordereau.forms.manifest import (
    Anchor,
    CentreInfo,
    CodeZone,
    DrawOp,
    FieldLayout,
    FormInfo,
    Layout,
    LineOp,
    PageLayout,
    RectOp,
)
from bordereau.forms.model import ANNEX_KINDS, FormDefinition, Item, Section, load_form, value_sets
from bordereau.forms.widgets import (
    CELL_H,
    CHOICE_PT,
    CONTENT_BOTTOM,
    CONTENT_TOP,
    HELP_PT,
    INPUT_X,
    LABEL_PT,
    LABEL_W,
    LABEL_ZONE,
    LEFT,
    MARKER_EDGE,
    MARKER_SIZE,
    PAGE_H,
    PAGE_W,
    QR_SIZE,
    RIGHT,
    ROW_GAP,
    SECTION_BAR,
    Block,
    Widgets,
    mm_box,
    paragraph,
    rounded,
    text_op,
)


class _Builder:
    def __init__(self, form: FormDefinition, loaded: LoadedCentre) -> None:
        self.form = form
        self.loaded = loaded
        centre = loaded.centre
        sets = dict(value_sets())
        for name in ("centre.thesaurus", "centre.referents"):
            sets[name] = centre.value_set(name)
        self.widgets = Widgets(sets)
        self.pages: list[list[DrawOp]] = []
        self.fields: list[FieldLayout] = []
        self.y = CONTENT_TOP

    # -- pages ---------------------------------------------------------------------
    def new_page(self) -> None:
        self.pages.append([])
        self.y = CONTENT_TOP
        if len(self.pages) == 1:
            full = self.form.instructions == "full"
            self.place(full_instructions(self.y) if full else short_instructions(self.y))

    def place(self, block: Block) -> None:
        self.pages[-1].extend(block.ops)
        self.y += block.height

    def fits(self, height: float) -> bool:
        return self.y + height <= CONTENT_BOTTOM

    # -- blocks --------------------------------------------------------------------
    def section_bar(self, section: Section, y: float) -> Block:
        ops: list[DrawOp] = [
            RectOp(
                box_mm=mm_box(LEFT, y, RIGHT - LEFT, SECTION_BAR), stroke_grey=None, fill_grey=0.86
            ),
            text_op(LEFT + 2, y + 3.9, section.title, 9.5, style="bold"),
        ]
        if section.optional:
            x = LEFT + 2 + fonts.text_width(section.title, 9.5, "bold") + 1.5
            ops.append(text_op(x, y + 3.9, "(facultatif)", 8, style="italic", grey=0.3))
        return Block(SECTION_BAR + 1.6, ops)

    def label_column(
        self, item: Item, star: str, y: float, width: float
    ) -> tuple[list[DrawOp], float]:
        ops, height = paragraph(LEFT, y + 0.1, item.label + star, width, LABEL_PT)
        if item.help:
            help_ops, help_h = paragraph(
                LEFT, y + 0.3 + height, item.help, width, HELP_PT, style="italic", grey=0.35
            )
            ops += help_ops
            height += 0.3 + help_h
        return ops, height

    def row(self, section: Section, items: list[Item], y: float, right: float = RIGHT) -> Block:
        """One row: the first item with its label, then the inline items after it."""
        main, *inline = items
        star = " *" if main.required and not section.optional else ""
        if main.kind == "free_text" or main.wide:
            ops, label_h = self.label_column(main, star, y, right - LEFT)
            widget, _ = self.widgets.draw(main, LEFT, y + label_h + 1.0, right - LEFT)
            block = Block(label_h + 1.0 + widget.height + ROW_GAP, ops + widget.ops)
            block.fields.append(self.field_entry(section, main, widget))
            return block
        ops, label_h = self.label_column(main, star, y, LABEL_W)
        widget, end = self.widgets.draw(main, INPUT_X, y, right - INPUT_X)
        block = Block(0.0, ops + widget.ops)
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
            block.ops.append(text_op(x, baseline, extra.label, CHOICE_PT, style="italic", grey=0.2))
            block.ops += trial.ops
            block.fields.append(self.field_entry(section, extra, trial))
            line_h = max(line_h, trial.height)
            widget_h = max(widget_h, line_y - y + line_h)
            end = trial_end
        block.height = max(label_h, widget_h) + ROW_GAP
        block.right = max(end, INPUT_X)
        return block

    def field_entry(self, section: Section, item: Item, widget: Block) -> dict[str, object]:
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
                        Block(0.0, widget.ops, [self.field_entry(section, main, widget)]),
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

    def commit(self, block: Block, separator: bool = True, right: float = RIGHT) -> None:
        page = len(self.pages)
        for entry in block.fields:
            self.fields.append(FieldLayout.model_validate({**entry, "page": page}))
        self.pages[-1].extend(block.ops)
        if separator:
            line_y = rounded(self.y + block.height - ROW_GAP / 2)
            self.pages[-1].append(
                LineOp(
                    start=(LEFT, line_y), end=(rounded(right), line_y), line_width=0.15, grey=0.82
                )
            )
        self.y += block.height

    # -- frame ---------------------------------------------------------------------
    def frame(self, number: int, pages: int) -> PageLayout:
        m = MARKER_EDGE + MARKER_SIZE / 2
        centres = [(m, m), (PAGE_W - m, m), (m, PAGE_H - m), (PAGE_W - m, PAGE_H - m)]
        anchors = tuple(
            Anchor(id=i, center_mm=(rounded(x), rounded(y)), size_mm=MARKER_SIZE)
            for i, (x, y) in enumerate(centres)
        )
        codes = (
            CodeZone(
                box_mm=mm_box(
                    PAGE_W - MARKER_EDGE - MARKER_SIZE - 5.0 - QR_SIZE,
                    MARKER_EDGE,
                    QR_SIZE,
                    QR_SIZE,
                ),
                corner="top_right",
            ),
            CodeZone(
                box_mm=mm_box(
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
        annex = self.form.kind in ANNEX_KINDS
        serial_label = "Annexe du bordereau n°" if annex else "N° de bordereau"
        header: list[DrawOp] = [
            text_op(x, 14.0, f"Bordereau SDM-MR — {self.form.title}", 12.5, style="bold"),
            text_op(x, 19.2, f"{site} ({centre.site.type}, {centre.site.code})", 8),
            text_op(
                x,
                23.4,
                f"{centre.etablissement.nom} — FINESS {centre.etablissement.finess}"
                f" — filière {centre.filiere}",
                7,
                grey=0.25,
            ),
            text_op(
                x,
                29.0,
                serial_label + " {serial}  ·  page {page}/{pages}",
                9.5,
                style="bold",
                stamp=True,
            ),
        ]
        fx = codes[1].box_mm[0] + QR_SIZE + 4.0
        footer: list[DrawOp] = [
            text_op(
                fx,
                PAGE_H - 15.5,
                f"{self.form.title} du bordereau n° {{serial}} — page {{page}}/{{pages}}"
                if annex
                else "Bordereau n° {serial} — page {page}/{pages}",
                7.5,
                style="bold",
                stamp=True,
            ),
            text_op(
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
            title = self.form.title.lower()
            article = "L’" if title[:1] in "aeiouyéèêh" else "La "  # « L’annexe », « La fiche »
            raise InputError(
                f"{article}{title} ne tient pas sur {self.form.max_pages} page(s) "
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
