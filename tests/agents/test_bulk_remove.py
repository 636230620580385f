"""Agents removed in bulk leave Mesa's registries as Agent.remove one by one would."""

from __future__ import annotations

import mesa

from agents.base import IndexedAgent, remove_indexed


class _Talent(IndexedAgent):
    pass


def _model_with_agents(n: int) -> tuple[mesa.Model, list]:
    model = mesa.Model(rng=0)
    return model, list(_Talent.create_indexed(model, range(n)))


def test_bulk_removal_equals_one_by_one_removal():
    rows = [3, 0, 7, 7, 12]  # a repeated row: the agent is already gone the second time
    bulk_model, bulk = _model_with_agents(20)
    remove_indexed(bulk_model, bulk, rows[:4])
    remove_indexed(bulk_model, bulk, [])
    one_model, one = _model_with_agents(20)
    for index in rows[:4]:
        if one[index] is not None:
            one[index].remove()
            one[index] = None
    ids = lambda agents: [a.unique_id for a in agents]  # noqa: E731
    assert ids(bulk_model.agents) == ids(one_model.agents)
    assert ids(bulk_model.agents_by_type[_Talent]) == ids(one_model.agents_by_type[_Talent])
    assert [a is None for a in bulk] == [a is None for a in one]
    assert len(bulk_model.agents) == 17
    # the rest can still be removed the ordinary way
    bulk[12].remove()
    assert len(bulk_model.agents) == 16
