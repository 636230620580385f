"""Run a configured simulation and return its tables (no files, no Hydra)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from agents.base import gc_paused, release_agents
from sim.config.schema import SimConfig
from sim.core.amenities import AmenityCache
from sim.core.data import RegionData, load_region_data
from sim.core.model import YRDModel

#: Called after each simulated year with ``(year, start_year, end_year)``.
ProgressCallback = Callable[[int, int, int], None]


@dataclass
class SimulationResult:
    """The tables of one run.

    Attributes:
        config: The configuration that produced them.
        metrics: Region-level indicators, one row per year.
        cities: City-level indicators, one row per year and city.
        flows: Migrants by year, origin and destination (zero flows left out).
        travel_times: Travel time by origin and destination for the start year and every year
            the network changed.
        vouchers: Voucher redemptions by year, issuing city and provider city.
        timing: Wall-clock seconds of set-up and stepping, and the start/end times.
        info: Facts about the model built: agent counts, the amenity mode used.
    """

    config: SimConfig
    metrics: pd.DataFrame
    cities: pd.DataFrame
    flows: pd.DataFrame
    travel_times: pd.DataFrame
    vouchers: pd.DataFrame
    timing: dict[str, float | str] = field(default_factory=dict)
    info: dict[str, int | str] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by the name of the CSV file they are written to (without ``.csv``)."""
        return {
            "metrics": self.metrics,
            "cities": self.cities,
            "flows": self.flows,
            "travel_times": self.travel_times,
            "vouchers": self.vouchers,
        }


def simulate(
    config: SimConfig,
    data: RegionData | None = None,
    progress: ProgressCallback | None = None,
    amenity_cache: AmenityCache | None = None,
) -> SimulationResult:
    """Run one scenario from ``start_year`` to ``end_year``.

    Args:
        config: A validated configuration (e.g. from :func:`sim.load_config`).
        data: The region's data; loaded from ``config.data_dir`` when omitted.
        progress: Optional callback after each simulated year.
        amenity_cache: Amenities solved by earlier runs of a batch, reused when this run's
            solve reads the same inputs (the tables are the same either way).

    Returns:
        The run's tables; the same config and seed always give identical tables.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    data = data if data is not None else load_region_data(config.data_dir)
    # The cyclic garbage collector is paused for the run: with millions of agents alive, each
    # of its full passes visits them all, and the run creates no garbage cycles of its own
    # (see docs/PERFORMANCE.md). The agents are released in bulk when the run is over.
    with gc_paused():
        model = YRDModel(config, data, amenity_cache=amenity_cache)
        info = {
            "talent_agents": len(model.talent),
            "firm_agents_at_start": int(model.firms.alive.sum()),
            "city_agents": model.n_cities,
            "amenities_used": model.amenities_used,
        }
        setup = time.perf_counter() - clock
        while model.year < config.end_year:
            model.step()
            if progress is not None:
                progress(model.year, config.start_year, config.end_year)
        tables = model.recorder.tables()
        release_agents(model)
        del model
    total = time.perf_counter() - clock
    return SimulationResult(
        config=config,
        info=info,
        timing={
            "setup_seconds": setup,
            "step_seconds": total - setup,
            "wall_seconds": total,
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        **tables,
    )
