"""Download the handwriting fonts used to train the digit recogniser (training only).

Google's handwriting fonts ship on the npm registry as ``@fontsource/<family>`` packages.
This script fetches the pinned packages of ``FONTS`` (family, version, the registry's
``dist.integrity`` sha512), checks each tarball against its pin, and extracts only the
latin 400 normal ``.woff2`` (or ``.woff``) file into a cache folder outside git::

    .venv/bin/python scripts/fetch_training_fonts.py    # $BORDEREAU_TRAINING_FONTS or
                                                        # ~/.cache/bordereau/training-fonts
    .venv/bin/python scripts/fetch_training_fonts.py --dest DIR

A family already in the cache is not downloaded again. Never imported by the package.

Held-out rule (``bordereau.heldout``): the Debian faces of ``fonts-dkg-handwriting`` and
``fonts-tomsontalks`` are for evaluation only, and ``fonts-femkeklaver`` and the Hershey
fonts are not used at all; a family whose name contains one of ``REFUSED_PARTS`` is refused
here, whatever the list says.

``FONTS`` holds hand-printed styles a form filler could write in a comb cell; connected
cursive scripts were left out when the list was made (``EXCLUDED`` says which and why).
The list is split once, by a fixed rule, into training families and style-validation
families (``split_families``): the validation families are never trained on and serve to
pick the epoch and fit the softmax temperature on unseen styles.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

from bordereau import heldout

REGISTRY = "https://registry.npmjs.org"
DEFAULT_DEST = heldout.npm_font_dir()  # BORDEREAU_TRAINING_FONTS or ~/.cache/bordereau/...
REFUSED_PARTS = ("hershey", "femke", "tomson", "dkg")
VALIDATION_EVERY = 5  # every 5th family of the sorted list (from the 3rd) is for validation
VALIDATION_OFFSET = 2

# (family, version, npm dist.integrity), as `npm view @fontsource/<family> dist.integrity`
FONTS: tuple[tuple[str, str, str], ...] = (
    (
        "amatic-sc",
        "5.3.0",
        "sha512-qGAftmq7o21ViixCApztfLOe6TP0VFp3x9ac5KVTwBqW6SU8YJeGWgcLHOfBkooAI+/411R/flMqXos8GseNkA==",
    ),
    (
        "annie-use-your-telescope",
        "5.3.0",
        "sha512-FKBTv9j8AMRlHGRtTTSF3NYWs/0MVfOZzpvgp5phBVW+zAzh1iC+uglKiPYCYNy0T+Cr4wyREqVezYpHxQuskw==",
    ),
    (
        "architects-daughter",
        "5.3.0",
        "sha512-uezOgAlbhmf9nDW69VYq31lXNA+0uRFWXBGCSFWLXVcrNESFHpNjvu11kJss1PMsfH/YKz1hnnYB+JSNI/t+ew==",
    ),
    (
        "caveat-brush",
        "5.3.0",
        "sha512-BHSP/9EKNUtnSj7h4TXuYKOrQWgnkCGm7QMHYiie0xSxtlWKbND6wLkhAgwUtUpbz5k8XL8CWPRrL6tDV+JC8w==",
    ),
    (
        "caveat",
        "5.3.0",
        "sha512-eHTfzQxFSW9ABERRLNruHoNJmKed2J7pqTUc5lp4a4POMgXGKpxmWj3d9Hz10kmAg6iuTTLe6UagbA4bnsmfQw==",
    ),
    (
        "coming-soon",
        "5.3.0",
        "sha512-a5SW74ZAVTiGhu3Ml+rRvySYiW4kCXps+CTfPGIoEMbOl11Cy2xOF5UE2Pxlili4fGYrd/bAStaDFqbtEemx6A==",
    ),
    (
        "covered-by-your-grace",
        "5.3.0",
        "sha512-QurmStAERGPv2vbl1Lxe76IWsYzXiZXz7lkxbw5x9OT84EAih8PmBkdWxatO7dj37UsInic30MA/EKpJ58bmtw==",
    ),
    (
        "crafty-girls",
        "5.3.0",
        "sha512-y4od4B+RjEqi7lXu3YTrLpKY5P+ZMPw/M2pAuUSQQPRJXD2zyZKldxqD53osItC/xWa++N5OmsZ3+O0XM15ZXA==",
    ),
    (
        "dekko",
        "5.3.0",
        "sha512-KbCcnDohm16E14EDiGV0XbTd4Bq3vV2zyAt5tQA7ddcP3oHFQBOCseQSV224bVLE06GBnaGqC2Qkv2Itv3hjdw==",
    ),
    (
        "delius",
        "5.3.0",
        "sha512-gl1jlqiY302zPebYu5VPR9eimIzdaCQCLDALpqWLgU0F80mMlu7p8X8p1ivSFif/qBpttprrryErqxj/VFYzDA==",
    ),
    (
        "edu-nsw-act-foundation",
        "5.3.0",
        "sha512-MTQtFdAtaSBT6ZtbO6FYccYtrp8FJKR24HIIBXQ7awLNtoSgNjszqSs8NcF/ATnOcQN7pvpyrZEJW6pcIMrx6Q==",
    ),
    (
        "edu-qld-beginner",
        "5.3.0",
        "sha512-zQ7lkQItmihYXTNMWZSviX0j2yD14QnXhlFe0TX2xb9c8VDXDXF4D01bQS+C3dwYFeo30+fKn6Gm8saDukSlDg==",
    ),
    (
        "edu-sa-beginner",
        "5.3.0",
        "sha512-gtJc8KFUKT4J67kz18MnTcw2R2c5gG431iQBp6qeZ5LuL4RmTfOTzeyVnfaXAGTuErvgAh81cZe45HjE4785/g==",
    ),
    (
        "edu-tas-beginner",
        "5.3.0",
        "sha512-uXQLzVHbVTzSwyqf4/iuJ2eeK8/bzBDrTO2mRKU9GWpioI4qtWzL2BEpksL/EWB9/hAm3TfvVLYbHnsXeTPfRg==",
    ),
    (
        "edu-vic-wa-nt-beginner",
        "5.3.0",
        "sha512-937PDzwEBNad4L8YYwUcdPiTNDBap9Uq2l6KK4Mk1PxWkaYpIKRYq/Mf5uQPgxA3FyJgMu4exVeAbEjkevUkiQ==",
    ),
    (
        "gaegu",
        "5.3.0",
        "sha512-eSVEXay02/DAB5BtH/gpsujvpT78EjO6XVuNA1ap1G+xvr3zokU2HoLoaW+CfzykRuVgDQ2oZ1oe7VAlmGZt/A==",
    ),
    (
        "gamja-flower",
        "5.3.0",
        "sha512-/Y9xHzyJ3+BaltHRDKT+Iwg439M3CkGtDXVQlOysoDSYg35M3a/QYSvX0+mqupE+KQYBtm46wXS4V8BiFJ5udw==",
    ),
    (
        "give-you-glory",
        "5.3.0",
        "sha512-cxsoZ0ZpXJg2zdM8qktRiZyHG1PGWXtCblIL8EIoYtZKyCggSLfFV6+LatYc78ZNFXb99l94W/3EVV6jGDwYBQ==",
    ),
    (
        "gloria-hallelujah",
        "5.3.0",
        "sha512-U4gt7qqWGn4bysvZZ9BBv8dlRzb11dFUMV8t7xQg26th2zPou/obRjR7MlxeTvVxYd1geWnvZAJprh/bQOG3dw==",
    ),
    (
        "gochi-hand",
        "5.3.0",
        "sha512-IW6Xo3wbZuTLyx7hZzIr7+VSQwQ3oEiLZRphBnuNVaK+dhdxwYw57/r1NVi8x1ubX4OYyCG2S04mH6tLhanIsQ==",
    ),
    (
        "handlee",
        "5.3.0",
        "sha512-bginDzMq4WhtYCcCR5O/WUh6mjXgZ17miwY4mSCR6+Z5iXaUGc71GuFHdFKsZBTO+9CZqRRfXaGtTSz4IIf29Q==",
    ),
    (
        "hi-melody",
        "5.3.0",
        "sha512-XrJgNcORA0hIA0IQmEj0xYeRAGFUHD9sQ0BGxxz4h+SauHeQRTuqU0tC+azJpvInW0Qwz8qevawYy6EtGo687A==",
    ),
    (
        "indie-flower",
        "5.3.0",
        "sha512-Wo5eN/ruEQcyC3+ArzhlpqWQgph3VuCNbJlEkVw17LUd0uyTHOb9bTec4g9njQzjiL/ijACF27sSwy90L6kZBg==",
    ),
    (
        "itim",
        "5.3.0",
        "sha512-y3m8RZeRCclnuQHgiRYIitCKc7iOthBo2SBYY8aDuyToKwGAvRMvBXHy6mdYceJbamRQrShEspXzkXTMDN20nQ==",
    ),
    (
        "just-another-hand",
        "5.3.0",
        "sha512-bTlWMHx7fSJK5LGAJVlna6ZkOPsgz71J2lBGl931BiigvHeV0/5y7hT2evZWEztlEtNJ29ksqLpJcYc1qZ0HFA==",
    ),
    (
        "just-me-again-down-here",
        "5.3.0",
        "sha512-HePfS55Wx8gjeNBbR3vac6vo/ZpDkM2gklaCX2q/wQL/raX1tw+ku7l0B8DsrSOnukoh+3ULV8yKug5e+EJchw==",
    ),
    (
        "kalam",
        "5.3.0",
        "sha512-FDkVoDfPDCSN/eO81FOYtUI67eMgpVBJmjBtAqSL0PmEhJyeFY2biC+CR+yEttksgXR9+swpFdYmQTyjwBq80Q==",
    ),
    (
        "klee-one",
        "5.3.0",
        "sha512-1mnMRQO70AnTCHaWy5ovYKjbvszpOp7//bMDZ+PnjBMmar5YRcbskVzM4u+Syd8CMWw353R3BvsrsKQrwVRnEw==",
    ),
    (
        "loved-by-the-king",
        "5.3.0",
        "sha512-c0ccNbPtFSOmyw+aVpKg93pr+k1pFNaNiz7c4xJ6KizF+Dmug15E9x8RB515bq8KZ1w5uQH9ZW0b0gTDzviMbA==",
    ),
    (
        "mali",
        "5.3.0",
        "sha512-/H7zdnFcBUdLh7mPUCLWfCoQVgtvnVKrlHjknq90kltPvUcu0nC9ybne4z2rzTghV9ez9N7nRDvRZesODB/YbQ==",
    ),
    (
        "mynerve",
        "5.3.0",
        "sha512-mh62g+5piX7VjNf1qA2f7zQziicAlCFnPcCu6iOblcIwqtCQKbaiI8onjpOCo4nDpWRLa8N7bLaf1e5oGNboZQ==",
    ),
    (
        "nanum-pen-script",
        "5.3.0",
        "sha512-at9MFL8ga0A3Xce1+CO6/56F/SHIlf++D4vVKw3yCNRPKh6JU0UgZ3r9un0qHPVxx0Miq2bGZ35RRRlu/4BIDg==",
    ),
    (
        "neucha",
        "5.3.0",
        "sha512-7PoHR/5toTeYP3T6wJyZ8xcT3uTJ6UcyAgrDo1OIUtKX/xuxbblvUyVQcN0lQEppY6EgkCC8zMkFsBhwUvWXBg==",
    ),
    (
        "nothing-you-could-do",
        "5.3.0",
        "sha512-695oxA7Odedd4rqN9aDhgVUwtyYhfmIJH02y32g/B0yoaVMRwTCZe3TYFt8LodpKeN/8v5w+svcyde0eBBE28g==",
    ),
    (
        "over-the-rainbow",
        "5.3.0",
        "sha512-3+g5zkHJMDz1ryNnCz49l3IUbq6Q6keb7zI3TQwFMN0yL2S32oWSGiLCTt0Ez7HVn7Wd5VxC1/n4gAjZRHhULQ==",
    ),
    (
        "pangolin",
        "5.3.0",
        "sha512-3avtyqWX2QiQXKxVChWeVtF3FpB/wcojYXP13oO30WG44Ox9bCUHuHEtMd6NVgqpXSUqNLFaLm8K+29xVzkDZQ==",
    ),
    (
        "patrick-hand",
        "5.3.0",
        "sha512-V8C38IlIFfdWg0Xtri3F7sLCVpm069rUwn6w4n+oyn38gt7H4arOJmuReg3tAw1Q6jHqZp89wTnAAJagq4Atxw==",
    ),
    (
        "permanent-marker",
        "5.3.0",
        "sha512-ZO/NtYW4SCc/iY8N3dmjWyDITcXJ/vhWZFgnwRcvzwCKKnScMrM/a2/6VHlsjCVuIgmPzNrCFbedEYhv+/jJBg==",
    ),
    (
        "playpen-sans",
        "5.3.0",
        "sha512-94O9WdgAmvFpAjsPOgg5JZII4clcNeeMqQdNZh7Jz40rmcNv05jzwxyuw25IRjTb4o2aMV7eXjXC8GTFo/+s8Q==",
    ),
    (
        "poor-story",
        "5.3.0",
        "sha512-L6FR+YlMi++oUpL59d9I3WrhPR8puj/LKGJtYWfpIZteQR/gLjaVHmohlXjMGoXR3pNtKrDFeP2xbmykBRo6HA==",
    ),
    (
        "reenie-beanie",
        "5.3.0",
        "sha512-PgEiqKdPCLlvdY2IMWMBdYyMdr1mo1zxVBRNFlo3gclnCz560iiyTTt0dU4/VIGnjhyAb3gSWIQL0qXnn5oaYw==",
    ),
    (
        "rock-salt",
        "5.3.0",
        "sha512-3Zy0QtrDbq5jrAoMz1I3fXSitSpD46m6S+5W/+hfTZtpbxq9YAC1QoXkwUYDQxtfc8O0k8Qtl76gULQ+uCMznQ==",
    ),
    (
        "schoolbell",
        "5.3.0",
        "sha512-7AWeUHHTiLIKz2V8d0fuG7mw8tlEoQ8Z8dtTpXTEs9hE2z6YFe1RjCCFtYuaSuPLZqYNVqzQ7owG/xJpTyY55w==",
    ),
    (
        "shadows-into-light-two",
        "5.3.0",
        "sha512-ocHR3Be4AuiTd5W8dyZVZ2E0dz/Hbf9Kn+89qbYwHnH3ZY0GBxJY0csBbrnMUeaP+qRxdt26tHFXiJccPYBjAg==",
    ),
    (
        "shadows-into-light",
        "5.3.0",
        "sha512-3dvv0i8/ZwLMY08AAlTLivHUdNQYB6Fxe92d7BZiGbHY2GQnCxEd8JC9CBzxTiP4iyWNa6OZn9LXF+xjc9LaGw==",
    ),
    (
        "short-stack",
        "5.3.0",
        "sha512-nhIm4HgWq6AsM9Sg32OrsC298avDiDhqoMRMYpv5T5OSCIpAwPXpnIgJYJVLzkSC9hOqhKxX5NGZ2ViaDM+7MQ==",
    ),
    (
        "sriracha",
        "5.3.0",
        "sha512-0JjwrC1/BXsSXMEcmmtyoQut1/gy/+wGBP1wiSPaPXvHr1yBmmU2Kl8drBSpRtvRD4Rm9Bb2/FdDK3x4yQ364g==",
    ),
    (
        "sue-ellen-francisco",
        "5.3.0",
        "sha512-cwzU21In+AcbXarvXqFrsTC9GEqMUvm3lHuNmu3DfcNkUcBIGUAL0tr5OklYJiHzuM4aJiZF1nj4gQN51Ri71Q==",
    ),
    (
        "swanky-and-moo-moo",
        "5.3.0",
        "sha512-JPlkYzhnQpdsJSp/aVuwBem3o2JN1oH7x7V+nWJtvrLX9b0RZr/GxZIPKvhkeUrIIaU0cvmBRcMl1454q/FQTw==",
    ),
    (
        "the-girl-next-door",
        "5.3.0",
        "sha512-ysHz6+NKIRzT7z++4TrDb6sTd6GvyItwFukOBxT7fmGS87NEkiBaq86gNXqaTiaBGZ9X0Jyryx9dHHNagAeHHw==",
    ),
    (
        "waiting-for-the-sunrise",
        "5.3.0",
        "sha512-bWgydceOU/hl2oNpG2H4M2JIhla8OM4MZsTGPTKWlxlBjhPtmfABziRbTg63bh4OnG7aiM6tCq6mub6Dd+ckcg==",
    ),
    (
        "walter-turncoat",
        "5.3.0",
        "sha512-X+pB5BQw6/rq6bFmkQ1YEItelws7LM7j8ow129eiJUdCmRSr8zWgug4qJWyPKBDsyBfzTe4OMEzDsa4/2jbDOA==",
    ),
    (
        "yomogi",
        "5.3.0",
        "sha512-D35BWMd0BVhtYfpE7r1UfTNZHxaFVvLw4Rz2ym+yvEE7vlIfwtZEQFp4VFCvlcH+BwoAJD1mFH/r/XV7qDxeyg==",
    ),
    (
        "yusei-magic",
        "5.3.0",
        "sha512-1gSpUCpFQUmCUfh7YkKTjBC89wXnijwKZO3cfIMBx/Rlb7WjfHfIjK8PilB2/tOeq68ezAd8ODWNrg/zere2JA==",
    ),
    (
        "zen-kurenaido",
        "5.3.0",
        "sha512-Oh7XLWpdTV7/f6xgdw3pmDPpu8OHEdXu9QEL2TEjoBeg85z1qWMb4lvQYDtNQx6gaERvKQ0OrgvpS3S/ka/+bA==",
    ),
    (
        "zeyada",
        "5.3.0",
        "sha512-c2bBcLATKk5vGouGX5NeHiHEom1u+7TiHsdfNPIUgO0DL3jl5PTGWWjlMjoPh2vhllA9XiKCTS/8MY2ylT95vw==",
    ),
)
# Looked at and left out (a contact sheet of digits and capitals), with the reason.
EXCLUDED: dict[str, str] = {
    "cedarville-cursive": "connected cursive capitals",
    "dawning-of-a-new-day": "connected cursive capitals",
    "homemade-apple": "connected cursive script",
    "la-belle-aurore": "connected cursive capitals",
    "kranky": "decorative serif outline, not a hand",
}


class FontFetchError(RuntimeError):
    """A download that does not match its pin, or a refused family."""


def refuse_heldout(family: str) -> None:
    """Raise when ``family`` names a held-out or forbidden font (see the module doc)."""
    lowered = family.lower()
    for part in REFUSED_PARTS:
        if part in lowered:
            raise FontFetchError(f"font family {family!r} is held out or forbidden ({part})")


def split_families(families: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(training, style-validation) families: of the sorted list, every ``VALIDATION_EVERY``-th
    one from index ``VALIDATION_OFFSET`` is for validation. Fixed before any training run."""
    names = sorted(families if families is not None else [f for f, _, _ in FONTS])
    val = {n for i, n in enumerate(names) if i % VALIDATION_EVERY == VALIDATION_OFFSET}
    return [n for n in names if n not in val], [n for n in names if n in val]


