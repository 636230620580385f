"""Analyses over runs: comparison of a sweep, its report, validation, calibration, sensitivity.

They take typed configurations (:class:`sim.config.schema.SimConfig`) and never draw; the
figures of each are in :mod:`sim.figures`.
"""
