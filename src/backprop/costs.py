"""Cost functions: each gives the cost of every sample and its gradient dC/da_L.

Outputs a and targets y are laid out as in the derivation, shape (n_outputs, n_samples).
A cost knows nothing of the activation that produced a; the network multiplies dC/da_L by
sigma'(z_L) to get delta_L. The network averages the per-sample costs: C = mean_i C_i.
"""

import numpy as np

from .errors import unknown_name


def _safe_log(x):
    """log(x) with x floored at the dtype's smallest normal number, so log(0) never happens."""
    out = np.maximum(x, np.finfo(x.dtype).tiny)
    return np.log(out, out=out)


class Cost:
    """Base class: per_sample(a, y) -> C_i, shape (n_samples,); gradient(a, y) -> dC_i/da."""

    name = ""
    output_activations = None  # the output activations this cost is defined for (None: any)

    def per_sample(self, a, y):
        raise NotImplementedError

    def total(self, a, y, r=None):
        """sum_i r_i C_i over the batch, a float; r: relative sample weights (n_samples,), or None for all 1."""
        per_sample = self.per_sample(a, y)
        return float(per_sample.sum() if r is None else per_sample @ r)

    def gradient(self, a, y):
        raise NotImplementedError

    def __repr__(self):
        return f"<cost {self.name}>"


class MeanSquaredError(Cost):
    """C_i = 1/2 ||a_i - y_i||^2, so C = 1/(2n) sum_i ||a_i - y_i||^2 as in the reference."""

    name = "mse"

    def per_sample(self, a, y):
        r = a - y
        r *= r
        return 0.5 * r.sum(axis=0)  # C_i = 1/2 ||a_i - y_i||^2

    def total(self, a, y, r=None):
        # sum_i r_i 1/2 ||a_i - y_i||^2 as one dot product over the batch: per-sample sums take more calls
        d = a - y
        return 0.5 * float(np.vdot(d if r is None else d * r, d))

    def gradient(self, a, y):
        return a - y  # dC_i/da = a - y: the 1/2 cancels the square's 2


class CrossEntropy(Cost):
    """C_i = -sum_k y_ik log a_ik, for a softmax output."""

    name = "cross_entropy"
    output_activations = ("softmax",)

    def per_sample(self, a, y):
        return -(y * _safe_log(a)).sum(axis=0)

    def total(self, a, y, r=None):
        # sum_i r_i C_i = -sum_ik r_i y_ik log a_ik, one dot product over the batch (a progress bar asks
        # for it every batch, L-BFGS every evaluation; per-sample sums take twice as long on a batch of 64)
        return -float(np.vdot(y if r is None else y * r, _safe_log(a)))

    def gradient(self, a, y):
        return -y / np.maximum(a, np.finfo(a.dtype).tiny)


class BinaryCrossEntropy(Cost):
    """C_i = -sum_k [y log a + (1 - y) log(1 - a)], for a sigmoid output."""

    name = "binary_cross_entropy"
    output_activations = ("sigmoid",)

    def per_sample(self, a, y):
        return -(y * _safe_log(a) + (1 - y) * _safe_log(1 - a)).sum(axis=0)

    def gradient(self, a, y):
        tiny = np.finfo(a.dtype).tiny
        return (a - y) / np.maximum(a * (1 - a), tiny)


COSTS = {cls.name: cls for cls in (MeanSquaredError, CrossEntropy, BinaryCrossEntropy)}


def get_cost(name):
    """The cost object for a name."""
    if isinstance(name, Cost):
        return name
    if name not in COSTS:
        raise unknown_name("cost", name, COSTS)
    return COSTS[name]()
