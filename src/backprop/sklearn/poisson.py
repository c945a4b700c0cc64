"""The exponential output and the half Poisson deviance: MLPRegressor(loss="poisson").

They live here rather than in backprop's registries: only this estimator uses them, and it passes
them to Network as objects. a = exp(z) and C_i = sum_k (a_k - y_k log a_k), so dC/dz = a - y.
"""

import numpy as np

from ..activations import Activation
from ..costs import Cost, _safe_log


class Exp(Activation):
    """a = exp(z), a log link: the output is a positive rate."""

    name = "exp"

    def value(self, z, out=None):
        return np.exp(z, out=out)

    def derivative(self, z, a):
        return a  # d exp(z)/dz = exp(z)

    def backward(self, grad_a, z, a, out=None):
        return np.multiply(grad_a, a, out=out)


class HalfPoissonDeviance(Cost):
    """C_i = sum_k (a_ik - y_ik log a_ik): the Poisson deviance up to a term free of a, halved."""

    name = "poisson"
    output_activations = ("exp",)

    def per_sample(self, a, y):
        return (a - y * _safe_log(a)).sum(axis=0)

    def gradient(self, a, y):
        return 1 - y / np.maximum(a, np.finfo(a.dtype).tiny)  # times sigma' = a: delta_L = a - y
