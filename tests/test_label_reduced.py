"""A form printed at 80 % and scanned bilevel at 150 dpi: the patient sticker's barcode
cannot be decoded (its bars merge) and its printed IPP is misread. The sticker is there,
so the label zone must never be trusted as empty: it is either read right or sent to
review (issue 11, defect 17: the zone was trusted as empty)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bordereau.home import Home
from bordereau.ocr.label import UNREAD
from bordereau.ocr.pipeline import ReadOptions, read_batch
from bordereau.simulate import profiles
from bordereau.simulate.batch import make_batch
from bordereau.simulate.values import FillOptions
from tests.conftest import LYON, SAMPLES


def test_a_sticker_on_a_reduced_low_resolution_scan_is_never_trusted_as_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reduced = profiles.get_profile("fax_like_200_g4").model_copy(
        update={"name": "reduit_80", "scale": (0.8, 0.8)})
    monkeypatch.setitem(profiles.PRESETS, "reduit_80", reduced)
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    truth = make_batch(LYON, home, tmp_path / "scans", sheets=2, kinds=("initiale",),
                       split="eval", profile="reduit_80", dpi=150,
                       fill=FillOptions(label_rate=1.0), seed=3)
    result = read_batch([tmp_path / "scans"], Home.open(home, create=False),
                        ReadOptions(workers=1))
    labels = {s.serial: s.fields["patient.etiquette"] for s in result.sheets}
    assert len(labels) == 2
    outcomes = []
    for sheet in truth.sheets:
        expected = sheet.fields["patient.etiquette"].value
        reading = labels[sheet.serial]
        assert expected is not None
        if reading.review:
            assert reading.reason == UNREAD and reading.value is None
            outcomes.append("review")
        else:
            assert reading.value == expected, (sheet.serial, reading)
            outcomes.append("read")
    assert "review" in outcomes  # this scan really defeats the barcode of one sticker
