"""Hydra configuration of yrdsim (YAML files; a package so that it installs with the code)."""
