"""Leave-one-style-out (LOSO) study of the capital-letter recogniser (training side only).

    .venv/bin/python scripts/loso_letters.py [--epochs 8] [--copies 60] [--styles all bwht ...]

The letter network learns from the handwriting fonts of ``heldout.TRAINING_FONTS`` only, so
a style is a font family (faces of one family grouped). Each family is rendered once with
``train_letters.build_set`` (its capitals, ``-`` and ``'``, its ``digit`` and
``not_a_letter`` cells); for a style S the network of ``scripts/train_letters.py`` is trained
on the other families, its temperature and trust threshold (the rule of
``scripts/calibrate.py``, on letter cells, see ``loso_common``) fitted on their validation
renderings, and it reads S's capitals. The reference run trains on every family and reads
the held-out fonts (never trained or tuned on); so is the shipped model. ``--copies``
renderings per glyph (``letters-cnn-v3`` had 220; v4 has 150 and adds npm fonts, which
this study leaves out) and ``--epochs`` are the same for every
run. Nothing under ``bordereau/ocr/models`` is written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import train_letters as tl
from loso_common import ALL, RULE, cell_threshold, false_trust, figures, table

from bordereau import heldout
from bordereau.ocr.letters import DIGIT, REJECT
from bordereau.training.temperature import fit_temperature, softmax

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "loso-letters.json"
NOT_READ = (REJECT, DIGIT)  # never trusted as a capital
HELDOUT_SEED = 9_200_000  # far from the training seeds
HELDOUT_ROUNDS = 4  # validation-size renderings of each held-out font, with other seeds
Data = tl.Data


def log(message: str) -> None:
    print(f"[loso_letters] {message}", file=sys.stderr, flush=True)


def families() -> dict[str, tuple[Path, ...]]:
    """Training fonts grouped by family (their folder), in ``TRAINING_FONTS`` order."""
    grouped: dict[str, list[Path]] = {}
    for font in tl.training_fonts():
        grouped.setdefault(font.parent.name, []).append(font)
    return {name: tuple(fonts) for name, fonts in grouped.items()}


def merge(parts: list[Data]) -> Data:
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]))  # fmt: skip


def cached(path: Path, make: Any) -> Data:
    if path.exists():
        with np.load(path) as saved:
            return saved["x"], saved["g"], saved["y"]
    started = time.monotonic()
    x, g, y = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=x, g=g, y=y)
    log(f"rendered {len(y)} cells in {time.monotonic() - started:.0f} s -> {path}")
    return x, g, y


def load_data(args: argparse.Namespace) -> dict[str, Any]:
    """Each family's training and validation cells, and the held-out fonts' cells."""
    tl.COPIES = {"train": args.copies, "val": tl.COPIES["val"]}
    sets: dict[str, Any] = {}
    for k, (name, fonts) in enumerate(families().items()):
        if any(heldout.font_is_heldout(f) for f in fonts):
            raise RuntimeError(f"held-out font among the training fonts: {fonts}")
        stem = args.cache / f"letters-{name}-{args.seed}-{args.copies}"
        sets[name] = {
            split: cached(Path(f"{stem}-{split}.npz"),
                          lambda s=split, f=fonts, i=k: tl.build_set(f, s, args.seed + 10 * i
                                                                    + (s == "val")))
            for split in ("train", "val")
        }  # fmt: skip
    held: dict[str, Data] = {}
    for name, fonts in (("fonts-dkg-handwriting", heldout.HELDOUT_FONTS[:4]),
                        ("fonts-tomsontalks", heldout.HELDOUT_FONTS[4:])):  # fmt: skip
        held[name] = cached(args.cache / f"letters-{name}-{HELDOUT_ROUNDS}.npz", lambda f=fonts:
                            merge([tl.build_set(f, "val", HELDOUT_SEED + i)
                                   for i in range(HELDOUT_ROUNDS)]))  # fmt: skip
    return {"families": sets, "heldout": held}


def read(probs: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, Any]:
    """Figures on the capitals (and ``-``, ``'``), false trust on ``not_a_letter`` cells."""
    chars = labels < REJECT
    out = figures(probs[chars], labels[chars], threshold, NOT_READ)
    out["marks"] = false_trust(probs[labels == REJECT], threshold, NOT_READ)
    return out


def tuned(probs: np.ndarray, val: Data) -> tuple[float, dict[str, Any]]:
    threshold = cell_threshold(probs, val[2], NOT_READ)
    return threshold, read(probs, val[2], threshold)


def run(style: str, data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    others = [s for name, s in data["families"].items() if name != style]
    train, val = merge([s["train"] for s in others]), merge([s["val"] for s in others])
    log(f"{style}: training on {len(train[2])} cells, validating on {len(val[2])}")
    net = tl.train(train, val, args.epochs, args.seed)
    logits = tl.logits_of(net, val)
    temperature = fit_temperature(logits, val[2])
    threshold, validation = tuned(softmax(logits, temperature), val)
    result: dict[str, Any] = {"left_out": style, "train_cells": len(train[2]),
                              "val_cells": len(val[2]), "temperature": temperature,
                              "threshold": threshold, "validation": validation}  # fmt: skip
    if style == ALL:
        result["heldout"] = read_heldout(
            lambda d: softmax(tl.logits_of(net, d), temperature), threshold, data
        )
    else:
        own = merge([data["families"][style]["train"], data["families"][style]["val"]])
        probs = softmax(tl.logits_of(net, own), temperature)
        result["left_out_cells"] = read(probs, own[2], threshold)
    result["seconds"] = round(time.monotonic() - started)
    return result


def read_heldout(predict: Any, threshold: float, data: dict[str, Any]) -> dict[str, Any]:
    out = {name: read(predict(d), d[2], threshold) for name, d in data["heldout"].items()}
    everything = merge(list(data["heldout"].values()))
    out["all held-out"] = read(predict(everything), everything[2], threshold)
    return out


def read_shipped(data: dict[str, Any]) -> dict[str, Any]:
    from bordereau.ocr.letters import LetterRecognizer

    model = LetterRecognizer()
    val = merge([s["val"] for s in data["families"].values()])
    threshold, validation = tuned(model.predict_normalised(val[0], val[1]), val)
    return {"model": model.version, "threshold": threshold, "validation": validation,
            "heldout": read_heldout(lambda d: model.predict_normalised(d[0], d[1]),
                                    threshold, data)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--copies", type=int, default=60, help="renderings per glyph")
    parser.add_argument("--seed", type=int, default=20250301)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/loso-cache"))
    parser.add_argument("--styles", nargs="*", help="only these runs (default: all, then each)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--table", action="store_true", help="print the table of --out")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.out.read_text(encoding="utf-8"))))
        return 0
    import torch

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    results: dict[str, Any] = {}
    if args.out.exists():  # runs already measured with the same settings are kept
        results = json.loads(args.out.read_text(encoding="utf-8"))
        if (results.get("epochs"), results.get("copies")) != (args.epochs, args.copies):
            results = {}
    data = load_data(args)
    results.update({"command": "python scripts/loso_letters.py "
                    + " ".join(argv if argv is not None else sys.argv[1:]),
                    "epochs": args.epochs, "copies": args.copies, "seed": args.seed,
                    "styles": list(data["families"]), "rule": RULE})  # fmt: skip
    runs: dict[str, Any] = results.setdefault("runs", {})
    if "shipped" not in results:
        results["shipped"] = read_shipped(data)
    for style in args.styles or [ALL, *data["families"]]:
        if style not in runs:
            runs[style] = run(style, data, args)
            log(f"{style}: {json.dumps(runs[style])}")
            args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
