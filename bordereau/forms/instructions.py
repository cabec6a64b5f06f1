"""The filling instructions printed at the top of a form's first page.

Drawn by the layout builder (``forms.layout``) into the manifest like any other block: the
full box of a fiche initiale (how to write, tick, cancel; what the star means) or the
one-paragraph reminder of shorter forms.
"""

from __future__ import annotations

from bordereau.forms.manifest import DrawOp, LineOp, RectOp
from bordereau.forms.widgets import BOX, LEFT, RIGHT, Block, mm_box, paragraph, rounded, text_op


def full_instructions(y0: float) -> Block:
    """The « Comment remplir ce bordereau » box of a fiche's first page, from ``y0``."""
    ops: list[DrawOp] = [
        text_op(LEFT + 2, y0 + 3.9, "Comment remplir ce bordereau", 8, style="bold")
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
            ops.append(RectOp(box_mm=mm_box(x0 + 2.6, y - 0.3, 4.0, 4.8), line_width=0.3))
            ops.append(text_op(x0 + 4.6, y + 3.4, "A", 8, align="center"))
        elif icon in {"cross", "fill"}:
            ops.append(
                RectOp(
                    box_mm=mm_box(x0 + 2.7, y + 0.2, BOX, BOX),
                    line_width=0.3,
                    fill_grey=0.0 if icon == "fill" else None,
                )
            )
            if icon == "cross":
                for a, b in (((0.4, 0.4), (3.4, 3.4)), ((0.4, 3.4), (3.4, 0.4))):
                    ops.append(
                        LineOp(
                            start=(rounded(x0 + 2.7 + a[0]), rounded(y + 0.2 + a[1])),
                            end=(rounded(x0 + 2.7 + b[0]), rounded(y + 0.2 + b[1])),
                            line_width=0.5,
                        )
                    )
        else:
            ops.append(text_op(x0 + 4.6, y + 3.8, "*", 11, style="bold", align="center"))
        text_ops, h = paragraph(x0 + 9.0, y - 0.2, text, half - 11.0, 7)
        ops += text_ops
        bottom = max(bottom, y + max(h, 4.6))
    height = bottom - y0 + 1.2
    ops.insert(
        0,
        RectOp(
            box_mm=mm_box(LEFT, y0, RIGHT - LEFT, height),
            line_width=0.3,
            stroke_grey=0.35,
            fill_grey=0.97,
            radius=1.5,
        ),
    )
    return Block(height + 2.5, ops)


def short_instructions(y: float) -> Block:
    """The one-paragraph reminder of an annex or a fiche de suivi, from ``y``."""
    text = (
        "CAPITALES d’imprimerie, un caractère par case ; cocher d’une croix nette ; "
        "case entièrement noircie = annulée ; * = obligatoire pour BaMaRa."
    )
    ops, h = paragraph(
        LEFT + 2, y + 1.0, text, RIGHT - LEFT - 4, 7.5, style="italic", grey=0.15
    )
    ops.insert(
        0,
        RectOp(
            box_mm=mm_box(LEFT, y, RIGHT - LEFT, h + 2.0),
            line_width=0.3,
            stroke_grey=0.35,
            fill_grey=0.97,
            radius=1.5,
        ),
    )
    return Block(h + 4.5, ops)
