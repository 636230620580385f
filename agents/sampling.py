"""Sampling by inverse transform from uniform numbers drawn per agent.

The model draws one uniform number per agent row and turns it into the outcome here, so that
an agent's outcome depends on its own number only: runs that share a seed share each agent's
numbers (common random numbers), whatever the other agents do.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def draw_categories(uniform: np.ndarray, cumulative: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per entry of ``rows`` from the cumulative distributions of a table.

    Args:
        uniform: One uniform number in [0, 1) per draw.
        cumulative: ``(groups, k)`` cumulative probabilities (each row is rescaled by its last
            entry, so it need not end exactly at 1).
        rows: Group index of each draw.

    Returns:
        The drawn category (``0..k-1``) of each draw.

    Raises:
        ValueError: A row used by a draw is not a finite, positive distribution.
    """
    total = cumulative[:, -1]
    used = np.zeros(len(total), dtype=bool)
    used[rows] = True
    if not (np.isfinite(total[used]).all() and (total[used] > 0).all()):
        raise ValueError("choice probabilities are not a finite distribution (NaN or empty row)")
    k = cumulative.shape[1]
    # Count the entries of each draw's row that are <= its threshold. The rows are cumulative
    # sums of non-negative numbers, hence non-decreasing, so the count is the row's
    # searchsorted(threshold, side="right"): found by a binary search on all draws at once
    # (ceil(log2(k + 1)) gathers of one entry per draw instead of k).
    flat = np.ascontiguousarray(cumulative).ravel()
    base = rows.astype(np.int64) * k
    threshold = uniform * total[rows]
    low = np.zeros(len(rows), dtype=np.int64)
    high = np.full(len(rows), k, dtype=np.int64)
    for _ in range(int(k).bit_length()):
        middle = (low + high) >> 1
        active = low < high
        below = flat[base + np.minimum(middle, k - 1)] <= threshold
        low = np.where(active & below, middle + 1, low)
        high = np.where(active & ~below, middle, high)
    return np.minimum(low, k - 1)


def binomial_inverse(uniform: np.ndarray, trials: int, probability: np.ndarray) -> np.ndarray:
    """Binomial draws ``B(trials, probability)`` by inverse transform of ``uniform``.

    (scipy's quantile of 0 is -1, the support's lower edge minus one: it is mapped to 0.)
    """
    return np.maximum(stats.binom.ppf(uniform, trials, probability), 0).astype(np.int64)
