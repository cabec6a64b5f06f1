"""Geometry constants of the forms and the drawing of each kind of input (cells, boxes,
label zone), in millimetres: the building blocks ``forms.layout`` places on pages."""

from __future__ import annotations

from dataclasses import dataclass, field

from bordereau.forms import fonts
from bordereau.forms.manifest import Box, Choice, DrawOp, RectOp, TextOp
from bordereau.forms.model import Item, ValueSet

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


def rounded(value: float) -> float:
    return round(value, 2)


def mm_box(x: float, y: float, w: float, h: float) -> Box:
    return (rounded(x), rounded(y), rounded(w), rounded(h))


@dataclass
class Block:
    """Something placed at a given top ``y``: its height, drawing and fields."""

    height: float
    ops: list[DrawOp] = field(default_factory=list)
    fields: list[dict[str, object]] = field(default_factory=list)
    right: float = 0.0


def text_op(x: float, y: float, text: str, size: float, **kw: object) -> TextOp:
    return TextOp(x=rounded(x), y=rounded(y), text=text, size=size, **kw)


def paragraph(
    x: float, y: float, text: str, width: float, size: float, leading: float = 1.2, **kw: object
) -> tuple[list[DrawOp], float]:
    """Wrapped text whose first line's top is at ``y``; returns ops and height."""
    style = str(kw.get("style", "regular"))
    lead = fonts.line_height(size) * leading / 1.2
    ops: list[DrawOp] = []
    for n, line in enumerate(fonts.wrap(text, width, size, style)):
        ops.append(text_op(x, y + lead * (n + 0.78), line, size, **kw))
    return ops, lead * len(ops)


class Widgets:
    """Draws the input part of a row for each field kind."""

    def __init__(self, sets: dict[str, ValueSet]) -> None:
        self.sets = sets

    def comb(self, item: Item, x: float, y: float) -> tuple[Block, float]:
        cells: list[Box] = []
        ops: list[DrawOp] = []
        cx = x
        for n in range(item.cell_count):
            if item.kind == "date" and n in (2, 4):
                ops.append(
                    text_op(cx + DATE_GAP / 2, y + CELL_H * 0.72, "/", 9, grey=0.35, align="center")
                )
                cx += DATE_GAP
            cells.append(mm_box(cx, y, CELL_W, CELL_H))
            cx += CELL_W
        height = CELL_H
        if item.kind == "date":
            for n, letter in enumerate("JJMMAAAA"):
                cell = cells[n]
                ops.append(
                    text_op(
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
                    box_mm=mm_box(cx + 1.8, y + 1.6, width, 3.4),
                    line_width=0.25,
                    stroke_grey=0.55,
                    fill_grey=None,
                    radius=1.2,
                )
            )
            ops.append(
                text_op(
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
        return Block(height, ops, [{"cells_mm": tuple(cells)}]), end

    def choices(self, item: Item, x: float, y: float, width: float) -> tuple[Block, float]:
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
                            box_mm=mm_box(bx, cy, BOX, BOX),
                        )
                    )
                    text_ops, text_h = paragraph(
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
            return Block(cy - y, ops, [{"choices": tuple(choices)}]), end
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
                    box_mm=mm_box(cx, cy, BOX, BOX),
                )
            )
            ops.append(text_op(cx + BOX + 1.5, cy + 0.15 + lead * 0.78, concept.label, CHOICE_PT))
            cx += w
        return Block(cy + BOX - y, ops, [{"choices": tuple(choices)}]), cx

    def boolean(self, item: Item, x: float, y: float) -> tuple[Block, float]:
        lead = fonts.line_height(CHOICE_PT)
        ops: list[DrawOp] = [text_op(x + BOX + 1.5, y + 0.15 + lead * 0.78, "Oui", CHOICE_PT)]
        end = x + BOX + 1.5 + fonts.text_width("Oui", CHOICE_PT)
        return Block(BOX, ops, [{"box_mm": mm_box(x, y, BOX, BOX)}]), end

    def label_zone(self, item: Item, x: float, y: float) -> tuple[Block, float]:
        w, h = LABEL_ZONE
        ops: list[DrawOp] = [
            text_op(
                x + w / 2,
                y + h / 2 - 0.5,
                "Coller l’étiquette patient ici",
                8,
                style="italic",
                grey=0.55,
                align="center",
            ),
            text_op(
                x + w / 2,
                y + h / 2 + 3.3,
                "(avec son code-barres)",
                6.5,
                style="italic",
                grey=0.6,
                align="center",
            ),
        ]
        return Block(h, ops, [{"box_mm": mm_box(x, y, w, h)}]), x + w

    def free_text(self, item: Item, x: float, y: float, width: float) -> tuple[Block, float]:
        h = item.height_mm or 30.0
        return Block(h, [], [{"box_mm": mm_box(x, y, width, h)}]), x + width

    def draw(self, item: Item, x: float, y: float, width: float) -> tuple[Block, float]:
        if item.kind in {"single_choice", "multi_choice"}:
            return self.choices(item, x, y, width)
        if item.kind == "boolean":
            return self.boolean(item, x, y)
        if item.kind == "label_zone":
            return self.label_zone(item, x, y)
        if item.kind == "free_text":
            return self.free_text(item, x, y, width)
        return self.comb(item, x, y)
