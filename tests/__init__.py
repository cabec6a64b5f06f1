"""The test suite (docs/testing.md).

One BLAS thread in the test processes and in every process they start (CLI subprocesses,
racers, scan workers): ``./dev.sh test`` already runs one pytest worker per core, and
OpenBLAS's extra threads only spin against the other workers (about 40 % of the CPU time
of reading a page in one process). It is what the reading processes of an ingestion set for
themselves anyway (``ocr/stream.py``, ``single_threaded``); the values read are the same.
Set here, when pytest first imports the package, before numpy is loaded.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
