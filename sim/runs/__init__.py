"""The run-folder format in one place.

File names, completeness and failure markers, folder names, JSON reading, atomic writes,
provenance and the writing of a run's tables.
"""
