"""What the estimators check before any work: their parameters (as scikit-learn declares its own), a warm
start's network, coefs_ and intercepts_ assigned by hand, and sample weights.

PARAMETER_CONSTRAINTS is scikit-learn's MLP's _parameter_constraints, widened where backprop takes more
(an activation per hidden layer, backprop's schedules and solvers) and extended by backprop's own
parameters; scikit-learn's _validate_params reads it and raises InvalidParameterError naming the parameter.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ..activations import OUTPUT_ACTIVATIONS, Activation, get_activation
from ..costs import COSTS, Cost
from .solvers import LEARNING_RATES

# scikit-learn's activation names, and backprop's own, mapped to backprop's
SKLEARN_ACTIVATIONS = {"relu": "relu", "logistic": "sigmoid", "tanh": "tanh", "identity": "identity",
                       "sigmoid": "sigmoid", "leaky_relu": "leaky_relu"}
SOLVERS = ("sgd", "adam", "adamw", "lbfgs")
EARLY_STOPPING_METRICS = ("score", "loss")

PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(SKLEARN_ACTIVATIONS)), "array-like"],  # a list: one name per hidden layer
    "solver": [StrOptions(set(SOLVERS))],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions(set(LEARNING_RATES))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "early_stopping_metric": [StrOptions(set(EARLY_STOPPING_METRICS))],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "output": [None, StrOptions(set(OUTPUT_ACTIVATIONS)), Activation],
    "cost": [None, StrOptions(set(COSTS)), Cost],
    "dtype": [None, StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64}),
              Options(np.dtype, {np.dtype("float32"), np.dtype("float64")})],
}


def hidden_sizes(hidden_layer_sizes):
    """hidden_layer_sizes as a list of ints; ValueError for an empty list or a size below 1."""
    sizes = [hidden_layer_sizes] if np.isscalar(hidden_layer_sizes) else list(hidden_layer_sizes)
    if not sizes or any(not isinstance(s, Integral) or s < 1 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes!r}")
    return [int(s) for s in sizes]


def hidden_activations(activation, n_hidden):
    """One scikit-learn or backprop activation name per hidden layer, from a name or a list of names."""
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    if len(names) != n_hidden:
        raise ValueError(f"activation lists {len(names)} names for {n_hidden} hidden layers; give one per layer "
                         "or one name for all")
    unknown = [name for name in names if not isinstance(name, str) or name not in SKLEARN_ACTIVATIONS]
    if unknown:
        raise ValueError(f"activation {unknown[0]!r} is not supported; "
                         f"choose one of {sorted(SKLEARN_ACTIVATIONS)}")
    return names


def check_continuation(est, net, n_features, n_outputs):
    """ValueError unless a warm start or partial_fit can go on with net: same inputs, layers, activations, outputs.

    A changed parameter is never silently ignored: the message names it and how to start over.
    """
    again = "; fit with warm_start=False (or a new estimator) to start over"
    if net.sizes[0] != n_features:
        raise ValueError(f"X has {n_features} features, but the fitted network takes {net.sizes[0]}{again}")
    hidden = hidden_sizes(est.hidden_layer_sizes)
    if net.sizes[1:-1] != hidden:
        raise ValueError(f"hidden_layer_sizes={est.hidden_layer_sizes!r}, but the fitted network's hidden layers "
                         f"are {tuple(net.sizes[1:-1])}{again}")
    names = [SKLEARN_ACTIVATIONS[name] for name in hidden_activations(est.activation, len(hidden))]
    if names != [a.name for a in net.activations[:-1]]:
        raise ValueError(f"activation={est.activation!r}, but the fitted network's hidden layers use "
                         f"{[a.name for a in net.activations[:-1]]}{again}")
    output, cost = est._output_and_cost()
    output, cost = get_activation(output, output=True).name, getattr(cost, "name", cost)
    if (output, cost) != (net.activations[-1].name, net.cost_function.name):
        raise ValueError(f"the output layer would be {output} with cost {cost}, but the fitted network's is "
                         f"{net.activations[-1].name} with {net.cost_function.name}{again}")
    if net.sizes[-1] != n_outputs:
        raise ValueError(f"the network has {net.sizes[-1]} outputs but y needs {n_outputs}{again}")
    if est.dtype is not None and np.dtype(est.dtype) != net.dtype:
        raise ValueError(f"dtype={est.dtype!r}, but the fitted network is {net.dtype.name}{again}")


def parameter_sizes(coefs, intercepts):
    """The layer sizes [n_0, ..., n_L] that coefs_ (n_l, n_{l+1}) and intercepts_ (n_{l+1},) describe.

    ValueError naming the first array whose shape breaks the chain: assigned arrays are checked here,
    before the engine's BLAS calls would fail on them with a less helpful error.
    """
    if not isinstance(coefs, (list, tuple)) or not isinstance(intercepts, (list, tuple)) or not coefs \
            or len(coefs) != len(intercepts):
        raise ValueError("coefs_ and intercepts_ must be lists of equal length, one array per layer; got "
                         f"{type(coefs).__name__} of {_length(coefs)} and {type(intercepts).__name__} of "
                         f"{_length(intercepts)}")
    shapes = [np.shape(c) for c in coefs]
    sizes = [shapes[0][0] if len(shapes[0]) == 2 else None]
    for l, (shape, b) in enumerate(zip(shapes, intercepts)):
        if len(shape) != 2 or shape[0] != sizes[-1] or shape[1] < 1:
            wanted = f"({sizes[-1]}, n_out)" if sizes[-1] is not None else "(n_in, n_out)"
            raise ValueError(f"coefs_[{l}] has shape {shape}; it must be {wanted}: the layer takes what the layer "
                             "before gives")
        if np.size(b) != shape[1] or np.ndim(b) > 2:
            raise ValueError(f"intercepts_[{l}] has shape {np.shape(b)}; it must be ({shape[1]},), one bias per "
                             f"column of coefs_[{l}]")
        sizes.append(shape[1])
    return sizes


def _length(value):
    return len(value) if hasattr(value, "__len__") else "no"


def checked_sample_weight(sample_weight, X):
    """sample_weight as a float array (n_samples,), checked, or None."""
    if sample_weight is None:
        return None
    s = np.asarray(sample_weight, dtype=np.float64)
    s = np.full(X.shape[0], float(s)) if s.ndim == 0 else s.reshape(-1)
    if s.shape[0] != X.shape[0]:
        raise ValueError(f"sample_weight has {s.shape[0]} entries for {X.shape[0]} samples; give one per sample")
    with np.errstate(over="ignore", divide="ignore"):
        total = s.sum()
        scale = len(s) / total if total > 0 else 0.0  # what relative_weights multiplies by
    if not np.isfinite(s).all() or (s < 0).any() or total <= 0:
        raise ValueError("sample_weight must be finite and non-negative, and not all zero")
    if not np.isfinite(total) or not np.isfinite(scale):
        raise ValueError(f"sample_weight sums to {total:g}, beyond a float's range; scale the weights (dividing "
                         "them by their mean keeps their ratios)")
    return s


def relative_weights(sample_weight, dtype):
    """Sample weights scaled to mean 1 (what the engine takes), or None; scaled in float64, then cast."""
    if sample_weight is None:
        return None
    s = np.asarray(sample_weight, dtype=np.float64)
    return (s * (len(s) / s.sum())).astype(dtype)
