"""The explorer's second view: a sweep folder's comparison, read without re-running anything.

:func:`load_sweep_view` reads the complete runs of a sweep with the comparison's own functions
(:func:`sim.analysis.compare.load_sweep`, :func:`~sim.analysis.compare.summarise_metrics`,
:func:`~sim.analysis.compare.summarise_cities`), so the page shows the numbers
``yrdsim-compare`` writes; nothing is written into the folder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.analysis.compare import (
    Reference,
    SweepError,
    group_label,
    load_sweep,
    summarise_cities,
    summarise_metrics,
)
from sim.core.recording import HEADLINE_INDICATORS
from sim.explorer.svg import BASELINE_COLOUR, SERIES_COLOURS, Series

#: City metrics the difference map offers: column of ``cities.csv`` -> label.
CITY_METRICS: dict[str, str] = {
    "population": "Population",
    "gdp": "GDP",
    "gdp_per_capita": "GDP per capita",
    "non_hukou": "Residents without local hukou",
    "innovations": "Innovations in the year",
}


@dataclass
class SweepView:
    """What the sweep view shows.

    Attributes:
        root: The sweep folder.
        keys: Group columns (``scenario`` and any varying override).
        labels: Each group's label by its key values, in display order.
        summary: ``summary.csv`` as the comparison computes it.
        cities: ``city_summary.csv`` (final year, differences from the reference).
        reference: The reference group (``baseline`` when present).
        n_runs: Complete runs used; ``skipped``: runs not used, with their status.
        skipped: Run folder and status of every run left out.
    """

    root: Path
    keys: list[str]
    labels: dict[tuple, str]
    summary: pd.DataFrame
    cities: pd.DataFrame
    reference: str
    n_runs: int
    skipped: list[tuple[str, str]]

    def metrics(self) -> list[str]:
        """The metrics of the summary, headline indicators first."""
        present = list(dict.fromkeys(self.summary["metric"]))
        headline = [i.column for i in HEADLINE_INDICATORS if i.column in present]
        return headline + [m for m in present if m not in headline and m != "year"]

    def series(self, metric: str) -> list[Series]:
        """One line per group with its 95 % band (mean, ci_low, ci_high across seeds)."""
        indicator = {i.column: i for i in HEADLINE_INDICATORS}.get(metric)
        scale = indicator.scale if indicator else 1.0
        rows = self.summary[self.summary["metric"] == metric]
        if indicator is not None and indicator.flow:
            rows = rows[rows["year"] > rows["year"].min()]
        out = []
        for k, (key, label) in enumerate(self.labels.items()):
            mine = rows
            for column, value in zip(self.keys, key, strict=True):
                mine = mine[mine[column].astype(str) == str(value)]
            mine = mine.sort_values("year")
            is_reference = label == self.reference
            out.append(
                Series(
                    name=label,
                    x=mine["year"].tolist(),
                    y=(mine["mean"] * scale).tolist(),
                    colour=BASELINE_COLOUR
                    if is_reference
                    else SERIES_COLOURS[k % len(SERIES_COLOURS)],
                    dashed=is_reference,
                    low=(mine["ci_low"] * scale).tolist(),
                    high=(mine["ci_high"] * scale).tolist(),
                )
            )
        return out

    def unit(self, metric: str) -> str:
        """The display unit of a metric (the headline indicator's, else the column name)."""
        indicator = {i.column: i for i in HEADLINE_INDICATORS}.get(metric)
        return indicator.ylabel if indicator else metric

    def years(self) -> tuple[int, int]:
        """First and last year of the summary."""
        return int(self.summary["year"].min()), int(self.summary["year"].max())

    def differences(
        self, label: str, metric: str
    ) -> tuple[dict[str, float], dict[str, bool], int | None]:
        """Final-year difference from the reference of each city, in % of the reference.

        Returns:
            The difference by city id, whether its 95 % interval includes zero (or is
            unknown), and the final year (``None`` when the group has no reference).
        """
        key = next(k for k, v in self.labels.items() if v == label)
        rows = self.cities[self.cities["metric"] == metric]
        for column, value in zip(self.keys, key, strict=True):
            rows = rows[rows[column].astype(str) == str(value)]
        rows = rows[rows["delta_vs_baseline"].notna()]
        if rows.empty:
            return {}, {}, None
        reference_mean = rows["mean"] - rows["delta_vs_baseline"]
        scale = 100.0 / reference_mean.abs().where(reference_mean != 0)
        delta = (rows["delta_vs_baseline"] * scale).to_numpy()
        low = rows["delta_ci_low"].to_numpy()
        high = rows["delta_ci_high"].to_numpy()
        unclear = [
            not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 <= hi
            for lo, hi in zip(low, high, strict=True)
        ]
        cities = rows["city_id"].astype(str).tolist()
        return (
            dict(zip(cities, delta.tolist(), strict=True)),
            dict(zip(cities, unclear, strict=True)),
            int(rows["year"].iloc[0]),
        )


def load_sweep_view(folder: str | Path, reference: str = "baseline") -> SweepView:
    """Read a sweep folder's complete runs and summarise them as ``yrdsim-compare`` does.

    Args:
        folder: The sweep folder (the one given to ``yrdsim-compare``).
        reference: The group differences are taken from (``NAME`` or ``KEY=VALUE``).

    Raises:
        SweepError: The folder does not exist or holds no complete run (one-line message).
    """
    path = Path(folder).expanduser()
    if not str(folder).strip():
        raise SweepError("sweep folder: empty; give the folder a sweep was run into")
    data = load_sweep(path)
    ref = Reference.parse(reference)
    summary = summarise_metrics(data)
    cities = summarise_cities(data, ref)
    labels = {
        tuple(str(row[k]) for k in data.keys): group_label(row, data.keys)
        for _, row in data.groups().iterrows()
    }
    skipped = [
        (str(r.path.relative_to(path)) if r.path is not None else "(missing)", r.status)
        for r in data.runs
        if r not in data.used
    ]
    return SweepView(
        root=path,
        keys=data.keys,
        labels=labels,
        summary=summary,
        cities=cities,
        reference=str(ref),
        n_runs=len(data.used),
        skipped=skipped,
    )


__all__ = ["CITY_METRICS", "SweepError", "SweepView", "load_sweep_view"]
