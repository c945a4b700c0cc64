"""Initial weights scaled to each layer's activation, drawn from an explicit seed."""

import numpy as np

# He for the rectifiers (they zero half their inputs, so the variance needs doubling);
# Glorot for the rest, which are near-linear around zero.
HE = ("relu", "leaky_relu")


def initial_parameters(sizes, activation_names, rng, dtype):
    """Weights W_l of shape (n_l, n_{l-1}) and zero biases b_l of shape (n_l,), for l = 1..L."""
    weights, biases = [], []
    for n_in, n_out, name in zip(sizes[:-1], sizes[1:], activation_names):
        if name in HE:
            W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))  # He normal
        else:
            limit = np.sqrt(6.0 / (n_in + n_out))  # Glorot uniform
            W = rng.uniform(-limit, limit, size=(n_out, n_in))
        weights.append(W.astype(dtype))
        biases.append(np.zeros(n_out, dtype=dtype))
    return weights, biases
