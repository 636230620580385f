"""Are the model's responses of the order the literature reports? (docs/VALIDATION.md)

Each test measures a response by a controlled experiment on the model (same seed, so common
random numbers, one thing changed) and checks it against a published value with a stated
tolerance. A response outside its range is marked ``xfail(strict=True)`` with the reason,
rather than forced: if the model comes into range the test fails and the mark must go.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sim
from agents.talent import group_counts
from sim.core.model import YRDModel
from sim.hydra.compose import hindcast_config

SCALE = ("persons_per_agent=2000",)

#: HSR lines of 2014-2015 that gave these cities their first HSR stop.
NEW_LINES = ("hsr_hangchang", "hsr_hefu", "hsr_ningan")
NEWLY_CONNECTED = (
    "jinhua",
    "quzhou",
    "tongling",
    "xuancheng",
    "huangshan",
    "maanshan",
    "wuhu",
    "chizhou",
    "anqing",
)


def _quiet_simulate(config, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return sim.simulate(config, data=data)


def hsr_connection_effect(region) -> float:
    """Mean effect (share) of three 2014-2015 HSR lines on their newly connected cities' 2020
    population (= employment: the working-age share is fixed), hindcast with vs without them."""
    with_lines = _quiet_simulate(hindcast_config(SCALE), region)
    removed = "scenario.transport.remove_links=[" + ",".join(NEW_LINES) + "]"
    without = _quiet_simulate(hindcast_config([*SCALE, removed]), region)

    def population(result):
        frame = result.cities[result.cities["year"] == 2020].set_index("city_id")
        return frame.loc[list(NEWLY_CONNECTED), "population"].to_numpy(dtype=float)

    return float(np.mean(population(with_lines) / population(without) - 1))


@pytest.mark.xfail(
    strict=True,
    reason="with the calibrated defaults the model's HSR effect on newly connected cities is "
    "about 0 (-0.2 %; +0.8 % with the priors), far below Lin (2017)'s +7 %: travel time enters "
    "only through market access (TFP elasticity 0.1) and moving costs, and lower moving costs "
    "also ease moves out to the hubs (docs/VALIDATION.md, Plausibility)",
)
def test_hsr_connection_effect_is_of_lin_2017s_order(region):
    """Lin (2017), JUE 98: an HSR connection raised a city's employment by about 7 %.

    Tolerance: +2 % to +15 % (the estimate's confidence band and the difference between a
    prefecture's employment and its resident population).
    """
    effect = hsr_connection_effect(region)
    assert 0.02 <= effect <= 0.15, f"HSR effect {effect:+.2%}"


def test_voucher_additionality_is_of_cornet_2006s_order(run):
    """Cornet, Vroomen & van der Steeg (2006): about 8 of 10 voucher projects are additional.

    Tolerance: 0.6 to 0.95 of redeemed voucher projects would not have been bought without the
    voucher (the lottery study's interval and the model's lognormal project values).
    """
    result = run("end_year=2024", "persons_per_agent=2000", "output.figures=false")
    metrics = result.metrics[result.metrics["voucher_projects"] > 0]
    share = (metrics["voucher_additional_share"] * metrics["voucher_projects"]).sum() / metrics[
        "voucher_projects"
    ].sum()
    assert 0.6 <= share <= 0.95, f"additional share {share:.2f}"


def test_migration_elasticity_to_real_income(region):
    """Tombe & Zhu (2019): migration elasticity to real income about 1.5.

    Experiment: raise both wages of one city by 1 % (a 1 % real-income rise at fixed housing
    cost) and measure the elasticity of the expected number of people moving in from other
    cities. Tolerance: 0.75 to 3 for every test city (half to twice the published value).
    """
    config = sim.load_config(["persons_per_agent=4000", "end_year=2021"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = YRDModel(config, region)
    counts = group_counts(model.talent, model.n_cities)

    def inflow(city: int) -> float:
        probabilities = model._location_probabilities()[: model.n_cities]
        flows = np.einsum("ohs,ohsd->od", counts, probabilities)
        return float(flows[:, city].sum() - flows[city, city])

    for city_id in ("hefei", "hangzhou", "lishui"):
        city = region.city_index[city_id]
        before = inflow(city)
        model.cities.wage_low[city] *= 1.01
        model.cities.wage_high[city] *= 1.01
        after = inflow(city)
        model.cities.wage_low[city] /= 1.01
        model.cities.wage_high[city] /= 1.01
        elasticity = np.log(after / before) / np.log(1.01)
        assert 0.75 <= elasticity <= 3.0, f"{city_id}: elasticity {elasticity:.2f}"
