"""The repository's text files hold no leftover of a merge: a conflict marker committed in
the README or a doc shows users two versions of a sentence (it happened: README.md,
docs/cda.md and docs/annexes.md carried « <<<<<<< HEAD » for several sessions)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.M)
TEXT = (".md", ".py", ".yaml", ".yml", ".toml", ".txt", ".j2", ".html", ".sh", ".cfg")


def test_no_merge_conflict_marker_in_tracked_text() -> None:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    files = ([ROOT / name for name in listed.stdout.splitlines()] if listed.returncode == 0
             else [p for p in ROOT.rglob("*") if ".git" not in p.parts])
    found = [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
             for path in files if path.suffix in TEXT or path.name in {"README", "run"}
             if path.is_file()
             for text in [path.read_text(encoding="utf-8", errors="replace")]
             for m in MARKER.finditer(text)]
    assert not found, f"merge conflict markers: {found}"
