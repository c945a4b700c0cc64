"""`backprop gradcheck`: backprop against central finite differences on a random network."""

import re

import numpy as np

from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..costs import COSTS
from ..errors import ConfigError
from ..gradcheck import gradcheck
from ..network import Network
from .budget import check_finite_differences
from .common import parse_layers


def register(sub):
    p = sub.add_parser("gradcheck", help="compare backprop with finite differences on a random network")
    p.add_argument("--layers", default="2,3,2", help="all layer sizes, inputs to outputs (default: 2,3,2)")
    p.add_argument("--activation", default="sigmoid", choices=HIDDEN_ACTIVATIONS,
                   help="hidden layers' activation (default: sigmoid)")
    p.add_argument("--output", choices=OUTPUT_ACTIVATIONS, help="output activation (default: as --activation)")
    p.add_argument("--cost", default="mse", choices=tuple(COSTS), help="cost (default: mse)")
    p.add_argument("--samples", type=int, default=4, help="samples in the batch (default: 4)")
    p.add_argument("--seed", type=int, default=0, help="seed for the weights and data (default: 0)")
    p.set_defaults(run=run)


def shell_words(message):
    """A library message with its keyword arguments (output='softmax') spelled as flags (--output softmax)."""
    return re.sub(r"\b(output|activation|cost)=(?:'([^']*)'|\.\.\.)",
                  lambda m: f"--{m.group(1)} {m.group(2) or m.group(1).upper()}", message)


def run(args):
    sizes = parse_layers(args.layers)
    if len(sizes) < 2:
        raise ConfigError("--layers needs at least the input and output sizes, e.g. 2,3,2")
    check_finite_differences(sizes, args.samples, "gradcheck")
    try:
        net = Network(sizes, activation=args.activation, output=args.output, cost=args.cost, seed=args.seed)
    except ConfigError as exc:  # the library's words are Python's; a shell user passes flags
        raise ConfigError(shell_words(str(exc))) from None
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
