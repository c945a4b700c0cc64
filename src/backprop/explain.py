"""`backprop explain`: one step of backpropagation with real numbers, every equation named.

The numbers come from the engine that trains (Network.forward, Network.backprop, the SGD
optimizer); the finite differences beside the gradients come from backprop.gradcheck.
"""

import json

import numpy as np

from .errors import ConfigError
from .gradcheck import numeric_gradient, relative_error
from .network import Network
from .optimizers import SGD

# The reference's 2-3-2 diagram with small weights chosen by hand (also tests/test_worked_example.py).
DEFAULT_WEIGHTS = [[[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4]], [[0.2, -0.3, 0.1], [0.4, 0.1, -0.2]]]
DEFAULT_BIASES = [[0.1, -0.1, 0.05], [0.0, 0.1]]
DEFAULT_X, DEFAULT_Y = [[1.0, 0.5]], [[1.0, 0.0]]


def build(layers=None, activation="sigmoid", output=None, cost="mse", seed=None, samples=1, init_scale=1.0):
    """(net, X (m, n_0), Y (m, n_L)): the reference's 2-3-2 example, or a seeded random one."""
    chosen = (layers, seed, samples, init_scale, activation, output, cost)
    if chosen == (None, None, 1, 1.0, "sigmoid", None, "mse"):  # nothing chosen: the reference's example
        net = Network([2, 3, 2])
        net.weights = [np.array(W) for W in DEFAULT_WEIGHTS]
        net.biases = [np.array(b) for b in DEFAULT_BIASES]
        return net, np.array(DEFAULT_X), np.array(DEFAULT_Y)
    sizes = layers or [2, 3, 2]
    seed = 0 if seed is None else seed
    net = Network(sizes, activation=activation, output=output, cost=cost, seed=seed)
    rng = np.random.default_rng(seed)
    # Two decimals: short numbers that a learner can follow by hand.
    net.weights = [np.round(rng.uniform(-0.5, 0.5, W.shape) * init_scale, 2) for W in net.weights]
    net.biases = [np.round(rng.uniform(-0.2, 0.2, b.shape), 2) for b in net.biases]
    X = np.round(rng.uniform(0, 1, (samples, sizes[0])), 2)
    if net.cost_function.name == "cross_entropy" or sizes[-1] > 1 and net.activations[-1].name == "softmax":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], samples)]
    else:
        Y = np.round(rng.uniform(0, 1, (samples, sizes[-1])), 2)
    return net, X, Y


def explain(net, X, Y, learning_rate=0.5, eps=1e-6):
    """Every number of one gradient-descent step on (X, Y), as a JSON-ready dict (net is updated)."""
    x, y = X.T, Y.T
    m, L = x.shape[1], len(net.weights)
    z, a = net.forward(x)
    cost = net.cost(X, Y)
    grad_w = [np.empty_like(W) for W in net.weights]
    grad_b = [np.empty_like(b) for b in net.biases]
    delta = [None] * (L + 1)
    net.backprop(x, y, None, grad_w, grad_b, delta=delta)
    layers = []
    for l in range(1, L + 1):
        fd_w = numeric_gradient(lambda: net.cost(X, Y), net.weights[l - 1], eps)
        fd_b = numeric_gradient(lambda: net.cost(X, Y), net.biases[l - 1], eps)
        layers.append({
            "layer": l, "activation": net.activations[l - 1].name,
            "W": net.weights[l - 1].tolist(), "b": net.biases[l - 1].tolist(),
            "z": z[l].tolist(), "a": a[l].tolist(),
            "delta": (delta[l] * m).tolist(),  # the engine keeps delta_l / m; each sample's own delta_l
            "dC_dW": grad_w[l - 1].tolist(), "dC_dW_numeric": fd_w.tolist(),
            "dC_dW_error": relative_error(grad_w[l - 1], fd_w),
            "dC_db": grad_b[l - 1].tolist(), "dC_db_numeric": fd_b.tolist(),
            "dC_db_error": relative_error(grad_b[l - 1], fd_b),
        })
    SGD(learning_rate).step(net.weights + net.biases, grad_w + grad_b)  # the same update fit() applies
    for layer, W, b in zip(layers, net.weights, net.biases):
        layer["W_new"], layer["b_new"] = W.tolist(), b.tolist()
    return {"sizes": net.sizes, "cost_name": net.cost_function.name, "fused": net.fused, "samples": m,
            "x": x.tolist(), "y": y.tolist(), "cost": cost, "layers": layers, "learning_rate": learning_rate,
            "cost_after": net.cost(X, Y)}