def check_integrity(data: bytes, integrity: str) -> None:
    """Raise unless ``data`` matches the npm ``sha512-<base64>`` integrity string."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FontFetchError(f"unsupported integrity {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise FontFetchError(f"integrity mismatch: expected {expected}, got {actual}")


def font_member(names: list[str], family: str) -> str | None:
    """The tarball member to keep: the latin 400 normal woff2 (else woff) of ``family``."""
    for ext in ("woff2", "woff"):
        wanted = f"package/files/{family}-latin-400-normal.{ext}"
        if wanted in names:
            return wanted
    return None


def extract_font(data: bytes, family: str, dest: Path) -> Path:
    """Write ``family``'s latin 400 font of the tarball ``data`` into ``dest``."""
    refuse_heldout(family)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = font_member(tar.getnames(), family)
        if member is None:
            raise FontFetchError(f"{family}: no latin 400 normal woff2/woff in the package")
        handle = tar.extractfile(member)
        if handle is None:
            raise FontFetchError(f"{family}: {member} is not a file")
        content = handle.read()
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / Path(member).name
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(content)
    partial.replace(target)
    return target


def required_fonts(dest: Path, families: list[str]) -> tuple[Path, ...]:
    """The cached font file of every one of ``families`` in ``dest``, for training: raises
    when a family is held out or forbidden, or when its file is missing."""
    paths = []
    for family in families:
        refuse_heldout(family)
        path = heldout.npm_font(dest, family)
        if path is None:
            raise RuntimeError(f"npm font {family} missing in {dest}: run "
                               "scripts/fetch_training_fonts.py --dest DIR")
        paths.append(path)
    return tuple(paths)


def tarball_url(family: str, version: str, registry: str = REGISTRY) -> str:
    return f"{registry}/@fontsource/{family}/-/{family}-{version}.tgz"


def fetch(
    dest: Path, fonts: tuple[tuple[str, str, str], ...] = FONTS, registry: str = REGISTRY
) -> list[Path]:
    """Every pinned family's font file in ``dest``, downloading only what is missing."""
    paths = []
    for family, version, integrity in fonts:
        refuse_heldout(family)
        path = heldout.npm_font(dest, family)
        if path is None:
            url = tarball_url(family, version, registry)
            with urllib.request.urlopen(url, timeout=60) as response:
                data = response.read()
            check_integrity(data, integrity)
            path = extract_font(data, family, dest)
            print(f"[fetch_training_fonts] {family} {version} -> {path}", file=sys.stderr)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    paths = fetch(args.dest)
    train, val = split_families()
    print(
        f"[fetch_training_fonts] {len(paths)} fonts in {args.dest} "
        f"({len(train)} training, {len(val)} style-validation families)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
