"""Run a configured simulation and return its tables (no files, no Hydra)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from agents.base import gc_paused, release_agents
from sim.config.schema import ConfigError, SimConfig
from sim.config.validation import validate_config
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


#: The start-up calibration's warning that it did not reach its targets (sim.core.amenities).
_CALIBRATION_FAILED = "amenity calibration"


def check_arguments(config: object, data: object = None, progress: object = None) -> None:
    """Refuse what :func:`simulate` cannot run, with a clear message, before anything is built.

    The configuration is validated again: a ``SimConfig`` changed with ``model_copy`` (which
    does not validate) may hold an ``end_year`` before its ``start_year``, a NaN rate or
    ``persons_per_agent=0``.

    Raises:
        TypeError: ``config`` is not a :class:`SimConfig`, ``data`` not a :class:`RegionData`,
            ``progress`` not callable.
        ConfigError: The configuration does not validate (the message names the field).
    """
    if not isinstance(config, SimConfig):
        hint = (
            " (validate a dict with sim.validate_config first)" if isinstance(config, dict) else ""
        )
        raise TypeError(
            f"simulate: config must be a SimConfig, e.g. from sim.load_config(), not "
            f"{type(config).__name__}{hint}"
        )
    if data is not None and not isinstance(data, RegionData):
        raise TypeError(
            f"simulate: data must be a RegionData from sim.load_region_data() or None, not "
            f"{type(data).__name__}"
        )
    if progress is not None and not callable(progress):
        raise TypeError(
            f"simulate: progress must be callable or None, not {type(progress).__name__}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydantic warns while dumping a wrong type
            plain = config.model_dump(mode="python", by_alias=True)
    except Exception as exc:
        raise ConfigError(f"simulate: the SimConfig is incomplete or broken ({exc})") from None
    validate_config(plain)


def _set_up(
    config: SimConfig, data: RegionData, amenity_cache: AmenityCache | None = None
) -> YRDModel:
    """Build the model; a start-up calibration that misses its targets is an error.

    Raises:
        ConfigError: The amenities could not be calibrated to the census trend with these
            parameters (unless the caller ignores ``RuntimeWarning``, as the calibration and
            sensitivity commands do while they try extreme values).
    """
    with warnings.catch_warnings(record=True) as caught:
        model = YRDModel(config, data, amenity_cache=amenity_cache)
    for warning in caught:
        text = str(warning.message)
        if issubclass(warning.category, RuntimeWarning) and text.startswith(_CALIBRATION_FAILED):
            raise ConfigError(
                f"params.migration: the start-up calibration failed ({text}); the parameters "
                "do not let the model match the start year's census trend (try values nearer "
                "configs/params/default.yaml)"
            )
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return model


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
    check_arguments(config, data, progress)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    data = data if data is not None else load_region_data(config.data_dir)
    # The cyclic garbage collector is paused for the run: with millions of agents alive, each
    # of its full passes visits them all, and the run creates no garbage cycles of its own
    # (see docs/PERFORMANCE.md). The agents are released in bulk when the run is over.
    with gc_paused():
        model = _set_up(config, data, amenity_cache)
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
