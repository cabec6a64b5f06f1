"""``bordereau scan watch``: a hot folder fed file by file by another process."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue

import pytest

from tests.conftest import ROOT, SAMPLES, run_cli

BORDEREAU = str(Path(sys.executable).with_name("bordereau"))
# Recorded Tesseract output in the watchers (BORDEREAU_OCR_REPLAY is inherited): this tests
# the hot folder, not Tesseract (docs/testing.md)
pytestmark = pytest.mark.usefixtures("replay_samples")
LYON = SAMPLES / "scans" / "lyon-os"

# A scanner: writes one file slowly in chunks (the watcher must wait for its end), and
# meanwhile one under a temporary name renamed when complete, and one cut short (a broken
# transfer): the watcher takes those two while the slow one is still being written.
SCANNER = """
import sys, threading, time
from pathlib import Path
folder, slow, renamed, broken = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), \\
    Path(sys.argv[4])
def write_slowly():
    data = slow.read_bytes()
    step = len(data) // 6 + 1
    with (folder / slow.name).open("wb") as out:
        for start in range(0, len(data), step):
            out.write(data[start:start + step])
            out.flush()
            time.sleep(0.6)
writer = threading.Thread(target=write_slowly)
writer.start()
part = folder / (renamed.name + ".part")
part.write_bytes(renamed.read_bytes())
time.sleep(1.0)
part.rename(folder / renamed.name)
cut = broken.read_bytes()
(folder / "coupé.pdf").write_bytes(cut[:2000])
writer.join()
"""


class Watcher:
    """``scan watch --json`` in its own process; its lines read as they come."""

    def __init__(self, folder: Path, home: Path) -> None:
        self.process = subprocess.Popen(
            [BORDEREAU, "scan", "watch", str(folder), "--home", str(home), "--json",
             "--interval", "0.2", "--settle", "1.5", "--workers", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.lines: Queue[dict[str, object]] = Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def stop(self, sig: int) -> int:
        """Send a signal, wait for the end, close the pipes; the exit code."""
        self.process.send_signal(sig)
        code = self.process.wait(timeout=120)
        self.reader.join(timeout=30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return code

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next(self, timeout: float = 300) -> dict[str, object]:
        try:
            return self.lines.get(timeout=timeout)
        except Empty:
            self.process.kill()
            error = self.process.stderr.read() if self.process.stderr else ""
            self.stop(signal.SIGKILL)
            raise AssertionError(f"no line from the watcher: {error}") from None


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


def _status(home: Path) -> dict[str, object]:
    result = run_cli(["scan", "status", "--home", str(home), "--json"])  # in process: quicker
    assert result.exit_code == 0, result.stderr
    status: dict[str, object] = json.loads(result.stdout)
    return status


def test_a_hot_folder_fed_file_by_file(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "depot"
    folder.mkdir()
    watcher = Watcher(folder, home)
    scanner = subprocess.Popen([sys.executable, "-c", SCANNER, str(folder),
                                str(LYON / "bureau-jpeg" / "bureau-jpeg-01.pdf"),
                                str(LYON / "photo" / "photo-01-001.png"),
                                str(LYON / "recto-verso" / "recto-verso-01.pdf")])
    taken = {str(line["file"]): line for line in (watcher.next() for _ in range(3))}
    assert scanner.wait(timeout=60) == 0
    slow = taken["bureau-jpeg-01.pdf"]
    assert slow["pages"] == {"read": 1, "refused": 1}  # both pages: read whole, not cut
    assert slow["moved_to"] == "traités/bureau-jpeg-01.pdf"
    assert taken["photo-01-001.png"]["moved_to"] == "traités/photo-01-001.png"
    broken = taken["coupé.pdf"]
    assert broken["moved_to"] == "refusés/coupé.pdf"
    why = (folder / "refusés" / "coupé.pdf.txt").read_text(encoding="utf-8")
    assert why.startswith("Fichier refusé : coupé.pdf\nRaison : ")
    assert str(broken["reason"]) in why
    # the page refused inside an integrated file is explained beside it too
    assert re.search(r"^Page \d : ", (folder / "traités" / "bureau-jpeg-01.pdf.txt")
                     .read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(p.name for p in folder.iterdir()) == ["refusés", "traités"]

    assert watcher.stop(signal.SIGTERM) == 0  # a clean stop
    before = _status(home)

    # restart: the same bytes dropped again are recognised, not read twice
    shutil.copy(LYON / "bureau-jpeg" / "bureau-jpeg-01.pdf", folder / "encore.pdf")
    watcher = Watcher(folder, home)
    again = watcher.next()
    assert again["file"] == "encore.pdf" and again["already"] is True
    assert again["moved_to"] == "traités/encore.pdf"
    assert _status(home)["pages_total"] == before["pages_total"]

    # killed while reading a file, started again: the file is read once, nothing lost
    shutil.copy(LYON / "recto-verso" / "recto-verso-01.pdf", folder / "recto.pdf")
    time.sleep(2.5)  # settled (1.5 s) and being read by now, most likely
    watcher.stop(signal.SIGKILL)
    killed = watcher
    watcher = Watcher(folder, home)
    line = killed.lines.get() if not killed.lines.empty() else watcher.next()
    assert line["file"] == "recto.pdf" and line["moved_to"] == "traités/recto.pdf"
    assert watcher.stop(signal.SIGINT) == 0
    after = _status(home)
    pages = line["pages"]
    assert isinstance(pages, dict)
    assert after["pages_total"] == before["pages_total"] + sum(pages.values())  # type: ignore[operator]
    assert after["files"] == before["files"] + 1  # type: ignore[operator]
