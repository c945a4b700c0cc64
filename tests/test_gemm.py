"""Plain SGD's fused step ((BP3) and the update in one gemm) agrees with the numpy path, and one
epoch of plain SGD is pinned to the weights the code produced before the engine/optimizer split."""

import pathlib

import numpy as np
import pytest

import backprop as bp
from backprop.training.gemm import add_outer_product
from backprop.training.optimizers import SGD

REFERENCE = pathlib.Path(__file__).parent / "reference" / "one_epoch_sgd.npz"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("beta", [1.0, 0.99])
def test_add_outer_product_matches_numpy(dtype, beta, rng):
    W = rng.random((5, 7)).astype(dtype)
    delta, a, rows = (
        rng.random((5, 3)).astype(dtype),
        rng.random((7, 3)).astype(dtype),
        rng.random((3, 7)).astype(dtype),
    )
    tol = 1e-5 if dtype == "float32" else 1e-14
    for b in (a, rows.T):  # a C array (hidden activations), and the transposed rows the first layer gets
        expected = beta * W - 0.5 * delta @ b.T
        add_outer_product(W, delta, b, -0.5, beta)
        np.testing.assert_allclose(W, expected, rtol=tol, atol=tol)
    for odd in (np.asfortranarray(W), W.astype("float64" if dtype == "float32" else "float32")):
        expected = beta * odd - 0.5 * delta.astype(odd.dtype) @ a.astype(odd.dtype).T
        add_outer_product(odd, delta, a, -0.5, beta)  # arrays the gemm cannot take: numpy's route
        np.testing.assert_allclose(odd, expected, rtol=1e-5)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_step_from_deltas_equals_step_with_the_gradients(weight_decay, rng):
    net = bp.Network([4, 6, 3], activation="tanh", output="softmax", cost="cross_entropy", seed=0)
    X, y = rng.normal(size=(9, 4)), np.eye(3)[rng.integers(0, 3, 9)]
    grad_w, grad_b = net.gradients(X, y)
    plain = net.copy()
    SGD(weight_decay=weight_decay).step(plain.weights + plain.biases, grad_w + grad_b, 0.3)
    a, delta = net.backprop(X.T, y.T)
    SGD(weight_decay=weight_decay).step_from_deltas(net.weights, net.biases, delta, a, 0.3)
    for p, q in zip(net.weights + net.biases, plain.weights + plain.biases):
        np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sgd_training_is_the_same_with_and_without_the_fused_step(dtype, rng, monkeypatch):
    X, y, weights = rng.normal(size=(100, 6)), rng.integers(0, 3, 100), rng.random(100)

    def train():
        net = bp.Network([6, 8, 3], activation="relu", output="softmax", cost="cross_entropy", seed=0, dtype=dtype)
        bp.train(net, X, y, epochs=3, batch_size=16, optimizer="sgd", learning_rate=0.1, sample_weight=weights)
        return net

    fused = train()
    monkeypatch.delattr(SGD, "step_from_deltas")
    plain = train()
    for p, q in zip(fused.weights + fused.biases, plain.weights + plain.biases):
        np.testing.assert_allclose(p, q, rtol=1e-4 if dtype == "float32" else 1e-12, atol=1e-6)
    assert fused.training.optimizer.t == plain.training.optimizer.t == 3 * 7


def test_one_epoch_of_sgd_is_pinned():
    # tests/reference/one_epoch_sgd.npz: weights after one epoch (batch 8, lr 0.1, seed 0) written by
    # the code before the optimizer took over the update from Network.backprop.
    rng = np.random.default_rng(1)
    X, y, Yr, w = rng.normal(size=(50, 6)), rng.integers(0, 3, 50), rng.random((50, 2)), rng.random(50)
    cases = [
        (
            "relu_softmax_ce",
            bp.Network([6, 8, 3], activation="relu", output="softmax", cost="cross_entropy", seed=0),
            y,
            {},
        ),
        ("sigmoid_mse_weighted", bp.Network([6, 5, 2], seed=3), Yr, {"sample_weight": w}),
        (
            "tanh_l2",
            bp.Network([6, 4, 3], activation="tanh", output="softmax", cost="cross_entropy", seed=2),
            y,
            {"weight_decay": 0.01},
        ),
    ]
    reference = np.load(REFERENCE)
    for name, net, Y, extra in cases:
        bp.train(net, X, Y, epochs=1, batch_size=8, optimizer="sgd", learning_rate=0.1, seed=0, **extra)
        for l, (W, b) in enumerate(zip(net.weights, net.biases)):
            np.testing.assert_allclose(W, reference[f"{name}_W{l}"], rtol=0, atol=1e-12)
            np.testing.assert_allclose(b, reference[f"{name}_b{l}"], rtol=0, atol=1e-12)
