"""The validated configuration of a run: schema, behavioural parameters, error wording, checks.

Imports only :mod:`scenarios` (the levers) and pydantic; the data it is checked against is
passed in.
"""
