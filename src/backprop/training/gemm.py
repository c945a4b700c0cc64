"""W <- beta W + alpha delta a^T in one BLAS call: the fused step plain SGD takes.

numpy's matmul cannot add its product into an existing array, so a step written with it writes
the gradient dC/dW, then reads it back to subtract it. BLAS's gemm computes C <- alpha A B + beta C
in one pass; with C = W it applies (BP3) and the descent step together. scipy.linalg.blas gives
gemm through a public API; it works on Fortran-ordered arrays, and the transpose of a C-ordered
W is one, so W^T <- beta W^T + alpha a delta^T updates W in place. Arrays that do not fit that
call (another dtype, not contiguous, read-only) take numpy's two steps; a test checks both agree.
"""

import numpy as np

_GEMM = {}


def _gemm(dtype):
    """BLAS gemm for dtype, or None; scipy.linalg is imported on the first step (it costs 0.3 s at startup)."""
    if not _GEMM:
        from scipy.linalg import blas
        _GEMM.update({np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm})
    return _GEMM.get(dtype)


def add_outer_product(W, delta, a, alpha, beta=1.0):
    """W (n, k) <- beta W + alpha delta (n, m) @ a (k, m)^T, in place."""
    gemm = _gemm(W.dtype)
    fits = (gemm is not None and W.flags.c_contiguous and W.flags.writeable and delta.dtype == a.dtype == W.dtype
            and delta.flags.c_contiguous and (a.flags.c_contiguous or a.flags.f_contiguous))
    if not fits:
        if beta != 1.0:
            W *= beta
        W += alpha * (delta @ a.T)
        return
    # In Fortran order: W^T (k, n) <- alpha a (k, m) @ delta^T (m, n) + beta W^T. delta^T is the
    # Fortran view of delta; a is either a Fortran view already (the inputs, X rows transposed)
    # or a C array whose transpose is Fortran, passed with trans_a.
    if a.flags.f_contiguous:
        gemm(alpha, a, delta.T, beta=beta, c=W.T, overwrite_c=True)
    else:
        gemm(alpha, a.T, delta.T, beta=beta, c=W.T, trans_a=True, overwrite_c=True)
