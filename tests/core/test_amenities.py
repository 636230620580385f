"""The amenity solve: convergence to the tolerance, rounds, the warning, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from agents.talent import expected_population
from sim.core.amenities import _solve

N = 4
RECONSIDER = 0.1


def _problem(cost: float = 1.0) -> tuple:
    """A small logit location choice whose expected populations depend on the amenities."""
    rng = np.random.default_rng(3)
    counts = rng.integers(50, 500, size=(N, N + 1, 2)).astype(float)
    distance = rng.uniform(0.0, 3.0, size=(N + 1, N + 1))
    np.fill_diagonal(distance, 0.0)
    calls = []

    def probabilities(amenity: np.ndarray) -> np.ndarray:
        calls.append(1)
        utility = np.append(amenity, 0.0)[None, :] - cost * distance  # (origin, destination)
        share = np.exp(utility - utility.max(axis=1, keepdims=True))
        share /= share.sum(axis=1, keepdims=True)
        return np.broadcast_to(share[:, None, None, :], (N + 1, N + 1, 2, N + 1)).copy()

    def immigrants(chances: np.ndarray) -> np.ndarray:
        return 20.0 * chances[N, 0, 0, :N]

    target = counts.sum(axis=(1, 2)) * np.array([1.01, 0.98, 0.99, 1.0])
    return target, counts, probabilities, immigrants, calls


def _run(problem: tuple, max_rounds: int = 1000) -> np.ndarray:
    target, counts, probabilities, immigrants, _ = problem
    return _solve(
        target, counts, 1, RECONSIDER, probabilities, immigrants, 1e-10, max_rounds, 1e-4, "test"
    )


def _plain_rounds(problem: tuple, max_rounds: int = 5000) -> int:
    """Rounds of the damped iteration alone (the solve before Anderson mixing)."""
    target, counts, probabilities, immigrants, _ = problem
    amenity = np.zeros(N)
    for rounds in range(1, max_rounds + 1):
        chances = probabilities(amenity)
        expected = expected_population(counts, chances, RECONSIDER, immigrants(chances))
        error = np.log(target) - np.log(expected)
        if np.abs(error).max() < 1e-10:
            return rounds
        amenity = amenity + 0.9 / RECONSIDER * error
    return max_rounds


@pytest.mark.parametrize("cost", [0.5, 1.0, 3.0])
def test_solve_reaches_the_tolerance_in_under_a_fifth_of_the_damped_rounds(cost):
    problem = _problem(cost)
    target, counts, probabilities, immigrants, calls = problem
    amenity = _run(problem)
    rounds = len(calls)
    chances = probabilities(amenity)
    expected = expected_population(counts, chances, RECONSIDER, immigrants(chances))
    assert np.abs(np.log(target) - np.log(expected)).max() < 1e-10
    assert rounds * 5 < _plain_rounds(_problem(cost))


def test_solve_warns_when_the_rounds_run_out_and_counts_rounds():
    problem = _problem()
    with pytest.warns(RuntimeWarning, match="stopped after 3 rounds"):
        _run(problem, max_rounds=3)
    assert len(problem[-1]) == 3


def test_solve_is_deterministic():
    first, second = _run(_problem()), _run(_problem())
    assert first.tobytes() == second.tobytes()
