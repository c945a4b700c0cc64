"""`backprop explain`: one step of backprop with real numbers (backprop.learn.explain computes it)."""

import numpy as np

from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..costs import COSTS
from ..errors import ConfigError, DataError
from ..plots import gradient_depth
from ..learn.explain import as_markdown, as_text, build, depth_profile, explain
from ..checks import as_targets
from ..learn.json_output import dumps
from .budget import check_finite_differences
from .common import load_model, parse_layers
from .evaluate import read_for


def register(sub):
    p = sub.add_parser("explain", help="one step of backprop with real numbers, each equation named")
    p.add_argument("model", nargs="?", help="a trained model (.npz or run folder): step through it on --rows of "
                                            "--data instead of a generated network (default: none)")
    p.add_argument("--data", help="with MODEL: a CSV (or data set) with the target column, read and preprocessed "
                                  "as the model does (default: none)")
    p.add_argument("--rows", help="with MODEL: the data rows of the batch, 1-based, e.g. 1,5,9 (default: 1)")
    p.add_argument("--layers", help="layer sizes, e.g. 2,3,2 (default: the reference's 2-3-2 with fixed weights)")
    p.add_argument("--activation", default="sigmoid", choices=HIDDEN_ACTIVATIONS,
                   help="hidden layers' activation (default: sigmoid)")
    p.add_argument("--output", choices=OUTPUT_ACTIVATIONS, help="output activation (default: as --activation)")
    p.add_argument("--cost", default="mse", choices=tuple(COSTS), help="cost (default: mse)")
    p.add_argument("--seed", type=int, help="seed for random weights and data (default: 0 when --layers is given)")
    p.add_argument("--samples", type=int, default=1, help="samples in the batch, to show the averaging (default: 1)")
    p.add_argument("--learning-rate", type=float, default=0.5, help="step size of the update shown (default: 0.5)")
    p.add_argument("--init-scale", type=float, default=1.0,
                   help="multiply the random weights; large values saturate sigmoid units (default: 1)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                   help="output format (default: text)")
    p.add_argument("--depth", type=int, nargs="?", const=10, default=None,
                   help="instead: gradient size per layer of a deep sigmoid vs relu network (default depth: 10)")
    p.add_argument("--plot", metavar="PNG", help="with --depth: also draw the gradient sizes into this file; "
                                                 "refused without --depth (default: none)")
    p.set_defaults(run=run)


DEPTH_IGNORES = {"layers": None, "activation": "sigmoid", "output": None, "cost": "mse", "seed": None, "samples": 1,
                 "learning_rate": 0.5, "init_scale": 1.0}


def run(args):
    if args.depth is not None:
        given = [name for name, default in DEPTH_IGNORES.items() if getattr(args, name) != default]
        given += [name for name in ("model", "data", "rows") if getattr(args, name)]
        if given:
            flags = ", ".join("MODEL" if g == "model" else "--" + g.replace("_", "-") for g in given)
            raise ConfigError(f"--depth compares fixed 64-sample sigmoid and relu networks; {flags} "
                              "would be ignored, so leave it out (or drop --depth)")
        return _depth(args)
    if args.model or args.data or args.rows:
        return _trained(args)
    if args.plot:
        raise ConfigError("--plot draws the gradient sizes of --depth; add --depth (or leave --plot out)")
    if args.samples < 1:
        raise ConfigError(f"--samples must be >= 1, got {args.samples}")
    if not args.learning_rate > 0:
        raise ConfigError(f"--learning-rate must be positive, got {args.learning_rate}")
    layers = None
    if args.layers:
        layers = parse_layers(args.layers)
        if len(layers) < 2:
            raise ConfigError("--layers needs at least input and output sizes, e.g. 2,3,2")
    check_finite_differences(layers or [2, 3, 2], args.samples, "explain")
    net, X, Y = build(layers, args.activation, args.output, args.cost, args.seed, args.samples, args.init_scale)
    return _show(explain(net, X, Y, args.learning_rate), args.format)


def _trained(args):
    """One step of a trained model on rows of the user's data, preprocessed as the model does."""
    if not (args.model and args.data):
        raise ConfigError("a trained model's step needs both MODEL and --data FILE, e.g. "
                          "backprop explain model.npz --data train.csv --rows 1,5,9")
    given = [name for name, default in DEPTH_IGNORES.items()
             if name != "learning_rate" and getattr(args, name) != default]
    if given:
        flags = ", ".join("--" + g.replace("_", "-") for g in given)
        raise ConfigError(f"{flags} build a generated network; with MODEL the model's own network is used, "
                          "so leave them out")
    if args.plot:
        raise ConfigError("--plot draws the gradient sizes of --depth; leave it out with MODEL")
    if not args.learning_rate > 0:
        raise ConfigError(f"--learning-rate must be positive, got {args.learning_rate}")
    rows = _rows(args.rows or "1")
    model = load_model(args.model)
    dataset = read_for(model, args.data)
    if dataset.y is None:
        raise ConfigError(f"{args.data}: explain needs the target column to compute the cost")
    n = len(dataset.X)
    if max(rows) > n:
        raise ConfigError(f"--rows: row {max(rows)} is past the end; {args.data} has {n} rows (1..{n})")
    index = [r - 1 for r in rows]
    net = model.network.copy(dtype="float64")
    X = model.inputs(dataset.X[index])
    try:
        Y = as_targets(model.targets(np.asarray(dataset.y)[index]), len(index), net.sizes[-1], np.float64)
    except ValueError as exc:  # a regression model given text targets, or labels it never saw
        raise DataError(f"{args.data}: the target of rows {args.rows or '1'} does not suit the model ({exc})") from None
    result = explain(net, X, Y, args.learning_rate)
    result["rows"] = rows
    return _show(result, args.format)


def _rows(text):
    """1-based row numbers from '1,5,9': 1 to 100 distinct whole numbers >= 1."""
    try:
        rows = [int(part) for part in text.split(",")]
    except ValueError:
        raise ConfigError(f"--rows takes 1-based row numbers separated by commas, e.g. 1,5,9; got {text!r}") from None
    if not 1 <= len(rows) <= 100 or min(rows) < 1 or len(set(rows)) != len(rows):
        raise ConfigError(f"--rows takes 1 to 100 distinct row numbers from 1 (the first data row); got {text!r}")
    return rows


def _show(result, form):
    if form == "json":
        print(dumps(result, indent=1))  # NaN and infinities as null: always valid JSON
    else:
        print(as_markdown(result) if form == "markdown" else as_text(result))
    return 0


def _depth(args):
    if not 2 <= args.depth <= 100:
        raise ConfigError(f"--depth must lie in 2..100, got {args.depth}")
    norms = depth_profile(args.depth)
    ratio = norms["sigmoid"][0] / norms["sigmoid"][-1]
    if args.format == "json":
        print(dumps({"depth": args.depth, "samples": 64, "width": 32, "norms": norms,
                          "sigmoid_first_over_last": ratio, **({"plot": args.plot} if args.plot else {})}, indent=1))
        if args.plot:
            gradient_depth(norms, args.plot)
        return 0
    if args.format == "markdown":
        print("| layer | sigmoid | relu |\n|---:|---:|---:|")
        for l, (s, r) in enumerate(zip(norms["sigmoid"], norms["relu"]), start=1):
            print(f"| {l} | {s:.2e} | {r:.2e} |")
    else:
        print("size of dC/dW_l per layer (Frobenius norm), 64 samples, width 32, softmax output")
        print(f"{'layer':>5}  {'sigmoid':>10}  {'relu':>10}")
        for l, (s, r) in enumerate(zip(norms["sigmoid"], norms["relu"]), start=1):
            print(f"{l:>5}  {s:>10.2e}  {r:>10.2e}")
    print(f"sigmoid: layer 1 gets {ratio:.1e} times the gradient of layer {args.depth}: sigma' <= 1/4 "
          "shrinks it at every layer on the way back")
    if args.plot:
        gradient_depth(norms, args.plot)
        print(f"plot: {args.plot}")
    return 0
