"""One step of backpropagation with real numbers, every equation named (`backprop explain`).

The numbers come from the engine that trains (Network.forward, Network.backprop, the SGD
optimizer); the finite differences beside the gradients come from backprop.gradcheck. The
command line's options live in backprop.cli.explain; this module only computes and formats.
"""


import numpy as np

from ..gradcheck import numeric_gradient, relative_error
from ..network import Network
from ..training.optimizers import SGD
from .equations import stages

# The reference's 2-3-2 diagram with small weights chosen by hand (also tests/test_worked_example.py).
DEFAULT_WEIGHTS = [[[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4]], [[0.2, -0.3, 0.1], [0.4, 0.1, -0.2]]]
DEFAULT_BIASES = [[0.1, -0.1, 0.05], [0.0, 0.1]]
DEFAULT_X, DEFAULT_Y = [[1.0, 0.5]], [[1.0, 0.0]]


def build(layers=None, activation="sigmoid", output=None, cost="mse", seed=None, samples=1, init_scale=1.0):
    """(net, X (m, n_0), Y (m, n_L)): the reference's 2-3-2 example, or a seeded random one."""
    chosen = (layers, seed, samples, init_scale, activation, output, cost)
    if chosen == (None, None, 1, 1.0, "sigmoid", None, "mse"):  # nothing chosen: the reference's example
        net = Network([2, 3, 2])
        net.set_parameters(DEFAULT_WEIGHTS, DEFAULT_BIASES)
        return net, np.array(DEFAULT_X), np.array(DEFAULT_Y)
    sizes = layers or [2, 3, 2]
    seed = 0 if seed is None else seed
    net = Network(sizes, activation=activation, output=output, cost=cost, seed=seed)
    rng = np.random.default_rng(seed)
    # Two decimals: short numbers that a learner can follow by hand.
    net.set_parameters([np.round(rng.uniform(-0.5, 0.5, W.shape) * init_scale, 2) for W in net.weights],
                       [np.round(rng.uniform(-0.2, 0.2, b.shape), 2) for b in net.biases])
    X = np.round(rng.uniform(0, 1, (samples, sizes[0])), 2)
    if net.cost_function.name == "cross_entropy" or sizes[-1] > 1 and net.activations[-1].name == "softmax":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], samples)]
    else:
        Y = np.round(rng.uniform(0, 1, (samples, sizes[-1])), 2)
    return net, X, Y


def explain(net, X, Y, learning_rate=0.5, eps=1e-6):
    """Every number of one gradient-descent step on (X, Y), as a JSON-ready dict (net is updated).

    Each layer's "delta" is the derivation's per-sample delta_l = dC_i/dz_l, one column per sample;
    the gradients are those of the batch's mean cost C = (1/m) sum_i C_i, so (BP3) and (BP4) carry 1/m.
    "stages" holds every equation with its numbers plugged in (backprop.learn.equations).
    """
    x, y = X.T, Y.T
    m, L = x.shape[1], len(net.weights)
    z, a = net.forward(x)
    cost = net.cost(X, Y)
    grads = np.empty_like(net.parameters)  # laid out as the parameters, for the optimizer's step
    grad_w, grad_b = net.views(grads)
    _, delta = net.backprop(x, y, None, grad_w, grad_b)
    layers = []
    for l in range(1, L + 1):
        fd_w = numeric_gradient(lambda: net.cost(X, Y), net.weights[l - 1], eps)
        fd_b = numeric_gradient(lambda: net.cost(X, Y), net.biases[l - 1], eps)
        act = net.activations[l - 1]
        layers.append({
            "layer": l, "activation": act.name,
            "W": net.weights[l - 1].tolist(), "b": net.biases[l - 1].tolist(),
            "z": z[l].tolist(), "a": a[l].tolist(),
            # The engine's delta is dC/dz_l of the mean cost, each sample's own delta_l times 1/m.
            "delta": (delta[l] * m).tolist(),
            "sigma_prime": act.derivative(z[l], a[l]).tolist() if act.elementwise else None,
            "dC_dW": grad_w[l - 1].tolist(), "dC_dW_numeric": fd_w.tolist(),
            "dC_dW_error": relative_error(grad_w[l - 1], fd_w), "dC_dW_errors": _entrywise(grad_w[l - 1], fd_w),
            "dC_db": grad_b[l - 1].tolist(), "dC_db_numeric": fd_b.tolist(),
            "dC_db_error": relative_error(grad_b[l - 1], fd_b), "dC_db_errors": _entrywise(grad_b[l - 1], fd_b),
        })
    cost_per_sample = net.cost_function.per_sample(a[L], y).tolist()
    SGD().step(net.parameters, grads, learning_rate)  # the step training applies
    for layer, W, b in zip(layers, net.weights, net.biases):
        layer["W_new"], layer["b_new"] = W.tolist(), b.tolist()
    r = {"sizes": net.sizes, "cost_name": net.cost_function.name, "simple_output_error": net.simple_output_error,
         "samples": m, "x": x.tolist(), "y": y.tolist(), "cost": cost, "cost_per_sample": cost_per_sample,
         "layers": layers, "learning_rate": learning_rate, "cost_after": net.cost(X, Y)}
    r["stages"] = stages(r)
    return r


