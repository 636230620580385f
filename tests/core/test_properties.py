"""Invariants under random valid input (hypothesis).

Random lever settings, horizons, scales and seeds are composed through :func:`sim.load_config`
(so they are valid configurations) and simulated through :func:`sim.simulate`; every run must
conserve people, keep populations, wages and budgets non-negative, spend no more voucher money
than budgeted, and give one row per year (and per city) without NaN. Adding a transport link
never lengthens a travel time.

Profiles: ``yrdsim-ci`` (default; derandomized, so CI is deterministic, and small) and
``yrdsim-thorough`` (random, many examples): ``HYPOTHESIS_PROFILE=yrdsim-thorough pytest ...``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from scenarios import SCENARIO_NAMES
from scenarios.levers import TransportLever, TransportProject
from sim.core.network import TransportNetwork

settings.register_profile(
    "yrdsim-ci",
    derandomize=True,
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
settings.register_profile(
    "yrdsim-thorough",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "yrdsim-ci"))
#: The network property is cheap: more examples.
NETWORK_PROFILE = settings(PROFILE, max_examples=max(PROFILE.max_examples, 40))

MONEY_TOLERANCE = 1e-9  # relative: sums of floats


@st.composite
def configurations(draw: st.DrawFn) -> list[str]:
    """Overrides of a random valid configuration: levers, horizon, scale and seed."""
    start = draw(st.sampled_from([2010, 2016, 2020, 2021]))
    overrides = [
        f"scenario={draw(st.sampled_from(SCENARIO_NAMES))}",
        f"scenario/transport={draw(st.sampled_from(['existing', 'action_plan', 'delayed']))}",
        f"scenario/vouchers={draw(st.sampled_from(['none', 'local_2020', 'yrd_platform']))}",
        f"scenario/residency={draw(st.sampled_from(['rules_2019', 'liberalised']))}",
        f"start_year={start}",
        f"end_year={start + draw(st.integers(0, 3))}",
        f"persons_per_agent={draw(st.integers(5000, 20000))}",
        f"firms_per_agent={draw(st.integers(5, 20))}",
        f"seed={draw(st.integers(0, 2**31 - 1))}",
        f"scenario.vouchers.portability={draw(st.sampled_from(['city', 'province', 'yrd']))}",
        f"scenario.vouchers.subsidy_rate={draw(st.floats(0, 1)):.6g}",
        f"scenario.vouchers.cap_per_firm_rmb={draw(st.floats(1e3, 1e7)):.6g}",
        f"scenario.vouchers.eligible_firms={draw(st.sampled_from(['small', 'all']))}",
        f"scenario.vouchers.start_year={draw(st.integers(2008, 2025))}",
        f"scenario.residency.flexible_talent={str(draw(st.booleans())).lower()}",
        f"scenario.residency.by_size_class.medium.settlement_barrier={draw(st.floats(0, 4)):.6g}",
        "output.figures=false",
    ]
    budgets = draw(st.lists(st.floats(0, 2e9), min_size=4, max_size=4))
    for province, budget in zip(("Shanghai", "Jiangsu", "Zhejiang", "Anhui"), budgets, strict=True):
        overrides.append(
            f"++scenario.vouchers.budget_rmb_per_year_by_province.{province}={budget:.6g}"
        )
    if draw(st.booleans()):
        overrides.append(f"++scenario.vouchers.budget_rmb_per_year_by_city.hefei={budgets[0]:.6g}")
    return overrides


@pytest.mark.slow
@PROFILE
@given(overrides=configurations())
def test_invariants_hold_for_random_valid_configurations(overrides, region):
    config = sim.load_config(overrides)
    result = sim.simulate(config, data=region)
    years = list(range(config.start_year, config.end_year + 1))
    metrics, cities, flows = result.metrics, result.cities, result.flows

    # one row per year (and per city), no NaN
    assert list(metrics["year"]) == years
    assert len(cities) == len(years) * region.n_cities
    assert (
        cities.groupby("year")["city_id"].apply(sorted) == [sorted(region.city_ids)] * len(years)
    ).all()
    for name, table in result.tables().items():
        assert not table.isna().any().any(), (
            f"NaN in {name}: {table.columns[table.isna().any()].tolist()}"
        )
        assert set(table["year"]) <= set(years), name

    # people are accounted for: each city's change is its births less deaths plus its moves
    # (between cities and with the rest of China); the region's, births less deaths plus the
    # exchange with the rest of China
    by_year = cities.groupby("year")
    np.testing.assert_allclose(by_year["population"].sum().to_numpy(), metrics["population"])
    wide = cities.pivot(index="year", columns="city_id", values="population")

    def column(name):
        return cities.pivot(index="year", columns="city_id", values=name)

    change = (
        column("births")
        - column("deaths")
        + column("in_migrants")
        - column("out_migrants")
        + column("immigrants")
        - column("emigrants")
    )
    np.testing.assert_allclose(wide.diff().iloc[1:], change.iloc[1:], atol=1e-6)
    if not flows.empty:
        assert (flows["origin"] != flows["destination"]).all()
        into = flows.groupby(["year", "destination"])["migrants"].sum()
        out = flows.groupby(["year", "origin"])["migrants"].sum()
        indexed = cities.set_index(["year", "city_id"])
        np.testing.assert_allclose(into, indexed.loc[into.index, "in_migrants"])
        np.testing.assert_allclose(out, indexed.loc[out.index, "out_migrants"])
        np.testing.assert_allclose(
            flows.groupby("year")["migrants"].sum(),
            metrics.set_index("year").loc[flows["year"].unique(), "migrants"],
        )

    # no negative populations, wages, budgets (nor counts, money or times)
    for column in (
        "population",
        "high_skill",
        "non_hukou",
        "gdp",
        "wage",
        "wage_low",
        "wage_high",
        "housing_cost",
        "firms",
        "innovations",
        "voucher_budget",
        "voucher_spend",
        "in_migrants",
        "out_migrants",
    ):
        assert (cities[column] >= 0).all(), column
    assert (cities["high_skill"] <= cities["population"]).all()
    assert (cities["non_hukou"] <= cities["population"]).all()
    assert (flows["migrants"] > 0).all()
    assert (result.vouchers[["vouchers", "value_rmb"]] >= 0).all().all()
    assert (result.travel_times["minutes"] >= 0).all()

    # voucher spending never exceeds budgets (per city and year, and in total)
    slack = MONEY_TOLERANCE * np.maximum(cities["voucher_budget"], 1.0)
    over = cities[cities["voucher_spend"] > cities["voucher_budget"] + slack]
    assert over.empty, over[["year", "city_id", "voucher_budget", "voucher_spend"]]
    assert (metrics["voucher_spend"] <= metrics["voucher_budget"] * (1 + MONEY_TOLERANCE)).all()
    if config.scenario.vouchers.total_budget_is_zero:
        assert (cities["voucher_spend"] == 0).all()
    spent = result.vouchers.groupby(["year", "issuing_city"])["value_rmb"].sum() / 1e6
    if not spent.empty:
        budget = cities.set_index(["year", "city_id"]).loc[spent.index, "voucher_budget"]
        assert (spent <= budget * (1 + MONEY_TOLERANCE) + 1e-9).all()


# --- the network: adding a link never lengthens a travel time ---------------------------------


@st.composite
def new_links(draw: st.DrawFn, city_ids: list[str], planned: list[str]) -> TransportProject:
    """A new link between two random cities, or a planned link of the data, with a year."""
    year = draw(st.integers(2000, 2040))
    if planned and draw(st.booleans()):
        return TransportProject(link_id=draw(st.sampled_from(planned)), year=year)
    ends = draw(st.lists(st.sampled_from(city_ids), min_size=2, max_size=4, unique=True))
    mode = draw(st.sampled_from(["hsr", "rail", "road", "expressway", "road+rail"]))
    timing = draw(st.sampled_from(["minutes", "speed_kmh", "none"]))
    extra: dict[str, float] = {}
    if timing == "minutes":
        extra["minutes"] = draw(st.floats(31, 900))  # above the rail access time
    elif timing == "speed_kmh":
        extra["speed_kmh"] = draw(st.floats(20, 400))
    return TransportProject.model_validate(
        {
            "link_id": f"new_{draw(st.integers(0, 10**6))}",
            "from": ends[0],
            "to": ends[-1],
            "via": ends[1:-1],
            "mode": mode,
            "year": year,
            **extra,
        }
    )


@pytest.mark.slow
@NETWORK_PROFILE
@given(data=st.data(), scenario=st.sampled_from(["baseline", "transport"]))
def test_adding_a_link_never_lengthens_a_travel_time(data, scenario, region):
    config = sim.load_config([f"scenario={scenario}"])
    params = config.params.transport
    lever = config.scenario.transport
    used = {p.link_id for p in lever.projects}
    planned = sorted(
        set(region.links.loc[region.links["status"] != "existing", "link_id"])
        - used
        - set(params.excluded_links)
    )
    project = data.draw(new_links(region.city_ids, planned))
    before = TransportNetwork(region, lever, params)
    after = TransportNetwork(
        region,
        TransportLever(projects=[*lever.projects, project], remove_links=lever.remove_links),
        params,
    )
    for year in (2010, 2020, project.year, 2035, 2045):
        old, new = before.travel_times(year), after.travel_times(year)
        assert (new <= old + 1e-9).all(), (year, project, float((new - old).max()))
        if project.year > year:
            np.testing.assert_array_equal(new, old)
    # the times are a metric: symmetric, zero on the diagonal, finite
    times = after.travel_times(2035)
    np.testing.assert_allclose(times, times.T)
    assert np.isfinite(times).all() and (np.diag(times) == 0).all()
