"""Which float type an ONNX export computes in: float32 where it reproduces backprop closely enough, else float64.

backprop computes in float64 (or the model's float32). An export in float32 is smaller and faster, but
it rounds every raw feature to 24 bits before the scaler subtracts its center: a feature near 1.7e9 (a
Unix time) is rounded to a multiple of 128, which is most of its spread when its scale is a few
hundred; and a weight past about 1e30 makes float32 sums of products overflow. The range check below
looks at the scaler (each feature's center and scale) and the weights' magnitude.
"""

import numpy as np

from ..errors import ConfigError

FLOAT_CHOICES = ("auto", "float32", "float64")  # what to_onnx(dtype=...) takes
MAX_FLOAT32_PARAM = 1e30  # |w| a ~1e8 products wide sum of can still hold without passing float32's 3.4e38
MAX_INPUT_ERROR = 1e-4    # float32's rounding of a raw feature, in units of that feature's scale
REACH = 4                 # raw values checked: within REACH scales of the center


def float32_problems(model):
    """Why float32 would not reproduce model's outputs closely (a list of sentences; empty: it would)."""
    problems = []
    params = model.network.weights + model.network.biases
    largest = max(float(np.abs(p).max()) for p in params if p.size)
    if largest > MAX_FLOAT32_PARAM:
        problems.append(f"a weight of magnitude {largest:.3g} is past float32's safe range (its sums of products "
                        "overflow 3.4e38)")
    scaler = model.scaler
    if scaler.kind != "none":
        center, scale = np.asarray(scaler.center, float), np.asarray(scaler.scale, float)
        reach = np.abs(center) + REACH * scale
        if not np.all(reach < np.finfo(np.float32).max):
            problems.append("a feature's values are past float32's range (3.4e38)")
        else:
            error = np.spacing(reach.astype(np.float32)).astype(float) / scale  # one float32 step, in scales
            j = int(np.argmax(error))
            if error[j] > MAX_INPUT_ERROR:
                name = _feature(model, j)
                problems.append(f"feature {name} (center {center[j]:.6g}, scale {scale[j]:.3g}) would be rounded "
                                f"in steps of {np.spacing(np.float32(reach[j])):.3g} by float32, {error[j]:.1e} of "
                                f"its scale (more than {MAX_INPUT_ERROR:g})")
    return problems


def choose(model, requested="auto"):
    """(numpy dtype, the reason in words) of the export: float32 when exact enough, else float64."""
    if requested not in FLOAT_CHOICES:
        raise ConfigError(f"unknown export dtype {requested!r}; choose one of: {', '.join(FLOAT_CHOICES)}")
    problems = float32_problems(model)
    if requested == "float64":
        return np.dtype(np.float64), "float64, as asked"
    if requested == "float32" and problems:
        raise ConfigError(f"float32 would not reproduce this model: {problems[0]}; export in float64 "
                          "(--dtype float64, or auto)")
    if problems:
        return np.dtype(np.float64), f"float64, since in float32 {problems[0]}"
    return np.dtype(np.float32), ("float32: the weights and each feature's center and scale fit float32's range "
                                  f"and rounding (at most {MAX_INPUT_ERROR:g} of a feature's scale)")


def _feature(model, j):
    names = list(getattr(model, "feature_names", None) or [])
    return repr(names[j]) if j < len(names) else f"{j + 1}"
