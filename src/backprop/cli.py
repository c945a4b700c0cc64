"""The `backprop` command: train, evaluate, predict, gradcheck, explain, info, datasets, bench."""

import argparse
import importlib
import os
import sys
import warnings

import numpy as np

from . import io as model_io
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .costs import COSTS
from .errors import BackpropError, ConfigError
from .optimizers import OPTIMIZERS
from .preprocessing import SCALES


EXTRA_COMMANDS = ("explain", "bench")  # modules that add their own subcommand


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line 'error: ...' and exit status 2."""

    def error(self, message):
        print(f"error: {message} (see: {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


# Training options: flag -> (default, type, help). The config file uses the same names.
TRAIN_OPTIONS = {
    "data": ("digits", str, "built-in data set name, a .csv or .npz file, or mnist:DIR"),
    "target": (None, str, "target column of a CSV, by name or index (default: the last)"),
    "task": ("auto", str, "auto, classification or regression"),
    "layers": ("128", str, "hidden layer sizes, comma-separated, e.g. 64,32 ('' for none)"),
    "activation": (None, str, f"hidden activation: {', '.join(HIDDEN_ACTIVATIONS)} (default relu)"),
    "output": (None, str, f"output activation: {', '.join(OUTPUT_ACTIVATIONS)} (default: from the task)"),
    "cost": (None, str, f"cost: {', '.join(COSTS)} (default: from the task)"),
    "optimizer": ("adam", str, f"optimizer: {', '.join(OPTIMIZERS)}"),
    "epochs": (30, int, "epochs to train"),
    "batch_size": (32, int, "samples per mini-batch"),
    "learning_rate": (None, float, "learning rate (default: the optimizer's)"),
    "weight_decay": (0.0, float, "L2 weight decay"),
    "schedule": ("constant", str, "learning-rate schedule: constant, step, exponential, cosine"),
    "validation_split": (0.1, float, "fraction of the training data held out for validation"),
    "test_split": (0.2, float, "fraction held out for the final test"),
    "test_data": (None, str, "a separate test file instead of --test-split"),
    "early_stopping": (None, int, "patience in epochs on the validation cost"),
    "seed": (0, int, "seed for the weights, the splits and the shuffling"),
    "dtype": ("float64", str, "float32 or float64"),
    "scale": ("standard", str, f"input scaling: {', '.join(SCALES)}"),
    "out": (None, str, "run folder (default: a new runs/NAME-NNN)"),
}


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def build_parser():
    parser = Parser(prog="backprop", description="Feedforward networks trained by backpropagation, in numpy.")
    parser.add_argument("--version", action="version", version=f"backprop {__import__('backprop').__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, required=True)

    train = sub.add_parser("train", help="train a network (default: on the bundled digits)")
    for name, (default, kind, text) in TRAIN_OPTIONS.items():
        if kind in (int, float) and name in ("epochs", "batch_size", "learning_rate", "early_stopping"):
            kind = _positive(kind)
        train.add_argument("--" + name.replace("_", "-"), type=kind, default=None, help=f"{text} [{default}]")
    train.add_argument("--config", help="a TOML file of these options (flags override it)")
    train.add_argument("--checkpoint", action="store_true", help="save the model after every epoch")
    train.add_argument("--resume", metavar="MODEL", help="continue training a saved model for --epochs more")
    train.add_argument("--plot", action="store_true", help="also draw what the network learned (2-D data, images)")
    train.add_argument("--no-plots", action="store_true", help="write no PNG files")
    train.add_argument("--quiet", action="store_true", help="print only the final result")
    train.set_defaults(func=lambda args: _command("cli_train").cmd_train(args))

    evaluate = sub.add_parser("evaluate", help="accuracy and confusion matrix, or MSE, MAE and R^2")
    evaluate.add_argument("model")
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--target")
    evaluate.set_defaults(func=lambda args: _command("cli_models").cmd_evaluate(args))

    predict = sub.add_parser("predict", help="predict labels (or values) for new data")
    predict.add_argument("model")
    predict.add_argument("--data", required=True, help="CSV or NPZ of features (a target column is dropped)")
    predict.add_argument("--target", help="name or index of a target column to drop")
    predict.add_argument("--out", help="write predictions to this CSV instead of standard output")
    predict.add_argument("--proba", action="store_true", help="add one probability column per class")
    predict.set_defaults(func=lambda args: _command("cli_models").cmd_predict(args))

    check = sub.add_parser("gradcheck", help="compare backprop with finite differences on a random network")
    check.add_argument("--layers", default="2,3,2", help="all layer sizes, inputs to outputs [2,3,2]")
    check.add_argument("--activation", default="sigmoid")
    check.add_argument("--output", default=None)
    check.add_argument("--cost", default="mse")
    check.add_argument("--samples", type=_positive(int), default=4)
    check.add_argument("--seed", type=int, default=0)
    check.set_defaults(func=cmd_gradcheck)

    info = sub.add_parser("info", help="describe a saved model")
    info.add_argument("model")
    info.set_defaults(func=cmd_info)

    ds = sub.add_parser("datasets", help="list the built-in data sets, or download MNIST")
    ds.add_argument("action", nargs="?", choices=["list", "download"], default="list")
    ds.add_argument("name", nargs="?", choices=["mnist"])
    ds.add_argument("--dir", default="data/mnist", help="where to put downloaded files [data/mnist]")
    ds.set_defaults(func=cmd_datasets)

    for module in EXTRA_COMMANDS:
        __import__(f"backprop.{module}", fromlist=["add_parser"]).add_parser(sub)
    return parser


def _command(module):
    """The module of a subcommand, imported only when that command runs."""
    return importlib.import_module(f"backprop.{module}")


def main(argv=None):
    """Entry point: returns the exit status (0 ok, 1 check failed, 2 bad input, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *a, **k: print(f"warning: {message}", file=sys.stderr)
            return args.func(args) or 0
    except BackpropError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `backprop ... | head`: the reader left; nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def parse_layers(text):
    try:
        sizes = [int(s) for s in str(text).replace(" ", "").split(",") if s]
    except ValueError:
        raise ConfigError(f"--layers must be comma-separated integers such as 64,32, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise ConfigError(f"--layers sizes must be >= 1, got {text!r}")
    return sizes


def say(args, *lines):
    if not getattr(args, "quiet", False):
        print(*lines, sep="\n", flush=True)


# ---- gradcheck, info, datasets ----------------------------------------------------------------
def cmd_gradcheck(args):
    from .gradcheck import gradcheck
    from .network import Network
    sizes = parse_layers(args.layers)
    if len(sizes) < 2:
        raise ConfigError("--layers needs at least the input and output sizes, e.g. 2,3,2")
    net = Network(sizes, activation=args.activation, output=args.output, cost=args.cost, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    for b in net.biases:
        b[:] = rng.normal(scale=0.5, size=b.shape)
    X = rng.normal(size=(args.samples, sizes[0]))
    Y = rng.random((args.samples, sizes[-1]))
    if net.cost_function.name == "cross_entropy":
        Y /= Y.sum(axis=1, keepdims=True)
    result = gradcheck(net, X, Y)
    print(f"{net}, {args.samples} samples\n{result}")
    print("ok: backprop agrees with finite differences" if result.passed() else "FAILED: gradients disagree")
    return 0 if result.passed() else 1


def cmd_info(args):
    net, meta = model_io.load(args.model)
    history = net.history
    lines = [f"model:        {args.model}", f"network:      {net}", f"task:         {meta.get('task')}"]
    if meta.get("classes"):
        lines.append(f"classes:      {', '.join(map(str, meta['classes']))}")
    lines.append(f"data:         {meta.get('data', {}).get('data')}  scale: {meta.get('scaler', {}).get('kind')}")
    training = dict(meta.get("training") or {})
    if training.get("learning_rate") is None and history is not None and len(history):
        training["learning_rate"] = f"{history.learning_rate[-1]:g} (the optimizer's default)"
    lines.append("training:     " + ", ".join(f"{k}={training[k]}" for k in
                                             ("optimizer", "learning_rate", "batch_size", "epochs") if k in training))
    if history is not None and len(history):
        lines.append(f"epochs:       {net.epochs_trained}; stopped: {history.stop_message}")
        lines.append(f"final cost:   {history.cost[-1]:.5f}" + (f", validation {history.val_cost[-1]:.5f}"
                                                                 if history.val_cost[-1] is not None else ""))
        lines += ["", history.table(every=max(1, len(history) // 10))]
    print("\n".join(lines))
    return 0


def cmd_datasets(args):
    from . import datasets
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


if __name__ == "__main__":
    sys.exit(main())
