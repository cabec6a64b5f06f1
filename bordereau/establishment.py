"""One establishment: its home (secret, serials, centre files, layouts) and its base.

Every command opens an :class:`Establishment` and calls one of its methods; Python code
uses it the same way::

    from pathlib import Path
    from bordereau.establishment import Establishment

    est = Establishment(Path("~/bordereau").expanduser())
    est.print_forms(Path("lyon-os.yaml"), "initiale", copies=50, output=Path("fiches.pdf"))
    report = est.ingest([Path("scans/")])
    for item in est.review_items():
        est.accept(item.id)
    est.export_cda(Path("envoi/"))

The home and the base are opened on first use, so a method fails with the same French
error, at the same moment, as the command that calls it. The objects below it (``Home``,
``Database``, ``Ingestor``, ``Queue``, ``CdaExporter``, the reading pipeline) stay
usable on their own.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bordereau.base import queries
from bordereau.base.adapt import Adaptation, adapt_digits
from bordereau.base.engine import Database
from bordereau.base.incomplete import IncompleteSheet, incomplete
from bordereau.base.ingest import Ingestor, IngestReport
from bordereau.base.people import check_name
from bordereau.base.scan_queue import LEASE, ScanWorker, SubmittedFile, submit
from bordereau.base.verify import Verification, verify
from bordereau.base.watch import HotFolder
from bordereau.errors import InputError, UsageError
from bordereau.files import check_output, write_file
from bordereau.forms.centre import LoadedCentre, load_centre
from bordereau.forms.manifest import Layout
from bordereau.forms.model import annex_kinds_of, load_form
from bordereau.home import Home
from bordereau.ocr.adapt import revert
from bordereau.ocr.inputs import require_inputs
from bordereau.ocr.pipeline import Progress, ReadOptions, ReadResult, read_batch
from bordereau.review.queue import Decision, Item, Queue

if TYPE_CHECKING:  # printing and exports import their own libraries when used: the
    # reading processes forked by an ingest then inherit none of reportlab, pypdf, lxml, jinja2
    from bordereau.export.batch import CdaExportReport
    from bordereau.forms.generate import GenerationResult
    from bordereau.review.app import ReviewApp


def user_name(explicit: str | None = None) -> str:
    """Who is working: the option, else $BORDEREAU_REVIEWER, else the login name (checked:
    it goes into the audit)."""
    return check_name(explicit or os.environ.get("BORDEREAU_REVIEWER") or getpass.getuser())


class Establishment:
    """The home and the base of one establishment, and everything done with them.

    ``home``: a folder (else ``$BORDEREAU_HOME``, else the user's data folder) or an opened
    :class:`Home`; ``base``: a database URL (else ``$BORDEREAU_BASE``, else SQLite in the
    home) or an opened :class:`Database`; ``user``: who works (recorded with every file
    ingested, decision and export; else ``$BORDEREAU_REVIEWER``, else the login name).
    """

    def __init__(self, home: Path | Home | None = None, base: str | Database | None = None,
                 *, user: str | None = None, today: dt.date | None = None) -> None:
        self._home = home if isinstance(home, Home) else None
        self._home_path = home if not isinstance(home, Home) else home.root
        self._base = base if isinstance(base, Database) else None
        self._base_url = base if isinstance(base, str) else None
        self.user = user_name(user)
        self.today = today
        self._centres: dict[Path, LoadedCentre] = {}
        self.withheld = 0  # patients the last tabular export left out (changed outside)

    # -- the home and the base, opened on first use -------------------------------------
    @property
    def home(self) -> Home:
        """The home, which must exist (its secret verifies and binds everything)."""
        if self._home is None:
            self._home = Home.open(self._home_path, create=False)
        return self._home

    @property
    def base(self) -> Database:
        """The base of this establishment, created and migrated if needed."""
        if self._base is None:
            self._base = Database.open(self.home, self._base_url)
        return self._base

    # -- forms ---------------------------------------------------------------------------
    def centre(self, centre_file: Path) -> LoadedCentre:
        """A centre file, read and validated once."""
        if centre_file not in self._centres:
            self._centres[centre_file] = load_centre(centre_file)
        return self._centres[centre_file]

    def layout(self, centre_file: Path, kind: str) -> Layout:
        """The layout manifest of this kind of form for this centre (no home needed)."""
        from bordereau.forms.layout import build_layout

        return build_layout(kind, self.centre(centre_file))

    def print_forms(self, centre_file: Path, kind: str, copies: int,
                    output: Path, annexes: Sequence[str] = (),
                    fillable: bool = False) -> GenerationResult:
        """Print ``copies`` signed sheets to ``output``; the home (created if need be)
        reserves their serials and keeps the centre file and the layout. ``annexes``
        (names of :data:`ANNEXES`) are printed after each fiche initiale, same serial; with
        ``fillable``, the pages carry form fields to fill on screen (no annex yet)."""
        centre = self.centre(centre_file)
        load_form(kind)
        annex_kinds = annex_kinds_of(kind, annexes)
        if fillable and annex_kinds:  # said before any serial is reserved
            raise UsageError("Les annexes ne sont pas encore disponibles en PDF à remplir à "
                             "l’écran : générer les annexes sans --fillable.")
        if copies < 1:
            raise UsageError("Le nombre d’exemplaires doit être au moins 1.")
        check_output(output, ".pdf")
        if self._home is None:
            self._home = Home.open(self._home_path)
        home = self._home
        from bordereau.forms.layout import build_layout

        layout = build_layout(kind, centre)
        home.save_snapshot(centre, layout)
        annex_layouts = [build_layout(annex, centre) for annex in annex_kinds]
        for annex_layout in annex_layouts:
            home.save_snapshot(centre, annex_layout)
        secret = home.secret
        serials = home.reserve_serials(copies)
        from bordereau.forms.generate import generate

        result = generate(layout, secret, serials, output, annex_layouts, fillable)
        home.record_issue(layout, serials, output)
        for annex_layout in annex_layouts:
            home.record_issue(annex_layout, serials, output)
        return result

    # -- reading and ingesting -------------------------------------------------------------
    def read(self, paths: Sequence[Path], options: ReadOptions | None = None,
             progress: Progress | None = None) -> ReadResult:
        """Read every page of the given files and folders; nothing is stored."""
        require_inputs(paths)
        return read_batch(paths, self.home, options, progress)

    def ingest(self, paths: Sequence[Path], workers: int | None = None,
               progress: Progress | None = None) -> IngestReport:
        """Read scans and store them: files, pages, sheets, readings; commit what is sure."""
        return Ingestor(self.base, self.user, self.today).ingest(paths, workers, progress)

    def hot_folder(self, folder: Path, workers: int | None = None, interval: float = 2.0,
                   settle: float = 5.0) -> HotFolder:
        """A scanner's hot folder feeding this establishment's base (``scan watch``)."""
        if not folder.is_dir():
            raise InputError(f"Dossier surveillé introuvable : {folder}.")
        return HotFolder(folder, Ingestor(self.base, self.user, self.today), workers,
                         interval, settle)

    def submit(self, paths: Sequence[Path]) -> list[SubmittedFile]:
        """Queue scans in the shared PostgreSQL base for the workers (``scan submit``)."""
        return submit(self.base, paths, self.user)

    def scan_worker(self, workers: int | None = None,
                    lease: dt.timedelta = LEASE) -> ScanWorker:
        """A worker reading queued scans on this workstation (``scan worker``)."""
        return ScanWorker(Ingestor(self.base, self.user, self.today), workers, lease)

    def status(self, deep: bool = False) -> dict[str, Any]:
        """Pages and sheets by state, and the damaged copies of the scan store (checked by
        size, by hash with ``deep``): the ``scan status --json`` object."""
        return queries.status(self.base, deep)

    # -- review ------------------------------------------------------------------------------
    @cached_property
    def queue(self) -> Queue:
        """The review queue, seen by this establishment's user."""
        return Queue(self.base, self.user, today=self.today)

    @cached_property
    def transcription_queue(self) -> Queue:
        """The opt-in queue of handwritten comments kept as images, to transcribe."""
        return Queue(self.base, self.user, today=self.today, transcribe=True)

    def review_items(self, status: str | None = "pending", field_id: str | None = None,
                     serial: str | None = None, transcribe: bool = False) -> list[Item]:
        """Items to review (``status`` None: all), by sheet then confidence; ``transcribe``:
        the comments kept as images instead."""
        queue = self.transcription_queue if transcribe else self.queue
        return queue.items(status, field_id, serial)

    def review_item(self, item_id: int) -> tuple[Item, bytes | None]:
        """One item and the PNG crop of the scan it was read from."""
        item = self.queue.get(item_id)
        crop, _ = self.queue.images(item_id)
        return item, crop

    def accept(self, item_id: int) -> Decision:
        """Keep the machine's reading of an item (audited)."""
        return self.queue.accept(item_id)

    def correct(self, item_id: int, value: str) -> Decision:
        """Set the right value of an item, validated first (audited)."""
        return self.queue.set(item_id, value)

    def review_app(self, transcribe: bool = False, answers: bool = False) -> ReviewApp:
        """The keyboard review application on this establishment's queue (or on the
        comments to transcribe, or on the clinician's answers to enter)."""
        from bordereau.review.app import ReviewApp

        return ReviewApp(self.transcription_queue if transcribe else self.queue,
                         answers=answers)

    def incomplete(self, referent: str | None = None) -> list[IncompleteSheet]:
        """The sheets waiting for a clinician's answer (« à compléter »), per referent."""
        return incomplete(self.base, referent)

    def comment_images(self, record: dict[str, Any], folder: Path) -> dict[int, str]:
        """Write a record's handwritten comments (PNG, owner-only) into ``folder``."""
        return queries.write_comment_images(self.base, record["images"], folder)

    # -- the digit model, adapted to this establishment's writers --------------------------
    def adapt_digits(self, min_cells: int | None = None) -> Adaptation:
        """Refit the digit model on the reviewers' decisions and install it in the home
        only if it is no worse on the sheets held back (``models adapt``)."""
        if min_cells is None:
            return adapt_digits(self.base, self.home)
        return adapt_digits(self.base, self.home, min_cells=min_cells)

    def revert_digits(self) -> str | None:
        """Go back to the digit model the last adaptation replaced; the version now in use,
        None when no adapted model was installed (``models adapt --revert``)."""
        return revert(self.home.root)

    # -- records and exports -------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """Current records (the ``records list --json`` objects)."""
        return queries.list_records(self.base)

    def record(self, record_id: int) -> dict[str, Any]:
        """One record with its values (``records show --json``)."""
        return queries.show_record(self.base, record_id)

    def _untampered(self) -> frozenset[int]:
        """Patients changed outside bordereau (``base verify``): never exported; their
        number is kept in ``withheld``."""
        tampered = frozenset(self.verify().tampered_patients())
        self.withheld = len(tampered)
        return tampered

    def export_json(self) -> list[dict[str, Any]]:
        """Every current record's values (``records export --format json``), except
        those of patients changed outside bordereau (counted in ``withheld``)."""
        return queries.export_json(self.base, exclude_patients=self._untampered())

    def export_table(self, fmt: Literal["csv", "json"], deidentified: bool = False) -> bytes:
        """The tabular export (codes and French labels), as CSV or JSON bytes, except
        the records of patients changed outside bordereau (counted in ``withheld``)."""
        from bordereau.export.tabular import build_table, to_csv, to_json

        table = build_table(self.base, deidentified=deidentified,
                            exclude_patients=self._untampered())
        return to_csv(table) if fmt == "csv" else to_json(table)

    def export_cda(self, output: Path, since: dt.date | None = None,
                   everything: bool = False, validate: bool = True) -> CdaExportReport:
        """Write the CDA documents due into ``output`` and log them, each checked with the
        ANS conformance kit first unless ``validate`` is false."""
        from bordereau.export.batch import CdaExporter

        return CdaExporter(self.base, self.user, validate).export(output, since, everything)

    def verify(self) -> Verification:
        """Check the base for rows changed, added or removed outside bordereau."""
        return verify(self.base)

    def report(self, start: str | None = None, end: str | None = None,
               centre: str | None = None, output: Path | None = None) -> dict[str, Any]:
        """The activity indicators of a period (dates as typed: AAAA-MM-JJ or JJ/MM/AAAA),
        also written as a self-contained HTML page to ``output`` when given."""
        from bordereau.export.report import compute_report
        from bordereau.export.report_data import make_period
        from bordereau.export.report_html import render_html

        period = make_period(start, end)
        if output is not None:
            check_output(output)
        figures = compute_report(self.base, period, centre)
        if output is not None:
            write_file(output, render_html(figures).encode("utf-8"))
        return figures
