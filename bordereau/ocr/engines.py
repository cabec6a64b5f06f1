"""Make the OCR engine an :class:`~bordereau.ocr.engine.EngineSpec` describes (in the
process that will use it: a worker, or the caller when reading in process)."""

from __future__ import annotations

from bordereau.ocr.engine import EngineSpec, NullEngine, OcrEngine
from bordereau.ocr.replay import ReplayEngine
from bordereau.ocr.tesseract import default_engine


def make_engine(spec: EngineSpec) -> OcrEngine:
    """Tesseract (one per process), the null engine, or the replay of a recording."""
    if spec.kind == "null":
        return NullEngine()
    if spec.kind == "replay":
        assert spec.recording is not None
        return ReplayEngine(spec.recording, spec.record)
    return default_engine()
