"""Leave-one-style-out at the field level: whole sheets in a style the networks never saw.

    nice -n 10 .venv/bin/python benchmarks/bench_loso_fields.py --styles kristi humor-sans \\
        [--work /tmp/loso-fields] [--sheets 1] [--calib-sheets 4] [--epochs 4] \\
        [--letter-epochs 8] [--letter-copies 60] [--json docs/loso-fields.json] \\
        [--outcomes-dir /work/scans/loso] [--calib /work/scans/calib /work/scans/calib8]

A *style* is a font family of ``heldout.TRAINING_FONTS`` (faces of one family grouped, as
``scripts/loso.py`` and ``scripts/loso_letters.py`` group them). For each style S, a *fold*:

1. the digit network is trained without S (``scripts/loso.py``'s data, seed and recipe:
   ``--epochs``), and the letter network without S (``scripts/loso_letters.py``'s:
   ``--letter-epochs``, ``--letter-copies``); both are kept in ``WORK/S/models`` so a rerun
   skips what is done;
2. they are installed in copies of the simulated establishment homes
   (``models/digits-cnn.npz``, ``models/letters-cnn.npz``: the reader takes a home's own
   models, ``ocr/adapt.py``);
3. the trust thresholds are fitted without S: a pool of calibration-split sheets
   (``WORK/calib``, simulated once: validation-slice digits, training fonts) is read with
   the fold's networks and no threshold, the sheets whose letters are in S are left out,
   and ``scripts/calibrate.py``'s rule (``fit_thresholds``) is applied;
4. sheets written in S only (letters *and* digits from S's fonts, ``--sheets`` per centre
   and scanner profile, ``WORK/S/eval``, simulated once) are read with the fold's networks
   and thresholds, and measured by ``benchmarks/bench_read.py`` (same figures, same code).
   For comparison, the same sheets are read with the fold's networks and the shipped
   thresholds, and with the shipped networks and thresholds (networks that learnt S).

Each fold's field outcomes (``bench_read.py --outcomes`` format) go to
``OUTCOMES_DIR/S.json`` as soon as the fold ends; the figures to ``--json``. The held-out
fonts and samples (``bordereau/heldout.py``) are never trained, calibrated or read here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))  # the training code stays out of the package
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_read  # noqa: E402
from calibrate import fit_thresholds  # noqa: E402

from bordereau import heldout  # noqa: E402
from bordereau.ocr.adapt import ADAPTED_FILE, LETTERS_FILE, MODELS_DIR  # noqa: E402
from bordereau.ocr.trust import DEFAULT_THRESHOLDS  # noqa: E402
from bordereau.simulate.evaluate import (  # noqa: E402
    FieldOutcome,
    compare,
    kept_batches,
    read_kept,
    simulate,
)
from bordereau.simulate.handwriting import font_style  # noqa: E402
from bordereau.simulate.profiles import PRESETS  # noqa: E402
from bordereau.simulate.truth import BatchTruth  # noqa: E402

CENTRES = bench_read.CENTRES
DIGIT_SEED = 20240611  # scripts/loso.py's
LETTER_SEED = 20250301  # scripts/loso_letters.py's
CALIB_SEED = 7  # scripts/calibrate.py's
EVAL_SEED = 4100
STYLE_OF_FONT = {f.name: font_style(f) for f in heldout.TRAINING_FONTS}


def log(message: str) -> None:
    print(f"[loso_fields] {message}", file=sys.stderr, flush=True)


def styles() -> list[str]:
    """The font families of the training fonts installed here, in TRAINING_FONTS order."""
    return list(dict.fromkeys(font_style(f) for f in heldout.TRAINING_FONTS if f.exists()))


def sheet_style(truth: BatchTruth, serial: str) -> str | None:
    """The font family a simulated sheet's letters were written in."""
    sheet = next(s for s in truth.sheets if s.serial == serial)
    return STYLE_OF_FONT.get(sheet.writer.font)


def without_style(fields: list[FieldOutcome], truth: BatchTruth,
                  style: str) -> list[FieldOutcome]:
    """The outcomes of the sheets of ``truth`` not written in ``style``."""
    kept = {s.serial for s in truth.sheets if STYLE_OF_FONT.get(s.writer.font) != style}
    return [f for f in fields if f.serial in kept]


