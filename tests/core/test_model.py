"""Behaviour of the model: conservation, census start, determinism, and each lever's direction."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import sim
from agents import CityAgent, FirmAgent, TalentAgent
from sim.core.model import YRDModel
from tests.conftest import SHORT


def test_start_year_reproduces_the_census_within_rounding(region):
    config = sim.load_config(["end_year=2020"])
    model = YRDModel(config, region)
    census = region.census_population(2020)
    assert np.all(np.abs(model.cities.population - census) <= config.persons_per_agent / 2)
    first = model.recorder.tables()["cities"]
    assert np.array_equal(first["population"].to_numpy(), model.cities.population)


def test_hindcast_start_uses_the_2010_census(region):
    config = sim.load_config(["start_year=2010", "end_year=2010", "persons_per_agent=5000"])
    model = YRDModel(config, region)
    census = region.census_population(2010)
    assert np.all(np.abs(model.cities.population - census) <= 2500)
    # the 2000 census precedes a 2010 start: the amenities follow the 2000-2010 decade
    assert model.amenities_used == "census_trend"


def test_start_year_gdp_equals_the_data(region):
    model = YRDModel(sim.load_config(["end_year=2020"]), region)
    assert np.allclose(model.cities.gdp, region.cities["gdp_2020_cny"], rtol=0.01)


def test_people_are_accounted_for_births_deaths_and_moves(run):
    """Each city's change is its births less deaths plus its net moves, to the person."""
    result = run(*SHORT)
    cities = result.cities.sort_values(["city_id", "year"])
    change = cities.groupby("city_id")["population"].diff().dropna()
    moves = (
        cities["births"]
        - cities["deaths"]
        + cities["in_migrants"]
        - cities["out_migrants"]
        + cities["immigrants"]
        - cities["emigrants"]
    ).loc[change.index]
    assert np.array_equal(change.to_numpy(), moves.to_numpy())
    metrics = result.metrics.set_index("year")
    region = metrics["population"].diff().dropna()
    external = (
        metrics["births"] - metrics["deaths"] + metrics["immigrants"] - metrics["emigrants"]
    ).loc[region.index]
    assert np.array_equal(region.to_numpy(), external.to_numpy())  # inter-city moves net out
    flows = result.flows.groupby("year")["migrants"].sum()
    assert np.array_equal(flows.to_numpy(), metrics["migrants"].loc[flows.index].to_numpy())
    assert (result.flows["origin"] != result.flows["destination"]).all()
    # births, deaths and arrivals from the rest of China happen every year (departures to it
    # are rare at the calibrated moving cost, docs/ODD.md section 9)
    assert (metrics[["births", "deaths", "immigrants"]].iloc[1:] > 0).all().all()
    assert (metrics["emigrants"] >= 0).all()


def test_the_rest_of_china_gains_what_the_region_loses(region):
    config = sim.load_config([*SHORT])
    model = YRDModel(config, region)
    china = model.cities.population.sum() + model.rest.population
    natural = 0.0
    for _ in range(3):
        rest_before = model.rest.population
        model.step()
        natural += model.cities.births.sum() - model.cities.deaths.sum()
        natural += rest_before * (model.rest.birth_rate - model.rest.death_rate)
    after = model.cities.population.sum() + model.rest.population
    assert after == pytest.approx(china + natural, rel=1e-12)


def test_migration_is_self_limiting_and_moderate(run):
    rate = run(*SHORT).metrics["migration_rate"].iloc[1:]
    assert ((rate > 0.002) & (rate < 0.05)).all()


