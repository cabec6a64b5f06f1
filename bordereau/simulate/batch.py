"""A whole simulated scan batch: blank forms printed, filled, scanned, written, with truth.

:func:`make_batch` prints signed blank forms through ``Establishment.print_forms`` (so the
reader can verify them with the same home), plans and draws answers on each page, passes each page
through a scanner profile, writes scan files with ``scanfile.write_scan`` and returns (and
writes) the :class:`BatchTruth` as ``truth.json``.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Generator, Iterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from bordereau.forms.codes import format_serial, page_code, sheet_name
from bordereau.forms.manifest import Layout
from bordereau.forms.model import FormKind
from bordereau.simulate import extras as ex
from bordereau.simulate.batch_files import (
    Page,
    Physical,
    corrupted,
    file_order,
    missing_pages,
    write_files,
)
from bordereau.simulate.degrade import blank_back, scan
from bordereau.simulate.fill import fill_page, render_pages
from bordereau.simulate.handwriting import Writer, random_writer
from bordereau.simulate.legibility import lost_fields
from bordereau.simulate.printer import Printer
from bordereau.simulate.profiles import ScanProfile, get_profile, random_profile
from bordereau.simulate.scanfile import BILEVEL_FORMATS, ScanFormat
from bordereau.simulate.truth import (
    BatchTruth,
    PageTruth,
    ScanParams,
    SheetTruth,
    Split,
)
from bordereau.simulate.values import FillOptions, plan_sheet


class Extras(BaseModel):
    """Deliberate special cases to add to a batch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    late_page: bool = False  # one page of a sheet only in the last file
    lost_page: bool = False  # one page of a sheet never scanned
    foreign_page: bool = False  # a page printed by another establishment
    tampered_page: bool = False  # a page whose QR claims another serial with the old tag
    not_a_form: bool = False  # a typed letter
    corrupted_file: bool = False  # an extra file cut short
    files: int = Field(1, ge=1)  # how many scan files the pages are split into
    show_through: float = Field(0.05, ge=0, le=0.3)  # duplex backs