def simulated(folder: Path, sheets: int, split: str, profiles: list[str], seed: int,
              style: str | None) -> list[tuple[Path, BatchTruth]]:
    """The batches of ``folder``, simulated first when a former run did not finish them."""
    done = folder / "complete"
    if not done.exists():
        if folder.exists():
            shutil.rmtree(folder)
        started = time.monotonic()
        simulate(folder, CENTRES, sheets, split, profiles, seed, style=style)
        done.write_text("ok\n")
        log(f"simulated {folder} in {time.monotonic() - started:.0f} s")
    return kept_batches(folder)


def home_with(models: Path, home: Path, copy: Path) -> Path:
    """A copy of ``home`` (same secret and layouts) holding the fold's networks."""
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(home, copy)
    (copy / MODELS_DIR).mkdir(exist_ok=True)
    for name in (ADAPTED_FILE, LETTERS_FILE):
        if (models / name).exists():
            shutil.copy2(models / name, copy / MODELS_DIR / name)
    return copy


def calibrate_fold(style: str, pools: list[Path], models: Path, where: Path,
                   workers: int | None) -> dict[str, Any]:
    """Thresholds fitted on the calibration sheets of ``pools`` not written in ``style``,
    read by the fold's networks (``models``) with no threshold (``scripts/calibrate.py``'s
    rule); each pool is read with a copy of its own home."""
    zero = {kind: 0.0 for kind in DEFAULT_THRESHOLDS}
    fields: list[FieldOutcome] = []
    elapsed, sheets = 0.0, 0
    for n, pool in enumerate(pools):
        home = home_with(models, pool / "home", where / f"calib-home-{n}")
        result, batches, seconds = read_kept(pool, workers, thresholds=zero, home=home)
        elapsed += seconds
        for folder, truth in batches:
            kept = without_style(compare(result, truth, folder)["fields"], truth, style)
            fields += kept
            sheets += len({f.serial for f in kept})  # serials repeat from pool to pool
    thresholds, support = fit_thresholds(fields)
    return {"thresholds": thresholds, "support": support, "sheets": sheets,
            "pools": [str(p) for p in pools], "seconds": round(elapsed)}


def models_for(style: str, args: argparse.Namespace) -> Path:
    """The fold's networks, trained without ``style`` unless a former run left them."""
    import loso_fold

    models = Path(args.work) / style / "models"
    models.mkdir(parents=True, exist_ok=True)
    cache = args.work / "cache"
    if not (models / ADAPTED_FILE).exists():
        loso_fold.train_digits_without(style, models / ADAPTED_FILE, cache, args.epochs,
                                       DIGIT_SEED)
    if args.letter_epochs and not (models / LETTERS_FILE).exists():
        loso_fold.train_letters_without(style, models / LETTERS_FILE, cache,
                                        args.letter_epochs, args.letter_copies, LETTER_SEED)
    return models


