"""Pages a batch should refuse: an altered page code, a page that is not a form, a corrupt file.

(A page printed by another establishment is simply generated with another home; see
``batch``.)
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import numpy.typing as npt
import segno

from bordereau.forms.codes import PageCode
from bordereau.forms.manifest import Layout
from bordereau.simulate.fill import to_px
from bordereau.simulate.label import SANS, SANS_BOLD, _font

LETTER = (
    "Objet : demande de rendez-vous",
    "",
    "Madame, Monsieur,",
    "",
    "Je me permets de vous adresser ce courrier afin de solliciter un rendez-vous",
    "en consultation pour mon fils, suivi depuis plusieurs années dans votre service.",
    "Vous trouverez ci-joint la copie de son dernier compte rendu d’hospitalisation",
    "ainsi que l’ordonnance de son médecin traitant.",
    "",
    "Je reste à votre disposition pour tout renseignement complémentaire et vous",
    "prie d’agréer, Madame, Monsieur, l’expression de mes salutations distinguées.",
)




def tampered_code(code: PageCode, rng: random.Random) -> PageCode:
    """The same code claiming another serial but keeping the old tag (a forged copy)."""
    return code.model_copy(update={"serial": code.serial + rng.randint(1, 50)})


def redraw_codes(
    page: npt.NDArray[np.uint8], layout: Layout, number: int, payload: str, dpi: float
) -> None:
    """Paint a QR with ``payload`` over every code zone of page ``number`` (in place)."""
    grid = np.array([list(row) for row in segno.make(payload, error="m", micro=False).matrix])
    for zone in layout.pages[number - 1].codes:
        x, y, w, h = to_px(zone.box_mm, dpi)
        module = w / grid.shape[0]
        pad = module * 2
        page[round(y - pad) : round(y + h + pad), round(x - pad) : round(x + w + pad)] = 255
        for r, c in zip(*np.nonzero(grid), strict=True):
            y0, y1 = round(y + r * module), round(y + (r + 1) * module)
            x0, x1 = round(x + c * module), round(x + (c + 1) * module)
            page[y0:y1, x0:x1] = 0


def letter_page(dpi: float, rng: random.Random) -> npt.NDArray[np.uint8]:
    """An ordinary typed letter on A4: a page that is not a form at all."""
    from PIL import Image, ImageDraw, ImageFont

    k = dpi / 25.4
    image = Image.new("L", (round(210 * k), round(297 * k)), 255)
    draw = ImageDraw.Draw(image)
    regular, bold = _font(SANS, round(3.6 * k)), _font(SANS_BOLD, round(4.0 * k))
    assert isinstance(regular, ImageFont.FreeTypeFont) and isinstance(bold, ImageFont.FreeTypeFont)
    sender = ("Famille Martin", "12 rue des Lilas", "69003 Lyon")
    for n, line in enumerate(sender):
        draw.text((20 * k, (20 + 6 * n) * k), line, fill=20, font=bold if n == 0 else regular)
    town = rng.choice(("Lyon", "Villeurbanne", "Marseille"))
    draw.text(
        (120 * k, 55 * k), f"{town}, le {rng.randint(1, 28)} mars 2025", fill=20, font=regular
    )
    for n, line in enumerate(LETTER):
        draw.text((20 * k, (80 + 7 * n) * k), line, fill=20, font=regular)
    draw.text((120 * k, 175 * k), "M. et Mme Martin", fill=20, font=regular)
    return np.asarray(image, np.uint8).copy()


def corrupt_copy(source: Path, target: Path, rng: random.Random) -> None:
    """A file cut short in transfer: the first part of a valid scan, then garbage."""
    data = source.read_bytes()
    cut = max(64, len(data) * rng.randint(20, 50) // 100)
    target.write_bytes(data[:cut] + bytes(rng.getrandbits(8) for _ in range(256)))
