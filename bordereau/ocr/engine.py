"""The OCR engine the readers use, and how a worker process gets one.

"Engine" covers Tesseract only: it is the one external program whose output depends on
its version and its models, and the slowest part of reading a page. The digit and letter
networks (numpy, shipped weights) and the barcode decoder (zxing-cpp) are deterministic
and fast, so they always run for real.

Engines hold native objects and cannot be sent to another process, so a batch carries an
:class:`EngineSpec` (a small picklable description) in its reading options, and each
worker process makes its engine from it (``ocr.engines.make_engine``):

- ``tesseract``: Tesseract in process (``ocr.tesseract``), the default;
- ``null``: reads nothing (tests of other stages, machines without Tesseract);
- ``replay``: answers from a recording keyed by a hash of each crop (``ocr.replay``),
  so tests read exactly the same values every time, without Tesseract's cost. See
  ``docs/testing.md`` for how recordings are made and refreshed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

REPLAY_VAR = "BORDEREAU_OCR_REPLAY"  # a recording file: replay it instead of Tesseract
RECORD_VAR = "BORDEREAU_OCR_RECORD"  # "1": crops missing from the recording are recorded

EngineKind = Literal["tesseract", "null", "replay"]


class Symbol(NamedTuple):
    """One recognised character and where it is in the line image (pixels)."""

    text: str
    confidence: float  # 0..1
    x0: int
    x1: int


class OcrEngine(Protocol):
    """What the readers need from an OCR engine."""

    name: str

    def read_line(self, image: np.ndarray, whitelist: str) -> list[Symbol]: ...

    def read_block(self, image: np.ndarray) -> str: ...

    def read_char(self, image: np.ndarray, whitelist: str) -> tuple[str, float]: ...


class NullEngine:
    """Reads nothing (tests of other stages, machines without Tesseract)."""

    name = "aucun"

    def read_line(self, image: np.ndarray, whitelist: str) -> list[Symbol]:
        return []

    def read_block(self, image: np.ndarray) -> str:
        return ""

    def read_char(self, image: np.ndarray, whitelist: str) -> tuple[str, float]:
        return "", 0.0


class EngineSpec(BaseModel):
    """Which engine the workers of a batch make (picklable; part of ``ReadOptions``)."""

    model_config = ConfigDict(frozen=True)

    kind: EngineKind = "tesseract"
    recording: Path | None = None  # replay: the recording file
    record: bool = False  # replay: read missing crops with Tesseract and add them

    @model_validator(mode="after")
    def _recording_for_replay(self) -> EngineSpec:
        if (self.kind == "replay") != (self.recording is not None):
            raise ValueError("a recording file goes with the replay engine, and only with it")
        return self

    @classmethod
    def replay(cls, recording: Path, record: bool | None = None) -> EngineSpec:
        """Replay a recording; ``record`` None: record when $BORDEREAU_OCR_RECORD is 1."""
        if record is None:
            record = os.environ.get(RECORD_VAR) == "1"
        return cls(kind="replay", recording=recording, record=record)

    @classmethod
    def from_environment(cls) -> EngineSpec:
        """Tesseract, or the replay of $BORDEREAU_OCR_REPLAY when it is set (tests)."""
        recording = os.environ.get(REPLAY_VAR)
        return cls.replay(Path(recording)) if recording else cls()
