"""Run the benchmark: python benchmarks/bench.py [options] (the same as `backprop bench`)."""

import sys

from backprop.cli import main

sys.exit(main(["bench", *sys.argv[1:]]))
