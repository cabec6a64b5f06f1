"""The patient label zone: decode the sticker's barcode and read its printed text.

French hospitals print patient stickers ("étiquettes") carrying the IPP as a barcode
(Code 128 mostly, sometimes DataMatrix or QR) and the identity in clear. What is found here
is strong evidence for the identity fields (see ``ocr.rules.apply_label_evidence``). The
zone itself is kept as an image; its reading never needs review. A sticker is believed only
when its barcode decodes or its text carries a date of birth or an IPP: an empty zone's
frame and placeholder text may pass the ink test, but carry neither.
"""

from __future__ import annotations

import re
import unicodedata

import cv2
import numpy as np
import zxingcpp

from bordereau.forms.manifest import FieldLayout
from bordereau.ocr.aligned import AlignedPage, grow
from bordereau.ocr.engine import OcrEngine
from bordereau.ocr.types import FieldReading

OCR_PX_PER_MM = 11.8  # 300 dpi
MARGIN_MM = 6.0  # stickers are rarely placed exactly in their frame
BARCODES = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.Code128,
                                    zxingcpp.BarcodeFormat.DataMatrix,
                                    zxingcpp.BarcodeFormat.QRCode,
                                    zxingcpp.BarcodeFormat.Code39])
DATE = re.compile(r"\b(\d{2})[/.-](\d{2})[/.-](\d{4})\b")
# "IPP" as OCR reads it on a small or bilevel scan: "1PP", "lPP", "PP", then ":", "n°", "_"
IPP_TEXT = re.compile(r"\b[I1l|]?PP[\s:n°_.]*(\d{4,15})\b", re.IGNORECASE)
STICKER_INK = 0.01  # ink fraction of the zone above which a sticker is there (empty: < 0.004)
UNREAD = ("étiquette patient présente mais illisible (code-barres et IPP non lus) : "
          "recopier l’IPP de l’étiquette")
# the words printed in the empty zone; a sticker covers them
PLACEHOLDER = re.compile(r"coller|tiquette\s+patient|avec\s+son\s+code", re.IGNORECASE)
DIGIT_RUN = re.compile(r"\d{4,15}")
SEX = re.compile(r"\b(?:sexe\s*:?\s*)?([FM])\b")


def ipp_from_barcode(text: str) -> str | None:
    """The IPP a barcode carries: the longest run of 4 to 15 digits."""
    runs = DIGIT_RUN.findall(text)
    return max(runs, key=len) if runs else None


def plain(text: str) -> str:
    """Upper case without accents, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper().strip()


NOT_NAMES = {"IPP", "NE", "NEE", "LE", "SEXE", "COLLER", "ETIQUETTE", "PATIENT", "ICI",
             "AVEC", "SON", "CODE", "BARRES", "DATE", "NAISSANCE", "NOM", "PRENOM"}
VOWELS = set("AEIOUY")


def _name_word(word: str) -> bool:
    """A plausible name word: letters, a vowel, not one letter repeated ("EEE")."""
    letters = plain(word).replace("-", "").replace("'", "").replace("’", "")
    return (len(letters) >= 2 and letters.isalpha() and bool(VOWELS & set(letters))
            and len(set(letters)) > 1 and letters not in NOT_NAMES)


def _name_line(line: str) -> tuple[list[str], str | None] | None:
    """Upper-case name words and the first name of one line, leading noise skipped."""
    words = [w.strip("‘’'\"`|{}[]()!.,;:_~*«»") for w in line.split()]
    words = [w for w in words if w]
    start = next((n for n, w in enumerate(words) if re.fullmatch(r"[A-Za-zÀ-ÿ'’-]+", w)
                  and w.isupper() and _name_word(w)), None)
    if start is None:
        return None
    upper: list[str] = []
    rest = words[start:]
    while rest and rest[0].isupper() and _name_word(rest[0]):
        upper.append(rest.pop(0))
    first = rest[0] if rest and re.fullmatch(r"[A-ZÀ-Ý][a-zà-ÿ'’-]+", rest[0]) else None
    return upper, first


def parse_label_text(text: str) -> dict[str, str]:
    """Identity found in a label's printed text: nom, prenom, date_naissance, sexe, ipp.

    The name is the first line holding an upper-case word that looks like a name (leading
    noise such as ``‘|`` skipped); the capitalised word after the name is the first name.
    """
    found: dict[str, str] = {}
    date = DATE.search(text)
    if date:
        day, month, year = date.groups()
        found["date_naissance"] = f"{year}-{month}-{day}"
    ipp = IPP_TEXT.search(text)
    if ipp:
        found["ipp"] = ipp.group(1)
    for line in text.splitlines():
        if DATE.search(line) or IPP_TEXT.search(line):
            continue
        named = _name_line(line)
        if named:
            found["nom"] = " ".join(named[0])
            if named[1]:
                found["prenom"] = named[1]
            break
    sex = SEX.search(text.replace("Sexe", "sexe"))
    if sex:
        found["sexe"] = sex.group(1)
    return found


def read_label(page: AlignedPage, field: FieldLayout, engine: OcrEngine) -> FieldReading:
    """Decode the sticker in the label zone; value = the IPP from its barcode, if any."""
    assert field.box_mm
    region = np.ascontiguousarray(page.crop(grow(field.box_mm, MARGIN_MM)))
    details: dict[str, object] = {}
    ipp = None
    for barcode in zxingcpp.read_barcodes(region, formats=BARCODES):
        details["barcode"] = {"format": str(barcode.format).split(".")[-1],
                              "text": barcode.text}
        ipp = ipp_from_barcode(barcode.text)
        if ipp:
            break
    inked = float(page.ink(page.crop(field.box_mm, 1.5)).mean())
    details["ink"] = round(inked, 4)
    present = bool(ipp) or inked > STICKER_INK
    if present:
        text = engine.read_block(_for_ocr(region, page.px_per_mm))
        details["text"] = text.strip()
        parsed = parse_label_text(text)
        if ipp:
            parsed["ipp"] = ipp
        if ipp or "date_naissance" in parsed or "ipp" in parsed:
            details["identity"] = parsed
            ipp = ipp or parsed.get("ipp")
        elif PLACEHOLDER.search(text):  # no barcode, date nor IPP, and the printed
            details["identity"] = {}  # placeholder shows: the empty zone's frame and words
            details["sticker"] = False
            present = False
    if present and not ipp:  # a sticker is there: never trust it as empty
        return FieldReading(id=field.id, kind=field.kind, value=None, confidence=0.0,
                            review=True, reason=UNREAD, page=field.page, details=details)
    return FieldReading(id=field.id, kind=field.kind, value=ipp, confidence=1.0, review=False,
                        page=field.page, details=details)


def _for_ocr(region: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The sticker at about 300 dpi: Tesseract misreads small print on 150-dpi or reduced
    scans (a form printed at 80 % and scanned at 150 dpi gives 120 dpi of sticker)."""
    if px_per_mm >= OCR_PX_PER_MM:
        return region
    factor = OCR_PX_PER_MM / px_per_mm
    return np.ascontiguousarray(cv2.resize(region, None, fx=factor, fy=factor,
                                           interpolation=cv2.INTER_CUBIC))
