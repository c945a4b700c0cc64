"""The playground's 2-D data sets (TensorFlow Playground's, plus k-class spirals) and input features.

Points lie in the square [-6, 6]^2; every generator draws from the rng it is given.
"""

import numpy as np

CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
REGRESSION = ("plane", "multi-gauss")
FEATURES = {  # name -> function of the raw coordinates (x1, x2)
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin x1": lambda x1, x2: np.sin(x1),
    "sin x2": lambda x1, x2: np.sin(x2),
}
DOMAIN = (-6.0, 6.0)


def generate(name, n, noise, classes, rng):
    """(P (n, 2) raw points, y (n,)): int labels for classification, floats for regression.

    noise in [0, 1]: how far points stray (or, for regression, how much the targets are jittered).
    """
    make = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
            "plane": _plane, "multi-gauss": _multi_gauss}[name]
    return make(n, noise, classes, rng)


def features(P, names):
    """The network's raw inputs (n, len(names)) from points P (n, 2)."""
    x1, x2 = P[:, 0], P[:, 1]
    return np.column_stack([FEATURES[name](x1, x2) for name in names])


def _circle(n, noise, classes, rng):
    radius = 5.0
    inner = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, inner), rng.uniform(radius * 0.7, radius, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    P = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    y = (np.hypot(*P.T) < radius * 0.5).astype(np.int64)  # label from the clean point
    return P + rng.uniform(-radius, radius, P.shape) * noise * 0.5, y


def _xor(n, noise, classes, rng):
    P = rng.uniform(-5, 5, (n, 2))
    P += np.sign(P) * 0.3  # a margin around the axes
    y = (P[:, 0] * P[:, 1] >= 0).astype(np.int64)
    return P + rng.uniform(-5, 5, P.shape) * noise * 0.5, y


def _gauss(n, noise, classes, rng):
    angles = 2 * np.pi * np.arange(classes) / classes + np.pi / 4
    centres = 2.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    y = np.arange(n) % classes
    spread = 0.5 + 2.5 * noise
    return centres[y] + rng.normal(0, spread, (n, 2)), y.astype(np.int64)


def _spiral(n, noise, classes, rng):
    y = np.arange(n) % classes
    t = rng.uniform(0, 1, n)
    r = 5.0 * t
    angle = 1.75 * t * 2 * np.pi + 2 * np.pi * y / classes
    P = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    return P + rng.uniform(-1, 1, P.shape) * noise, y.astype(np.int64)


def _plane(n, noise, classes, rng):
    P = rng.uniform(-6, 6, (n, 2))
    y = (P[:, 0] + P[:, 1]) / 12.0  # in [-1, 1]
    return P, y + rng.uniform(-1, 1, n) * noise


def _multi_gauss(n, noise, classes, rng):
    P = rng.uniform(-6, 6, (n, 2))
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    y = sum(sign * np.exp(-((P[:, 0] - cx) ** 2 + (P[:, 1] - cy) ** 2) / 2) for cx, cy, sign in bumps)
    return P, y + rng.uniform(-1, 1, n) * noise
