"""Matrix products for the engine, all through one BLAS library: scipy's, by its public gemm.

Every product of (F), (BP2) and (BP3), and the fused SGD step, is C <- alpha A B + beta C, which
is what BLAS's gemm computes. numpy's matmul cannot add into an existing array (beta), and numpy's
and scipy's wheels each ship their own OpenBLAS, each with a pool of worker threads that keep
spinning for a while after a call. Mixing the two libraries, the pools fight for the cores and an
epoch slows many times over. Sending every product to scipy's gemm uses one pool, with all its
threads for every product (benchmarks/bench.py measures the gain; BENCHMARKS.md has the figures).

gemm works on Fortran-ordered arrays; the transpose of a C-ordered array is one, so
C = A B is computed as C^T = B^T A^T on those views, without copying. Sparse operands, mixed
dtypes and empty products take numpy's route; a test checks that both agree on every layout.
"""

import numpy as np

_GEMM, _AXPY, _ONES = {}, {}, {}


def _blas(table, dtype):
    """scipy's gemm or axpy for dtype, or None; scipy.linalg, slow to import, is imported on first use."""
    if not _GEMM:
        from scipy.linalg import blas
        _GEMM.update({np.dtype(np.float32): blas.sgemm, np.dtype(np.float64): blas.dgemm})
        _AXPY.update({np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy})
    return table.get(dtype)


def gemm(A, B, C, alpha=1.0, beta=0.0):
    """C (n, m) <- alpha A (n, k) @ B (k, m) + beta C, in place; returns C. B may be scipy.sparse."""
    routine = _GEMM.get(C.dtype) or _blas(_GEMM, C.dtype)
    if (routine is None or not (isinstance(A, np.ndarray) and isinstance(B, np.ndarray))
            or not A.dtype == B.dtype == C.dtype or C.size == 0):  # (f2py refuses an empty C)
        return _numpy_gemm(A, B, C, alpha, beta)
    # In Fortran order: C^T (m, n) <- alpha B^T (m, k) @ A^T (k, n) + beta C^T. A C-ordered
    # operand's transpose is Fortran-ordered; any other goes as it is with gemm's trans flag (the
    # inputs X[rows].T are Fortran-ordered; a strided view f2py copies). f2py works in C^T itself
    # when it can and returns it; otherwise it returns a new array. On the small products of a
    # mini-batch these checks are a large part of a call, so they are the fewest that decide.
    b, trans_b = (B.T, 0) if B.flags.c_contiguous else (B, 1)
    a, trans_a = (A.T, 0) if A.flags.c_contiguous else (A, 1)
    c = C.T
    out = routine(alpha, b, a, beta, c, trans_b, trans_a, True)  # positional: keywords cost a third more
    if out is not c:
        C[...] = out.T
    return C


def matmul(A, B, out=None):
    """A (n, k) @ B (k, m), into out (n, m) when given, else into a new C-ordered array."""
    if out is None:
        out = np.empty((A.shape[0], B.shape[1]), dtype=np.result_type(A.dtype, B.dtype))
    return gemm(A, B, out)


def ones(m, dtype):
    """A read-only vector of m ones, (m,): the 1 of b_l 1^T in (F) and of delta_l 1 in (BP4), as products.

    A bias added to every column, or a row sum, is a product with a vector of ones: one gemm call,
    faster than numpy's broadcast add or sum over the short batch axis (benchmarks/bench.py).
    """
    key = (m, np.dtype(dtype))
    if key not in _ONES:
        _ONES[key] = np.ones(m, dtype)
        _ONES[key].flags.writeable = False
    return _ONES[key]


def add_scaled(y, x, alpha):
    """y <- y + alpha x in place, by BLAS axpy: numpy's y += alpha * x first writes alpha * x to a temporary."""
    axpy = _AXPY.get(y.dtype) or _blas(_AXPY, y.dtype)
    if axpy is None or x.dtype != y.dtype or not (y.flags.c_contiguous and x.flags.c_contiguous and y.flags.writeable):
        y += alpha * x
        return
    # reshape(-1) of a contiguous array is a view, so y is updated; arguments by position cost less than keywords
    axpy(x.reshape(-1), y.reshape(-1), y.size, alpha)


def _numpy_gemm(A, B, C, alpha, beta):
    """The same as gemm() with numpy's products: for sparse B, other dtypes, and odd layouts."""
    if isinstance(B, np.ndarray):
        product = np.matmul(A, B)
    else:
        product = (B.T @ A.T).T  # sparse @ dense is scipy's kernel; dense @ sparse is its transpose
    if beta == 0.0:
        np.multiply(product, alpha, out=C)
    else:
        C *= beta
        C += alpha * product
    return C
