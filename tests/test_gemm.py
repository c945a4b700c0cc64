"""Plain SGD's fused step ((BP3) and the update in one gemm) agrees with the numpy path, and one
epoch of plain SGD is pinned to the weights the code produced before the engine/optimizer split."""

import pathlib

import numpy as np
import pytest
from scipy import sparse

import backprop as bp
from backprop.blas import gemm, matmul
from backprop.training.optimizers import SGD
from backprop.training import state_of

REFERENCE = pathlib.Path(__file__).parent / "reference" / "one_epoch_sgd.npz"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("alpha, beta", [(1.0, 0.0), (-0.5, 1.0), (-0.5, 0.99)])
def test_gemm_matches_numpy_for_every_layout(dtype, alpha, beta, rng):
    tol = 1e-5 if dtype == "float32" else 1e-13
    A, B = rng.random((5, 3)).astype(dtype), rng.random((3, 7)).astype(dtype)
    # C- and Fortran-ordered operands (W^T in (BP2), the inputs X[rows].T), and a strided one numpy must take
    for A_, B_ in [(A, B), (np.asfortranarray(A), B), (A, np.asfortranarray(B)),
                   (np.asfortranarray(A), np.asfortranarray(B)), (A, np.repeat(B, 2, axis=1)[:, ::2])]:
        C = rng.random((5, 7)).astype(dtype)
        expected = alpha * (A_ @ B_) + beta * C
        if beta == 0.0:
            C[0, 0] = np.nan  # beta = 0: C's old values are not read, not even a NaN
        assert gemm(A_, B_, C, alpha, beta) is C
        np.testing.assert_allclose(C, expected, rtol=tol, atol=tol)


def test_gemm_takes_numpys_route_for_what_blas_cannot_take(rng):
    A, B = rng.random((4, 3)), rng.random((3, 2))
    for C in (np.zeros((4, 2), "float32"), np.zeros((2, 4)).T):  # another dtype; a Fortran-ordered C
        gemm(A.astype(C.dtype), B.astype(C.dtype), C, -2.0, 1.0)
        np.testing.assert_allclose(C, -2.0 * A @ B, rtol=1e-6)
    C = np.zeros((4, 2))
    gemm(A, sparse.csr_matrix(B), C)  # sparse inputs: scipy's sparse kernel, never densified
    np.testing.assert_allclose(C, A @ B)
    np.testing.assert_allclose(matmul(A, B), A @ B)
    assert matmul(A, B).flags.c_contiguous
    for shape_a, shape_b in [((0, 3), (3, 2)), ((4, 3), (3, 0)), ((4, 0), (0, 2))]:  # empty: numpy's route
        assert matmul(np.ones(shape_a), np.ones(shape_b)).shape == (shape_a[0], shape_b[1])


@pytest.mark.parametrize("l1", [0.0, 0.2])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_step_from_deltas_equals_step_with_the_gradients(weight_decay, l1, rng):
    net = bp.Network([4, 6, 3], activation="tanh", output="softmax", cost="cross_entropy", seed=0)
    X, y = rng.normal(size=(9, 4)), np.eye(3)[rng.integers(0, 3, 9)]
    grads = np.concatenate([g.ravel() for g in sum(net.gradients(X, y), [])])  # laid out as net.parameters
    plain = net.copy()
    SGD(weight_decay=weight_decay, l1=l1).step(plain.parameters, grads, 0.3, plain.n_weights)
    a, delta = net.backprop(X.T, y.T)
    SGD(weight_decay=weight_decay, l1=l1).step_from_deltas(net.weights, net.biases, delta, a, 0.3)
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
    assert state_of(fused).optimizer.t == state_of(plain).optimizer.t == 3 * 7


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
