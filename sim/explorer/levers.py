"""The levers the explorer's page turns, the scenario presets, and the configuration they make.

A :class:`LeverSettings` holds what the page shows: the preset it started from, seed, scale and
horizon, each Action Plan transport project on or off with its opening year, the total voucher
budget, subsidy rate and portability, the settlement barrier of each city-size class and the
flexible-talent rule. :meth:`LeverSettings.to_config` turns it into the validated
:class:`~sim.config.schema.SimConfig` that ``yrdsim`` would run: the preset's configuration
(composed exactly as ``yrdsim scenario=NAME``) with these values set, validated by
:func:`sim.config.validation.validate_config`, so a bad value is refused with the same worded
error as on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from scenarios import SCENARIO_NAMES
from scenarios.levers import TransportProject
from scenarios.types import SIZE_CLASSES, Portability
from sim.config.schema import ConfigError, SimConfig
from sim.config.validation import validate_config
from sim.explorer.server import DEFAULT_SCALE
from sim.hydra.compose import load_config

#: The preset whose transport projects make the catalogue of projects the page can switch on.
PROJECT_CATALOGUE_PRESET = "transport"
#: Scales (persons per talent agent) the page offers; the first is the explorer's default.
SCALES: tuple[int, ...] = (DEFAULT_SCALE, 1000, 5000, 10000, 20000)
#: Voucher portability options, in the order the page lists them.
PORTABILITY: tuple[str, ...] = ("city", "province", "yrd")
#: Latest end year and project year the page offers.
LATEST_PAGE_YEAR = 2050


@cache
def preset_config(name: str) -> SimConfig:
    """The configuration ``yrdsim scenario=NAME`` runs (composed once, then cached).

    Raises:
        ConfigError: ``name`` is not a scenario (the message lists the allowed names).
    """
    if name not in SCENARIO_NAMES:
        raise ConfigError(
            f"preset: {name!r} is not a scenario preset; allowed: {', '.join(SCENARIO_NAMES)}"
        )
    return load_config([f"scenario={name}"])


def project_catalogue() -> tuple[TransportProject, ...]:
    """The Action Plan's transport projects (``scenario/transport=action_plan``), in plan order."""
    return tuple(preset_config(PROJECT_CATALOGUE_PRESET).scenario.transport.projects)


def _total_budget_rmb(config: SimConfig) -> float:
    lever = config.scenario.vouchers
    return float(
        sum(lever.budget_rmb_per_year_by_province.values())
        + sum(lever.budget_rmb_per_year_by_city.values())
    )


