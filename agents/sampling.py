"""Sampling by inverse transform from uniform numbers drawn per agent.

The model draws one uniform number per agent row and turns it into the outcome here, so that
an agent's outcome depends on its own number only: runs that share a seed share each agent's
numbers (common random numbers), whatever the other agents do.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

#: Rows of a choice table processed at once (bounds the temporary memory of a draw).
_DRAW_CHUNK = 1 << 16


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
    used = np.unique(rows)
    if not (np.isfinite(total[used]).all() and (total[used] > 0).all()):
        raise ValueError("choice probabilities are not a finite distribution (NaN or empty row)")
    k = cumulative.shape[1]
    out = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), _DRAW_CHUNK):
        stop = start + _DRAW_CHUNK
        table = cumulative[rows[start:stop]]
        threshold = uniform[start:stop, None] * table[:, -1:]
        out[start:stop] = (table <= threshold).sum(axis=1)
    return np.minimum(out, k - 1)


def binomial_inverse(uniform: np.ndarray, trials: int, probability: np.ndarray) -> np.ndarray:
    """Binomial draws ``B(trials, probability)`` by inverse transform of ``uniform``.

    (scipy's quantile of 0 is -1, the support's lower edge minus one: it is mapped to 0.)
    """
    return np.maximum(stats.binom.ppf(uniform, trials, probability), 0).astype(np.int64)
