"""`backprop datasets`: the built-in data sets, and downloading MNIST."""

from ..data import datasets
from ..errors import ConfigError


def register(sub):
    p = sub.add_parser("datasets", help="list the built-in data sets, or download MNIST")
    p.add_argument("action", nargs="?", choices=["list", "download"], default="list",
                   help="list the data sets, or download one (default: list)")
    p.add_argument("name", nargs="?", choices=["mnist"], help="with download: the data set to fetch")
    p.add_argument("--dir", default="data/mnist", help="where to put downloaded files (default: data/mnist)")
    p.set_defaults(run=run)


def run(args):
    if args.action == "download":
        if args.name != "mnist":
            raise ConfigError("usage: backprop datasets download mnist [--dir DIR]")
        folder = datasets.download_mnist(args.dir)
        print(f"MNIST files in {folder}; train with: backprop train --data mnist:{folder}")
        return 0
    print(f"{'name':<14} {'samples':>7} {'features':>8}  {'task':<15} {'classes':>7}  source")
    for name, n, d, task, k, source in datasets.describe():
        print(f"{name:<14} {n:>7} {d:>8}  {task:<15} {k:>7}  {source}")
    print("\nalso: any .csv or .npz file (arrays X and y), and mnist:DIR for MNIST IDX files")
    return 0
