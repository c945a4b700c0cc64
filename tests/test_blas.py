"""The fused BLAS update (BP3 and the SGD step in one gemm) agrees with the plain numpy path."""

import numpy as np
import pytest

import backprop as bp
import backprop.training
from backprop.blas import fused_update


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_add_outer_matches_numpy(dtype, rng):
    add_outer = fused_update(dtype)
    if add_outer is None:
        pytest.skip("numpy's BLAS does not expose cblas gemm here; the engine uses numpy alone")
    W = rng.random((5, 7)).astype(dtype)
    delta, a, rows = (
        rng.random((5, 3)).astype(dtype),
        rng.random((7, 3)).astype(dtype),
        rng.random((3, 7)).astype(dtype),
    )
    tol = 1e-6 if dtype == "float32" else 1e-14
    for b in (a, rows.T):  # a C array, and the transposed view the first layer gets
        expected = W - 0.5 * delta @ b.T
        add_outer(W, delta, b, -0.5)
        np.testing.assert_allclose(W, expected, rtol=tol)
        W[:] = expected
    F = np.asfortranarray(W)  # an array the gemm cannot take: the numpy route, same result
    add_outer(F, delta, a, -0.5)
    np.testing.assert_allclose(F, W - 0.5 * delta @ a.T, rtol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sgd_training_is_the_same_with_and_without_the_fused_step(dtype, rng, monkeypatch):
    X, y, weights = rng.normal(size=(100, 6)), rng.integers(0, 3, 100), rng.random(100)

    def train():
        net = bp.Network([6, 8, 3], activation="relu", output="softmax", cost="cross_entropy", seed=0, dtype=dtype)
        net.fit(X, y, epochs=3, batch_size=16, optimizer="sgd", learning_rate=0.1, sample_weight=weights)
        return net

    fused = train()
    monkeypatch.setattr(backprop.training, "fused_update", lambda dtype: None)
    plain = train()
    for p, q in zip(fused.weights + fused.biases, plain.weights + plain.biases):
        np.testing.assert_allclose(p, q, rtol=1e-4 if dtype == "float32" else 1e-12, atol=1e-6)
    assert fused.optimizer.t == plain.optimizer.t == 3 * 7
