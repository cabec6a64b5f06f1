"""Blank forms of one centre, printed by one establishment, for the simulator to fill."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bordereau.establishment import Establishment
from bordereau.forms.centre import LoadedCentre
from bordereau.forms.generate import GenerationResult
from bordereau.forms.manifest import Layout
from bordereau.home import Home


@dataclass(frozen=True)
class Printer:
    """Prints through :meth:`Establishment.print_forms`, exactly as ``forms generate``."""

    establishment: Establishment
    centre_file: Path

    @classmethod
    def open(cls, centre_file: Path, home: Path) -> Printer:
        """The establishment of ``home`` (created if need be) and one centre file."""
        return cls(Establishment(Home.open(home)), centre_file)

    @property
    def home(self) -> Home:
        return self.establishment.home

    @property
    def centre(self) -> LoadedCentre:
        return self.establishment.centre(self.centre_file)

    def layout(self, kind: str) -> Layout:
        return self.establishment.layout(self.centre_file, kind)

    def generate(self, kind: str, copies: int, output: Path) -> GenerationResult:
        return self.establishment.print_forms(self.centre_file, kind, copies, output)