def _matrix(values, indent):
    A = np.atleast_2d(np.array(values, dtype=float))
    cells = [[f"{v: .6f}" for v in row] for row in A]
    return ("\n" + " " * indent).join("[" + "  ".join(row) + " ]" for row in cells)


def _line(label, values, indent=6):
    pad = len(label) + indent + 3
    return " " * indent + f"{label} = " + _matrix(values, pad)


def as_text(r):
    """The step as plain text, in the reference's notation and order."""
    L = len(r["layers"])
    cost_formula = {"mse": "C = 1/(2n) sum_i ||a_L - y||^2", "cross_entropy": "C = -(1/n) sum_i sum_k y log a",
                    "binary_cross_entropy": "C = -(1/n) sum_i sum_k [y log a + (1-y) log(1-a)]"}[r["cost_name"]]
    acts = ", ".join(layer["activation"] for layer in r["layers"])
    out = [f"network {'-'.join(map(str, r['sizes']))} ({acts}), cost {cost_formula}",
           f"{r['samples']} sample(s), one per column; learning rate {r['learning_rate']}", "",
           _line("x = a_0", r["x"], 2), _line("y", r["y"], 2), "", "forward pass"]
    for layer in r["layers"]:
        l = layer["layer"]
        out += [f"  layer {l}: (F) z_{l} = W_{l} a_{l - 1} + b_{l},  a_{l} = {layer['activation']}(z_{l})",
                _line(f"W_{l}", layer["W"]), _line(f"b_{l}", [[v] for v in layer["b"]]),
                _line(f"z_{l}", layer["z"]), _line(f"a_{l}", layer["a"])]
    out += [f"  cost C = {r['cost']:.8f}", "", "backward pass"]
    last = r["layers"][-1]
    if r["fused"]:
        out.append(f"  (BP1) delta_{L} = a_{L} - y   ({last['activation']} output with its cross-entropy: "
                   "dC/da * sigma' simplifies)")
    elif last["activation"] == "sigmoid" and r["cost_name"] == "mse":
        out.append(f"  (BP1) delta_{L} = (a_{L} - y) * a_{L}(1 - a_{L})   "
                   "(sigma'(z) = a(1 - a), through the activation)")
    else:
        out.append(f"  (BP1) delta_{L} = dC/da_{L} * sigma'(z_{L})")
    out.append(_line(f"delta_{L}", last["delta"]))
    for layer in reversed(r["layers"][:-1]):
        l = layer["layer"]
        out += [f"  (BP2) delta_{l} = (W_{l + 1}^T delta_{l + 1}) * sigma'(z_{l})", _line(f"delta_{l}", layer["delta"])]
    out += ["", "gradients, each beside its central finite difference"]
    for layer in reversed(r["layers"]):
        l = layer["layer"]
        avg = f"(1/{r['samples']}) sum over samples of " if r["samples"] > 1 else ""
        out += [f"  (BP3) dC/dW_{l} = {avg}delta_{l} a_{l - 1}^T", _line("backprop", layer["dC_dW"]),
                _line("numeric ", layer["dC_dW_numeric"]), f"      relative error {layer['dC_dW_error']:.1e}",
                f"  (BP4) dC/db_{l} = {avg}delta_{l}", _line("backprop", [[v] for v in layer["dC_db"]]),
                _line("numeric ", [[v] for v in layer["dC_db_numeric"]]),
                f"      relative error {layer['dC_db_error']:.1e}"]
    lr = r["learning_rate"]
    out += ["", f"gradient descent: W_l <- W_l - {lr} dC/dW_l, b_l <- b_l - {lr} dC/db_l"]
    for layer in r["layers"]:
        l = layer["layer"]
        out += [_line(f"W_{l}", layer["W_new"]), _line(f"b_{l}", [[v] for v in layer["b_new"]])]
    change = "lower" if r["cost_after"] < r["cost"] else "NOT lower: try a smaller --learning-rate"
    out += [f"  cost after the step C = {r['cost_after']:.8f} (was {r['cost']:.8f}: {change})"]
    return "\n".join(out)


