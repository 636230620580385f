"""Agents removed in bulk leave Mesa's registries as Agent.remove one by one would."""

from __future__ import annotations

from typing import ClassVar

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


class _Firm(IndexedAgent):
    pass


class _Tracked(IndexedAgent):
    removed: ClassVar[list[int]] = []

    def remove(self) -> None:
        type(self).removed.append(self.index)
        super().remove()


def _state(model: mesa.Model) -> tuple:
    by_type = {kind.__name__: [a.unique_id for a in s] for kind, s in model.agents_by_type.items()}
    return [a.unique_id for a in model.agents], by_type, len(model.agents)


def test_bulk_removal_skips_agents_already_gone_and_empty_rows():
    model, agents = _model_with_agents(10)
    agents[4].remove()  # removed the ordinary way, still in the list
    remove_indexed(model, agents, [1])
    remove_indexed(model, agents, [4, 1, 2])  # row 1 is None now; agent 4 is not registered
    assert agents[1] is None and agents[2] is None and agents[4] is None
    assert sorted(a.index for a in model.agents) == [0, 3, 5, 6, 7, 8, 9]
    assert len(model.agents_by_type[_Talent]) == 7
    # the weak-key dictionaries still count and iterate correctly afterwards
    assert len(list(model.agents_by_type[_Talent])) == 7


def test_bulk_removal_of_mixed_types_equals_one_by_one():
    def build() -> tuple[mesa.Model, list]:
        model = mesa.Model(rng=0)
        mixed = [*_Talent.create_indexed(model, range(4)), *_Firm.create_indexed(model, range(4))]
        return model, mixed

    rows = [6, 1, 5, 2, 6]
    bulk_model, bulk = build()
    remove_indexed(bulk_model, bulk, rows)
    one_model, one = build()
    for index in rows:
        if one[index] is not None:
            one[index].remove()
            one[index] = None
    assert _state(bulk_model) == _state(one_model)
    assert [a is None for a in bulk] == [a is None for a in one]
    assert _state(bulk_model)[2] == 4


def test_bulk_removal_falls_back_to_an_overridden_remove():
    model = mesa.Model(rng=0)
    agents = _Tracked.create_indexed(model, range(5))
    _Tracked.removed = []
    remove_indexed(model, agents, [3, 0, 3])
    assert _Tracked.removed == [3, 0]  # each agent once, in the order of the rows
    assert sorted(a.index for a in model.agents) == [1, 2, 4]
    assert agents[0] is None and agents[3] is None


def test_bulk_removal_falls_back_for_a_model_that_registers_differently():
    class OwnRegistry(mesa.Model):
        def register_agent(self, agent):
            super().register_agent(agent)

    model = OwnRegistry(rng=0)
    agents = _Talent.create_indexed(model, range(6))
    remove_indexed(model, agents, [5, 2, 2])
    assert sorted(a.index for a in model.agents) == [0, 1, 3, 4]
    assert sorted(a.index for a in model.agents_by_type[_Talent]) == [0, 1, 3, 4]
    assert agents[2] is None and agents[5] is None