@dataclass(frozen=True)
class LeverSettings:
    """What the explorer's controls are set to.

    Attributes:
        preset: The scenario the settings started from (its other values are kept).
        seed: The run's seed (the baseline shown beside it uses the same one).
        persons_per_agent: Residents per talent agent (the explorer defaults to a coarser
            scale than ``yrdsim``; the numbers are per person either way).
        end_year: Last simulated year.
        projects: Opening year of each Action Plan project by link id, ``None`` when off.
        voucher_budget_rmb_million: Total voucher budget per year (RMB million), shared among
            provinces (and cities) in the preset's proportions.
        subsidy_rate: Share of an R&D-service purchase a voucher pays.
        portability: Where a voucher can be redeemed (``city``, ``province``, ``yrd``).
        settlement_barriers: Settlement barrier by city-size class (utility units).
        flexible_talent: The plan's flexible-talent rule.
    """

    preset: str
    seed: int
    persons_per_agent: int
    end_year: int
    projects: dict[str, int | None] = field(default_factory=dict)
    voucher_budget_rmb_million: float = 0.0
    subsidy_rate: float = 0.5
    portability: str = "city"
    settlement_barriers: dict[str, float] = field(default_factory=dict)
    flexible_talent: bool = False

    @classmethod
    def from_preset(
        cls,
        name: str = "baseline",
        *,
        seed: int = 0,
        persons_per_agent: int = SCALES[0],
        end_year: int | None = None,
    ) -> LeverSettings:
        """The settings of a scenario preset (levers as ``configs/scenario/NAME.yaml`` sets them).

        Args:
            name: A scenario name (:data:`scenarios.SCENARIO_NAMES`).
            seed: The seed.
            persons_per_agent: The scale.
            end_year: The last year; the preset's own when omitted.
        """
        config = preset_config(name)
        scenario = config.scenario
        chosen = {p.link_id: p.year for p in scenario.transport.projects}
        catalogue = {p.link_id: p.year for p in project_catalogue()}
        return cls(
            preset=name,
            seed=seed,
            persons_per_agent=persons_per_agent,
            end_year=end_year if end_year is not None else config.end_year,
            projects={link: chosen.get(link) for link in catalogue},
            voucher_budget_rmb_million=_total_budget_rmb(config) / 1e6,
            subsidy_rate=float(scenario.vouchers.subsidy_rate),
            portability=scenario.vouchers.portability,
            settlement_barriers={
                c: float(scenario.residency.by_size_class[c].settlement_barrier)
                for c in SIZE_CLASSES
            },
            flexible_talent=bool(scenario.residency.flexible_talent),
        )

    def with_preset(self, name: str) -> LeverSettings:
        """The levers of preset ``name``, keeping this seed, scale and end year."""
        return LeverSettings.from_preset(
            name, seed=self.seed, persons_per_agent=self.persons_per_agent, end_year=self.end_year
        )

    def with_project(self, link_id: str, year: int | None) -> LeverSettings:
        """These settings with project ``link_id`` opening in ``year`` (``None``: off)."""
        if link_id not in self.projects:
            raise ConfigError(
                f"projects.{link_id}: not an Action Plan project; allowed: "
                + ", ".join(self.projects)
            )
        return replace(self, projects={**self.projects, link_id: year})

    def with_barrier(self, size_class: str, barrier: float) -> LeverSettings:
        """These settings with the settlement barrier of ``size_class`` set to ``barrier``."""
        if size_class not in SIZE_CLASSES:
            raise ConfigError(
                f"settlement_barriers.{size_class}: not a size class; allowed: "
                + ", ".join(SIZE_CLASSES)
            )
        return replace(self, settlement_barriers={**self.settlement_barriers, size_class: barrier})

    def baseline(self) -> LeverSettings:
        """The baseline preset at this seed, scale and end year (the reference of the page)."""
        return self.with_preset("baseline")

    def to_config(self) -> SimConfig:
        """The validated configuration these settings run.

        Raises:
            ConfigError: A value is not allowed; the message names the field and the allowed
                values, as ``yrdsim`` does.
        """
        base = preset_config(self.preset)
        plain: dict[str, Any] = base.model_dump(mode="json", by_alias=True)
        plain.update(
            seed=self.seed, persons_per_agent=self.persons_per_agent, end_year=self.end_year
        )
        scenario = plain["scenario"]
        catalogue = {p.link_id: p for p in project_catalogue()}
        projects = [p for p in scenario["transport"]["projects"] if p["link_id"] not in catalogue]
        for link_id, year in self.projects.items():
            if year is not None:
                project = catalogue[link_id].model_dump(mode="json", by_alias=True)
                projects.append({**project, "year": year})
        scenario["transport"]["projects"] = projects
        vouchers = scenario["vouchers"]
        total = _total_budget_rmb(base)
        wanted = float(self.voucher_budget_rmb_million) * 1e6
        if total > 0:
            factor = wanted / total
            for key in ("budget_rmb_per_year_by_province", "budget_rmb_per_year_by_city"):
                vouchers[key] = {k: v * factor for k, v in vouchers[key].items()}
        elif wanted > 0:  # no shares to keep: the baseline preset's provincial shares
            reference = preset_config("baseline").scenario.vouchers
            share = _total_budget_rmb(preset_config("baseline"))
            vouchers["budget_rmb_per_year_by_province"] = {
                k: v / share * wanted for k, v in reference.budget_rmb_per_year_by_province.items()
            }
        vouchers["subsidy_rate"] = self.subsidy_rate
        vouchers["portability"] = self.portability
        residency = scenario["residency"]
        for size_class, barrier in self.settlement_barriers.items():
            if size_class not in residency["by_size_class"]:
                raise ConfigError(
                    f"scenario.residency.by_size_class.{size_class}: not a size class; "
                    f"allowed: {', '.join(SIZE_CLASSES)}"
                )
            residency["by_size_class"][size_class]["settlement_barrier"] = barrier
        residency["flexible_talent"] = self.flexible_talent
        return validate_config(plain)

    def describe(self) -> str:
        """One line naming what differs from the preset (for the page and logs)."""
        preset = LeverSettings.from_preset(
            self.preset,
            seed=self.seed,
            persons_per_agent=self.persons_per_agent,
            end_year=self.end_year,
        )
        changed = [
            name
            for name in (
                "projects",
                "voucher_budget_rmb_million",
                "subsidy_rate",
                "portability",
                "settlement_barriers",
                "flexible_talent",
            )
            if getattr(self, name) != getattr(preset, name)
        ]
        return self.preset + (f" with {', '.join(changed)} changed" if changed else "")


def portability_options() -> tuple[str, ...]:
    """The portability values the schema allows (``Portability``), in the page's order."""
    allowed = set(Portability.__args__)  # type: ignore[attr-defined]
    return tuple(p for p in PORTABILITY if p in allowed)
