"""Scanner profiles: ranges of effects, sampled per page into concrete ``ScanParams``.

A :class:`ScanProfile` describes one way pages reach the reader (a clean 300-dpi office
scan, a G4 fax-like scan, a skewed 150-dpi scan, a phone photo...). ``sample`` draws one
page's parameters from it; :func:`random_profile` invents a plausible profile.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bordereau.simulate.truth import ScanParams

Range = tuple[float, float]
Rotation = Literal[0, 90, 180, 270]
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


class ScanProfile(BaseModel):
    """Ranges (low, high) of each effect; a page draws uniformly inside each range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dpi: float = 200.0
    fmt: str = "pdf-jpeg"
    rotations: tuple[Rotation, ...] = (0,)
    skew_deg: Range = (-0.5, 0.5)
    scale: Range = (1.0, 1.0)
    perspective: Range = (0.0, 0.0)
    offset_mm: Range = (0.0, 1.5)
    background: int = 255
    edge_shadow: float = 0.0  # probability
    yellow: Range = (0.0, 0.0)
    uneven_light: Range = (0.0, 0.0)
    brightness: Range = (0.0, 0.0)
    contrast: Range = (1.0, 1.0)
    gamma: Range = (1.0, 1.0)
    blur_sigma: Range = (0.0, 0.0)
    noise_sigma: Range = (0.0, 2.0)
    jpeg_quality: tuple[int, int] | None = None
    binarise: tuple[int, int] | None = None
    cut_corner: bool = False

    def sample(self, rng: random.Random) -> ScanParams:
        """One page's concrete effects."""

        def draw(r: Range, digits: int = 3) -> float:
            return round(rng.uniform(*r), digits)

        sign = (rng.choice((-1, 1)), rng.choice((-1, 1)))
        offset = (draw(self.offset_mm, 2) * sign[0], draw(self.offset_mm, 2) * sign[1])
        return ScanParams(
            profile=self.name,
            dpi=self.dpi,
            rotation=rng.choice(self.rotations),
            skew_deg=draw(self.skew_deg),
            scale=draw(self.scale),
            perspective=draw(self.perspective, 4),
            offset_mm=offset,
            background=self.background,
            edge_shadow=rng.random() < self.edge_shadow,
            yellow=draw(self.yellow),
            uneven_light=draw(self.uneven_light),
            brightness=draw(self.brightness, 1),
            contrast=draw(self.contrast),
            gamma=draw(self.gamma),
            blur_sigma=draw(self.blur_sigma),
            noise_sigma=draw(self.noise_sigma, 2),
            jpeg_quality=rng.randint(*self.jpeg_quality) if self.jpeg_quality else None,
            binarise=rng.randint(*self.binarise) if self.binarise else None,
            cut_corner=rng.choice(CORNERS) if self.cut_corner else None,
        )


