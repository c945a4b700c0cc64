"""Backprop's gradients against central finite differences, in float64, on many random networks."""

import numpy as np
import pytest

import backprop as bp
from conftest import random_targets

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
# (output activation, cost): every pairing the engine accepts, general and simplified output errors alike.
OUTPUTS = [(out, "mse") for out in HIDDEN + ["softmax"]] + [
    ("softmax", "cross_entropy"),
    ("sigmoid", "binary_cross_entropy"),
]


def random_cases(count, seed=7):
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        depth = 1 + i % 4  # layers of weights: 1..4
        sizes = [int(w) for w in rng.integers(1, 8, size=depth + 1)]
        output, cost = OUTPUTS[i % len(OUTPUTS)]
        sizes[-1] = max(sizes[-1], 2)  # more than one output unit
        hidden = HIDDEN[(i // 2) % len(HIDDEN)]
        batch = 1 if i % 3 == 0 else int(rng.integers(2, 9))
        cases.append((sizes, hidden, output, cost, batch, i))
    return cases


@pytest.mark.parametrize("sizes,hidden,output,cost,batch,seed", random_cases(64))
def test_gradients_match_finite_differences(sizes, hidden, output, cost, batch, seed):
    rng = np.random.default_rng(seed)
    net = bp.Network(sizes, activation=hidden, output=output, cost=cost, seed=seed)
    for b in net.biases:  # nonzero biases, so that their gradients are exercised off the origin
        b[:] = rng.normal(scale=0.5, size=b.shape)
    X = rng.normal(size=(batch, sizes[0]))
    Y = random_targets(rng, batch, sizes[-1], output, cost)
    result = bp.gradcheck(net, X, Y)
    assert result.max_error < 1e-6, str(result)


@pytest.mark.parametrize(
    "output,cost",
    [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "mse"), ("identity", "mse")],
)
def test_gradcheck_with_sample_weights(output, cost, rng):
    net = bp.Network([3, 5, 4], activation="tanh", output=output, cost=cost, seed=1)
    X, Y = rng.normal(size=(6, 3)), random_targets(rng, 6, 4, output, cost)
    result = bp.gradcheck(net, X, Y, sample_weight=rng.random(6) + 0.1)
    assert result.max_error < 1e-6, str(result)


def test_gradcheck_reports_a_wrong_gradient(monkeypatch, rng):
    """The check itself can fail: break sigma' and it must notice, and say where."""
    net = bp.Network([3, 4, 2], seed=0)
    X, Y = rng.normal(size=(5, 3)), rng.random((5, 2))
    from backprop.activations import Sigmoid

    monkeypatch.setattr(Sigmoid, "backward", lambda self, g, z, a, out=None: np.multiply(g, z * (1 - z), out=out))
    result = bp.gradcheck(net, X, Y)
    assert result.max_error > 1e-2
    assert result.where.startswith(("W_", "b_"))
    assert "largest" in str(result)


def test_gradcheck_leaves_network_unchanged(rng):
    net = bp.Network([2, 3, 1], seed=0, dtype="float32")
    before = [W.copy() for W in net.weights]
    bp.gradcheck(net, rng.normal(size=(4, 2)), rng.random((4, 1)))
    assert all(np.array_equal(W, B) and W.dtype == np.float32 for W, B in zip(net.weights, before))


def test_the_worst_entry_is_named_1_based(monkeypatch):
    """A wrong gradient in W_2's first row, third column is reported as W_2[1, 3], as the page numbers it."""
    net = bp.Network([2, 3, 2], seed=0)
    X, Y = np.random.default_rng(0).random((4, 2)), np.random.default_rng(1).random((4, 2))
    exact = bp.Network.gradients

    def wrong(self, *args):
        grad_w, grad_b = exact(self, *args)
        grad_w[1][0, 2] += 1.0
        return grad_w, grad_b

    monkeypatch.setattr(bp.Network, "gradients", wrong)
    result = bp.gradcheck(net, X, Y)
    assert result.where == "W_2[1, 3]"
    assert "1-based" in str(result) and "||backprop - numeric|| / (||backprop|| + ||numeric||)" in str(result)
