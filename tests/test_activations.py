"""Each activation's value and derivative, against finite differences and against overflow."""

import warnings

import numpy as np
import pytest

from backprop.activations import ACTIVATIONS, get_activation
from backprop.errors import ConfigError

ELEMENTWISE = [name for name, cls in ACTIVATIONS.items() if cls.elementwise]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_finite_differences(name, rng):
    act = get_activation(name)
    z = rng.normal(scale=2.0, size=(4, 6))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the rectifiers' kink
    eps = 1e-6
    numeric = (act.value(z + eps) - act.value(z - eps)) / (2 * eps)
    np.testing.assert_allclose(act.derivative(z, act.value(z)), numeric, rtol=1e-6, atol=1e-9)
    g = rng.normal(size=z.shape)
    np.testing.assert_allclose(act.backward(g, z, act.value(z)), g * numeric, rtol=1e-6, atol=1e-9)


def test_sigmoid_derivative_is_through_the_activation():
    """sigma'(z) = a (1 - a) with a = sigma(z); the reference's slip z (1 - z) differs."""
    act = get_activation("sigmoid")
    z = np.array([[2.0]])
    a = act.value(z)
    assert act.derivative(z, a)[0, 0] == pytest.approx(a[0, 0] * (1 - a[0, 0]))
    assert act.derivative(z, a)[0, 0] != pytest.approx(z[0, 0] * (1 - z[0, 0]))


def test_softmax_backward_is_the_jacobian_product(rng):
    act = get_activation("softmax", output=True)
    z = rng.normal(size=(5, 3))
    a = act.value(z)
    g = rng.normal(size=z.shape)
    eps = 1e-6
    for i in range(z.shape[1]):
        jacobian = np.empty((5, 5))
        for j in range(5):
            dz = np.zeros((5, 1))
            dz[j] = eps
            jacobian[:, j] = ((act.value(z[:, [i]] + dz) - act.value(z[:, [i]] - dz)) / (2 * eps))[:, 0]
        np.testing.assert_allclose(act.backward(g, z, a)[:, i], jacobian.T @ g[:, i], rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(a.sum(axis=0), 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_no_overflow_for_huge_inputs(name, dtype):
    act = get_activation(name, output=True)
    finfo = np.finfo(dtype)
    z = np.array([[-finfo.max, -1e4, -100.0, 0.0, 100.0, 1e4, finfo.max]], dtype=dtype).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow or invalid-value warning fails the test
        a = act.value(z if name == "softmax" else z)
    assert a.dtype == dtype
    if name in ("sigmoid", "tanh", "softmax"):
        assert np.isfinite(a).all()
    if name == "sigmoid":
        assert a[0, 0] == 0.0 and a[-1, 0] == 1.0 and a[3, 0] == 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_keep_the_dtype(dtype, rng):
    z = rng.normal(size=(3, 4)).astype(dtype)
    for name in ACTIVATIONS:
        act = get_activation(name, output=True)
        a = act.value(z)
        assert a.dtype == dtype
        assert act.backward(np.ones_like(z), z, a).dtype == dtype


def test_unknown_and_misplaced_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="relu") as info:
        get_activation("swish")
    assert "sigmoid" in str(info.value)
    with pytest.raises(ConfigError, match="output layer only"):
        get_activation("softmax")
