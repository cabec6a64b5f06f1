"""The one library object: opened lazily, and the same page alignment for reading and training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from bordereau.errors import HomeError
from bordereau.establishment import Establishment
from bordereau.ocr.identify import Refused
from bordereau.ocr.page_reader import Context, LocatedPage, align_page, read_page
from bordereau.ocr.types import PageImage
from tests.conftest import LYON, run_cli


def test_a_layout_needs_no_home(tmp_path: Path) -> None:
    est = Establishment(tmp_path / "nowhere")
    layout = est.layout(LYON, "suivi")
    assert layout.form.kind == "suivi"
    assert not (tmp_path / "nowhere").exists()
    shown = run_cli(["forms", "layout", "--centre", str(LYON), "--kind", "suivi", "--json"])
    assert json.loads(shown.stdout) == json.loads(layout.to_json())


def test_the_home_is_opened_when_first_needed_and_must_exist(tmp_path: Path) -> None:
    est = Establishment(tmp_path / "nowhere")
    with pytest.raises(HomeError, match="dossier de l’établissement introuvable"):
        est.status()
    assert not (tmp_path / "nowhere").exists()


def test_printing_creates_the_home_and_python_sees_what_the_cli_sees(tmp_path: Path) -> None:
    est = Establishment(tmp_path / "home", user="dupont")
    printed = est.print_forms(LYON, "suivi", 2, tmp_path / "suivi.pdf")
    assert list(printed.serials) == [1, 2]
    layout = est.home.layout(printed.layout_id)
    assert layout is est.home.layout(printed.layout_id)  # read once, then cached
    assert layout == est.layout(LYON, "suivi")
    assert est.status()["pages_total"] == 0
    shown = run_cli(["scan", "status", "--json", "--home", str(tmp_path / "home")])
    assert json.loads(shown.stdout) == est.status()


@pytest.fixture(scope="module")
def printed_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PageImage]:
    folder = tmp_path_factory.mktemp("align")
    Establishment(folder / "home").print_forms(LYON, "suivi", 1, folder / "suivi.pdf")
    document = pdfium.PdfDocument(folder / "suivi.pdf")
    pixels = np.array(document[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L"))
    document.close()
    return folder / "home", PageImage(source=folder / "suivi.pdf", index=0, pixels=pixels,
                                      dpi=200)


def test_align_page_gives_the_upright_page_reading_uses(
    printed_page: tuple[Path, PageImage],
) -> None:
    home, page = printed_page
    ctx = Context(home, keep_images=True)
    aligned = align_page(page, ctx)
    assert isinstance(aligned, LocatedPage)
    assert aligned.located.code.page == 1 and aligned.located.code.serial == 1
    assert aligned.located.layout is ctx.home.layout(aligned.located.code.layout_id)
    read = read_page(page, ctx)
    assert read.outcome.state == "read"
    assert read.aligned is not None and np.array_equal(read.aligned, aligned.image)


def test_align_page_refuses_a_page_of_another_establishment(
    printed_page: tuple[Path, PageImage], tmp_path: Path,
) -> None:
    _, page = printed_page
    Establishment(tmp_path / "other").print_forms(LYON, "suivi", 1, tmp_path / "x.pdf")
    refused = align_page(page, Context(tmp_path / "other"))
    assert isinstance(refused, Refused)
    assert refused.reason.startswith("page refusée : bordereau émis par un autre établissement")
    assert refused.detection is not None and refused.detection.codes