class _Batch:
    def __init__(
        self,
        forms: Printer,
        out_dir: Path,
        work: Path,
        rng: random.Random,
        split: Split,
        dpi: float,
        today: date,
        fill: FillOptions,
        bilevel: bool = False,
        writer: Writer | None = None,
        style: str | None = None,
    ) -> None:
        self.forms, self.out_dir, self.work, self.rng = forms, out_dir, work, rng
        self.style = style  # each sheet's writer writes in this font family only
        self.split, self.dpi, self.today, self.fill = split, dpi, today, fill
        self.bilevel = bilevel  # the scan files are black and white (G4, JBIG2)
        self.writer = writer  # one writer for every sheet (else a new one per sheet)
        self.renders: list[Generator[npt.NDArray[np.uint8], None, None]] = []

    def close(self) -> None:
        """Close the blank PDFs still being rendered."""
        for render in self.renders:
            render.close()

    def blank(
        self, kind: str, copies: int, forms: Printer | None = None, name: str = ""
    ) -> tuple[Layout, range, Iterator[npt.NDArray[np.uint8]]]:
        """Print ``copies`` blank sheets and return their layout, serials and page images."""
        forms = forms or self.forms
        pdf = self.work / f"{name or kind}.pdf"
        result = forms.generate(kind, copies, pdf)
        self.renders.append(render_pages(pdf, self.dpi))
        return forms.layout(kind), result.serials, self.renders[-1]

    def sheet(
        self,
        layout: Layout,
        serial: int,
        pages: Iterator[npt.NDArray[np.uint8]],
        profile: ScanProfile,
        establishment: str,
        shuffle: bool,
        duplex: bool,
        show: float,
    ) -> tuple[SheetTruth, list[Physical]]:
        rng = self.rng
        answers, anomalies, _ = plan_sheet(
            layout, self.forms.centre.centre, rng, today=self.today, options=self.fill
        )
        writer = self.writer or random_writer(rng, self.split, self.style)
        physical: list[Physical] = []
        for number in range(1, layout.form.pages + 1):
            image = next(pages)
            blank = image.copy()
            fill_page(image, layout, number, answers, writer, rng, self.dpi)
            params = profile.sample(rng)
            if shuffle:
                params = params.model_copy(update={"rotation": rng.choice((0, 90, 180, 270))})
            seed = rng.getrandbits(31)
            for field_id in lost_fields(layout, number, answers, blank, image, params, seed,
                                        self.dpi, self.bilevel):
                answers[field_id] = answers[field_id].model_copy(update={"expect": "lost"})
            truth = PageTruth(
                file="",
                index=0,
                state="read",
                serial=sheet_name(layout.form.kind, serial),
                page=number,
                kind=layout.form.kind,
            )
            sheet = Physical([self.scanned(image, params, truth, seed=seed)])
            if duplex:
                back = blank_back(image, show, rng.getrandbits(31))
                back_params = params.model_copy(update={"cut_corner": None})
                sheet.sides.append(
                    self.scanned(
                        back,
                        back_params,
                        truth.model_copy(update={"state": "blank", "side": "back"}),
                        back=True,
                    )
                )
            physical.append(sheet)
        sheet_truth = SheetTruth(
            serial=sheet_name(layout.form.kind, serial),
            kind=layout.form.kind,
            version=layout.form.version,
            site=layout.form.centre.site_code,
            layout_id=layout.form.layout_id,
            establishment=establishment,
            pages=layout.form.pages,
            split=self.split,
            writer=writer.info(),
            fields=answers,
            anomalies=anomalies,
        )
        return sheet_truth, physical

    def scanned(
        self,
        image: npt.NDArray[np.uint8],
        params: ScanParams,
        truth: PageTruth,
        back: bool = False,
        seed: int | None = None,
    ) -> Page:
        seed = self.rng.getrandbits(31) if seed is None else seed
        out, matrix = scan(image, params, seed, back=back)
        conditions = list(truth.conditions)
        if params.cut_corner:
            conditions.append("marker_missing")
        if params.rotation:
            conditions.append(f"rotated_{params.rotation}")
        transform = None if back or truth.reason == "not_a_form" else matrix.round(6).tolist()
        return Page(
            out,
            truth.model_copy(
                update={"scan": params, "conditions": conditions, "transform": transform}
            ),
        )


