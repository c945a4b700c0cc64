import numpy as np
import pytest


def random_targets(rng, n, k, output, cost):
    """Targets that suit the output layer and cost: a simplex for softmax, [0, 1] for sigmoid."""
    if cost == "cross_entropy":
        y = rng.random((n, k)) + 0.1
        return y / y.sum(axis=1, keepdims=True)
    if output in ("sigmoid", "softmax") or cost == "binary_cross_entropy":
        return rng.random((n, k))
    return rng.normal(size=(n, k))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
