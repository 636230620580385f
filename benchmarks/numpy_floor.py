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
    alive: np.ndarray,
    destination_utility: np.ndarray,
    public_service_penalty: np.ndarray,
    entry_barrier: np.ndarray,
    moving_cost: np.ndarray,
    home_bias: float,
    flexible_talent: bool,
    reconsider_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw every reconsidering agent's new location; update the arrays in place.

    Returns:
        ``(origins, destinations)`` of the agents that moved (destination ``n``: left).
    """
    n = len(public_service_penalty)
    m = n + 1  # the cities and the rest of China
    # Utilities by (origin, hukou, skill, destination), logit probabilities, cumulative.
    own = np.eye(m, dtype=bool)
    services = np.where(own, 0.0, np.append(public_service_penalty, 0.0))
    entry = np.repeat(np.where(own, 0.0, np.append(entry_barrier, 0.0))[None], m, axis=0)
    entry[np.arange(m), :, np.arange(m)] = 0.0
    services = np.repeat(services[:, None, :], 2, axis=1)
    entry = np.repeat(entry[:, :, None, :], 2, axis=2)
    if flexible_talent:
        services[:n, 1, :] = 0.0
        entry[:, :n, 1, :] = 0.0
    home = np.where(own, home_bias, 0.0)
    per_group = destination_utility[None, :, :] + home[:, None, :] - services
    utility = per_group[None] - entry - moving_cost[:, None, None, :]
    weight = np.exp(utility - utility.max(axis=-1, keepdims=True))
    probability = weight / weight.sum(axis=-1, keepdims=True)
    cumulative = np.cumsum(probability[:n].reshape(-1, m), axis=1)
    # Draws: one pair of uniforms per agent row.
    reconsider_uniform, choice_uniform = rng.random((len(city), 2)).T
    who = np.flatnonzero(alive & (reconsider_uniform < reconsider_share))
    origin = city[who].astype(np.int64)
    row = (origin * m + hukou[who]) * 2 + high_skill[who]
    threshold = choice_uniform[who] * cumulative[row, -1]
    # Number of entries of the (non-decreasing) row <= threshold, by binary search.
    flat, base = cumulative.ravel(), row * m
    low, high = np.zeros(len(who), dtype=np.int64), np.full(len(who), m, dtype=np.int64)
    for _ in range(m.bit_length()):
        middle = (low + high) >> 1
        active = low < high
        below = flat[base + np.minimum(middle, m - 1)] <= threshold
        low = np.where(active & below, middle + 1, low)
        high = np.where(active & ~below, middle, high)
    destination = np.minimum(low, m - 1)
    moved = destination != origin
    years_in_city += 1
    left = moved & (destination == n)
    stay_in_region = moved & ~left
    city[who[stay_in_region]] = destination[stay_in_region]
    alive[who[left]] = False
    years_in_city[who[moved]] = 0
    return origin[moved], destination[moved]