def _entrywise(exact, numeric):
    """relative_error of each entry on its own: |g - n| / (|g| + |n|), 0 where both are 0."""
    return np.vectorize(lambda g, n: relative_error(np.array(g), np.array(n)))(exact, numeric).tolist()


def _matrix(values, indent):
    A = np.atleast_2d(np.array(values, dtype=float))
    cells = [[f"{v: .6f}" for v in row] for row in A]
    return ("\n" + " " * indent).join("[" + "  ".join(row) + " ]" for row in cells)


def _line(label, values, indent=6):
    pad = len(label) + indent + 3
    return " " * indent + f"{label} = " + _matrix(values, pad)


ASCII = str.maketrans({"δ": "delta", "Σ": "sum", "·": "*", "−": "-", "∂": "d", "←": "<-", "⊙": "*", "²": "^2",
                       "ᵀ": "^T", "η": "lr", "σ": "sigma", "½": "1/2"})


def _worked(r, kind, layer=None, samples=1):
    """The first unit's (or weight's) plugged-in lines of a stage, as plain text, for the first samples."""
    stage = next(s for s in r["stages"] if s["kind"] == kind and layer in (None, s["layer"]))
    return ["      " + line.translate(ASCII) for line in stage["items"][0][:samples]]


def as_text(r):
    """The step as plain text, in the reference's notation and order, with the first unit's numbers plugged in."""
    L, m = len(r["layers"]), r["samples"]
    cost_formula = {"mse": "C = 1/(2n) sum_i ||a_L - y||^2", "cross_entropy": "C = -(1/n) sum_i sum_k y log a",
                    "binary_cross_entropy": "C = -(1/n) sum_i sum_k [y log a + (1-y) log(1-a)]"}[r["cost_name"]]
    acts = ", ".join(layer["activation"] for layer in r["layers"])
    rows = f"; rows {', '.join(map(str, r['rows']))} of the data" if r.get("rows") else ""
    out = [f"network {'-'.join(map(str, r['sizes']))} ({acts}), cost {cost_formula}",
           f"m = {m} sample(s), one per column{rows}; learning rate {r['learning_rate']}",
           "delta_l is each sample's own dC_i/dz_l (one column per sample); dC/dW_l and dC/db_l average "
           "over the m samples", "", _line("x = a_0", r["x"], 2), _line("y", r["y"], 2), "", "forward pass"]
    for layer in r["layers"]:
        l = layer["layer"]
        out += [f"  layer {l}: (F) z_{l} = W_{l} a_{l - 1} + b_{l},  a_{l} = {layer['activation']}(z_{l})",
                _line(f"W_{l}", layer["W"]), _line(f"b_{l}", [[v] for v in layer["b"]]),
                _line(f"z_{l}", layer["z"]), *_worked(r, "z", l), _line(f"a_{l}", layer["a"]), *_worked(r, "a", l)]
    out += [f"  cost C = {r['cost']:.8f}", *_worked(r, "cost", samples=m + 1), "", "backward pass"]
    last = r["layers"][-1]
    if r["simple_output_error"]:
        out.append(f"  (BP1) delta_{L} = a_{L} - y   ({last['activation']} output with its cross-entropy: "
                   "dC/da * sigma' simplifies)")
    elif last["activation"] == "sigmoid" and r["cost_name"] == "mse":
        out.append(f"  (BP1) delta_{L} = (a_{L} - y) * a_{L}(1 - a_{L})   "
                   "(sigma'(z) = a(1 - a), through the activation)")
    else:
        out.append(f"  (BP1) delta_{L} = dC/da_{L} * sigma'(z_{L})")
    out += [_line(f"delta_{L}", last["delta"]), *_worked(r, "bp1")]
    for layer in reversed(r["layers"][:-1]):
        l = layer["layer"]
        out += [f"  (BP2) delta_{l} = (W_{l + 1}^T delta_{l + 1}) * sigma'(z_{l})", _line(f"delta_{l}", layer["delta"]),
                *_worked(r, "bp2", l)]
    out += ["", "gradients, each beside its central finite difference; relative error = "
                "||backprop - numeric|| / (||backprop|| + ||numeric||) over all entries of the layer's dC/dW or dC/db"]
    for layer in reversed(r["layers"]):
        l = layer["layer"]
        out += [f"  (BP3) dC/dW_{l} = (1/m) sum_i delta_{l} a_{l - 1}^T   (m = {m})", _line("backprop", layer["dC_dW"]),
                *_worked(r, "bp3", l), _line("numeric ", layer["dC_dW_numeric"]),
                f"      relative error {layer['dC_dW_error']:.1e}",
                f"  (BP4) dC/db_{l} = (1/m) sum_i delta_{l}   (m = {m})",
                _line("backprop", [[v] for v in layer["dC_db"]]),
                *_worked(r, "bp4", l), _line("numeric ", [[v] for v in layer["dC_db_numeric"]]),
                f"      relative error {layer['dC_db_error']:.1e}"]
    lr = r["learning_rate"]
    out += ["", f"gradient descent: W_l <- W_l - {lr} dC/dW_l, b_l <- b_l - {lr} dC/db_l", *_worked(r, "update")]
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
