"""W <- beta W + alpha delta a^T in one BLAS call: the fused step plain SGD takes.

numpy's matmul cannot add its product into an existing array, so a step written with it writes
the gradient dC/dW, then reads it back to subtract it. BLAS's gemm computes C <- alpha A B + beta C
in one pass; with C = W it applies (BP3) and the descent step together. scipy.linalg.blas gives
gemm through a public API; it works on Fortran-ordered arrays, and the transpose of a C-ordered
W is one, so W^T <- beta W^T + alpha a delta^T updates W in place. Arrays that do not fit that
call (another dtype, not contiguous, read-only, sparse inputs) take numpy's two steps; a test checks
both agree.

numpy's and scipy's wheels each ship their own OpenBLAS, each with a pool of worker threads that
keep spinning for a while after a call. Alternating between the two, the pools fight for the
cores: an epoch of 784-128-64-10 took 1.9 s instead of 0.16 s. single_threaded_scipy_blas() gives
scipy's pool one thread (the caller's) while training; the gemm is then about 10% faster than
numpy's two steps on that network, 20% on 784-512-256-10 (backprop bench measures it).
"""

import contextlib
import os

import numpy as np

_GEMM, _AXPY = {}, {}


def _blas(table, dtype):
    """BLAS gemm or axpy for dtype, or None; scipy.linalg is imported on the first step (0.3 s at startup)."""
    if not _GEMM:
        from scipy.linalg import blas
        _GEMM.update({np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm})
        _AXPY.update({np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy})
    return table.get(dtype)


def add_scaled(y, x, alpha):
    """y <- y + alpha x in place, by BLAS axpy: numpy's y += alpha * x first writes alpha * x to a temporary."""
    axpy = _blas(_AXPY, y.dtype)
    if axpy is None or x.dtype != y.dtype or not (y.flags.c_contiguous and x.flags.c_contiguous and y.flags.writeable):
        y += alpha * x
        return
    axpy(x.reshape(-1), y.reshape(-1), a=alpha)  # reshape(-1) of a contiguous array is a view: y is updated


def add_outer_product(W, delta, a, alpha, beta=1.0):
    """W (n, k) <- beta W + alpha delta (n, m) @ a (k, m)^T, in place."""
    gemm = _blas(_GEMM, W.dtype)
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


_scipy_pools = []


@contextlib.contextmanager
def single_threaded_scipy_blas():
    """Limit scipy's own BLAS library to one thread inside the block, where it is not numpy's."""
    if not _scipy_pools:
        from threadpoolctl import ThreadpoolController
        _blas(_GEMM, np.dtype(np.float64))  # load scipy's BLAS first, so that the controller sees it
        controller = ThreadpoolController()
        own = [lib.filepath for lib in controller.lib_controllers
               if lib.user_api == "blas" and os.path.basename(os.path.dirname(lib.filepath)) == "scipy.libs"]
        _scipy_pools.append([controller.select(filepath=path) for path in own])
    with contextlib.ExitStack() as stack:
        for pool in _scipy_pools[0]:
            stack.enter_context(pool.limit(limits=1))
        yield
