"""The forms library object the CLI opens: one centre file, one establishment home."""

from __future__ import annotations

from pathlib import Path

from bordereau.errors import UsageError
from bordereau.forms.centre import LoadedCentre, load_centre
from bordereau.forms.generate import GenerationResult, check_output, generate
from bordereau.forms.layout import build_layout
from bordereau.forms.manifest import Layout
from bordereau.forms.model import load_form
from bordereau.home import Home


class Forms:
    """Build layouts and print forms for one centre of one establishment."""

    def __init__(self, centre: LoadedCentre, home: Home | None = None) -> None:
        self.centre = centre
        self._home = home

    @classmethod
    def open(cls, centre_file: Path, home: Path | None = None) -> Forms:
        """Read and validate the centre file; the home is opened when first needed."""
        loaded = load_centre(centre_file)
        return cls(loaded, Home.open(home) if home is not None else None)

    @property
    def home(self) -> Home:
        if self._home is None:
            self._home = Home.open()
        return self._home

    def layout(self, kind: str) -> Layout:
        """The layout manifest of this kind of form for this centre."""
        return build_layout(kind, self.centre)

    def generate(self, kind: str, copies: int, output: Path) -> GenerationResult:
        """Print ``copies`` signed sheets to ``output`` and keep the snapshot in the home."""
        load_form(kind)
        if copies < 1:
            raise UsageError("Le nombre d’exemplaires doit être au moins 1.")
        check_output(output)
        layout = self.layout(kind)
        self.home.save_snapshot(self.centre, layout)
        return generate(layout, self.home, copies, output)
