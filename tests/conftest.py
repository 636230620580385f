"""Shared fixtures: the bundled data (loaded once) and a helper to build short runs."""

from __future__ import annotations

import pytest

import sim
from sim.core.data import RegionData, load_region_data


@pytest.fixture(scope="session")
def region() -> RegionData:
    return load_region_data()


@pytest.fixture(scope="session")
def run(region):
    """Run a scenario with Hydra overrides; results are cached per override tuple."""
    cache: dict[tuple[str, ...], sim.SimulationResult] = {}

    def _run(*overrides: str) -> sim.SimulationResult:
        key = tuple(overrides)
        if key not in cache:
            cache[key] = sim.simulate(sim.load_config(list(overrides)), data=region)
        return cache[key]

    return _run


#: Overrides that make a run short and cheap but keep its mechanisms.
SHORT = ("end_year=2026", "persons_per_agent=2000", "output.figures=false")
