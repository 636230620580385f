"""The only modules that import Hydra or OmegaConf.

Composition, the command-line check, the Hydra application of ``yrdsim``, the sweep callback,
and the one place that uses Hydra's private modules (:mod:`sim.hydra.private`).
"""
