"""Data: the one table reader on pyarrow (tables.py reads, columns.py types and encodes, encoder.py the
Encoder a model keeps, frames.py DataFrames by column name), NPZ and MNIST files (files.py), bundled and
generated data sets (datasets.py), scaling and labels (preprocessing.py), and turning a named source into
arrays and splits (sources.py: load_source, read_table)."""
