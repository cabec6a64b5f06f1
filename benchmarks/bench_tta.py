"""Silent errors and review with and without the test-time augmentation veto (ocr.tta).

    BORDEREAU_TTA=1 .venv/bin/python benchmarks/bench_read.py --reuse DIR --outcomes OUT.json
    .venv/bin/python benchmarks/bench_tta.py OUT.json [OUT2.json ...]
    .venv/bin/python benchmarks/bench_tta.py --cpu DIR clean_300-lyon-os,... [--rounds 2]

The veto is the sheet's last step and only sends fields to review, so one reading with
it switched on gives both readers: without the veto, the fields it sent (reason « lecture
instable … ») were trusted. Counts the filled fields (free text apart, as
``bench_read.rates``), the identity fields apart. ``--cpu``: CPU seconds per page of one
reader in this process (``ReadOptions(workers=1)``, models loaded first,
``resource.getrusage``) on kept batches, the check off and on in turn.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bordereau.simulate.evaluate import FieldOutcome

IDENTITY = {"patient.ipp", "patient.ins", "patient.date_naissance"}
VETO = "lecture instable"


def figures(outcomes: list[FieldOutcome]) -> dict[str, Any]:
    rows = [o for o in outcomes if o.expect == "read" and o.kind != "free_text"
            and o.truth not in (None, False, [], "")]
    vetoed = [o for o in rows if o.review and (o.reason or "").startswith(VETO)]
    found: dict[str, Any] = {"filled": len(rows), "checked": sum(
        1 for o in rows if o.trust is not None and "tta_checked" in o.trust)}
    deciders: list[tuple[str, Callable[[FieldOutcome], bool]]] = [
        ("old", lambda o: o.review and o not in vetoed), ("new", lambda o: o.review)]
    for name, review in deciders:
        silent = [o for o in rows if not review(o) and not o.right]
        found[name] = {
            "review": sum(1 for o in rows if review(o)),
            "silent": len(silent),
            "silent_identity": sum(1 for o in silent if o.field_id in IDENTITY),
        }
    mean = [o for o in rows if o.trust and o.trust.get("tta_unstable_mean")
            and o.review and o in vetoed]  # the mean rule sends a subset of these
    silent_mean = [o for o in rows if not o.right and (not o.review or (
        o in vetoed and o not in mean))]
    found["mean_rule"] = {"review": found["old"]["review"] + len(mean),
                          "silent": len(silent_mean),
                          "silent_identity": sum(1 for o in silent_mean
                                                 if o.field_id in IDENTITY),
                          "vetoed": len(mean)}
    variants: dict[str, int] = {}
    for o in vetoed:
        for key, value in (o.trust or {}).items():
            if key.startswith("tta_against_"):
                variants[key.removeprefix("tta_against_")] = variants.get(
                    key.removeprefix("tta_against_"), 0) + int(value)
    found["cells_read_otherwise_by_variant"] = dict(sorted(variants.items()))
    found["at_least_k_variants"] = {  # fields sent if k variants of one cell had to differ
        k: {"sent": sum(1 for o in vetoed if (o.trust or {}).get("tta_most_against", 0) >= k),
            "wrong": sum(1 for o in vetoed if not o.right
                         and (o.trust or {}).get("tta_most_against", 0) >= k)}
        for k in range(1, 9)}
    found["vetoed"] = len(vetoed)
    found["vetoed_wrong"] = sum(1 for o in vetoed if not o.right)
    found["vetoed_by_kind"] = {k: sum(1 for o in vetoed if o.kind == k)
                               for k in sorted({o.kind for o in vetoed})}
    found["extra_review_share"] = round(len(vetoed) / max(1, len(rows)), 4)
    return found


def cpu(root: Path, batches: list[str], rounds: int) -> None:
    import os
    import resource

    from bordereau.home import Home
    from bordereau.ocr import tta
    from bordereau.ocr.digits import default_recognizer
    from bordereau.ocr.pipeline import ReadOptions, read_batch

    home = Home.open(root / "home", create=False)
    default_recognizer()

    def used() -> float:
        found = resource.getrusage(resource.RUSAGE_SELF)
        return found.ru_utime + found.ru_stime

    for _ in range(rounds):
        for flag in ("0", "1"):
            os.environ[tta.ENVIRONMENT] = flag
            start = used()
            result = read_batch([root / b for b in batches], home, ReadOptions(workers=1))
            pages = len(result.pages)
            checked = sum("tta" in f.details for s in result.sheets for f in s.fields.values())
            print(f"BORDEREAU_TTA={flag}: {pages} pages, {(used() - start) / pages:.3f} "
                  f"CPU-s per page, {checked} fields checked", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outcomes", type=Path, nargs="*")
    parser.add_argument("--cpu", type=Path, help="kept scans (bench_read.py --keep) to time")
    parser.add_argument("--batches",
                        default="clean_300-lyon-os,clean_300-marseille-neuromusculaire")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.cpu:
        cpu(args.cpu, args.batches.split(","), args.rounds)
        return
    outcomes = [FieldOutcome.model_validate(o) for path in args.outcomes
                for o in json.loads(path.read_text())]
    print(json.dumps(figures(outcomes), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
