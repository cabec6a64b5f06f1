"""A corpus of bad inputs for the reliability suite: every kind of file or folder entry a
clumsy user, a broken scanner or an attacker can put in a scan folder.

:func:`make_corpus` writes one entry (or a small group) per kind into a folder and returns
``{kind: [names]}``; each must end refused with a French reason while the batch goes on
(``tests/test_bad_input_corpus.py``, ``scripts/reliability_corpus.py``). A test helper, not
package code: it needs pypdf, a development dependency. Real material comes from the
bundled sample scans (``samples/``): a page printed by another establishment, a page whose
code was altered, real CCITT, JPEG and PNG scans.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import socket
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pypdf
import reportlab
import segno
from PIL import Image
from reportlab.pdfgen import canvas

SAMPLE_SCANS = Path(__file__).resolve().parents[1] / "samples" / "scans"
JPEG_PDF = SAMPLE_SCANS / "lyon-os" / "bureau-jpeg" / "bureau-jpeg-01.pdf"  # p2: foreign
G4_TIFF = SAMPLE_SCANS / "lyon-os" / "tiff-incomplet" / "tiff-incomplet-01.tif"  # p4: altered
PHOTO = SAMPLE_SCANS / "lyon-os" / "photo" / "photo-01-001.png"

Maker = Callable[[Path], list[str]]


def _pdf_pages(source: Path, indexes: list[int], password: str | None = None) -> bytes:
    reader = pypdf.PdfReader(source)
    writer = pypdf.PdfWriter()
    for index in indexes:
        writer.add_page(reader.pages[index])
    if password is not None:
        writer.encrypt(user_password=password, owner_password=password + "!")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _tiff_page(index: int) -> bytes:
    with Image.open(G4_TIFF) as image:
        image.seek(index)
        buffer = io.BytesIO()
        image.save(buffer, format="TIFF", compression="group4", dpi=image.info.get("dpi"))
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A white bilevel PNG: a few hundred kilobytes on disk, width × height pixels once
    decoded. Written chunk by chunk (Pillow would first make the whole image in memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte "none", then white bits
    packer = zlib.compressobj(6)
    rows = 256
    body = [packer.compress(row * rows) for _ in range(height // rows)]
    body += [packer.compress(row * (height % rows)), packer.flush()]
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(body))
            + chunk(b"IEND", b""))


def _png(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _vector_pdf(size: tuple[float, float], text: str | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size)
    pdf.line(0, 0, *size)
    if text:
        pdf.setFont("Helvetica", 12)
        for n, line in enumerate(text.splitlines()):
            pdf.drawString(72, size[1] - 72 - 16 * n, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _damaged_tiff() -> bytes:
    with Image.open(G4_TIFF) as image:
        image.seek(1)
        tags = image.tag_v2  # type: ignore[attr-defined]
        offset, count = tags[273][0], tags[279][0]
    data = bytearray(G4_TIFF.read_bytes())
    noise = random.Random(1)
    for position in range(offset + count // 3, offset + count // 3 + 200):
        data[position] = noise.randrange(256)
    return bytes(data)


def _qr_page(payload: str) -> bytes:
    page = Image.new("L", (1654, 2339), 255)
    qr = segno.make(payload, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=12, border=2)
    page.paste(Image.open(io.BytesIO(buffer.getvalue())).convert("L"), (1200, 100))
    return _png(page, dpi=(200, 200))


def _file(name: str, data: Callable[[], bytes]) -> Maker:
    """A maker writing one file, its bytes made only when the kind is asked for."""

    def make(folder: Path) -> list[str]:
        (folder / name).write_bytes(data())
        return [name]

    return make


def _special(make_one: Callable[[Path], None], name: str) -> Maker:
    def make(folder: Path) -> list[str]:
        make_one(folder / name)
        return [name]

    return make


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the socket file stays


def _unreadable_file(path: Path) -> None:
    path.write_bytes(JPEG_PDF.read_bytes())
    path.chmod(0)


def _unreadable_folder(path: Path) -> None:
    path.mkdir()
    (path / "dedans.pdf").write_bytes(JPEG_PDF.read_bytes())
    path.chmod(0)


def _loop(path: Path) -> None:
    path.mkdir()
    (path / "retour").symlink_to("..")


def _latin1(folder: Path) -> list[str]:
    name = os.fsdecode("fiche-s\xe9curit\xe9.png".encode("latin-1"))
    (folder / name).write_bytes(PHOTO.read_bytes())
    return [name]


def corpus_makers() -> dict[str, Maker]:
    """Every kind of bad input, by a French-free short name."""
    one_page = _pdf_pages(JPEG_PDF, [0])
    noise = random.Random(11)
    tiff = G4_TIFF.read_bytes()
    photo = PHOTO.read_bytes()
    white = Image.new("L", (1654, 2339), 255)
    return {
        "zero-byte": _file("vide.pdf", lambda: b""),
        "truncated-pdf": _file("coupe.pdf", lambda: one_page[: len(one_page) // 2]),
        "truncated-pdf-tail": _file("coupe-fin.pdf", lambda: one_page[:-2000]),
        "encrypted-pdf": _file("chiffre.pdf", lambda: _pdf_pages(JPEG_PDF, [0], "secret")),
        "html-named-pdf": _file("page.pdf", lambda: b"<!doctype html><html><body>Erreur 404"
                                              b"</body></html>"),
        "pdf-header-garbage": _file("entete.pdf", lambda: b"%PDF-1.7\n" + noise.randbytes(4000)),
        "pdf-no-page": _file("sans-page.pdf", lambda: (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
            b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")),
        "huge-vector-page": _file("affiche.pdf", lambda: _vector_pdf((14400, 14400))),
        "tiny-pdf-page": _file("timbre.pdf", lambda: _vector_pdf((3, 3))),
        "text-pdf-not-a-form": _file("courrier.pdf", lambda: _vector_pdf(
            (595, 842), "Madame, Monsieur,\nveuillez trouver ci-joint le compte rendu.")),
        "bomb-png": _file("bombe.png", lambda: bomb_png(40000, 40000)),
        "bomb-png-under-pillow-limit": _file("bombe2.png", lambda: bomb_png(13000, 13000)),
        "huge-tiff-page": _file("geant.tif", lambda: _tiff_bytes(
            Image.new("1", (13000, 13000), 1))),
        "one-pixel-png": _file("pixel.png", lambda: _png(Image.new("L", (1, 1), 0))),
        "low-resolution": _file("basse.png", lambda: _png(white.resize((580, 820)), dpi=(70, 70))),
        "damaged-tiff-page": _file("abime.tif", lambda: _damaged_tiff()),
        "truncated-tiff": _file("coupe.tif", lambda: tiff[: len(tiff) // 3]),
        "tiff-header-only": _file("entete.tif", lambda: b"II*\x00\x08\x00\x00\x00"),
        "truncated-jpeg": _file("coupe.jpg", lambda: _jpeg(photo)[:30000]),
        "truncated-png": _file("coupe.png", lambda: photo[: len(photo) // 2]),
        "random-bytes-png": _file("bruit.png", lambda: noise.randbytes(20000)),
        "text-named-tiff": _file("notes.tif", lambda: "Liste des patients à appeler\n".encode()),
        "gif-named-png": _file("anim.png", lambda: _gif()),
        "bmp-named-jpeg": _file("photo.jpg", lambda: _bmp()),
        "gzip-named-tiff": _file("archive.tiff", lambda: gzip.compress(tiff)),
        "zip-named-pdf": _file("dossier.pdf", lambda: _zip()),
        "unsupported-docx": _file("compte-rendu.docx", lambda: _zip()),
        "foreign-establishment": _file("etranger.pdf", lambda: _pdf_pages(JPEG_PDF, [1])),
        "forged-tag": _file("falsifie.tif", lambda: _tiff_page(3)),
        "wrong-qr": _file("qr-etranger.png", lambda: _qr_page("https://exemple.org/inscription")),
        "wrong-qr-bdx-prefix": _file("qr-bdx.png", lambda: _qr_page(
            "BDX1:I:1:S901:8EFE4D85:AAAA:000999:1:5:AAAAAAAAAAAAAAAA")),
        "not-a-form-image": _file("lettre.png", lambda: _png(_letter_image(), dpi=(200, 200))),
        "duplicate-rescan": _file("controle-bis.png", lambda: _png(
            Image.open(io.BytesIO(photo)).convert("L"), dpi=(200, 200))),
        "fifo": _special(os.mkfifo, "tube.pdf"),
        "socket": _special(_socket, "prise.pdf"),
        "device-link": _special(lambda p: p.symlink_to("/dev/zero"), "zero.pdf"),
        "broken-link": _special(lambda p: p.symlink_to(p.parent / "nulle-part.pdf"),
                                "lien-casse.pdf"),
        "unreadable-file": _special(_unreadable_file, "ferme.pdf"),
        "unreadable-folder": _special(_unreadable_folder, "ferme"),
        "directory-loop": _special(_loop, "boucle"),
        "latin1-name": _latin1,
        "long-name-unreadable": _special(_unreadable_file, "n" * 240 + ".pdf"),
    }


def _tiff_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF", compression="group4", dpi=(200, 200))
    return buffer.getvalue()


def _jpeg(png: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("L").save(buffer, format="JPEG", quality=85,
                                                  dpi=(200, 200))
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (400, 400), 0).save(buffer, format="GIF")
    return buffer.getvalue()


def _bmp() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (400, 400), 255).save(buffer, format="BMP")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _letter_image() -> Image.Image:
    """A scanned typed letter: a page of text, no form, no code."""
    from PIL import ImageDraw, ImageFont

    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), 34)
    rng = random.Random(5)
    words = ["compte", "rendu", "consultation", "suivi", "examen", "courrier", "service"]
    for line in range(40):
        text = " ".join(rng.choice(words) for _ in range(8))
        draw.text((160, 200 + 48 * line), text, fill=0, font=font)
    return page


def make_corpus(folder: Path, kinds: list[str] | None = None) -> dict[str, list[str]]:
    """Write the bad inputs (all kinds, or ``kinds``) into ``folder``; names by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    makers = corpus_makers()
    return {kind: makers[kind](folder) for kind in (kinds or list(makers))}
