"""What the racers' fork server (``tests/races.py``, ``process_context``) loads once.

The server imports the racing code and reads the static tables a reviewer's queue reads
for its evidence (the HGNC gene symbols, the plausibility table): every racer forked from
it then has them at once, instead of each decompressing and parsing them again (about
0.1 s of CPU a racer; a test starts two to four racers a backend). They are read-only
data shipped with the package: a racer still opens every base and file itself.
"""

from __future__ import annotations

from bordereau.templates.hgnc import hgnc_table
from bordereau.templates.plausibility import plausibility
from tests import races  # noqa: F401  (the racing code, imported once)

hgnc_table()
plausibility()
