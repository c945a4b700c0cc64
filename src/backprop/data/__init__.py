"""Data: reading files (files.py), bundled and generated data sets (datasets.py), scaling and
labels (preprocessing.py), and turning a named source into arrays and splits (sources.py)."""
