"""All of a network's parameters in one flat buffer: the optimizers' rules then run once per step, not per array.

An optimizer's rule is a handful of elementwise passes (Adam's is nine). Applied array by array, a
network with L layers costs 2L numpy calls per pass, and on small layers each call's fixed cost
outweighs its arithmetic. Laid out as consecutive views of one buffer, the weights first and then
the biases, every pass covers all of them in one call: L2 decay touches the first part only. The
weight and bias arrays stay the arrays everybody else sees (W_l, b_l); only where their memory lies changes.
"""

import numpy as np


def pack(arrays, dtype, copy=True):
    """Views of one new 1-D buffer shaped like arrays, in order, holding copies of them (copy=False: unset)."""
    buffer = np.empty(sum(np.size(p) for p in arrays), dtype=dtype)
    views, start = [], 0
    for p in arrays:
        view = buffer[start:start + np.size(p)].reshape(np.shape(p))
        if copy:
            view[...] = p
        views.append(view)
        start += np.size(p)
    return views


def flat(arrays):
    """The 1-D buffer that arrays are consecutive C-ordered views of, in order and covering it whole; else None."""
    buffer = getattr(arrays[0], "base", None)
    if not isinstance(buffer, np.ndarray) or buffer.ndim != 1 or not buffer.flags.c_contiguous:
        return None
    address, itemsize = buffer.__array_interface__["data"][0], buffer.itemsize
    for p in arrays:
        if (not isinstance(p, np.ndarray) or p.base is not buffer or not p.flags.c_contiguous
                or p.__array_interface__["data"][0] != address):
            return None
        address += p.size * itemsize
    return buffer if address == buffer.__array_interface__["data"][0] + buffer.size * itemsize else None


def pack_network(net):
    """Lay net's weights and biases out in one buffer unless they already are; True if they moved."""
    params = net.weights + net.biases
    if flat(params) is not None and all(p.dtype == net.dtype and p.flags.writeable for p in params):
        return False
    views = pack(params, net.dtype)
    L = len(net.weights)
    net.weights[:], net.biases[:] = views[:L], views[L:]
    return True
