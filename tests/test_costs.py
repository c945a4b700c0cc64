"""Each cost's value and its gradient with respect to the output, against finite differences."""

import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.costs import COSTS, get_cost
from backprop.errors import ConfigError


@pytest.mark.parametrize("name", list(COSTS))
def test_gradient_matches_finite_differences(name, rng):
    cost = get_cost(name)
    a = rng.uniform(0.1, 0.9, size=(3, 5))
    if name == "cross_entropy":
        a /= a.sum(axis=0)
    y = rng.random((3, 5))
    eps = 1e-6
    numeric = np.empty_like(a)
    for index in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (cost.per_sample(up, y).sum() - cost.per_sample(down, y).sum()) / (2 * eps)
    np.testing.assert_allclose(cost.gradient(a, y), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", list(COSTS))
def test_total_is_the_weighted_sum_of_the_per_sample_costs(name, rng):
    """total() is what the training loop reports each batch; y comes as a Fortran-ordered view there."""
    cost = get_cost(name)
    a = rng.uniform(0.1, 0.9, size=(3, 7))
    a /= a.sum(axis=0)
    y = np.asfortranarray(np.eye(3)[rng.integers(0, 3, 7)].T)
    r = rng.random(7) * 2
    per_sample = cost.per_sample(a, y)
    assert cost.total(a, y) == pytest.approx(per_sample.sum(), rel=1e-14)
    assert cost.total(a, y, r) == pytest.approx(float(np.sum(per_sample * r)), rel=1e-14)
    assert cost.total(a, y, r) != pytest.approx(cost.total(a, y), rel=1e-3)  # the weights count


def test_mse_is_the_reference_cost_with_several_outputs(rng):
    """C = 1/(2n) sum_i ||a_i - y_i||^2: summed over outputs, averaged over samples."""
    a, y = rng.random((3, 4)), rng.random((3, 4))
    assert get_cost("mse").per_sample(a, y).mean() == pytest.approx(((a - y) ** 2).sum() / (2 * 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_costs_stay_finite_at_zero_and_one(dtype):
    a = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("cross_entropy", "binary_cross_entropy"):
            cost = get_cost(name)
            assert np.isfinite(cost.per_sample(a, y)).all()
            assert np.isfinite(cost.gradient(a, y)).all()


def test_cross_entropy_values(rng):
    a = np.array([[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(get_cost("cross_entropy").per_sample(a, y), [-np.log(0.7), -np.log(0.5)])
    bce = get_cost("binary_cross_entropy").per_sample(np.array([[0.8]]), np.array([[1.0]]))
    np.testing.assert_allclose(bce, [-np.log(0.8)])


def test_unknown_cost_and_mismatched_output():
    with pytest.raises(ConfigError, match="mse"):
        get_cost("hinge")
    with pytest.raises(ConfigError, match="softmax"):
        bp.Network([2, 2], output="sigmoid", cost="cross_entropy")
    with pytest.raises(ConfigError, match="sigmoid"):
        bp.Network([2, 2], output="softmax", cost="binary_cross_entropy")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "output,cost",
    [("sigmoid", "mse"), ("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"), ("softmax", "mse")],
)
def test_cost_and_gradients_stay_finite_for_pre_activations_up_to_1e4(dtype, output, cost):
    net = bp.Network([2, 3], activation="relu", output=output, cost=cost, seed=0, dtype=dtype)
    net.weights[0][:] = np.array([[1e4, 0], [-1e4, 0], [0, 1e4]], dtype=dtype)  # z_L = +-1e4
    X = np.array([[1.0, -1.0], [-1.0, 1.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(net.cost(X, Y))
        grad_w, grad_b = net.gradients(X, Y)
    assert all(np.isfinite(g).all() for g in grad_w + grad_b)
