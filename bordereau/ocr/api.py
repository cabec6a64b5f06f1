"""The reading library object the CLI opens: one establishment home."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bordereau.home import Home
from bordereau.ocr.inputs import require_inputs
from bordereau.ocr.pipeline import Progress, ReadOptions, ReadResult, read_batch


class Reader:
    """Read scans of forms issued by one establishment."""

    def __init__(self, home: Home) -> None:
        self.home = home

    @classmethod
    def open(cls, home: Path | None = None) -> Reader:
        """Open an existing home (its secret verifies the page codes)."""
        return cls(Home.open(home, create=False))

    def read(self, paths: Sequence[Path], options: ReadOptions | None = None,
             progress: Progress | None = None) -> ReadResult:
        """Read every page of the given files and folders; nothing is stored."""
        require_inputs(paths)
        return read_batch(paths, self.home, options, progress)
