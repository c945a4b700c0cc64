"""Activation functions: each gives its value a = sigma(z) and its derivative sigma'(z).

Arrays are laid out as in the derivation: one column per sample, shape (n_units, n_samples).
Each derivative is written through whichever of z or a makes it cheapest and exact; the
sigmoid's is a * (1 - a) with a = sigma(z), never z * (1 - z).
"""

import numpy as np

from .errors import unknown_name


class Activation:
    """Base class: value(z) -> a, derivative(z, a) -> sigma'(z), backward(g, z, a) -> g * sigma'(z)."""

    name = ""
    elementwise = True  # False for softmax, whose Jacobian couples the units of a sample

    def value(self, z, out=None):
        """a = sigma(z), shape of z; written into out when given."""
        raise NotImplementedError

    def derivative(self, z, a):
        """sigma'(z) element by element, shape of z."""
        raise NotImplementedError

    def backward(self, grad_a, z, a, out=None):
        """dC/dz from dC/da: grad_a * sigma'(z) (a Jacobian-vector product for softmax)."""
        return np.multiply(grad_a, self.derivative(z, a), out=out)

    def __repr__(self):
        return f"<activation {self.name}>"


class Sigmoid(Activation):
    name = "sigmoid"

    def value(self, z, out=None):
        # sigma(z) = (1 + tanh(z/2)) / 2 is the same function with no exp to overflow:
        # finite and warning-free for every finite z in float32 and float64.
        out = np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1
        out *= 0.5
        return out

    def derivative(self, z, a):
        return a * (1 - a)  # sigma'(z) = a (1 - a), through the activation

    def backward(self, grad_a, z, a, out=None):
        out = np.multiply(grad_a, a, out=out)
        out *= 1 - a
        return out


class Tanh(Activation):
    name = "tanh"

    def value(self, z, out=None):
        return np.tanh(z, out=out)

    def derivative(self, z, a):
        return 1 - a * a  # tanh'(z) = 1 - tanh(z)^2


class ReLU(Activation):
    name = "relu"

    def value(self, z, out=None):
        return np.maximum(z, 0, out=out)

    def derivative(self, z, a):
        return (z > 0).astype(z.dtype)

    def backward(self, grad_a, z, a, out=None):
        # relu'(z) is 1 where z > 0, else 0: a multiply by the mask. Zeroing entries in place
        # (copyto with where=) looks cheaper but branches on every entry: slower on a mixed mask.
        return np.multiply(grad_a, z > 0, out=out)


class LeakyReLU(Activation):
    name = "leaky_relu"
    slope = 0.01  # the gradient for z < 0, so that no unit can die completely

    def value(self, z, out=None):
        return np.maximum(z, z * self.slope, out=out)  # max(z, slope z) since slope < 1

    def derivative(self, z, a):
        return np.where(z > 0, 1, self.slope).astype(z.dtype)


class Identity(Activation):
    name = "identity"

    def value(self, z, out=None):
        if out is None:
            return z.copy()
        np.copyto(out, z)
        return out

    def derivative(self, z, a):
        return np.ones_like(z)

    def backward(self, grad_a, z, a, out=None):
        if out is None:
            return grad_a.copy()
        if out is not grad_a:
            np.copyto(out, grad_a)
        return out


class Softmax(Activation):
    """Softmax over the units of each sample (axis 0); only for the output layer."""

    name = "softmax"
    elementwise = False

    def value(self, z, out=None):
        # Subtracting each column's maximum changes nothing mathematically and keeps exp <= 1.
        with np.errstate(over="ignore"):  # z - max can only overflow to -inf, whose exp is the right 0
            out = np.subtract(z, z.max(axis=0, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=0, keepdims=True)
        return out

    def derivative(self, z, a):
        raise TypeError("softmax has no element-wise derivative; use backward(grad_a, z, a)")

    def backward(self, grad_a, z, a, out=None):
        # da_i/dz_j = a_i (delta_ij - a_j), so dC/dz = a * (g - sum_j g_j a_j) for each sample.
        inner = (grad_a * a).sum(axis=0, keepdims=True)
        out = np.subtract(grad_a, inner, out=out)
        out *= a
        return out


ACTIVATIONS = {cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Softmax)}
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "softmax")
OUTPUT_ACTIVATIONS = tuple(ACTIVATIONS)


def get_activation(name, *, output=False):
    """The activation object for a name; softmax only where output=True."""
    if isinstance(name, Activation):
        return name
    valid = OUTPUT_ACTIVATIONS if output else HIDDEN_ACTIVATIONS
    if name not in valid:
        if name == "softmax":
            raise unknown_name("hidden-layer activation (softmax is for the output layer only)", name, valid)
        raise unknown_name("output activation" if output else "activation", name, valid)
    return ACTIVATIONS[name]()
