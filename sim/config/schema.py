"""The schema of one run's configuration (:class:`SimConfig`).

Hydra composes the YAML under ``configs/``; the boundary (:mod:`sim.hydra.compose` or the CLI)
turns it into plain data, which :func:`sim.config.validation.validate_config` validates against
this schema, with errors worded by field; :mod:`sim.config.checks` checks a valid
configuration against the data. The simulation core only ever sees a :class:`SimConfig`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from scenarios.levers import ResidencyLever, ScenarioConfig
from scenarios.types import CENSUS_YEARS, LATEST_YEAR, StrictModel, Whole
from sim.config.parameters import BehaviourParams

if TYPE_CHECKING:
    pass

#: yrdsim's Hydra configuration folder (``configs/``, beside the ``sim`` package).
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
FIRST_YEAR = CENSUS_YEARS[0]
LAST_YEAR = LATEST_YEAR
#: Largest total voucher budget (RMB a year) accepted: far above any real scheme, far enough
#: below the largest float that sums and shares of it stay finite.
MAX_TOTAL_BUDGET_RMB = 1e18


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names the field's path."""


class OutputOptions(StrictModel):
    """What a run writes besides its tables.

    Attributes:
        figures: Draw the run's figures into ``figures/``.
        format: How the tables are written: ``csv``, ``parquet`` (instead of CSV) or ``both``.
        city_labels: Language of the city names on maps: ``en`` or ``zh`` (Chinese; English
            with a warning if no installed font renders Chinese).
    """

    figures: bool = True
    format: Literal["csv", "parquet", "both"] = "csv"
    city_labels: Literal["en", "zh"] = "en"


class StatusQuo(StrictModel):
    """The policies in force at the start year, against which the start state is calibrated.

    City amenities are set so that the first year's expected migration under these policies
    matches its target (see ``params.migration.amenities``); a scenario's levers then act
    against this calibrated start. The default is the baseline's 2019 rules; a hindcast from
    2010 would point it at the rules of 2010.

    Attributes:
        residency: Settlement policy in force at the start.
    """

    residency: ResidencyLever


#: Top-level keys whose values change what is written but not any simulated number.
OUTPUT_ONLY_KEYS: tuple[str, ...] = ("output",)


def changes_results(key: str) -> bool:
    """Whether an override of ``key`` (e.g. ``output.figures``) can change simulated numbers."""
    top = key.lstrip("+~").split(".", 1)[0].split("=", 1)[0]
    return top not in OUTPUT_ONLY_KEYS


class SimConfig(StrictModel):
    """Everything one run needs: horizon, scale, seed, scenario (levers) and parameters.

    Attributes:
        seed: Seed of the model's random generator; the same seed gives the same tables.
        start_year: First year; the population starts from the latest census at or before it.
        end_year: Last simulated year (inclusive).
        persons_per_agent: Residents represented by one talent agent.
        firms_per_agent: Real firms represented by one firm agent.
        data_dir: Folder with the input data; ``None`` uses the bundled data.
        scenario: The levers.
        status_quo: The policies in force at the start (for calibrating the start state).
        params: Behavioural parameters and initial-condition assumptions.
        output: Output options.
    """

    seed: Annotated[Whole, Field(ge=0)]
    start_year: Annotated[Whole, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    end_year: Annotated[Whole, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    persons_per_agent: Annotated[Whole, Field(gt=0)]
    firms_per_agent: Annotated[Whole, Field(gt=0)]
    data_dir: str | None = None
    scenario: ScenarioConfig
    status_quo: StatusQuo
    params: BehaviourParams
    output: OutputOptions = OutputOptions()

    @field_validator("end_year")
    @classmethod
    def _horizon(cls, end_year: int, info: ValidationInfo) -> int:
        start_year = info.data.get("start_year")
        if start_year is not None and end_year < start_year:
            raise ValueError(
                f"{end_year} is before start_year ({start_year}); allowed: end_year from "
                f"start_year to {LAST_YEAR}"
            )
        return end_year

    @field_validator("scenario")
    @classmethod
    def _finite_budgets(cls, scenario: ScenarioConfig) -> ScenarioConfig:
        vouchers = scenario.vouchers
        budgets = [
            *vouchers.budget_rmb_per_year_by_province.values(),
            *vouchers.budget_rmb_per_year_by_city.values(),
        ]
        total = sum(budgets, 0.0)
        if not total < MAX_TOTAL_BUDGET_RMB:
            raise ValueError(
                "the voucher budgets (vouchers.budget_rmb_per_year_by_province and "
                f"vouchers.budget_rmb_per_year_by_city) add up to {total:g} RMB a year; "
                f"allowed: a total below {MAX_TOTAL_BUDGET_RMB:g} RMB a year"
            )
        return scenario

    @property
    def census_year(self) -> int:
        """The census the initial population comes from."""
        return max(y for y in CENSUS_YEARS if y <= self.start_year)

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated config, without its ``output`` options.

        The output options (e.g. whether figures are drawn) do not change any result, so runs
        differing only in them share a hash: a sweep re-run with ``output.figures=false``
        resumes the same runs, and the comparison does not group by them.
        """
        dump = self.model_dump(mode="json", by_alias=True, exclude=set(OUTPUT_ONLY_KEYS))
        text = json.dumps(dump, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()
