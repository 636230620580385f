"""The recorder keeps each year's state as it was and builds the same tables either way."""

from __future__ import annotations

import numpy as np
import pandas as pd

import sim
from sim.core.model import YRDModel
from sim.core.recording import CITY_UNITS, FLOW_COLUMNS, VOUCHER_COLUMNS, Recorder


def _city_columns(value: float) -> dict[str, np.ndarray]:
    return {column: np.full(2, value) for column in list(CITY_UNITS)[4:]}


def test_a_recorded_year_does_not_change_when_the_state_does():
    recorder = Recorder(["a", "b"], ["A", "B"], ["p", "q"])
    state = _city_columns(1.0)
    recorder.add_year({"year": 2020}, state)
    state["population"][:] = 99.0  # the model updates its arrays in place
    flows = np.array([[0.0, 3.0], [0.0, 0.0]])
    recorder.add_flows(2020, flows)
    flows[0, 1] = 7.0
    tables = recorder.tables()
    assert tables["cities"]["population"].tolist() == [1.0, 1.0]
    assert tables["cities"]["city_id"].tolist() == ["a", "b"]
    assert tables["flows"].to_dict("list") == {
        "year": [2020],
        "origin": ["a"],
        "destination": ["b"],
        "migrants": [3],
    }


def test_an_empty_recorder_gives_empty_tables_with_their_columns():
    tables = Recorder(["a"], ["A"], ["p"]).tables()
    assert list(tables["cities"].columns) == list(CITY_UNITS)
    assert list(tables["flows"].columns) == FLOW_COLUMNS
    assert list(tables["vouchers"].columns) == VOUCHER_COLUMNS
    assert all(len(t) == 0 for t in tables.values())


def test_the_per_year_frames_add_up_to_the_run_tables(region):
    config = sim.load_config(["scenario=integrated", "persons_per_agent=2000", "end_year=2023"])
    model = YRDModel(config, region)
    while model.year < config.end_year:
        model.step()
    recorder = model.recorder
    tables = recorder.tables()
    for name in ("cities", "flows", "travel_times", "vouchers"):
        frames = [f for f in getattr(recorder, name) if len(f)]
        assert frames, name
        joined = pd.concat(frames, ignore_index=True)
        pd.testing.assert_frame_equal(joined, tables[name], check_exact=True)
    years = [int(frame["year"].iloc[0]) for frame in recorder.cities]
    assert years == list(range(config.start_year, config.end_year + 1))
    assert recorder.cities[-1]["population"].to_numpy().tolist() == model.cities.population.tolist()
