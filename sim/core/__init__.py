"""The simulation engine (Mesa, numpy and pandas only; no Hydra, no figures, no files).

The model's set-up and yearly stage order (:mod:`sim.core.model`), lever resolution to per-city
arrays (:mod:`sim.core.policies`), random streams (:mod:`sim.core.streams`), the transport
network, the initial state, the indicators, the yearly records, the region's data and
:func:`sim.core.run.simulate`.
"""
