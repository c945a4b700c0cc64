"""JSON that is always valid JSON: a non-finite number (NaN, +-Infinity have no JSON spelling) is written as null.

`backprop explain --format json` and the playground's answers go through here, so any JSON parser reads
them; a null where a number belongs means the number was NaN or infinite (a diverged step, an input
of inf), which the text formats print as nan or inf.
"""

import json
import math

import numpy as np


def finite(value):
    """value with every NaN or infinite float (numpy's too) replaced by None; containers copied, others kept."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(value, **options):
    """json.dumps of finite(value): never NaN or Infinity in the text."""
    return json.dumps(finite(value), allow_nan=False, **options)
