"""The pages of a simulated batch on their way to files: each side of paper with its truth,
lost and late pages, files written in order, a corrupted copy (``simulate.batch``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bordereau.simulate import extras as ex
from bordereau.simulate.scanfile import ScanFormat, write_scan
from bordereau.simulate.truth import FileTruth, PageTruth, SheetTruth

SUFFIX = {"pdf": ".pdf", "tiff": ".tif", "png": ".png", "jpeg": ".jpg"}


@dataclass(eq=False)
class Page:
    image: npt.NDArray[np.uint8]
    truth: PageTruth
    late: bool = False


@dataclass(eq=False)
class Physical:
    """One sheet of paper as it goes through the scanner: its front and maybe its back."""

    sides: list[Page] = field(default_factory=list)


def file_order(files: list[FileTruth], name: str) -> int:
    return next(i for i, f in enumerate(files) if f.file == name)


def missing_pages(
    sheets: list[SheetTruth], physical: list[Physical], lost: bool, late: bool,
    rng: random.Random,
) -> None:
    """Drop one page of a multi-page sheet (lost) and/or hold one back to the last file
    (late), on different sheets when there are several."""
    multi = [s for s in sheets if s.pages > 1]
    if not multi:
        return
    rng.shuffle(multi)
    cases = [c for c, wanted in (("lost", lost), ("late", late)) if wanted]
    for n, case in enumerate(cases):
        sheet = multi[n % len(multi)]
        taken = set(sheet.pages_missing + sheet.pages_late)
        free = [p for p in range(2, sheet.pages + 1) if p not in taken]
        if not free:
            continue
        number = rng.choice(free)
        sides = next(
            s
            for s in physical
            if s.sides[0].truth.serial == sheet.serial and s.sides[0].truth.page == number
        )
        if case == "lost":
            physical.remove(sides)
            sheet.pages_missing.append(number)
        else:
            sheet.pages_late.append(number)
            for side in sides.sides:
                side.late = True
                side.truth.conditions.append("late")


def write_files(
    physical: list[Physical],
    out_dir: Path,
    fmt: ScanFormat,
    dpi: float,
    count: int,
    prefix: str,
    rng: random.Random,
) -> list[FileTruth]:
    """Split the pages into ``count`` files in order (late pages go to the last one)."""
    sides = [p for s in physical for p in s.sides]
    late = [p for p in sides if p.late]
    main = [p for p in sides if not p.late]
    count = max(count, 2 if late else 1)
    chunks: list[list[Page]] = [[] for _ in range(count)]
    per = -(-len(main) // (count - 1 if late else count)) if main else 1
    for n, page in enumerate(main):
        chunks[min(n // per, count - 1)].append(page)
    chunks[-1].extend(late)
    files: list[FileTruth] = []
    kind = fmt.split("-")[0]
    for number, chunk in enumerate(chunks, start=1):
        if not chunk:
            continue
        target = out_dir / f"{prefix}-{number:02d}{SUFFIX[kind]}"
        written = write_scan([p.image for p in chunk], target, fmt, dpi)
        single = kind in {"png", "jpeg"}  # one file per page
        for index, page in enumerate(chunk):
            path = written[index] if single else written[0]
            page.truth = page.truth.model_copy(
                update={
                    "file": path.relative_to(out_dir).as_posix(),
                    "index": 0 if single else index,
                }
            )
        for path in written:
            n = 1 if single else len(chunk)
            files.append(
                FileTruth(file=path.relative_to(out_dir).as_posix(), fmt=fmt, pages=n, dpi=dpi)
            )
    return files


def corrupted(out_dir: Path, source: FileTruth, prefix: str, rng: random.Random) -> FileTruth:
    path = out_dir / source.file
    target = path.with_name(f"{prefix}-corrupt{path.suffix}")
    ex.corrupt_copy(path, target, rng)
    return FileTruth(
        file=target.relative_to(out_dir).as_posix(),
        fmt=source.fmt,
        pages=0,
        dpi=source.dpi,
        corrupted=True,
    )
