"""Reliability: each kind of bad input ingested beside a good control sheet, one batch per
kind, in a fresh copy of the sample home; prints the outcome per kind (Markdown) and writes
it as JSON.

    nice -n 10 .venv/bin/python scripts/reliability_corpus.py [--out docs/reliability-corpus.json]

The command runs as a child process without the capabilities that let root read mode-000
files (``setpriv``), so unreadable files really are unreadable. Per kind it checks: the
batch ends (no hang, 300 s bound), exit 6, the control sheet 000008 stored, every bad entry
named in a refusal with a French reason, no English/SQL word and no patient value on screen.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bad_inputs import PHOTO, corpus_makers, make_corpus  # noqa: E402
from tests.test_bad_input_corpus import FOREIGN, NO_DAC, patient_values  # noqa: E402

BORDEREAU = Path(sys.executable).parent / "bordereau"
SAMPLE_HOME = ROOT / "samples" / "home"


def run_kind(kind: str, work: Path, secrets: set[str]) -> dict[str, object]:
    home, folder = work / "home", work / "scans"
    shutil.copytree(SAMPLE_HOME, home)
    names = make_corpus(folder, [kind])[kind]
    shutil.copy(PHOTO, folder / "00-controle.png")
    start = time.monotonic()
    try:
        done = subprocess.run(
            [*NO_DAC, str(BORDEREAU), "scan", "ingest", str(folder), "--home", str(home),
             "--workers", "2"], capture_output=True, text=True, timeout=300, errors="replace")
    except subprocess.TimeoutExpired:
        return {"kind": kind, "hang": True, "ok": False}
    seconds = round(time.monotonic() - start, 1)
    screen = done.stdout + done.stderr
    status = json.loads(subprocess.run(
        [str(BORDEREAU), "scan", "status", "--home", str(home), "--json"], capture_output=True,
        text=True, check=True).stdout)
    lines = [line for line in done.stdout.splitlines()
             if line.startswith(("Refusée : ", "« ", "Dossier « "))]
    shown = [n.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for n in names]
    reasons = [line for line in lines if any(name in line for name in shown)]
    refused = all(any(name in line for line in lines) for name in shown)
    control = status["sheets"]["waiting_review"] + status["sheets"]["committed"] >= 1 and \
        not any(line.startswith("Refusée : 00-controle") for line in lines)
    foreign = [line for line in screen.splitlines() if FOREIGN.search(line.split("(/")[0])]
    leaked = [value for value in secrets if value in screen]
    return {
        "kind": kind, "exit": done.returncode, "seconds": seconds, "hang": False,
        "control_stored": control, "refused": refused,
        "reason": reasons[0] if reasons else None, "foreign_words": foreign,
        "patient_values": len(leaked),
        "ok": done.returncode == 6 and control and refused and not foreign and not leaked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability-corpus.json")
    parser.add_argument("--kinds", nargs="*", default=None)
    args = parser.parse_args()
    secrets = patient_values()
    results = []
    for kind in args.kinds or list(corpus_makers()):
        with tempfile.TemporaryDirectory() as work:
            result = run_kind(kind, Path(work), secrets)
        results.append(result)
        print(f"| {kind} | {'ok' if result['ok'] else 'ÉCHEC'} | {result.get('exit')} | "
              f"{result.get('reason') or ''} |", flush=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    failures = [r["kind"] for r in results if not r["ok"]]
    print(f"{len(results)} kinds, {len(results) - len(failures)} ok, failures: {failures}")


if __name__ == "__main__":
    main()
