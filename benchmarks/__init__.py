"""Benchmarks of yrdsim (not part of the installed package); see ``run_benchmarks.py``."""
