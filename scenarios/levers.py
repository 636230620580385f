"""The policy levers of the Action Plan, as validated configuration.

Levers are the choices a policy maker controls (kept apart from the behavioural uncertainties in
:mod:`sim.config.parameters` and the outcomes in :mod:`sim.core.indicators`). Each lever is one
Hydra config group under ``configs/scenario/`` and one pydantic model here; a named scenario picks
one option of each group and may change single values.

References:
    Zhejiang Province Action Plan for Promoting YRD Integrated Development (2019), tasks 1, 3, 4,
    7 and 9 (see ``shared/seed/SUMMARY.md``).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from scenarios.types import (
    SIZE_CLASSES,
    LinkMode,
    NonNegative,
    Number,
    Portability,
    Positive,
    Province,
    Share,
    SizeClass,
    StrictModel,
    Year,
)


class TransportProject(StrictModel):
    """One transport project: a link from the data (by ``link_id``) or a new link.

    A new link names its endpoint cities (``from``/``to``), optional intermediate stops, its
    mode and either its door-to-door ``minutes`` or its ``speed_kmh`` (design speed); the
    distance is the great-circle distance along the stops times a detour factor unless
    ``length_km`` is given. A project that names only a data link's ``link_id`` takes the
    data's route, mode, length, speed and timetable time, each of which it may override; one
    that also gives its own endpoints keeps only the data's mode.

    Attributes:
        link_id: Id of a link in ``transport_links.csv``, or a new id for a new link.
        from_: First endpoint (city id); config key ``from``.
        to: Last endpoint (city id).
        via: Intermediate stops (city ids), in order.
        mode: Transport mode of a new link.
        minutes: End-to-end travel time in minutes, access included.
        speed_kmh: Design speed in km/h.
        length_km: Route length in km.
        year: Opening year (1800-2100). A project opening before the run's start year is open
            from the start, like an existing link of the data with an earlier ``year_open``;
            one opening after the end year never opens within the run. Both are allowed (a
            delayed scenario may push projects beyond the horizon) and reported as warnings
            by :func:`sim.config.checks.config_warnings`.
    """

    link_id: str = Field(min_length=1)
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    via: list[str] = Field(default_factory=list)
    mode: LinkMode | None = None
    minutes: Positive | None = None
    speed_kmh: Positive | None = None
    length_km: Positive | None = None
    year: Year

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _endpoints_together(self) -> TransportProject:
        if (self.from_ is None) != (self.to is None):
            raise ValueError("a new link needs both 'from' and 'to' (city ids)")
        if self.from_ is not None and self.from_ == self.to:
            raise ValueError("'from' and 'to' must be different cities")
        return self


class TransportLever(StrictModel):
    """Transport projects on top of the links that exist in the data.

    Links with status ``existing`` in the data open in their historical year in every scenario;
    the projects listed here add planned or new links with an opening year each.

    Attributes:
        projects: Projects to open, each with its year.
        remove_links: Ids of existing links to leave out (counterfactual "never built").
    """

    projects: list[TransportProject] = Field(default_factory=list)
    remove_links: list[str] = Field(default_factory=list)

    @field_validator("projects")
    @classmethod
    def _unique_ids(cls, projects: list[TransportProject]) -> list[TransportProject]:
        seen: set[str] = set()
        for number, project in enumerate(projects):
            if project.link_id in seen:
                raise ValueError(f"projects[{number}]: link_id {project.link_id!r} listed twice")
            seen.add(project.link_id)
        return projects


class VoucherLever(StrictModel):
    """Innovation vouchers that subsidise firms' purchases of R&D services.

    Budgets are annual, in RMB, per province (shared among its cities in proportion to their
    2020 GDP) and/or per city (a city's own entry replaces its province share). Unspent
    budget lapses at the end of the year. Vouchers are granted by lottery among applying
    eligible firms until the issuing city's budget is used.

    Attributes:
        budget_rmb_per_year_by_province: Annual budget per province (RMB).
        budget_rmb_per_year_by_city: Annual budget per city id (RMB); replaces the province share.
        subsidy_rate: Share of an R&D-service purchase the voucher pays.
        cap_per_firm_rmb: Largest voucher one firm can receive in a year (RMB).
        eligible_firms: ``small`` (firms below ``small_firm_quantile`` of their city's
            employment distribution) or ``all``.
        small_firm_quantile: Employment quantile below which a firm counts as small.
        start_year: First year vouchers are issued.
        portability: Where a voucher can be redeemed: the issuing ``city``, any city of the
            issuing ``province``, or anywhere in the ``yrd`` (the plan's 通用通兑).

    References:
        Cornet, Vroomen & van der Steeg (2006), CPB Discussion Paper 58 (voucher lottery).
    """

    budget_rmb_per_year_by_province: dict[Province, NonNegative] = Field(default_factory=dict)
    budget_rmb_per_year_by_city: dict[str, NonNegative] = Field(default_factory=dict)
    subsidy_rate: Share
    cap_per_firm_rmb: Positive
    eligible_firms: Literal["small", "all"]
    small_firm_quantile: Annotated[Number, Field(gt=0, le=1)]
    start_year: Year
    portability: Portability

    @property
    def total_budget_is_zero(self) -> bool:
        """True when no budget is set anywhere."""
        budgets = [
            *self.budget_rmb_per_year_by_province.values(),
            *self.budget_rmb_per_year_by_city.values(),
        ]
        return not any(b > 0 and math.isfinite(b) for b in budgets)


class ClassPolicy(StrictModel):
    """Settlement policy of one city-size class (or one city).

    Attributes:
        settlement_barrier: Utility cost of living in a city without its hukou (same units as
            the log-real-wage term of the location choice).
        hukou_conversion_rate: Yearly probability that a resident without local hukou obtains it.
        public_service_access: Share of local public services open to residents without hukou.
    """

    settlement_barrier: NonNegative
    hukou_conversion_rate: Share
    public_service_access: Share


class ResidencyLever(StrictModel):
    """Residency (hukou) liberalisation by State Council 2014 city-size class.

    Attributes:
        by_size_class: Policy of each of the six classes (all six required).
        city_overrides: Policies of single cities (city id → policy), replacing their class's.
        flexible_talent: High-skill talent with a YRD hukou lives anywhere in the YRD without
            the settlement barrier or the loss of public services (the plan's 户口不迁、关系不转).
    """

    by_size_class: dict[SizeClass, ClassPolicy]
    city_overrides: dict[str, ClassPolicy] = Field(default_factory=dict)
    flexible_talent: bool

    @field_validator("by_size_class")
    @classmethod
    def _all_classes(cls, value: dict[str, ClassPolicy]) -> dict[str, ClassPolicy]:
        missing = [c for c in SIZE_CLASSES if c not in value]
        if missing:
            raise ValueError(f"policy missing for size class(es) {', '.join(missing)}")
        return value


class ScenarioConfig(StrictModel):
    """A named scenario: one setting of each lever."""

    name: str = Field(min_length=1)
    description: str = ""
    transport: TransportLever
    vouchers: VoucherLever
    residency: ResidencyLever
