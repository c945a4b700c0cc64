"""`backprop explain`: one step of backprop with real numbers (backprop.learn.explain computes it)."""

from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..costs import COSTS
from ..errors import ConfigError
from ..learn.explain import as_markdown, as_text, build, depth_profile, explain
from ..learn.json_output import dumps
from .budget import check_finite_differences
from .common import parse_layers


def register(sub):
    p = sub.add_parser("explain", help="one step of backprop with real numbers, each equation named")
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
        if given:
            flags = ", ".join("--" + g.replace("_", "-") for g in given)
            raise ConfigError(f"--depth compares fixed 64-sample sigmoid and relu networks; {flags} "
                              "would be ignored, so leave it out (or drop --depth)")
        return _depth(args)
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
    result = explain(net, X, Y, args.learning_rate)
    if args.format == "json":
        print(dumps(result, indent=1))  # NaN and infinities as null: always valid JSON
    else:
        print(as_markdown(result) if args.format == "markdown" else as_text(result))
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
            from ..plots import gradient_depth
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
        from ..plots import gradient_depth
        gradient_depth(norms, args.plot)
        print(f"plot: {args.plot}")
    return 0
