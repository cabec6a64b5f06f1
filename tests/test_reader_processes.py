"""The reading processes of a stream (issue 14: bounded memory).

A real pool of reading processes, forked from a process that imported what the
``bordereau`` command imports: the processes hold the reading code only (no PDF drawing,
export, review or training code, no pypdf), and the pages of a PDF are decoded in them,
never in the process that streams the files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bordereau.home import Home
from bordereau.ocr import stream
from bordereau.ocr.page_reader import PageResult
from bordereau.ocr.pages import OpenPdf, PageImage, PageLoadError
from bordereau.ocr.stream import PageReaders
from tests.conftest import ROOT, SAMPLES, replay

DUPLEX = SAMPLES / "scans" / "lyon-os" / "recto-verso" / "recto-verso-01.pdf"  # 30 pages
PNG = SAMPLES / "scans" / "lyon-os" / "photo" / "photo-01-001.png"
NOT_FOR_READING = (
    "reportlab", "pypdf", "fontTools", "segno", "lxml", "jinja2", "textual",
    "bordereau.forms.generate", "bordereau.forms.fillable", "bordereau.forms.layout",
    "bordereau.ocr.fillable", "bordereau.export", "bordereau.review.app",
    "bordereau.simulate", "bordereau.training",
)

# Run as the command runs: everything ``bordereau`` imports, then a stream of real scans,
# then each reading process is asked what it has imported.
SCRIPT = """
import json, sys
from pathlib import Path
import bordereau.cli
from bordereau.home import Home
from bordereau.ocr.stream import PageReaders

home = Home.open(Path(sys.argv[1]), create=False)
with PageReaders(home, workers=2, keep_crops=True) as readers:
    states = [r.outcome.state for _, results in readers.stream(map(Path, sys.argv[2:]))
              for r in results]
    pool = readers._pool
    asked = [pool.submit(eval, "sorted(__import__('sys').modules)") for _ in range(4)]
    workers = [future.result() for future in asked]
print(json.dumps({"states": states, "main": sorted(sys.modules), "workers": workers}))
"""


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first four pages of a sample duplex scan (two fronts, their blank backs), copied
    as they are (same images, so the same pixels and the same recorded Tesseract output):
    enough pages for a pool of two, a fifth of the reading."""
    import pypdf  # here, never in the processes under test

    reader, writer = pypdf.PdfReader(DUPLEX), pypdf.PdfWriter()
    for page in reader.pages[:4]:
        writer.add_page(page)
    path = tmp_path_factory.mktemp("short") / "recto-verso-court.pdf"
    with path.open("wb") as out:
        writer.write(out)
    return path


def _loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_reading_processes_import_only_the_reading_code(pdf: Path) -> None:
    env = {**os.environ, "BORDEREAU_OCR_REPLAY": str(ROOT / "tests/recordings/samples.json")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(SAMPLES / "home"), str(pdf),
                           str(PNG)], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=True, timeout=300)
    found = json.loads(done.stdout)
    assert found["states"] and set(found["states"]) <= {"read", "blank"}
    assert "read" in found["states"]
    for modules in found["workers"]:
        assert "bordereau.ocr.page_reader" in modules and "cv2" in modules
        assert [n for n in NOT_FOR_READING if _loaded(modules, n)] == []
    # the streaming process read no form fields: these PDFs have no AcroForm
    assert not _loaded(found["main"], "pypdf")
    assert not _loaded(found["main"], "reportlab")


def test_pdf_pages_are_decoded_in_the_reading_processes(
        pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded_here: list[int] = []

    def counted(opened: OpenPdf, index: int) -> PageImage | PageLoadError:
        decoded_here.append(index)
        return original(opened, index)

    original = stream.pdf_page
    home = Home.open(SAMPLES / "home", create=False)
    with PageReaders(home, workers=2, keep_crops=True, engine=replay("samples")) as readers:
        monkeypatch.setattr(stream, "pdf_page", counted)  # here only: the pool has forked
        pdf_results = [r for _, results in readers.stream([pdf]) for r in results]
    assert decoded_here == []
    assert [r.outcome.index for r in pdf_results] == list(range(len(pdf_results)))
    assert len(pdf_results) >= 2
    assert all(r.outcome.state in ("read", "blank") for r in pdf_results)
    assert all(r.seconds["decode"] > 0 for r in pdf_results)  # timed where decoded

    with PageReaders(home, workers=1, engine=replay("samples")) as readers:  # no pool
        alone = [r for _, results in readers.stream([pdf]) for r in results]
    assert decoded_here == list(range(len(pdf_results)))  # here, from the one opening
    assert [(r.outcome.state, r.outcome.serial, r.outcome.page) for r in alone] == [
        (r.outcome.state, r.outcome.serial, r.outcome.page) for r in pdf_results]


def _pages(results: list[PageResult]) -> list[tuple[str, str | None, int | None]]:
    return [(r.outcome.state, r.outcome.serial, r.outcome.page) for r in results]


def test_a_file_replaced_under_the_same_name_is_read_anew(tmp_path: Path, pdf: Path) -> None:
    """A reading process keeps the PDF it decodes open between pages; a hot folder may see
    another file under the same name once the first one was moved away."""
    first, second = pdf, DUPLEX.with_name("recto-verso-02.pdf")
    home = Home.open(SAMPLES / "home", create=False)
    target = tmp_path / "scan.pdf"
    with PageReaders(home, workers=1, engine=replay("samples")) as readers:
        expected = [_pages(r) for _, r in readers.stream([first, second])]
    assert expected[0] != expected[1]
    with PageReaders(home, workers=2, keep_crops=True, engine=replay("samples")) as readers:
        shutil.copyfile(first, target)
        read_first = [_pages(r) for _, r in readers.stream([target])]
        target.rename(tmp_path / "traités.pdf")  # still open in the reading processes
        shutil.copyfile(second, target)
        read_second = [_pages(r) for _, r in readers.stream([target])]
    assert read_first == [expected[0]]
    assert read_second == [expected[1]]


def test_one_reader_in_this_process_reads_on_one_thread_and_restores(pdf: Path) -> None:
    """With one worker the pages are read here: OpenCV and BLAS are held to one thread while
    the readers are open (extra threads only spin, ~40 % of a page's CPU) and given back."""
    import cv2
    from threadpoolctl import threadpool_info, threadpool_limits

    home = Home.open(SAMPLES / "home", create=False)
    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        with threadpool_limits(2):
            blas = [pool["num_threads"] for pool in threadpool_info()]
            with PageReaders(home, workers=1, engine=replay("samples")) as readers:
                assert cv2.getNumThreads() == 1
                assert all(pool["num_threads"] == 1 for pool in threadpool_info())
                results = [r for _, rs in readers.stream([pdf]) for r in rs]
            assert cv2.getNumThreads() == 2
            assert [pool["num_threads"] for pool in threadpool_info()] == blas
    finally:
        cv2.setNumThreads(before)
    assert results and all(r.outcome.state in ("read", "blank") for r in results)
