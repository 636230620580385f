"""The model the explorer steps, the baseline it is shown against, and what the page reads of it.

:class:`ExplorerModel` is :class:`sim.core.model.YRDModel` built from the page's
:class:`~sim.explorer.levers.LeverSettings` (Mesa's controls rebuild a model as
``type(model)(**parameters)``); it stops (``running = False``) at its end year and remembers
which transport links opened in which year. Everything else is read through the model's
public attributes (``recorder``, ``network``, ``data``, ``config``, ``year``): the core is
not changed for the explorer.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import pandas as pd

from sim.core.data import RegionData, load_region_data
from sim.core.model import YRDModel
from sim.core.recording import METRIC_UNITS
from sim.core.run import simulate
from sim.explorer.levers import LeverSettings
from sim.explorer.svg import LinkDrawing

#: Indicators the map can colour cities by: key -> (label, unit).
MAP_INDICATORS: dict[str, tuple[str, str]] = {
    "population_change": ("Population change since the start year", "%"),
    "gdp_per_capita": ("GDP per capita", "thousand RMB"),
    "non_hukou_share": ("Residents without local hukou", "% of residents"),
    "innovations": ("Innovations in the year", "count"),
}

#: Prefix of the rail-data key in :meth:`sim.core.network.TransportNetwork.open_lines`.
_RAIL_DATA_KEY = "rail_times:"


@cache
def region_data() -> RegionData:
    """The bundled data, loaded once per process (every session shares them read-only)."""
    return load_region_data()


def _open_links(model: YRDModel, year: int) -> frozenset[str]:
    return frozenset(k for k in model.network.open_lines(year) if not k.startswith(_RAIL_DATA_KEY))


class ExplorerModel(YRDModel):
    """The YRD model built from the explorer's lever settings.

    Args:
        settings: The levers; the explorer's default (baseline preset, coarse scale) if omitted.
        data: The region's data; the bundled data if omitted.

    Attributes:
        settings: The settings the model was built with.
        opened: Link ids that opened in each simulated year (years with none are left out).
    """

    def __init__(
        self, settings: LeverSettings | None = None, data: RegionData | None = None
    ) -> None:
        settings = settings if settings is not None else LeverSettings.from_preset()
        super().__init__(settings.to_config(), data if data is not None else region_data())
        self.settings = settings
        self.opened: dict[int, list[str]] = {}
        self.running = self.year < self.config.end_year

    def step(self) -> None:
        """Advance one year (nothing once the end year is reached)."""
        if self.year >= self.config.end_year:
            self.running = False
            return
        before = _open_links(self, self.year)
        super().step()
        new = sorted(_open_links(self, self.year) - before)
        if new:
            self.opened[self.year] = new
        self.running = self.year < self.config.end_year

    # ---------------------------------------------------------------- what the page shows
    @property
    def progress(self) -> float:
        """Share of the run's years simulated (0 at the start year, 1 at the end year)."""
        span = self.config.end_year - self.config.start_year
        return 1.0 if span == 0 else (self.year - self.config.start_year) / span

    def metrics(self) -> pd.DataFrame:
        """The region-level indicators recorded so far, one row per year."""
        return pd.DataFrame(self.recorder.metrics, columns=list(METRIC_UNITS))

    def city_values(self, indicator: str) -> pd.Series:
        """This year's value of a map indicator by city id (see :data:`MAP_INDICATORS`).

        Raises:
            ValueError: ``indicator`` is not a map indicator (the message lists them).
        """
        if indicator not in MAP_INDICATORS:
            raise ValueError(
                f"indicator: {indicator!r} is not a map indicator; allowed: "
                + ", ".join(MAP_INDICATORS)
            )
        now = self.recorder.cities[-1].set_index("city_id")
        if indicator == "population_change":
            start = self.recorder.cities[0].set_index("city_id")
            values = 100.0 * (now["population"] / start["population"] - 1.0)
        elif indicator == "gdp_per_capita":
            values = now["gdp_per_capita"] / 1e3
        elif indicator == "non_hukou_share":
            values = 100.0 * now["non_hukou"] / now["population"].where(now["population"] > 0)
        else:
            values = now["innovations"].astype(float)
        return values.astype(float)

    def top_flows(self, n: int = 10) -> pd.DataFrame:
        """The year's ``n`` largest migration flows: origin, destination (names), migrants."""
        parts = [f for f in self.recorder.flows if len(f) and int(f["year"].iloc[0]) == self.year]
        if not parts:
            return pd.DataFrame({"origin": [], "destination": [], "migrants": []})
        flows = pd.concat(parts).nlargest(n, "migrants")
        names = dict(zip(self.data.cities["id"], self.data.cities["name_en"], strict=True))
        return pd.DataFrame(
            {
                "origin": flows["origin"].map(names).to_numpy(),
                "destination": flows["destination"].map(names).to_numpy(),
                "migrants": flows["migrants"].to_numpy(dtype=np.int64),
            }
        )

    def links(self) -> list[LinkDrawing]:
        """Every link of the network (data links and the scenario's projects) and its state."""
        open_now = _open_links(self, self.year)
        new = set(self.opened.get(self.year, []))
        ids = self.data.city_ids
        names = dict(zip(self.data.links["link_id"], self.data.links["name_en"], strict=True))
        out = []
        for line in self.network.lines:
            state = (
                "new" if line.link_id in new else "open" if line.link_id in open_now else "planned"
            )
            if state == "planned" and line.year is None:
                continue  # never opens in this run
            out.append(
                LinkDrawing(
                    link_id=line.link_id,
                    name=str(names.get(line.link_id, line.link_id)),
                    stops=tuple(ids[i] for i in line.stops),
                    state=state,
                    year=line.year,
                )
            )
        return out


@lru_cache(maxsize=16)
def baseline_metrics(seed: int, persons_per_agent: int, end_year: int) -> pd.DataFrame:
    """The baseline preset's indicators at this seed, scale and horizon (run once, cached)."""
    settings = LeverSettings.from_preset(
        "baseline", seed=seed, persons_per_agent=persons_per_agent, end_year=end_year
    )
    return simulate(settings.to_config(), data=region_data()).metrics
