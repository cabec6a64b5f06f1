"""The page code printed as a QR in two corners of every page, and its authentication tag.

Payload (QR alphanumeric mode, so the symbol stays small)::

    BDX1:<kind>:<version>:<site>:<layout id>:<establishment>:<serial>:<page>:<pages>:<tag>

``kind`` is ``I`` (fiche initiale), ``S`` (fiche de suivi) or an annex letter (``C``
identité et famille, ``G`` génétique et clinique, ``F`` statut fonctionnel, ``P``
grossesse et fœtus, ``T`` traitements). An annex is
printed with the serial of its fiche initiale: the signed pair (kind, serial) joins it to
its fiche, and it is stored as its own sheet, named ``<serial>-<letter>``
(:attr:`PageCode.sheet`). ``establishment`` is a short fingerprint of the establishment's
secret; ``tag`` is an HMAC-SHA256 of everything before it under that secret, base32, 80
bits. A page whose tag does not verify is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from pydantic import BaseModel, ConfigDict, Field

from bordereau.forms.manifest import Layout
from bordereau.forms.model import ANNEX_KINDS, FormKind

PREFIX = "BDX1"
KIND_LETTERS: dict[str, FormKind] = {
    "I": "initiale", "S": "suivi", "C": "annexe_identite", "G": "annexe_genetique",
    "F": "annexe_statut", "P": "annexe_grossesse",
    "T": "annexe_traitements"}
LETTER_OF_KIND = {kind: letter for letter, kind in KIND_LETTERS.items()}
TAG_CHARS = 16


class PageCodeError(ValueError):
    """The text is not a page code of ours (the reason is in French)."""


def establishment_fingerprint(secret: bytes) -> str:
    """Four base32 characters naming an establishment without revealing its secret."""
    digest = hashlib.sha256(b"bordereau-establishment:" + secret).digest()
    return base64.b32encode(digest).decode()[:4]


class PageCode(BaseModel):
    """What a page's QR says about it."""

    model_config = ConfigDict(frozen=True)

    kind: FormKind
    version: int = Field(ge=1)
    site: str
    layout_id: str
    establishment: str
    serial: int = Field(ge=1)
    page: int = Field(ge=1)
    pages: int = Field(ge=1)
    tag: str = ""

    @property
    def sheet(self) -> str:
        """The sheet's name: its serial as printed (six digits), with the annex letter
        for an annex (``000123-F``), which shares the serial of its fiche initiale."""
        return sheet_name(self.kind, self.serial)

    @property
    def fiche(self) -> str:
        """The serial of the fiche initiale this page belongs to (an annex's fiche)."""
        return format_serial(self.serial)

    def message(self) -> str:
        """The signed part of the payload."""
        letter = LETTER_OF_KIND[self.kind]
        return ":".join(
            [
                PREFIX,
                letter,
                str(self.version),
                self.site,
                self.layout_id,
                self.establishment,
                format_serial(self.serial),
                str(self.page),
                str(self.pages),
            ]
        )

    def signed(self, secret: bytes) -> PageCode:
        """A copy carrying the tag computed with ``secret``."""
        return self.model_copy(update={"tag": compute_tag(secret, self.message())})

    def payload(self) -> str:
        """The text to encode in the QR."""
        return f"{self.message()}:{self.tag}"

    def verify(self, secret: bytes) -> bool:
        """True when the tag was made with this secret for exactly this content."""
        return hmac.compare_digest(self.tag, compute_tag(secret, self.message()))


def format_serial(serial: int) -> str:
    """Serials are printed with at least six digits."""
    return f"{serial:06d}"


def sheet_name(kind: str, serial: int) -> str:
    """How a sheet is named: its serial (six digits), with ``-<letter>`` for an annex."""
    if kind in ANNEX_KINDS:
        return f"{format_serial(serial)}-{LETTER_OF_KIND[kind]}"
    return format_serial(serial)


def compute_tag(secret: bytes, message: str) -> str:
    """Base32 HMAC-SHA256 of the message, truncated to 80 bits."""
    mac = hmac.new(secret, message.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:TAG_CHARS]


def parse_payload(text: str) -> PageCode:
    """Parse a QR payload; raise PageCodeError (French) when it is not one of ours."""
    parts = text.strip().split(":")
    if len(parts) != 10 or parts[0] != PREFIX:
        raise PageCodeError("le code de la page n’est pas un code de bordereau")
    _, letter, version, site, layout_id, etab, serial, page, pages, tag = parts
    if letter not in KIND_LETTERS:
        raise PageCodeError(f"type de bordereau inconnu dans le code ({letter})")
    try:
        code = PageCode(
            kind=KIND_LETTERS[letter],
            version=int(version),
            site=site,
            layout_id=layout_id,
            establishment=etab,
            serial=int(serial),
            page=int(page),
            pages=int(pages),
            tag=tag,
        )
    except ValueError as exc:
        raise PageCodeError("le code de la page est illisible ou incomplet") from exc
    if code.page > code.pages:
        raise PageCodeError("numéro de page incohérent dans le code")
    return code


def page_code(layout: Layout, establishment: str, secret: bytes, serial: int,
              page: int) -> PageCode:
    """The signed code printed on one page of one sheet of ``layout``."""
    return PageCode(
        kind=layout.form.kind, version=layout.form.version, site=layout.form.centre.site_code,
        layout_id=layout.form.layout_id, establishment=establishment, serial=serial,
        page=page, pages=layout.form.pages,
    ).signed(secret)