def as_markdown(r):
    """The step as Markdown: the text inside a fenced block under a heading."""
    return "## One step of backpropagation\n\n```text\n" + as_text(r) + "\n```\n"


def depth_profile(depth=10, width=32, samples=64, seed=0):
    """{activation: [||dC/dW_l|| for l = 1..depth]} for a deep sigmoid and a deep relu network."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, width))
    Y = np.eye(10)[rng.integers(0, 10, samples)]
    norms = {}
    for activation in ("sigmoid", "relu"):
        net = Network([width] * depth + [10], activation=activation, output="softmax", cost="cross_entropy", seed=seed)
        grad_w, _ = net.gradients(X, Y)
        norms[activation] = [float(np.linalg.norm(g)) for g in grad_w]
    return norms


def add_parser(sub):
    p = sub.add_parser("explain", help="one step of backprop with real numbers, each equation named")
    p.add_argument("--layers", help="layer sizes, e.g. 2,3,2 (default: the reference's 2-3-2 with fixed weights)")
    p.add_argument("--activation", default="sigmoid")
    p.add_argument("--output", default=None)
    p.add_argument("--cost", default="mse")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--samples", type=int, default=1, help="samples in the batch (shows the averaging)")
    p.add_argument("--learning-rate", type=float, default=0.5)
    p.add_argument("--init-scale", type=float, default=1.0,
                   help="multiply the random weights (large values saturate sigmoid units)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--depth", type=int, nargs="?", const=10, default=None,
                   help="instead: gradient size per layer of a deep sigmoid vs relu network (vanishing gradients)")
    p.add_argument("--plot", metavar="PNG", help="with --depth: also draw the gradient sizes into this file")
    p.set_defaults(func=cmd_explain)


def cmd_explain(args):
    if args.depth is not None:
        if not 2 <= args.depth <= 100:
            raise ConfigError(f"--depth must lie in 2..100, got {args.depth}")
        norms = depth_profile(args.depth)
        print("size of dC/dW_l per layer (Frobenius norm), 64 samples, width 32, softmax output")
        print(f"{'layer':>5}  {'sigmoid':>10}  {'relu':>10}")
        for l, (s, r) in enumerate(zip(norms["sigmoid"], norms["relu"]), start=1):
            print(f"{l:>5}  {s:>10.2e}  {r:>10.2e}")
        ratio = norms["sigmoid"][0] / norms["sigmoid"][-1]
        print(f"sigmoid: layer 1 gets {ratio:.1e} times the gradient of layer {args.depth}: sigma' <= 1/4 "
              "shrinks it at every layer on the way back")
        if args.plot:
            from .plots import gradient_depth
            gradient_depth(norms, args.plot)
            print(f"plot: {args.plot}")
        return 0
    if args.samples < 1:
        raise ConfigError(f"--samples must be >= 1, got {args.samples}")
    if not args.learning_rate > 0:
        raise ConfigError(f"--learning-rate must be positive, got {args.learning_rate}")
    layers = None
    if args.layers:
        from .cli import parse_layers
        layers = parse_layers(args.layers)
        if len(layers) < 2:
            raise ConfigError("--layers needs at least input and output sizes, e.g. 2,3,2")
    net, X, Y = build(layers, args.activation, args.output, args.cost, args.seed, args.samples, args.init_scale)
    result = explain(net, X, Y, args.learning_rate)
    if args.format == "json":
        print(json.dumps(result, indent=1))
    else:
        print(as_markdown(result) if args.format == "markdown" else as_text(result))
    return 0
