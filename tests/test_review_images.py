"""The review application's pictures of the crops and the page: half-block drawings, strips
of a wide crop, the field's box in red on the page, real pixels on terminals with graphics.
(Split from tests/test_review_app.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bordereau.review import images
from bordereau.review.app import ReviewApp
from bordereau.review.queue import Queue
from tests.conftest import LYON
from tests.factories import INITIALE, Factory
from tests.test_review_app import SIZE


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    return Factory(tmp_path, LYON)


# -- the images -------------------------------------------------------------------------
def test_half_blocks_draw_two_pixels_per_cell() -> None:
    pixels = np.zeros((5, 3, 3), np.uint8)
    pixels[0] = 255
    drawn = images.HalfBlocks(pixels)
    lines = list(drawn.lines())
    assert (drawn.width, drawn.height, len(lines)) == (3, 3, 3)
    first = lines[0][0]
    assert first.text == "▀▀▀" and first.style is not None
    assert first.style.color and first.style.color.triplet
    assert first.style.color.triplet.hex == "#f8f8f8"
    assert first.style.bgcolor and first.style.bgcolor.triplet
    assert first.style.bgcolor.triplet.hex == "#000000"


def test_a_wide_crop_is_cut_into_strips_that_fit() -> None:
    crop = np.full((84, 900, 3), 255, np.uint8)
    crop[20:60, ::50] = 0  # ink every 50 px, blank in between
    one = images.blocks(crop, 100, 6)
    assert one.width <= 100 and one.height <= 6
    two = images.blocks(crop, 100, 30, max_scale=0.25)
    assert two.width <= 100 and two.height <= 30
    assert two.width * two.height > 1.5 * one.width * one.height  # larger, so legible


def test_the_page_shows_the_field_box_in_red() -> None:
    import cv2

    page = np.full((1188, 840), 255, np.uint8)
    _, png = cv2.imencode(".png", page)
    drawn = images.page_blocks(png.tobytes(), (72.0, 105.9, 110.0, 6.5), 84)
    assert drawn is not None
    blocks, (x, y, w, h) = drawn
    assert h >= 1
    assert blocks.width == 84
    assert abs(x - 29) <= 1 and abs(w - 45) <= 2 and abs(y - 21) <= 1
    red = blocks.pixels[:, :, 0].astype(int) - blocks.pixels[:, :, 1]
    assert red.max() > 150


def test_terminals_with_graphics_get_real_pixels(factory: Factory) -> None:
    pytest.importorskip("textual_image")
    from bordereau.review.app_widgets import PixelCrop

    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "lecture incertaine"})
    app = ReviewApp(Queue(factory.db, "alice"), graphics="sixel")
    seen: list[Any] = []

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.2)
            crop = app.screen.query_one("#crop", PixelCrop)
            picture: Any = crop.children[0]
            seen.append((picture.image is not None, picture.styles.width.value > 10))
            await pilot.press("enter")
            await pilot.pause()

    asyncio.run(main())
    assert seen == [(True, True)]
    assert [item.status for item in Queue(factory.db, "alice").items(status=None)
            if item.field_id == "patient.nom_naissance"] == ["accepted"]
