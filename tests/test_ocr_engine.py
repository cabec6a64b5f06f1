"""The OCR engine behind the readers: chosen per batch, replayed exactly from a recording,
recorded once with real Tesseract, and loud when a crop is missing from its recording."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydantic import ValidationError

from bordereau.home import Home
from bordereau.ocr.engine import RECORD_VAR, REPLAY_VAR, EngineSpec, NullEngine
from bordereau.ocr.engines import make_engine
from bordereau.ocr.pipeline import ReadOptions, read_batch
from bordereau.ocr.replay import ReplayEngine, ReplayMissError
from bordereau.ocr.tesseract import LETTERS
from tests.conftest import RECORDINGS, SAMPLES, replay, run_cli

BUREAU = SAMPLES / "scans" / "lyon-os" / "bureau-jpeg"


def line_image(text: str) -> np.ndarray:
    font = ImageFont.truetype("DejaVuSans.ttf", 40)
    image = Image.new("L", (60 + 34 * len(text), 80), 255)
    ImageDraw.Draw(image).text((20, 15), text, font=font, fill=0)
    return np.array(image)


@pytest.fixture
def sample_home(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / "home", tmp_path / "home")
    return tmp_path / "home"


def test_recording_once_then_replaying_gives_the_same_answers(tmp_path: Path) -> None:
    recording = tmp_path / "rec.json"
    image = line_image("DUPONT")
    recorder = ReplayEngine(recording, record=True)
    recorded = recorder.read_line(image, LETTERS)
    assert "".join(s.text for s in recorded) == "DUPONT"  # real Tesseract read it
    assert recorder.read_block(image).strip() == "DUPONT"
    data = json.loads(recording.read_text())
    assert data["format"] == 1 and data["engine"].startswith("tesseract ")
    assert sorted(e["call"] for e in data["entries"].values()) == ["block", "line"]
    replayer = ReplayEngine(recording)
    assert replayer.read_line(image, LETTERS) == recorded
    assert replayer.read_block(image).strip() == "DUPONT"
    with pytest.raises(ReplayMissError, match="BORDEREAU_OCR_RECORD=1"):
        replayer.read_line(image, LETTERS + "-")  # another whitelist is another call
    with pytest.raises(ReplayMissError, match=r"image absente \(line, clé "):
        replayer.read_line(line_image("DURAND"), LETTERS)


def test_two_recorders_at_once_keep_both_entries(tmp_path: Path) -> None:
    recording = tmp_path / "rec.json"
    first, second = ReplayEngine(recording, True), ReplayEngine(recording, True)
    first.read_line(line_image("MARTIN"), LETTERS)
    second.read_line(line_image("PETIT"), LETTERS)  # knows nothing of the first's entry
    assert len(ReplayEngine(recording).entries) == 2


def test_a_crop_missing_from_the_recording_stops_the_batch_instead_of_refusing_a_page(
    sample_home: Path, tmp_path: Path,
) -> None:
    spec = EngineSpec.replay(tmp_path / "empty.json", record=False)
    with pytest.raises(ReplayMissError):
        read_batch([BUREAU], Home.open(sample_home, create=False), ReadOptions(workers=1,
                                                                                engine=spec))
    result = run_cli(["scan", "read", str(BUREAU), "--home", str(sample_home), "--workers", "1"],
                     env={REPLAY_VAR: str(tmp_path / "empty.json")})
    assert result.exit_code == 11
    assert result.stderr.startswith("Erreur : Enregistrement OCR ")


def test_the_null_engine_reads_no_text_but_everything_else(sample_home: Path) -> None:
    home = Home.open(sample_home, create=False)
    null = read_batch([BUREAU], home, ReadOptions(workers=1, engine=EngineSpec(kind="null")))
    replayed = read_batch([BUREAU], home, ReadOptions(workers=1, engine=replay("samples")))
    label, replayed_label = (r.sheets[0].fields["patient.etiquette"] for r in (null, replayed))
    assert label.details["text"] == "" and replayed_label.details["text"] != ""
    assert label.value == replayed_label.value  # the IPP comes from the barcode
    marks = {k: f.value for k, f in replayed.sheets[0].fields.items() if f.kind == "single_choice"}
    assert marks and marks == {k: null.sheets[0].fields[k].value for k in marks}


def test_an_engine_is_chosen_per_batch_and_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(RECORD_VAR, raising=False)
    assert isinstance(make_engine(EngineSpec(kind="null")), NullEngine)
    assert ReadOptions().engine == EngineSpec(kind="tesseract")
    monkeypatch.setenv(REPLAY_VAR, str(RECORDINGS / "samples.json"))
    assert ReadOptions().engine == EngineSpec.replay(RECORDINGS / "samples.json", record=False)
    monkeypatch.setenv(RECORD_VAR, "1")
    assert ReadOptions().engine.record
    with pytest.raises(ValidationError):
        EngineSpec(kind="replay")
    with pytest.raises(ValidationError):
        EngineSpec(kind="null", recording=Path("x.json"))
