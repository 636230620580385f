"""The talent relocation rule written the plain Mesa way, as a reference for the benchmarks.

Each :class:`ReferenceTalentAgent` holds its own state as Python attributes and, in its
``step()``, evaluates its own choice: the utility of each of the 41 cities and of the rest of
China, the logit
probabilities and a draw from its own random numbers, then moves. The model calls
``agents_by_type[ReferenceTalentAgent].shuffle_do("step")``. It is the same rule and the
same arithmetic as :func:`agents.talent.location_utilities`,
:func:`agents.talent.choice_probabilities` and :func:`agents.talent.choose_locations`
(per agent row, the same two uniform numbers), so the two give the same flows; it lives here,
not in the package, because yrdsim decides for all agents at once instead.
"""

from __future__ import annotations

import math
from itertools import accumulate

import mesa
import numpy as np

from agents.talent import LocationInputs, TalentArrays


class ReferenceTalentAgent(mesa.Agent):
    """Residents who choose where to live, one Python ``step()`` per agent.

    Args:
        model: The reference model.
        row: The agent's row in the model's table of random numbers.
        city: Index of the current city.
        hukou: Index of the hukou city (``n`` = outside the region).
        high_skill: Whether the agent is high-skill.
        years_in_city: Years since the agent last moved.
        alive: Whether the agent lives in the region.
    """

    def __init__(
        self,
        model: ReferenceModel,
        row: int,
        city: int,
        hukou: int,
        high_skill: bool,
        years_in_city: int,
        alive: bool,
    ) -> None:
        super().__init__(model)
        self.row = row
        self.city = city
        self.hukou = hukou
        self.high_skill = high_skill
        self.years_in_city = years_in_city
        self.alive = alive

    def utility(self, destination: int) -> float:
        """Utility of living in ``destination`` (as in ``location_utilities``)."""
        m = self.model
        home = m.home_bias if destination == self.hukou else 0.0
        exempt = (
            destination == self.hukou
            or destination == m.n_cities
            or (m.flexible_talent and self.high_skill and self.hukou < m.n_cities)
        )
        services = 0.0 if exempt else m.services[destination]
        entry = 0.0 if exempt or destination == self.city else m.barrier[destination]
        value = m.destination_utility[int(self.high_skill)][destination]
        return value + home - services - entry - m.moving_cost[self.city][destination]

    def step(self) -> None:
        """Reconsider (with probability ``reconsider_share``) and move to the drawn location."""
        m = self.model
        reconsider_uniform, choice_uniform = m.uniforms[self.row]
        self.years_in_city += 1
        if not (self.alive and reconsider_uniform < m.reconsider_share):
            return
        locations = m.n_cities + 1  # the cities and the rest of China
        utilities = [self.utility(d) for d in range(locations)]
        best = max(utilities)
        weights = [math.exp(u - best) for u in utilities]
        total = sum(weights)
        cumulative = list(accumulate(w / total for w in weights))
        threshold = choice_uniform * cumulative[-1]
        destination = min(sum(c <= threshold for c in cumulative), locations - 1)
        if destination != self.city:
            m.moves.append((self.city, destination))
            if destination == m.n_cities:
                self.alive = False  # left for the rest of China
            else:
                self.city = destination
            self.years_in_city = 0


class ReferenceModel(mesa.Model):
    """A Mesa model of talent agents only, built from the rows of a :class:`TalentArrays`.

    Args:
        talent: The agents' start state (one agent per row).
        n_cities: Number of cities.
        seed: Seed of Mesa's own generators (used by ``shuffle_do``).
    """

    def __init__(self, talent: TalentArrays, n_cities: int, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.n_cities = n_cities
        self.moves: list[tuple[int, int]] = []
        self.uniforms: list[list[float]] = []
        for row, (city, hukou, high, years, alive) in enumerate(
            zip(
                talent.city.tolist(),
                talent.hukou.tolist(),
                talent.high_skill.tolist(),
                talent.years_in_city.tolist(),
                talent.alive.tolist(),
                strict=True,
            )
        ):
            ReferenceTalentAgent(self, row, city, hukou, high, years, alive)

    def decide(
        self, rng: np.random.Generator, inputs: LocationInputs, reconsider_share: float
    ) -> list[tuple[int, int]]:
        """One year's relocation decisions: every agent steps once, in random order.

        Args:
            rng: The talent stream of the year (two uniform numbers per agent row are drawn,
                as in :func:`agents.talent.choose_locations`).
            inputs: The city-level terms of the choice.
            reconsider_share: Probability that an agent reconsiders.

        Returns:
            ``(origin, destination)`` of every agent that moved.
        """
        self.destination_utility = inputs.destination_utility.tolist()
        self.services = inputs.public_service_penalty.tolist()
        self.barrier = inputs.entry_barrier.tolist()
        self.moving_cost = inputs.moving_cost.tolist()
        self.home_bias = float(inputs.home_bias)
        self.flexible_talent = bool(inputs.flexible_talent)
        self.reconsider_share = reconsider_share
        self.uniforms = rng.random((len(self.agents), 2)).tolist()
        self.moves = []
        self.agents_by_type[ReferenceTalentAgent].shuffle_do("step")
        return self.moves

    def cities(self) -> np.ndarray:
        """The agents' current cities, by row."""
        out = np.empty(len(self.agents), dtype=np.int64)
        for agent in self.agents_by_type[ReferenceTalentAgent]:
            out[agent.row] = agent.city
        return out

    def alive(self) -> np.ndarray:
        """Whether each agent still lives in the region, by row."""
        out = np.empty(len(self.agents), dtype=bool)
        for agent in self.agents_by_type[ReferenceTalentAgent]:
            out[agent.row] = agent.alive
        return out