def make_batch(
    centre_yaml: Path,
    home: Path,
    out_dir: Path,
    *,
    sheets: int,
    kinds: Sequence[FormKind] = ("initiale", "suivi"),
    split: Split,
    profile: str | None,
    fmt: ScanFormat | None = None,
    duplex: bool = False,
    shuffle: bool = False,
    seed: int = 0,
    extras: Extras | None = None,
    fill: FillOptions | None = None,
    dpi: float | None = None,
    today: date | None = None,
    prefix: str = "scan",
    writer: Writer | None = None,
    style: str | None = None,
) -> BatchTruth:
    """Simulate ``sheets`` filled sheets scanned into ``out_dir``; write ``truth.json``.

    ``profile`` names a preset of ``profiles.PRESETS``; None draws a random profile per
    sheet (all at one dpi). ``fmt`` defaults to the profile's format. The blank forms are
    printed with the establishment ``home``, whose secret the reader needs to verify them.
    ``writer`` fills every sheet (one person's handwriting), else each sheet has its own;
    ``style`` (a font family, ``handwriting.font_style``) restricts those writers' letters
    and digits to that family's fonts.
    """
    extras = extras or Extras()
    rng = random.Random(seed)
    today = today or date.today()
    forms = Printer.open(centre_yaml, home)
    preset = get_profile(profile) if profile else None
    dpi = dpi or (preset.dpi if preset else rng.choice((150.0, 200.0, 300.0)))
    if preset is not None and preset.dpi != dpi:
        preset = preset.model_copy(update={"dpi": dpi})
    fmt = fmt or (preset.fmt if preset else "pdf-jpeg")  # type: ignore[assignment]
    assert fmt is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    establishment = forms.home.establishment
    sheet_truths: list[SheetTruth] = []
    physical: list[Physical] = []
    with tempfile.TemporaryDirectory(prefix="bordereau-sim-") as tmp:
        batch = _Batch(forms, out_dir, Path(tmp), rng, split, dpi, today, fill or FillOptions(),
                       bilevel=fmt in BILEVEL_FORMATS, writer=writer, style=style)

        def profile_for() -> ScanProfile:
            return preset or random_profile(rng, dpi)

        order = [kinds[i % len(kinds)] for i in range(sheets)]
        blanks = {k: batch.blank(k, order.count(k)) for k in dict.fromkeys(order)}
        next_serial = {k: iter(blanks[k][1]) for k in blanks}
        for kind in order:
            layout, _, pages = blanks[kind]
            truth, sides = batch.sheet(
                layout,
                next(next_serial[kind]),
                pages,
                profile_for(),
                establishment,
                shuffle,
                duplex,
                extras.show_through,
            )
            sheet_truths.append(truth)
            physical.extend(sides)
        if extras.lost_page or extras.late_page:
            missing_pages(sheet_truths, physical, extras.lost_page, extras.late_page, rng)
        special = _special_pages(batch, forms, extras, profile_for(), establishment, home)
        for page in special:
            physical.insert(rng.randint(0, len(physical)), Physical([page]))
        if shuffle:
            rng.shuffle(physical)
        files = write_files(physical, out_dir, fmt, dpi, extras.files, prefix, rng)
        if extras.corrupted_file and files:
            files.append(corrupted(out_dir, files[0], prefix, rng))
        batch.close()
    page_truths = [p.truth for s in physical for p in s.sides]
    page_truths += [
        PageTruth(file=f.file, index=None, state="refused", reason="corrupted_file")
        for f in files
        if f.corrupted
    ]
    batch_truth = BatchTruth(
        centre=str(centre_yaml),
        home=str(home),
        seed=seed,
        split=split,
        profile=profile,
        fmt=fmt,
        duplex=duplex,
        shuffle=shuffle,
        today=today.isoformat(),
        sheets=sheet_truths,
        pages=sorted(page_truths, key=lambda p: (file_order(files, p.file), p.index or 0)),
        files=files,
    )
    (out_dir / "truth.json").write_text(batch_truth.model_dump_json(indent=1), encoding="utf-8")
    return batch_truth


def _special_pages(
    batch: _Batch,
    forms: Printer,
    extras: Extras,
    profile: ScanProfile,
    establishment: str,
    home: Path,
) -> list[Page]:
    rng, pages = batch.rng, []
    clean = profile.model_copy(update={"cut_corner": False})
    if extras.foreign_page:
        other_home = batch.work / "other-home"
        other_home.mkdir()
        (other_home / "secret.key").write_text(f"{rng.getrandbits(256):064x}")  # reproducible
        other = Printer.open(forms.centre_file, other_home)
        layout, serials, images = batch.blank("suivi", 1, other, name="foreign")
        _, sides = batch.sheet(
            layout, serials.start, images, clean, other.home.establishment, False, False, 0.0
        )
        page = sides[0].sides[0]
        page.truth = page.truth.model_copy(
            update={"state": "refused", "reason": "foreign_establishment"}
        )
        pages.append(page)
    if extras.tampered_page:
        layout, serials, images = batch.blank("suivi", 1, name="tampered")
        image = next(images)
        code = page_code(layout, establishment, forms.home.secret, serials.start, 1)
        forged = ex.tampered_code(code, rng)
        ex.redraw_codes(image, layout, 1, forged.payload(), batch.dpi)
        forged_truth = PageTruth(
            file="",
            index=0,
            state="refused",
            reason="tampered_code",
            serial=format_serial(serials.start),
            page=1,
            kind=layout.form.kind,
            conditions=[f"claims_serial_{format_serial(forged.serial)}"],
        )
        pages.append(batch.scanned(image, clean.sample(rng), forged_truth))
    if extras.not_a_form:
        letter = PageTruth(file="", index=0, state="refused", reason="not_a_form")
        pages.append(batch.scanned(ex.letter_page(batch.dpi, rng), clean.sample(rng), letter))
    return pages


