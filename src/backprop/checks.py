"""Checking and converting the arrays users pass in: inputs X, targets Y, sample weights."""

import numbers

import numpy as np

from .errors import ConfigError, DataError, ShapeError

DTYPES = ("float32", "float64")


def as_dtype(dtype):
    """The numpy dtype for 'float32' or 'float64' (the only two the engine computes in)."""
    try:
        name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    except TypeError:
        name = None
    if name not in DTYPES:
        raise ConfigError(f"unsupported dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
    return np.dtype(name)


def as_seed(seed):
    """seed if it is None or an integer in 0..2**63 - 1 (what numpy's generators take)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
        raise ConfigError(f"seed must be None or an integer in 0..2**63 - 1, got {seed!r}")
    return int(seed)


def _numeric(array, what):
    original = array
    try:
        array = np.asarray(array)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise DataError(f"{what} is not a rectangular numeric array ({exc})") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        hint = "; for a DataFrame with text columns use model = bp.Model.for_data(net, df, y), then model.fit(df, y)" \
            if type(original).__name__ in ("DataFrame", "Table") else "; convert or encode it first"
        raise DataError(f"{what} must be numeric, got dtype {array.dtype}{hint}")
    return array


def _all_finite(A):
    """True when A holds no NaN or inf; min and max propagate both, with no array-sized temporary."""
    return bool(np.isfinite(A.min()) and np.isfinite(A.max()))


def as_inputs(X, n_inputs, dtype):
    """X as an (n_samples, n_inputs) array of dtype, checked: 2-D, right width, finite, not empty."""
    X = _numeric(X, "X")
    if X.ndim != 2:
        raise ShapeError(f"X must be 2-D (n_samples, n_inputs), got shape {X.shape}; "
                         "use X.reshape(-1, 1) for a single feature")
    if X.shape[0] == 0:
        raise DataError("X has no samples")
    if X.shape[1] != n_inputs:
        raise ShapeError(f"X has {X.shape[1]} columns but the network takes {n_inputs} inputs")
    X = np.asarray(X, dtype=dtype)
    if not _all_finite(X):
        raise DataError("X contains NaN or infinite values; remove or impute them first")
    return X


def as_targets(Y, n_samples, n_outputs, dtype):
    """Y as an (n_samples, n_outputs) array of dtype; 1-D integer labels are one-hot encoded."""
    Y = _numeric(Y, "Y")
    if Y.ndim == 1 and n_outputs == 1:
        Y = Y.reshape(-1, 1)  # one output: a 1-D target is a column, never broadcast to (n, n)
    elif Y.ndim == 1:
        if not (np.issubdtype(Y.dtype, np.integer) or np.array_equal(Y, np.round(Y))):
            raise ShapeError(f"1-D Y must hold integer class labels for a network with {n_outputs} "
                             f"outputs; pass Y of shape ({Y.shape[0]}, {n_outputs}) for real targets")
        labels = Y.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= n_outputs):
            raise ShapeError(f"class labels must lie in 0..{n_outputs - 1} for {n_outputs} outputs, "
                             f"got {labels.min()}..{labels.max()}")
        Y = np.zeros((labels.shape[0], n_outputs), dtype=dtype)
        Y[np.arange(labels.shape[0]), labels] = 1
    if Y.ndim != 2 or Y.shape[1] != n_outputs:
        raise ShapeError(f"Y has shape {Y.shape} but the network has {n_outputs} outputs; "
                         f"pass Y of shape (n_samples, {n_outputs}) or 1-D class labels")
    if Y.shape[0] != n_samples:
        raise ShapeError(f"X has {n_samples} samples but Y has {Y.shape[0]}; they must match row for row")
    Y = np.asarray(Y, dtype=dtype)
    if not _all_finite(Y):
        raise DataError("Y contains NaN or infinite values; remove those samples first")
    return Y


def as_sample_weight(sample_weight, n_samples, dtype):
    """Relative sample weights r_i = n s_i / sum(s) (mean 1), or None for equal weights."""
    if sample_weight is None:
        return None
    s = _numeric(sample_weight, "sample_weight").astype(dtype, copy=False).reshape(-1)
    if s.shape[0] != n_samples:
        raise ShapeError(f"sample_weight has {s.shape[0]} entries for {n_samples} samples")
    if not np.isfinite(s).all() or (s < 0).any() or s.sum() <= 0:
        raise DataError("sample_weight must be finite, non-negative and not all zero")
    return s * (n_samples / s.sum())


def as_parameter(array, shape, name):
    """array as an ndarray of real numbers with exactly shape (a weight W_l or bias b_l named name); not copied."""
    try:
        array = np.asarray(array)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ShapeError(f"{name} is not a rectangular array ({exc})") from None
    if array.dtype.kind not in "fiu":
        raise DataError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.shape != tuple(shape):
        raise ShapeError(f"{name} has shape {array.shape}, but the network needs {tuple(shape)}"
                         + ("; transpose it: the engine's W_l is (n_out, n_in)" if array.shape == tuple(shape)[::-1]
                            else ""))
    return array
