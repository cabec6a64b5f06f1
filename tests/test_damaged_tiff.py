"""A multi-page TIFF whose second page's compressed data is damaged: that page is refused
with a French reason, the others are read, and libtiff's English never reaches the screen."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from bordereau.ocr.pages import iter_pages
from bordereau.ocr.types import PageImage
from tests.conftest import SAMPLES, run_cli

TIFF = SAMPLES / "scans" / "lyon-os" / "tiff-incomplet" / "tiff-incomplet-01.tif"  # G4, 5 pages
REASON = "page TIFF endommagée (données d'image incorrectes) : la numériser de nouveau"


def damaged_copy(target: Path) -> Path:
    """The sample TIFF with 200 random bytes in the middle of page 2's CCITT data."""
    with Image.open(TIFF) as image:
        image.seek(1)
        offset, count = image.tag_v2[273][0], image.tag_v2[279][0]
    data = bytearray(TIFF.read_bytes())
    noise = random.Random(1)
    for position in range(offset + count // 3, offset + count // 3 + 200):
        data[position] = noise.randrange(256)
    target.write_bytes(bytes(data))
    return target


def test_a_damaged_tiff_page_is_refused_in_french_and_the_others_are_read(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = damaged_copy(tmp_path / "lot.tif")
    found = [item if isinstance(item, PageImage) else item.reason for item in iter_pages(path)]
    assert found[1] == REASON
    assert all(isinstance(item, PageImage) for n, item in enumerate(found) if n != 1)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""  # no "Fax4Decode: Bad code word"


def test_scan_read_refuses_the_damaged_page_and_says_nothing_in_english(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = damaged_copy(tmp_path / "lot.tif")
    result = run_cli(["scan", "read", str(path), "--home", str(SAMPLES / "home"),
                      "--workers", "1", "--json"])
    assert result.exit_code == 6
    pages = json.loads(result.stdout)["pages"]
    assert (pages[1]["state"], pages[1]["reason"]) == ("refused", REASON)
    assert [p["state"] for p in pages].count("read") == 3  # page 4 is the altered code
    assert "Decode" not in capfd.readouterr().err
