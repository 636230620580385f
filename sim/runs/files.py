"""The names of the files in run and sweep folders, defined once, and the one JSON reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Written last into a run folder; ``"complete": true`` in it marks the run complete.
PROVENANCE_FILE = "provenance.json"
#: The resolved configuration of a run.
CONFIG_FILE = "config.json"
#: Left in a run folder by a run that raised (error, traceback, overrides).
FAILED_FILE = "failed.json"
#: Hydra's record of a run's configuration and overrides.
HYDRA_DIR = ".hydra"
#: Written into a sweep folder when the sweep starts: its jobs and start time.
SWEEP_FILE = "sweep.json"
#: One marker per finished job of a sweep, in the sweep folder.
PROGRESS_DIR = ".progress"
#: The run's figures, in the run folder.
FIGURES_DIR = "figures"
#: A sweep's comparison (tables, figures, report), in the sweep folder.
COMPARISON_DIR = "comparison"


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or ``None`` if it is missing or unreadable."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


#: The Frictionless Data Package describing the tables of a run or comparison folder.
DATAPACKAGE_FILE = "datapackage.json"
#: Sidecar of an analysis's tables (validation, sensitivity, exploration): their provenance.
TABLES_PROVENANCE_FILE = "tables_provenance.json"
#: The table formats ``output.format`` can choose, by the file suffix they write.
TABLE_FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "parquet": (".parquet",),
    "both": (".csv", ".parquet"),
}

#: What each table of a run holds (the ``description`` of its Data Package resource).
RUN_TABLE_DESCRIPTIONS: dict[str, str] = {
    "metrics": "Region-level indicators of the 41 cities, one row per year (the start year "
    "holds the initial state; flows in it are 0 or missing).",
    "cities": "City-level indicators, one row per year and city.",
    "flows": "Migrants between cities by year, origin and destination (zero flows left out).",
    "travel_times": "Shortest travel time between cities for the start year and every year the "
    "transport network changed.",
    "vouchers": "Innovation-voucher redemptions by year, issuing city and provider city.",
}

#: The key columns of the tables whose rows are unique by them.
RUN_TABLE_KEYS: dict[str, list[str]] = {
    "metrics": ["year"],
    "cities": ["year", "city_id"],
}

#: What the columns of the comparison tables mean (columns not listed are the group columns,
#: named by the override they come from, or metrics named as in ``metrics.csv``).
COMPARISON_FIELD_DESCRIPTIONS: dict[str, str] = {
    "scenario": "scenario name",
    "seed": "random seed of the run",
    "run": "run folder, relative to the sweep folder",
    "status": "used, failed, incomplete, missing or duplicate",
    "overrides": "the run's Hydra overrides, space-separated",
    "config_hash": "SHA-256 of the run's validated configuration (output options left out)",
    "git_commit": "commit of the code that made the run (-dirty: with uncommitted changes)",
    "version": "yrdsim version that made the run",
    "error": "why the run was left out",
    "metric": "column of metrics.csv or cities.csv",
    "year": "simulated year",
    "city_id": "city id",
    "value": "the metric's value in this run and year (unit: see the run's datapackage.json)",
    "mean": "mean across the group's seeds",
    "std": "standard deviation across seeds (ddof=1)",
    "ci_low": "lower bound of the 95 % t-interval of the mean",
    "ci_high": "upper bound of the 95 % t-interval of the mean",
    "n_runs": "number of runs (seeds) summarised",
    "reference_mean": "mean of the reference group",
    "delta": "mean minus the reference group's mean",
    "delta_vs_baseline": "mean minus the reference group's mean",
    "delta_ci_low": "lower bound of the 95 % interval of the difference",
    "delta_ci_high": "upper bound of the 95 % interval of the difference",
    "delta_pct": "difference in % of the reference mean",
    "n_pairs": "seeds paired (0: unpaired Welch interval)",
    "delta_pct_ci_low": "lower bound of the 95 % interval of the difference in %",
    "delta_pct_ci_high": "upper bound of the 95 % interval of the difference in %",
}

#: The unit of each column of the comparison tables (the summary statistics of a metric are in
#: the metric's own unit, declared in each run's ``datapackage.json``).
_IN_METRIC_UNIT = "unit of the metric (see the runs' datapackage.json)"
COMPARISON_FIELD_UNITS: dict[str, str] = {
    "scenario": "name",
    "seed": "seed",
    "run": "path",
    "status": "category",
    "overrides": "Hydra overrides",
    "config_hash": "SHA-256 hex digest",
    "git_commit": "git commit id",
    "version": "version",
    "error": "text",
    "metric": "column name",
    "year": "year",
    "city_id": "id",
    "value": _IN_METRIC_UNIT,
    "mean": _IN_METRIC_UNIT,
    "std": _IN_METRIC_UNIT,
    "ci_low": _IN_METRIC_UNIT,
    "ci_high": _IN_METRIC_UNIT,
    "n_runs": "runs",
    "reference_mean": _IN_METRIC_UNIT,
    "delta": _IN_METRIC_UNIT,
    "delta_vs_baseline": _IN_METRIC_UNIT,
    "delta_ci_low": _IN_METRIC_UNIT,
    "delta_ci_high": _IN_METRIC_UNIT,
    "delta_pct": "% of the reference mean",
    "delta_pct_ci_low": "% of the reference mean",
    "delta_pct_ci_high": "% of the reference mean",
    "n_pairs": "seed pairs",
    # voucher_returns.csv (described in sim.analysis.compare.VOUCHER_RETURN_COLUMNS)
    "extra_subsidy_rmb_million_per_year": "RMB million per year",
    "extra_innovations_per_year": "innovations per year",
    "extra_innovations_pct": "% of the reference's innovations",
    "subsidy_rmb_per_additional_innovation": "RMB per innovation",
    "services_rmb_per_additional_innovation": "RMB per innovation",
    "inhouse_rmb_per_innovation": "RMB per innovation",
    "gdp_per_rmb_subsidy": "RMB of GDP per RMB of voucher value",
    "end_year_gdp_per_rmb_annual_subsidy": "RMB of GDP per RMB of yearly voucher value",
}

#: Description and unit of a comparison's group column (an override that tells groups apart).
GROUP_FIELD_DESCRIPTION = "value of the override {key!r} that defines the group of runs"
GROUP_FIELD_UNIT = "as the override's value"

#: What each table of a comparison holds.
COMPARISON_TABLE_DESCRIPTIONS: dict[str, str] = {
    "summary": "Each metric of metrics.csv per group and year: mean and 95 % interval across "
    "seeds.",
    "city_summary": "Each city metric per group and city in the final year, with the difference "
    "from the reference group.",
    "differences": "Each region-level metric in the final year minus the reference group's, "
    "with 95 % intervals.",
    "runs": "Every run of the sweep with its status (used, failed, incomplete, missing, "
    "duplicate).",
    "voucher_returns": "What a yuan of extra voucher subsidy buys, by group and seed.",
    "all_runs": "Every metric of every used run and year in one long table, with the run's "
    "overrides, seed and config hash.",
}