PRESETS: dict[str, ScanProfile] = {
    p.name: p
    for p in (
        ScanProfile(name="clean_300", dpi=300, fmt="pdf-jpeg", jpeg_quality=(85, 92)),
        ScanProfile(
            name="office_200_jpeg",
            dpi=200,
            fmt="pdf-jpeg",
            skew_deg=(-1.5, 1.5),
            scale=(0.97, 1.0),
            offset_mm=(0.0, 3.0),
            brightness=(-8, 8),
            contrast=(0.9, 1.05),
            blur_sigma=(0.3, 0.7),
            noise_sigma=(1.5, 4.0),
            jpeg_quality=(55, 80),
        ),
        ScanProfile(
            name="fax_like_200_g4",
            dpi=200,
            fmt="pdf-g4",
            skew_deg=(-2.0, 2.0),
            offset_mm=(0.0, 3.0),
            blur_sigma=(0.4, 0.8),
            noise_sigma=(3.0, 7.0),
            binarise=(150, 175),
        ),
        ScanProfile(
            name="skewed_150",
            dpi=150,
            fmt="pdf-jpeg",
            skew_deg=(-5.0, 5.0),
            offset_mm=(1.0, 6.0),
            blur_sigma=(0.2, 0.5),
            noise_sigma=(1.0, 3.0),
            jpeg_quality=(70, 85),
        ),
        ScanProfile(
            name="rotated",
            dpi=200,
            rotations=(90, 270),
            skew_deg=(-1.5, 1.5),
            noise_sigma=(1.0, 3.0),
            jpeg_quality=(70, 85),
        ),
        ScanProfile(
            name="upside_down",
            dpi=200,
            rotations=(180,),
            skew_deg=(-1.5, 1.5),
            noise_sigma=(1.0, 3.0),
            jpeg_quality=(70, 85),
        ),
        ScanProfile(
            name="photocopy",
            dpi=200,
            fmt="pdf-flate",
            skew_deg=(-1.5, 1.5),
            scale=(0.9, 0.95),
            offset_mm=(0.0, 3.0),
            contrast=(1.1, 1.35),
            gamma=(1.1, 1.5),
            blur_sigma=(0.4, 0.8),
            noise_sigma=(3.0, 6.0),
            cut_corner=True,
        ),
        ScanProfile(
            name="phone",
            dpi=150,
            fmt="jpeg",
            skew_deg=(-3.0, 3.0),
            scale=(0.95, 1.0),
            perspective=(0.01, 0.025),
            offset_mm=(0.0, 4.0),
            background=70,
            yellow=(0.0, 0.3),
            uneven_light=(0.15, 0.35),
            brightness=(-15, 5),
            blur_sigma=(0.3, 0.7),
            noise_sigma=(0.8, 2.0),  # phones denoise
            jpeg_quality=(60, 80),
        ),
        ScanProfile(
            name="yellowed_300",
            dpi=300,
            fmt="tiff-jpeg",
            skew_deg=(-1.0, 1.0),
            background=40,
            edge_shadow=1.0,
            offset_mm=(1.0, 4.0),
            yellow=(0.3, 0.8),
            noise_sigma=(1.0, 3.0),
            jpeg_quality=(75, 90),
        ),
    )
}


def get_profile(name: str) -> ScanProfile:
    """A preset by name (ValueError naming the presets when unknown)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown scan profile {name!r}; presets: {', '.join(PRESETS)}") from None


def random_profile(rng: random.Random, dpi: float | None = None) -> ScanProfile:
    """A plausible office scanner set-up (never a cut corner: that is a deliberate case)."""
    bilevel = rng.random() < 0.25
    return ScanProfile(
        name="random",
        dpi=dpi or rng.choice((150, 200, 200, 300)),
        fmt="pdf-g4" if bilevel else "pdf-jpeg",
        rotations=rng.choice(((0,), (0,), (0, 180), (0, 90, 180, 270))),
        skew_deg=(-rng.uniform(0.2, 4.0), rng.uniform(0.2, 4.0)),
        scale=(rng.uniform(0.9, 1.0), 1.0) if rng.random() < 0.3 else (1.0, 1.0),
        perspective=(0.0, rng.uniform(0.0, 0.01)),
        offset_mm=(0.0, rng.uniform(0.0, 5.0)),
        background=rng.choice((255, 255, 60)),
        edge_shadow=rng.uniform(0.0, 0.5),
        yellow=(0.0, rng.uniform(0.0, 0.5)),
        uneven_light=(0.0, rng.uniform(0.0, 0.2)),
        brightness=(-rng.uniform(0, 12), rng.uniform(0, 8)),
        contrast=(rng.uniform(0.85, 1.0), rng.uniform(1.0, 1.2)),
        gamma=(rng.uniform(0.85, 1.0), rng.uniform(1.0, 1.25)),
        blur_sigma=(0.0, rng.uniform(0.2, 0.9)),
        noise_sigma=(0.5, rng.uniform(1.0, 6.0)),
        jpeg_quality=None if bilevel else (rng.randint(45, 70), rng.randint(75, 92)),
        binarise=(rng.randint(140, 160), rng.randint(160, 180)) if bilevel else None,
    )
