"""The talent relocation rule as a bare numpy kernel: no agents, no model (the floor).

The same arithmetic as :func:`agents.talent.location_utilities`,
:func:`agents.talent.choice_probabilities` and :func:`agents.talent.choose_locations`, written
out on plain arrays, so that its time is what the decision costs with numpy and nothing else.
"""

from __future__ import annotations

import numpy as np


def relocate(
    rng: np.random.Generator,
    city: np.ndarray,
    hukou: np.ndarray,
    high_skill: np.ndarray,
    years_in_city: np.ndarray,
    destination_utility: np.ndarray,
    non_hukou_penalty: np.ndarray,
    moving_cost: np.ndarray,
    home_bias: float,
    flexible_talent: bool,
    reconsider_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw every reconsidering agent's new city; update ``city`` and ``years_in_city``.

    Returns:
        ``(origins, destinations)`` of the agents that moved.
    """
    n = len(non_hukou_penalty)
    # Utilities by (origin, hukou, skill, destination), logit probabilities, cumulative.
    own = np.zeros((n + 1, n), dtype=bool)
    own[np.arange(n), np.arange(n)] = True
    penalty = np.repeat(np.where(own, 0.0, non_hukou_penalty)[:, None, :], 2, axis=1)
    if flexible_talent:
        penalty[:n, 1, :] = 0.0
    home = np.where(own, home_bias, 0.0)
    per_group = destination_utility[None, :, :] + home[:, None, :] - penalty
    utility = per_group[None] - moving_cost[:, None, None, :]
    weight = np.exp(utility - utility.max(axis=-1, keepdims=True))
    probability = weight / weight.sum(axis=-1, keepdims=True)
    cumulative = np.cumsum(probability.reshape(-1, n), axis=1)
    # Draws: one pair of uniforms per agent.
    reconsider_uniform, choice_uniform = rng.random((len(city), 2)).T
    who = np.flatnonzero(reconsider_uniform < reconsider_share)
    origin = city[who].astype(np.int64)
    row = (origin * (n + 1) + hukou[who]) * 2 + high_skill[who]
    threshold = choice_uniform[who] * cumulative[row, -1]
    # Number of entries of the (non-decreasing) row <= threshold, by binary search.
    flat, base = cumulative.ravel(), row * n
    low, high = np.zeros(len(who), dtype=np.int64), np.full(len(who), n, dtype=np.int64)
    for _ in range(n.bit_length()):
        middle = (low + high) >> 1
        active = low < high
        below = flat[base + np.minimum(middle, n - 1)] <= threshold
        low = np.where(active & below, middle + 1, low)
        high = np.where(active & ~below, middle, high)
    destination = np.minimum(low, n - 1)
    moved = destination != origin
    years_in_city += 1
    city[who[moved]] = destination[moved]
    years_in_city[who[moved]] = 0
    return origin[moved], destination[moved]
