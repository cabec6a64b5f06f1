"""Make the bundled sample scans in ``samples/scans/`` (and their home in ``samples/home/``).

    .venv/bin/python scripts/make_sample_scans.py

Every sheet is filled with the held-out ("eval") glyph sources and printed by the fictitious
demo establishment whose home is ``samples/home`` (its secret is fixed below, so the script
is reproducible and the reader can verify the page codes). Both folders are rebuilt from
scratch; ``samples/scans/truth.json`` describes every sheet and every page.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from bordereau.simulate.batch import Extras, make_batch
from bordereau.simulate.truth import TruthSet

ROOT = Path(__file__).resolve().parent.parent
CENTRES = ROOT / "samples" / "centres"
HOME = ROOT / "samples" / "home"
SCANS = ROOT / "samples" / "scans"
TODAY = date(2026, 3, 2)
# A fictitious establishment for demos: its secret is public on purpose.
DEMO_SECRET = hashlib.sha256(b"bordereau demo establishment - not for real patients").hexdigest()

# (folder, make_batch options). Seeds are fixed: the output is the same on every run.
BATCHES: list[tuple[str, dict[str, Any]]] = [
    # A duplex pile of 3 fiches initiales and a fiche de suivi, fed any way round, scanned
    # bilevel (G4) into two files; one page of a sheet only arrives in the second file.
    (
        "recto-verso",
        dict(
            sheets=4,
            kinds=("initiale", "initiale", "initiale", "suivi"),
            profile="fax_like_200_g4",
            duplex=True,
            shuffle=True,
            extras=Extras(late_page=True, files=2),
        ),
    ),
    # An office colour scanner’s JPEG PDF: a fiche de suivi and a page from another
    # establishment (refused).
    (
        "bureau-jpeg",
        dict(
            sheets=1,
            kinds=("suivi",),
            profile="office_200_jpeg",
            dpi=150,
            extras=Extras(foreign_page=True),
        ),
    ),
    # A multi-page TIFF of a skewed scan: a fiche initiale with a page lost, and a page whose
    # code was altered (refused).
    (
        "tiff-incomplet",
        dict(
            sheets=1,
            kinds=("initiale",),
            profile="skewed_150",
            fmt="tiff-g4",
            extras=Extras(lost_page=True, tampered_page=True),
        ),
    ),
    # A phone photo of a fiche de suivi, saved as PNG.
    ("photo", dict(sheets=1, kinds=("suivi",), profile="phone", fmt="png")),
]


def main() -> None:
    for folder in (HOME, SCANS):
        if folder.exists():
            shutil.rmtree(folder)
    HOME.mkdir(parents=True)
    (HOME / "secret.key").write_text(DEMO_SECRET + "\n")
    batches = []
    seed = 2026
    for centre in sorted(CENTRES.glob("*.yaml")):
        for name, options in BATCHES:
            seed += 1
            out = SCANS / centre.stem / name
            truth = make_batch(
                centre, HOME, out, split="eval", seed=seed, today=TODAY, prefix=name, **options
            )
            (out / "truth.json").unlink()
            batches.append(truth.relocated(out.relative_to(SCANS).as_posix()))
            print(f"{out.relative_to(ROOT)}: {len(truth.pages)} pages", flush=True)
    for leftover in ("issued.jsonl", ".lock"):  # run records with temporary paths
        (HOME / leftover).unlink(missing_ok=True)
    merged = TruthSet(batches=batches)
    for batch in merged.batches:  # paths relative to the repository, not this machine
        batch.centre = Path(batch.centre).relative_to(ROOT).as_posix()
        batch.home = "samples/home"
    (SCANS / "truth.json").write_text(merged.model_dump_json(indent=1) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in SCANS.rglob("*") if p.is_file())
    print(f"{SCANS.relative_to(ROOT)}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