def test_agents_are_mesa_agents_indexing_shared_state(region):
    config = sim.load_config(["end_year=2021", "persons_per_agent=5000"])
    model = YRDModel(config, region)
    talent = model.agents_by_type[TalentAgent]
    assert len(talent) == len(model.talent)
    assert len(model.agents_by_type[CityAgent]) == 41
    assert len(model.agents_by_type[FirmAgent]) == int(model.firms.alive.sum())
    model.step()
    assert len(model.agents_by_type[FirmAgent]) == int(model.firms.alive.sum())
    agent = talent.select(lambda a: a.index == 123)[0]
    assert agent.city == model.talent.city[123]
    assert agent.has_local_hukou == (model.talent.city[123] == model.talent.hukou[123])
    counts = np.bincount([a.city for a in talent], minlength=41) * config.persons_per_agent
    assert np.array_equal(counts, model.cities.population)


def test_same_seed_gives_identical_tables_and_another_seed_does_not(region):
    config = sim.load_config([*SHORT])
    first = sim.simulate(config, data=region)
    second = sim.simulate(config, data=region)
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(table, second.tables()[name], check_exact=True)
    other = sim.simulate(sim.load_config([*SHORT, "seed=1"]), data=region)
    assert not first.flows.equals(other.flows)


def test_the_core_does_not_import_hydra():
    code = (
        "import sys, sim.core.model, sim.core.run; "
        "print(any(m.startswith('hydra') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _minutes(result, year, origin, destination):
    times = result.travel_times
    valid = times[times["year"] <= year]
    last = valid[valid["year"] == valid["year"].max()]
    row = last[(last["origin"] == origin) & (last["destination"] == destination)]
    return float(row["minutes"].iloc[0])


def test_shanghai_ningbo_link_cuts_travel_time_and_raises_ningbo_market_access(run):
    horizon = ("end_year=2024", "persons_per_agent=5000", "output.figures=false")
    without = run(*horizon)
    project = "scenario.transport.projects=[{link_id: plan_huyong_crossing, year: 2023}]"
    with_link = run(*horizon, project)
    assert (
        _minutes(with_link, 2024, "shanghai", "ningbo")
        < _minutes(without, 2024, "shanghai", "ningbo") - 10  # rail data: 72 + 30 min in 2020
    )
    assert _minutes(with_link, 2022, "shanghai", "ningbo") == _minutes(
        without, 2022, "shanghai", "ningbo"
    )
    assert 2023 in set(with_link.travel_times["year"])

    def access(result, year):
        c = result.cities
        return float(c[(c["year"] == year) & (c["city_id"] == "ningbo")]["market_access"].iloc[0])

    assert access(with_link, 2023) > 1.03 * access(without, 2023)  # +4 % with tau_m 43 min
    assert access(with_link, 2022) == pytest.approx(access(without, 2022))


def test_adding_a_link_never_lengthens_a_travel_time(run):
    base = run("end_year=2021", "persons_per_agent=5000", "output.figures=false")
    extra = run(
        "end_year=2021",
        "persons_per_agent=5000",
        "output.figures=false",
        "scenario.transport.projects=[{link_id: t, from: hefei, to: hangzhou, "
        "mode: hsr, minutes: 60, year: 2021}]",
    )
    a = base.travel_times[base.travel_times["year"] == 2020]["minutes"].to_numpy()
    b = extra.travel_times[extra.travel_times["year"] == 2021]["minutes"].to_numpy()
    assert np.all(b <= a + 1e-9) and np.any(b < a - 1)


def test_vouchers_raise_innovations(run):
    none = run(*SHORT, "scenario/vouchers=none")
    funded = run(*SHORT, "scenario/vouchers=yrd_platform")
    assert none.metrics["voucher_spend"].sum() == 0
    # RMB 8 bn of vouchers over six years against about RMB 5 trillion of in-house R&D: a small
    # rise (about +0.5 %), and at about RMB 1-5 M of subsidy per additional patent
    extra = funded.metrics["innovations"].sum() - none.metrics["innovations"].sum()
    assert extra > 0.002 * none.metrics["innovations"].sum()
    subsidy_per_patent = funded.metrics["voucher_spend"].sum() * 1e6 / extra
    assert 0.5e6 < subsidy_per_patent < 10e6
    additional = funded.metrics["voucher_additional_share"].iloc[2:]
    assert ((additional > 0.6) & (additional < 0.95)).all()  # Cornet et al. 2006: about 0.8


def test_voucher_spending_never_exceeds_budgets(run):
    result = run(*SHORT, "scenario/vouchers=yrd_platform")
    cities = result.cities
    assert (cities["voucher_spend"] <= cities["voucher_budget"] + 1e-9).all()
    assert (result.metrics["voucher_spend"] > 0).iloc[2:].all()


def test_yrd_portability_spends_more_across_cities_than_city_portability(run):
    local = run(*SHORT, "scenario/vouchers=yrd_platform", "scenario.vouchers.portability=city")
    anywhere = run(*SHORT, "scenario/vouchers=yrd_platform")
    assert (local.metrics["voucher_cross_region_share"] == 0).all()
    assert (anywhere.metrics["voucher_cross_region_share"].iloc[2:] > 0.2).all()
    redeemed = local.vouchers
    assert (redeemed["issuing_city"] == redeemed["provider_city"]).all()


def test_lower_barriers_in_medium_and_small_cities_raise_their_population(run, region):
    base = run(*SHORT)
    lower = [
        "scenario.residency.by_size_class.medium.settlement_barrier=0",
        "scenario.residency.by_size_class.small.settlement_barrier=0",
    ]
    liberal = run(*SHORT, *lower)
    targets = set(region.cities.loc[region.cities["size_class"].isin(["medium", "small"]), "id"])

    def population(result):
        c = result.cities
        last = c[(c["year"] == c["year"].max()) & c["city_id"].isin(targets)]
        return last["population"].sum()

    assert population(liberal) > population(base) * 1.002


def test_the_residency_scenario_raises_small_and_medium_cities_and_opening_large_ones_more(
    run, region
):
    """The plan's clause raises small and medium cities' population against the baseline;
    adding the large-city measures raises the large-II cities it opens more than the clause."""
    base = run(*SHORT)
    clause = run(*SHORT, "scenario=residency")
    large = run(*SHORT, "scenario=residency", "scenario/residency=liberalised_large")
    size = region.cities.set_index("id")["size_class"]

    def population(result, classes):
        c = result.cities
        last = c[c["year"] == c["year"].max()]
        return last.loc[last["city_id"].map(size).isin(classes), "population"].sum()

    small_medium = ("medium", "small")
    assert population(clause, small_medium) > population(base, small_medium) * 1.002
    gain_clause = population(clause, ("large_2",)) / population(base, ("large_2",))
    gain_large = population(large, ("large_2",)) / population(base, ("large_2",))
    assert gain_large > gain_clause + 0.002


def test_named_scenarios_move_their_outcomes(run):
    base = run(*SHORT)
    residency = run(*SHORT, "scenario=residency")
    # open small and medium cities grant more hukou (their conversion rate rises to the
    # settlement intention of their migrants)
    assert residency.metrics["hukou_conversions"].sum() > base.metrics["hukou_conversions"].sum()
    transport = run(*SHORT, "scenario=transport")
    assert (
        transport.metrics["mean_travel_time_min"].iloc[-1]
        < base.metrics["mean_travel_time_min"].iloc[-1]
    )


def test_outputs_have_one_row_per_year_and_city_and_no_nan(run):
    result = run(*SHORT, "scenario=integrated")
    years = list(range(2020, 2027))
    assert list(result.metrics["year"]) == years
    assert len(result.cities) == 41 * len(years)
    assert not result.metrics.isna().any().any()
    assert not result.cities.isna().any().any()
    numeric = result.cities.select_dtypes("number")
    assert (numeric.drop(columns=["amenity"]) >= 0).all().all()
    required = {
        "year",
        "population",
        "gdp",
        "migrants",
        "innovations",
        "voucher_spend",
        "voucher_cross_region_share",
        "mean_travel_time_min",
        "theil_gdp_per_capita",
    }
    assert required <= set(result.metrics.columns)
    assert {
        "year",
        "city_id",
        "population",
        "high_skill",
        "non_hukou",
        "gdp",
        "gdp_per_capita",
        "wage",
        "firms",
        "innovations",
        "voucher_spend",
    } <= set(result.cities.columns)


def test_voucher_table_counts_the_projects_paid(run):
    result = run(*SHORT, "scenario/vouchers=yrd_platform")
    per_year = result.vouchers.groupby("year")[["vouchers", "value_rmb"]].sum()
    metrics = result.metrics.set_index("year").loc[per_year.index]
    assert np.array_equal(per_year["vouchers"].to_numpy(), metrics["voucher_projects"].to_numpy())
    assert np.allclose(per_year["value_rmb"] / 1e6, metrics["voucher_spend"])


def test_runs_with_the_same_seed_share_random_numbers_agent_by_agent(run, region):
    base = run("end_year=2021", "persons_per_agent=5000", "output.figures=false")
    anhui = run(
        "end_year=2021",
        "persons_per_agent=5000",
        "output.figures=false",
        "scenario.vouchers.budget_rmb_per_year_by_province.Anhui=2e8",
    )
    outside = region.cities.loc[region.cities["province"] != "Anhui", "id"]

    def innovations(result):
        c = result.cities
        return c[(c["year"] == 2021) & c["city_id"].isin(outside)]["innovations"].to_numpy()

    # outside Anhui nothing differs in the first year: the same firms draw the same numbers
    assert np.array_equal(innovations(base), innovations(anhui))
    assert not base.cities.equals(anhui.cities)


def test_an_emptied_city_gets_no_movers_and_no_nan(region):
    model = YRDModel(sim.load_config(["persons_per_agent=5000"]), region)
    zhoushan = region.city_index["zhoushan"]
    others = np.flatnonzero(np.arange(41) != zhoushan)
    leaving = model.talent.city == zhoushan
    model.talent.city[leaving] = others[np.arange(leaving.sum()) % 40]
    model._update_population()
    model._produce()
    probabilities = model._location_probabilities()
    assert np.isfinite(probabilities).all()
    assert (probabilities[..., zhoushan] == 0).all()
    model.step()
    assert model.cities.population[zhoushan] == 0
    assert np.isfinite(model.recorder.tables()["metrics"].drop(columns="year").to_numpy()).all()


def test_agents_created_in_bulk_are_those_mesa_would_create():
    import mesa

    from agents.base import IndexedAgent, release_agents

    class Bulk(IndexedAgent):
        pass

    def build(bulk: bool) -> mesa.Model:
        model = mesa.Model(rng=0)
        Bulk(model, 99)  # registered the ordinary way first
        rows = np.arange(5, 10)
        made = Bulk.create_indexed(model, rows) if bulk else [Bulk(model, int(i)) for i in rows]
        assert [a.index for a in made] == list(range(5, 10))
        return model

    bulk, plain = build(True), build(False)
    for model in (bulk, plain):
        assert [(a.unique_id, a.index, a.pos) for a in model.agents_by_type[Bulk]] == [
            (1, 99, None),
            *[(i + 2, i + 5, None) for i in range(5)],
        ]
        assert list(model.agents) == list(model.agents_by_type[Bulk])
        model.agents_by_type[Bulk].shuffle_do("step")
    agent = bulk.agents_by_type[Bulk][2]
    agent.remove()
    assert agent not in bulk.agents and len(bulk.agents_by_type[Bulk]) == 5
    assert Bulk(bulk, 0).unique_id == 7  # ids continue after the bulk
    release_agents(bulk)
    assert len(bulk.agents) == 0 and len(bulk.agents_by_type[Bulk]) == 0
