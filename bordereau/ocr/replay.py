"""Replay recorded OCR output, keyed by a hash of each crop (tests).

A recording is a small JSON file: for each call the readers made (a line with its
whitelist, a block, a character), the SHA-256 of the call and its image, and what
Tesseract answered. Replaying it makes reading exact and fast: the same crop gives the
same answer on every machine, without Tesseract. A crop missing from the recording stops
the batch (:class:`ReplayMissError`) — unless the engine records, in which case real
Tesseract reads it and the answer is added to the file (several worker processes may
record at once: each addition is a locked read-merge-write). ``docs/testing.md`` says
when and how to refresh a recording.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from bordereau.errors import MissingToolError
from bordereau.ocr.engine import RECORD_VAR, OcrEngine, Symbol

FORMAT = 1


class ReplayMissError(MissingToolError):
    """A crop the recording does not hold (the reading code or the test data changed)."""


def crop_key(call: str, image: np.ndarray, whitelist: str = "") -> str:
    """The recording key of one engine call: its kind, whitelist, image shape and pixels."""
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    digest = hashlib.sha256(f"{call}\0{whitelist}\0{pixels.shape}\0".encode())
    digest.update(pixels.tobytes())
    return digest.hexdigest()


def load_recording(path: Path) -> dict[str, Any]:
    """The entries of a recording file ({} when it does not exist yet)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ReplayMissError(f"Enregistrement OCR {path} : format inconnu.")
    entries: dict[str, Any] = data["entries"]
    return entries


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"bordereau-ocr-{name}.lock"
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class ReplayEngine:
    """Answers from a recording; records what it lacks when ``record`` is set."""

    def __init__(self, recording: Path, record: bool = False) -> None:
        self.recording = recording
        self.record = record
        self.entries = load_recording(recording)
        self.name = "rejeu"
        self._real: OcrEngine | None = None

    def read_line(self, image: np.ndarray, whitelist: str) -> list[Symbol]:
        found = self._answer("line", image, whitelist,
                             lambda engine: [list(s) for s in engine.read_line(image, whitelist)])
        return [Symbol(str(t), float(c), int(x0), int(x1)) for t, c, x0, x1 in found]

    def read_block(self, image: np.ndarray) -> str:
        return str(self._answer("block", image, "", lambda engine: engine.read_block(image)))

    def read_char(self, image: np.ndarray, whitelist: str) -> tuple[str, float]:
        text, confidence = self._answer(
            "char", image, whitelist, lambda engine: list(engine.read_char(image, whitelist)))
        return str(text), float(confidence)

    def _answer(self, call: str, image: np.ndarray, whitelist: str, read: Any) -> Any:
        key = crop_key(call, image, whitelist)
        entry = self.entries.get(key)
        if entry is not None:
            return entry["result"]
        if not self.record:
            raise ReplayMissError(
                f"Enregistrement OCR {self.recording} : image absente ({call}, clé {key[:12]}). "
                f"Le code de lecture ou les données de test ont changé : réenregistrer avec "
                f"{RECORD_VAR}=1 (voir docs/testing.md).")
        if self._real is None:
            from bordereau.ocr.tesseract import default_engine

            self._real = default_engine()
        result = read(self._real)
        self._add(key, {"call": call, "whitelist": whitelist, "result": result})
        return result

    def _add(self, key: str, entry: dict[str, Any]) -> None:
        self.entries[key] = entry
        with _locked(self.recording):
            entries = load_recording(self.recording)
            entries.update({key: entry})
            self.entries.update(entries)
            assert self._real is not None
            self.recording.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.recording.with_name(f".{self.recording.name}.{os.getpid()}.tmp")
            tmp.write_text(_dumps(self._real.name, entries), encoding="utf-8")
            tmp.replace(self.recording)


def _dumps(engine: str, entries: dict[str, Any]) -> str:
    """The recording as JSON, one entry a line in key order (small, stable diffs)."""
    lines = [f"{json.dumps(k)}: {json.dumps(entries[k], ensure_ascii=False, sort_keys=True)}"
             for k in sorted(entries)]
    head = f'{{"format": {FORMAT}, "engine": {json.dumps(engine)}, "entries": {{\n'
    return head + ",\n".join(lines) + "\n}}\n"
