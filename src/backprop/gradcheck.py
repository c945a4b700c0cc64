"""Checking backpropagation against central finite differences, in float64."""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LayerCheck:
    """How backprop's gradient of one layer compares with finite differences."""

    layer: int            # math layer l = 1..L
    weight_error: float   # ||dW_bp - dW_fd|| / (||dW_bp|| + ||dW_fd||)
    bias_error: float
    grad_w: np.ndarray = field(repr=False)      # backprop's dC/dW_l
    numeric_w: np.ndarray = field(repr=False)   # finite-difference estimate
    grad_b: np.ndarray = field(repr=False)
    numeric_b: np.ndarray = field(repr=False)


@dataclass
class GradcheckResult:
    """The largest relative error, where it occurred, and the per-layer comparison."""

    max_error: float
    where: str            # the entry that differs most, 1-based: W_2[1, 3]
    layers: list

    def passed(self, tolerance=1e-6):
        """True when every layer's relative error is below tolerance."""
        return self.max_error < tolerance

    def __str__(self):
        lines = [RELATIVE_ERROR, "layer  rel. error dC/dW  rel. error dC/db"]
        lines += [f"{c.layer:>5}  {c.weight_error:>16.2e}  {c.bias_error:>16.2e}" for c in self.layers]
        lines.append(f"largest: {self.max_error:.2e} at {self.where}")
        return "\n".join(lines)


RELATIVE_ERROR = ("relative error: ||backprop - numeric|| / (||backprop|| + ||numeric||) over all entries of "
                  "the layer's dC/dW (or dC/db); indices are 1-based")


def relative_error(analytic, numeric):
    """||analytic - numeric|| / (||analytic|| + ||numeric||), 0 where both are zero."""
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / denominator) if denominator > 0 else 0.0


def numeric_gradient(cost, param, eps):
    """(C(p + eps) - C(p - eps)) / (2 eps) for every entry of param, which cost() reads in place."""
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        up = cost()
        param[index] = saved - eps
        down = cost()
        param[index] = saved
        grad[index] = (up - down) / (2 * eps)  # central difference: error O(eps^2)
    return grad


def gradcheck(net, X, Y, sample_weight=None, eps=1e-5):
    """Compare net.gradients(X, Y) with central differences on every weight and bias, in float64.

    X: (n_samples, n_0), Y: (n_samples, n_L) or class labels. The network is not changed: the
    check runs on a float64 copy. Returns a GradcheckResult; str() of it is a per-layer table.
    """
    net64 = net.copy(dtype="float64")
    grad_w, grad_b = net64.gradients(X, Y, sample_weight)

    def cost():
        return net64.cost(X, Y, sample_weight)

    layers = []
    for l, (W, b) in enumerate(zip(net64.weights, net64.biases), start=1):
        numeric_w, numeric_b = numeric_gradient(cost, W, eps), numeric_gradient(cost, b, eps)
        layers.append(LayerCheck(l, relative_error(grad_w[l - 1], numeric_w), relative_error(grad_b[l - 1], numeric_b),
                                 grad_w[l - 1], numeric_w, grad_b[l - 1], numeric_b))
    worst = max(layers, key=lambda c: max(c.weight_error, c.bias_error))
    kind = "W" if worst.weight_error >= worst.bias_error else "b"
    diff = np.abs(worst.grad_w - worst.numeric_w) if kind == "W" else np.abs(worst.grad_b - worst.numeric_b)
    index = np.unravel_index(np.argmax(diff), diff.shape)
    where = f"{kind}_{worst.layer}[{', '.join(str(i + 1) for i in index)}]"  # 1-based, as the page and explain
    return GradcheckResult(max(worst.weight_error, worst.bias_error), where, layers)
