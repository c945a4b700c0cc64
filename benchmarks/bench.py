"""Run the benchmark: python benchmarks/bench.py [options] (the same as `backprop bench` in a checkout).

Times one training epoch of backprop, PyTorch, scikit-learn, a per-sample loop and the matrix
products alone on the same shapes, and prints the ratios; see BENCHMARKS.md for the figures.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def parse(argv):
    p = argparse.ArgumentParser(prog="backprop bench", description=__doc__.splitlines()[2])
    p.add_argument("--sizes", default="784-128-64-10,784-512-256-10",
                   help="comma-separated architectures (default: 784-128-64-10,784-512-256-10)")
    p.add_argument("--batch-sizes", default="64", help="comma-separated batch sizes (default: 64)")
    p.add_argument("--dtypes", default="float32", help="float32 and/or float64 (default: float32)")
    p.add_argument("--activations", default="relu", help="relu (softmax + CE) and/or sigmoid (MSE) (default: relu)")
    p.add_argument("--samples", type=int, default=10000, help="training samples per epoch (default: 10000)")
    p.add_argument("--rounds", type=int, default=5, help="timed epochs per system (default: 5)")
    p.add_argument("--systems", default=",".join(harness.SYSTEMS), help="which systems (default: all)")
    p.add_argument("--mnist", help="a folder of MNIST IDX files to use instead of generated data")
    p.add_argument("--estimators", action="store_true",
                   help="only compare backprop.sklearn's MLPClassifier and MLPRegressor with scikit-learn's "
                        "(adam, sgd, lbfgs; digits and --samples MNIST-shaped samples)")
    p.add_argument("--seeds", type=int, default=1, help="--estimators: seeds per setting (default: 1)")
    p.add_argument("--profile", action="store_true", help="also break one backprop epoch down by part")
    p.add_argument("--full", action="store_true", help="every setting: both activations, batch 32/64/256, both dtypes")
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    if args.full:
        args.batch_sizes, args.dtypes, args.activations = "32,64,256", "float32,float64", "relu,sigmoid"
    print("\n".join(harness.environment()))
    if args.estimators:
        if not harness.available(["sklearn"]):
            return 0
        harness.estimator_comparison(n=args.samples, seeds=args.seeds)
        return 0
    systems = harness.available([s for s in args.systems.split(",") if s])
    for sizes in args.sizes.split(","):
        for activation in args.activations.split(","):
            for batch in args.batch_sizes.split(","):
                for dtype in args.dtypes.split(","):
                    cfg = {"sizes": [int(v) for v in sizes.split("-")], "activation": activation,
                           "batch_size": int(batch), "dtype": dtype, "n": args.samples, "n_test": 2000,
                           "learning_rate": 0.05 if activation == "relu" else 0.5, "mnist": args.mnist}
                    harness.run_setting(cfg, args.rounds, systems, lambda line: print(line, flush=True))
                    if args.profile:
                        print("\nwhere one backprop epoch goes (ms):")
                        for part, ms in harness.profile_epoch(cfg):
                            print(f"  {part:<48} {ms:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
