"""W <- beta W + alpha delta a^T in one BLAS call: the fused step plain SGD takes.

numpy's matmul cannot add its product into an existing array, so a step written with it writes
the gradient dC/dW, then reads it back to subtract it. BLAS's gemm computes C <- alpha A B + beta C
in one pass; with C = W it applies (BP3) and the descent step together. scipy.linalg.blas gives
gemm through a public API; it works on Fortran-ordered arrays, and the transpose of a C-ordered
W is one, so W^T <- beta W^T + alpha a delta^T updates W in place. Arrays that do not fit that
call (another dtype, not contiguous, read-only, sparse inputs) take numpy's two steps; a test checks both agree.
"""

import numpy as np
from scipy.linalg import blas

_GEMM = {np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm}
_AXPY = {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}


def add_scaled(y, x, alpha):
    """y <- y + alpha x in place, by BLAS axpy: numpy's y += alpha * x first writes alpha * x to a temporary."""
    axpy = _AXPY.get(y.dtype)
    if axpy is None or x.dtype != y.dtype or not (y.flags.c_contiguous and x.flags.c_contiguous and y.flags.writeable):
        y += alpha * x
        return
    axpy(x.reshape(-1), y.reshape(-1), a=alpha)  # reshape(-1) of a contiguous array is a view: y is updated


def add_outer_product(W, delta, a, alpha, beta=1.0):
    """W (n, k) <- beta W + alpha delta (n, m) @ a (k, m)^T, in place."""
    gemm = _GEMM.get(W.dtype)
    fits = (gemm is not None and isinstance(a, np.ndarray)  # sparse a: numpy's two steps
            and W.flags.c_contiguous and W.flags.writeable and delta.dtype == a.dtype == W.dtype
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
