"""The input paths of a command: one error for a missing one, and how files are named.

Files are reported relative to the deepest folder that holds every path given on the
command line: ``scan read scans/`` names ``lyon/lot-1/scan-01.pdf`` and
``marseille/lot-1/scan-01.pdf``, never twice ``scan-01.pdf``; ``scan read a.pdf b/a.pdf``
names ``a.pdf`` and ``b/a.pdf``. The same name places the ``--debug`` images in sub-folders.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from bordereau.errors import missing_input


def require_inputs(paths: Sequence[Path]) -> None:
    """Raise the one French error (exit code 3) when a path given does not exist."""
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise missing_input(missing)


class InputNames:
    """Name input files relative to the deepest folder holding every path given."""

    def __init__(self, given: Sequence[Path]) -> None:
        anchors = [_absolute(p if p.is_dir() else p.parent) for p in given]
        self.base = os.path.commonpath(anchors) if anchors else str(Path.cwd())

    def __call__(self, file: Path) -> str:
        return Path(os.path.relpath(_absolute(file), self.base)).as_posix()


def _absolute(path: Path) -> str:
    """The absolute path, ``..`` resolved by name only (a symlinked folder keeps its name)."""
    return os.path.normpath(path.absolute())
