"""`backprop bench`: runs the benchmark harness of a source checkout (benchmarks/bench.py)."""

import argparse
import pathlib
import subprocess
import sys

from ..errors import ConfigError

# The harness lives outside the package, beside the tests: an editable install finds it here.
HARNESS = pathlib.Path(__file__).resolve().parents[3] / "benchmarks" / "bench.py"


def register(sub):
    p = sub.add_parser("bench", help="time an epoch against PyTorch, scikit-learn, a loop and the GEMM bound",
                       description="Runs benchmarks/bench.py of the source checkout with the options given "
                                   "(backprop bench --help lists them).", add_help=False)
    p.add_argument("options", nargs=argparse.REMAINDER, help="options for benchmarks/bench.py")
    p.set_defaults(run=run)


def run(args):
    if not HARNESS.is_file():
        raise ConfigError("backprop bench runs benchmarks/bench.py from a source checkout, which this installation "
                          "lacks; clone the repository and run: pip install -e '.[bench]'")
    options = args.options[1:] if args.options[:1] == ["--"] else args.options
    return subprocess.call([sys.executable, str(HARNESS), *options])
