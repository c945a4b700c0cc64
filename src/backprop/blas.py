"""An optional fused update W <- W + alpha * delta a^T: one BLAS gemm call with beta = 1.

numpy's matmul cannot add its product into an existing array, so plain SGD pays for writing the
gradient dC/dW and then reading it back to subtract it. BLAS's gemm computes C <- alpha A B + beta C
in one pass; with beta = 1 and C = W it applies (BP3) and the descent step together. This module
finds gemm in the OpenBLAS that numpy itself ships (through ctypes, nothing extra is installed) and
returns None when it cannot, in which case the engine keeps its two-step numpy path. A test checks
that both paths give the same weights.
"""

import ctypes
import glob
import os

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
# (symbol prefix, suffix, integer type) of the cblas gemm in the BLAS builds numpy wheels ship.
_FLAVOURS = (("scipy_cblas_", "gemm64_", ctypes.c_int64), ("cblas_", "gemm64_", ctypes.c_int64),
             ("scipy_cblas_", "gemm", ctypes.c_int), ("cblas_", "gemm", ctypes.c_int))
_cache = {}


def _load():
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in _FLAVOURS:
            found = {}
            for letter, real in (("s", ctypes.c_float), ("d", ctypes.c_double)):
                function = getattr(lib, f"{prefix}{letter}{suffix}", None)
                if function is None:
                    break
                function.argtypes = [integer] * 6 + [real, ctypes.c_void_p, integer, ctypes.c_void_p, integer,
                                                     real, ctypes.c_void_p, integer]
                function.restype = None
                found[np.dtype(np.float32 if letter == "s" else np.float64)] = function
            if len(found) == 2:
                return found
    return {}


def fused_update(dtype):
    """A function add_outer(W, delta, a, alpha) doing W += alpha * delta @ a.T in place, or None."""
    if "functions" not in _cache:
        _cache["functions"] = {} if os.environ.get("BACKPROP_NO_BLAS") else _load()
    gemm = _cache["functions"].get(np.dtype(dtype))
    if gemm is None:
        return None

    def add_outer(W, delta, a, alpha):
        """W (n, k) += alpha * delta (n, m) @ a (k, m).T, with W and delta C-contiguous."""
        n, m = delta.shape
        k = W.shape[1]
        if a.flags.c_contiguous:      # a is (k, m) in rows: use it transposed
            b, transpose_b, ldb = a, _TRANS, m
        else:                         # a is the transposed view of an (m, k) C array (the inputs)
            b, transpose_b, ldb = a.T, _NO_TRANS, k
        usable = (W.flags.c_contiguous and W.flags.writeable and delta.flags.c_contiguous and b.flags.c_contiguous
                  and W.dtype == delta.dtype == b.dtype == dtype)
        if not usable:  # arrays a user swapped in: take the plain numpy route
            W += alpha * (delta @ a.T)
            return
        gemm(_ROW_MAJOR, _NO_TRANS, transpose_b, n, k, m, alpha, delta.ctypes.data, m, b.ctypes.data, ldb,
             1.0, W.ctypes.data, k)

    return add_outer
