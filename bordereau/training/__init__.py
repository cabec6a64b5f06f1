"""What only training needs: synthetic cells for the recognisers and the letter-combination fit.

Nothing at run time imports this package; ``scripts/train_*.py``, the benchmarks and the
tests do.
"""