def brief(figures: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of one reading of the fold's sheets."""
    return {key: figures[key] for key in ("overall", "handwritten", "identity",
                                          "rates_by_kind", "precision_coverage")}


def calibration_pools(args: argparse.Namespace) -> list[Path]:
    """``--calib`` (scans ``bench_read.py --split calib --keep DIR`` left), else a pool
    simulated once in ``WORK/calib``."""
    if args.calib:
        for pool in args.calib:
            if any(truth.split != "calib" for _, truth in kept_batches(pool)):
                raise SystemExit(f"{pool}: not (only) calibration-split scans")
        return list(args.calib)
    calib = args.work / "calib"
    simulated(calib, args.calib_sheets, "calib", args.profiles.split(","), CALIB_SEED, None)
    return [calib]


def fold(style: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    where = args.work / style
    models = models_for(style, args)
    calibration = calibrate_fold(style, calibration_pools(args), models, where, args.workers)
    log(f"{style}: thresholds {calibration['thresholds']} ({calibration['sheets']} sheets)")
    profiles = args.profiles.split(",")
    sheets = where / "eval"
    simulated(sheets, args.sheets, "train", profiles, EVAL_SEED, style)
    home = home_with(models, sheets / "home", where / "eval-home")
    figures = bench_read.run(sheets, args.sheets, "train", profiles, EVAL_SEED, args.workers,
                             reuse=True, thresholds=calibration["thresholds"], home=home)
    outcomes = figures.pop("outcomes")
    args.outcomes_dir.mkdir(parents=True, exist_ok=True)
    (args.outcomes_dir / f"{style}.json").write_text(
        json.dumps(outcomes, ensure_ascii=False, default=str), encoding="utf-8")
    bench_read.show(figures)
    shipped_thresholds = bench_read.run(sheets, args.sheets, "train", profiles, EVAL_SEED,
                                        args.workers, reuse=True, home=home)
    shipped = bench_read.run(sheets, args.sheets, "train", profiles, EVAL_SEED, args.workers,
                             reuse=True)
    return {"left_out": style, "models": {p.name: _meta(p) for p in sorted(models.glob("*.npz"))},
            "calibration": calibration, "loso": figures,
            "fold_networks_shipped_thresholds": brief(shipped_thresholds),
            "shipped_networks": brief(shipped), "seconds": round(time.monotonic() - started)}


def reference(args: argparse.Namespace, folds: dict[str, Any]) -> dict[str, Any]:
    """The same recipe trained on every style (nothing left out) and calibrated on every
    calibration sheet, reading each fold's sheets: what the fold loses by not having seen
    its style, apart from what the shorter recipe loses against the shipped networks."""
    from loso_common import ALL

    started = time.monotonic()
    where = args.work / ALL
    models = models_for(ALL, args)
    calibration = calibrate_fold(ALL, calibration_pools(args), models, where, args.workers)
    log(f"reference: thresholds {calibration['thresholds']} ({calibration['sheets']} sheets)")
    profiles = args.profiles.split(",")
    for style, done in folds.items():
        sheets = args.work / style / "eval"
        if not (sheets / "complete").exists():
            continue
        home = home_with(models, sheets / "home", where / f"eval-home-{style}")
        done["reference_networks"] = brief(bench_read.run(
            sheets, args.sheets, "train", profiles, EVAL_SEED, args.workers, reuse=True,
            thresholds=calibration["thresholds"], home=home))
    return {"models": {p.name: _meta(p) for p in sorted(models.glob("*.npz"))},
            "calibration": calibration, "seconds": round(time.monotonic() - started)}


def _meta(path: Path) -> dict[str, Any]:
    import numpy as np

    with np.load(path) as saved:
        meta: dict[str, Any] = json.loads(str(saved["meta"]))
    return {k: meta[k] for k in ("name", "left_out", "epochs", "val_accuracy", "temperature")
            if k in meta}


def _rate(row: dict[str, Any]) -> str:
    silent = f"{row['silent']} ({100 * (row['silent_rate'] or 0):.2f} %)"
    right = row["right_when_trusted"]
    return (f"{row['filled']} | {silent} | {100 * (row['review_rate'] or 0):.1f} % | "
            + (f"{100 * right:.2f} %" if right is not None else "—"))


def table(results: dict[str, Any]) -> str:
    """The Markdown tables of docs/reading.md, from the saved results."""
    head = ("| {} | filled | silent errors | review | right when trusted |\n"
            "|---|---:|---:|---:|---:|")
    lines = [head.format("sheets in the style left out, read by")]
    reference = ROOT / "docs" / "bench-read-eval.json"
    for style, f in results["folds"].items():
        lines.append(f"| **{style}**: fold networks, fold thresholds | "
                     f"{_rate(f['loso']['overall'])} |")
        lines.append(f"| {style}: fold networks, shipped thresholds | "
                     f"{_rate(f['fold_networks_shipped_thresholds']['overall'])} |")
        if "reference_networks" in f:
            lines.append(f"| {style}: same recipe on every style (trained on it), its "
                         f"thresholds | {_rate(f['reference_networks']['overall'])} |")
        lines.append(f"| {style}: shipped networks (trained on it), shipped thresholds | "
                     f"{_rate(f['shipped_networks']['overall'])} |")
    if reference.exists():
        held = json.loads(reference.read_text(encoding="utf-8"))
        lines.append(f"| held-out split (docs/bench-read-eval.json), shipped | "
                     f"{_rate(held['overall'])} |")
    lines += ["", head.format("fold networks and thresholds: style, part")]
    for style, f in results["folds"].items():
        figures = f["loso"]
        lines.append(f"| {style}, identity (IPP, NIR, birth date) | "
                     f"{_rate(figures['identity'])} |")
        for kind, row in figures["rates_by_kind"].items():
            if row["filled"]:
                lines.append(f"| {style}, {kind} | {_rate(row)} |")
    names = list(results["folds"])
    lines += ["", "| scanner profile | " + " | ".join(names) + " |",
              "|---|" + "---:|" * len(names)]
    profiles = dict.fromkeys(p for f in results["folds"].values() for p in f["loso"]["by_profile"])
    for profile in profiles:
        cells = []
        for f in results["folds"].values():
            row = f["loso"]["by_profile"].get(profile)
            cells.append(f"{row['silent']} / {100 * (row['review_rate'] or 0):.0f} %"
                         if row else "—")
        lines.append(f"| {profile} | " + " | ".join(cells) + " |")
    lines += ["", "| style | " + " | ".join(
        ["digit comb threshold", "letter comb threshold", "checkbox threshold",
         "calibration sheets"]) + " |", "|---|---:|---:|---:|---:|"]
    for style, f in results["folds"].items():
        t = f["calibration"]["thresholds"]
        lines.append(f"| {style} | {t['digits']} | {t['letters']} | {t['single_choice']} | "
                     f"{f['calibration']['sheets']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="+", default=styles(), choices=styles())
    parser.add_argument("--work", type=Path, default=Path("/tmp/loso-fields"))
    parser.add_argument("--sheets", type=int, default=1, help="per centre and profile, per style")
    parser.add_argument("--calib-sheets", type=int, default=4, help="per centre and profile")
    parser.add_argument("--calib", type=Path, nargs="*", help="kept calibration-split scans")
    parser.add_argument("--profiles", default=",".join(PRESETS))
    parser.add_argument("--epochs", type=int, default=4, help="digit network")
    parser.add_argument("--letter-epochs", type=int, default=8, help="0: shipped letters")
    parser.add_argument("--letter-copies", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "loso-fields.json")
    parser.add_argument("--reference", action="store_true",
                        help="then the same recipe trained on every style reads each fold's "
                             "sheets")
    parser.add_argument("--again", action="store_true", help="measure folds done before again")
    parser.add_argument("--outcomes-dir", type=Path, default=Path("/work/scans/loso"))
    parser.add_argument("--table", action="store_true", help="print the tables of --json")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.json.read_text(encoding="utf-8"))))
        return 0
    import torch

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    results: dict[str, Any] = {}
    if args.json.exists():
        results = json.loads(args.json.read_text(encoding="utf-8"))
    results.update({"command": "python benchmarks/bench_loso_fields.py "
                    + " ".join(argv if argv is not None else sys.argv[1:]),
                    "epochs": args.epochs, "letter_epochs": args.letter_epochs,
                    "letter_copies": args.letter_copies, "sheets": args.sheets,
                    "calib_sheets": args.calib_sheets,
                    "calib": [str(p) for p in args.calib or []]})
    folds: dict[str, Any] = results.setdefault("folds", {})
    for style in args.styles:
        done = args.work / style / "fold.json"  # a fold measured with these settings
        settings = {k: results[k] for k in ("epochs", "letter_epochs", "letter_copies",
                                            "sheets", "calib_sheets", "calib")}
        saved = json.loads(done.read_text(encoding="utf-8")) if done.exists() else {}
        if saved.get("settings") == settings and not args.again:
            folds[style] = saved["fold"]
        else:
            folds[style] = fold(style, args)
            done.write_text(json.dumps({"settings": settings, "fold": folds[style]},
                                       ensure_ascii=False, default=str), encoding="utf-8")
        log(f"{style}: done in {folds[style]['seconds']} s")
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str)
                             + "\n", encoding="utf-8")
    if args.reference:
        results["reference"] = reference(args, folds)
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str)
                             + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
