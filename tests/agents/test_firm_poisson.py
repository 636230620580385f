"""The Poisson draws of innovation are scipy.stats.poisson.ppf's own values, exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from agents.firm import poisson_inverse


@pytest.mark.parametrize("kind", ["firm_like", "tiny", "wide", "special"])
def test_poisson_inverse_equals_scipy_ppf(kind):
    rng = np.random.default_rng(["firm_like", "tiny", "wide", "special"].index(kind))
    n = 200_000
    if kind == "firm_like":
        mean = rng.gamma(2.0, 3.0, n)
    elif kind == "tiny":
        mean = rng.random(n) * 0.05
    elif kind == "wide":
        mean = 10 ** rng.uniform(-6, 3.5, n)
    else:
        mean = rng.choice([0.0, 1e-300, 5.0, 6.0, 100.0, 1e4], n)
    uniform = rng.random(n)
    uniform[:500] = 0.0
    # uniform exactly at, and next to, CDF values (ties of the inverse)
    k = rng.integers(0, 12, 2000).astype(float)
    at = special.pdtr(k, mean[500:2500])
    uniform[500:2500] = np.where(rng.random(2000) < 0.5, at, np.nextafter(at, 2.0))
    expected = np.maximum(stats.poisson.ppf(uniform, mean), 0).astype(np.int64)
    np.testing.assert_array_equal(poisson_inverse(uniform, mean), expected)
