"""The engine: a fully connected network, its forward pass, and backpropagation.

Notation (math layer l = 1..L; Python lists hold layer l at index l - 1):
    n_l         units in layer l; n_0 inputs, n_L outputs; m samples in a batch
    W_l         weights of layer l, shape (n_l, n_{l-1})
    b_l         biases of layer l, shape (n_l,)
    a_0 = x     the inputs, one column per sample, shape (n_0, m)
    z_l         pre-activations, shape (n_l, m);  a_l = sigma_l(z_l) activations, shape (n_l, m)
    C           the cost, the mean over the m samples of a per-sample cost C_i(a_L, y)

The four equations this module computes, once per batch, each for all m samples at once:
    (F)   z_l = W_l a_{l-1} + b_l,  a_l = sigma_l(z_l)              forward pass
    (BP1) delta_L = dC/da_L * sigma_L'(z_L)                          output error
    (BP2) delta_l = (W_{l+1}^T delta_{l+1}) * sigma_l'(z_l)          hidden error, l = L-1..1
    (BP3) dC/dW_l = (1/m) sum_i delta_l,i a_{l-1,i}^T   (BP4) dC/db_l = (1/m) sum_i delta_l,i

Inside backprop the deltas are those of the batch's mean cost, delta_l = dC/dz_l, which already
holds the 1/m (and any sample weights): (BP3) is then the plain product delta_l a_{l-1}^T.
The engine computes; applying a step is the optimizers' job (backprop.training.optimizers).

Inside, columns are samples, as in the derivation; the public methods take and return arrays
with one sample per row, as numpy and scikit-learn do, and transpose (a view) at that edge.
"""

import math
import numbers

import numpy as np

from .activations import get_activation
from .blas import gemm, matmul, ones
from .checks import as_dtype, as_inputs, as_parameter, as_sample_weight, as_seed, as_targets
from .costs import get_cost
from .errors import ConfigError, ShapeError
from .initializers import initial_parameters

# Output layer and cost pairs whose product dC/da_L * sigma'(z_L) simplifies to a_L - y.
SIMPLE_OUTPUT_ERRORS = {("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")}
MAX_PARAMETERS = 10**9  # 8 GB of float64 weights: beyond it a typo, not a network


class Network:
    """A feedforward network: Network([2, 3, 2]) has 2 inputs, 3 hidden units, 2 outputs.

    activation names the hidden layers' activation, or lists one per hidden layer; output names the
    output layer's (None: the same as the hidden layers', as in the reference).
    """

    def __init__(self, sizes, activation="sigmoid", output=None, cost="mse", seed=None, dtype="float64"):
        self.sizes = _check_sizes(sizes)
        self.dtype = as_dtype(dtype)
        self.seed = as_seed(seed)
        if not isinstance(activation, (str, list, tuple)):
            raise ConfigError(f"activation must be a name such as 'relu', or a list of one name per hidden layer; "
                              f"got {activation!r}")
        names = [activation] * (len(self.sizes) - 2) if isinstance(activation, str) else list(activation)
        if len(names) != len(self.sizes) - 2:
            raise ConfigError(f"{len(names)} activations listed for {len(self.sizes) - 2} hidden layers")
        if output is None and not isinstance(activation, str):
            raise ConfigError("with one activation per hidden layer, name the output layer's too: output=...")
        self.activations = [get_activation(name) for name in names]
        self.activations.append(get_activation(activation if output is None else output, output=True))
        self.cost_function = get_cost(cost)
        allowed = self.cost_function.output_activations
        if allowed and self.activations[-1].name not in allowed:
            raise ConfigError(f"cost {self.cost_function.name!r} needs a {' or '.join(allowed)} output layer, "
                              f"got {self.activations[-1].name!r}; pass output={allowed[0]!r}")
        self.simple_output_error = (self.activations[-1].name, self.cost_function.name) in SIMPLE_OUTPUT_ERRORS
        self.parameter_shapes = [(n_out, n_in) for n_in, n_out in zip(self.sizes, self.sizes[1:])] + \
                                [(n_out,) for n_out in self.sizes[1:]]  # W_1..W_L, then b_1..b_L: the buffer's order
        self.n_weights = sum(n_out * n_in for n_in, n_out in zip(self.sizes, self.sizes[1:]))
        self._lay_out(np.empty(self.n_weights + sum(self.sizes[1:]), self.dtype))
        rng = np.random.default_rng(seed)
        self.set_parameters(*initial_parameters(self.sizes, [act.name for act in self.activations], rng, self.dtype))

    # ---- the parameters: one buffer, laid out once; W_l and b_l are views of it -------------
    @property
    def parameters(self):
        """Every weight and bias in one 1-D buffer (n_parameters,): W_1..W_L, each C-ordered, then b_1..b_L."""
        return self._parameters

    @property
    def weights(self):
        """(W_1, ..., W_L), each (n_l, n_{l-1}): views of parameters; change them in place or by set_parameters."""
        return self._weights

    @property
    def biases(self):
        """(b_1, ..., b_L), each (n_l,): views of parameters."""
        return self._biases

    def views(self, buffer):
        """(weights, biases) of a 1-D buffer laid out as parameters (gradients, optimizer state): tuples of views."""
        ends = np.cumsum([math.prod(shape) for shape in self.parameter_shapes])
        views = tuple(buffer[end - math.prod(s):end].reshape(s) for end, s in zip(ends, self.parameter_shapes))
        return views[:len(self.sizes) - 1], views[len(self.sizes) - 1:]

    def set_parameters(self, weights, biases):
        """Copy weights (W_l, each (n_l, n_{l-1})) and biases (b_l, each (n_l,)) into parameters, in its dtype.

        The one way to replace them: every array is checked (count, shape, real numbers) before any is copied.
        """
        L = len(self.sizes) - 1
        if len(weights) != L or len(biases) != L:
            raise ShapeError(f"{self!r} has {L} layers; got {len(weights)} weight and {len(biases)} bias arrays")
        names = [f"W_{l}" for l in range(1, L + 1)] + [f"b_{l}" for l in range(1, L + 1)]
        arrays = [as_parameter(p, shape, name)
                  for p, shape, name in zip([*weights, *biases], self.parameter_shapes, names)]
        views = self._weights + self._biases
        # An array inside the buffer (not its own place) is read before the loop can overwrite it.
        arrays = [p.copy() if p is not view and np.may_share_memory(p, self._parameters) else p
                  for p, view in zip(arrays, views)]
        for view, p in zip(views, arrays):
            np.copyto(view, p, casting="same_kind")

    # ---- the public API: one sample per row -------------------------------------------------
    def predict(self, X):
        """Output activations a_L for X of shape (n_samples, n_0): shape (n_samples, n_L)."""
        x = as_inputs(X, self.sizes[0], self.dtype).T
        return np.ascontiguousarray(self.forward(x)[1][-1].T)

    def cost(self, X, Y, sample_weight=None):
        """The cost C over the samples of X (n_samples, n_0) and Y (n_samples, n_L), a float."""
        x, y, r = self._columns(X, Y, sample_weight)
        return self.cost_of(self.forward(x)[1][-1], y, r)

    def gradients(self, X, Y, sample_weight=None):
        """(grad_w, grad_b): dC/dW_l and dC/db_l for every layer, shaped like weights and biases."""
        x, y, r = self._columns(X, Y, sample_weight)
        grad_w = [np.empty_like(W) for W in self.weights]
        grad_b = [np.empty_like(b) for b in self.biases]
        self.backprop(x, y, r, grad_w, grad_b)
        return grad_w, grad_b

    # ---- the engine: one sample per column ---------------------------------------------------
    def forward(self, x, z=None, a=None):
        """(z, a) for x of shape (n_0, m): z[l] = z_l and a[l] = a_l, with a[0] = x and z[0] = None.

        Pass lists z and a of preallocated arrays to compute in place (the training loop does).
        """
        L, W, b, sigma = len(self.weights), [None, *self.weights], [None, *self.biases], [None, *self.activations]
        z = z if z is not None else [None] * (L + 1)
        a = a if a is not None else [None] * (L + 1)
        a[0] = x
        ones_row = ones(x.shape[1], self.dtype)[None, :]  # (1, m)
        for l in range(1, L + 1):
            z[l] = matmul(W[l], a[l - 1], out=z[l])          # (F)   z_l = W_l a_{l-1} ...
            gemm(b[l][:, None], ones_row, z[l], 1.0, 1.0)     #       ... + b_l 1^T (b_l added to every column)
            a[l] = sigma[l].value(z[l], out=a[l])             # (F)   a_l = sigma_l(z_l)
        return z, a

    def backprop(self, x, y, r=None, grad_w=None, grad_b=None, z=None, a=None, delta=None):
        """Forward pass, then every delta_l; fills grad_w and grad_b (if given) with dC/dW_l, dC/db_l.

        x (n_0, m), y (n_L, m); r: relative sample weights (m,) with mean 1, or None. Returns (a, delta).
        delta[l] is dC/dz_l for the batch's cost C, the mean of the per-sample costs: each sample's
        own delta_l (the derivation's) times r_i / m. Taking the 1/m here, on the (n_L, m) array
        delta_L, spares a pass over every weight-sized gradient, and (BP2) carries it to every layer.
        Without grad_w the gradients are left to the caller (the fused SGD step reads delta and a).
        """
        z, a = self.forward(x, z, a)
        L, m, W, sigma = len(self.weights), x.shape[1], [None, *self.weights], [None, *self.activations]
        delta = delta if delta is not None else [None] * (L + 1)
        delta[L] = self.output_error(z[L], a[L], y, out=delta[L])      # (BP1) delta_L, per sample
        delta[L] *= (1.0 / m) if r is None else r * (1.0 / m)          #       ... of the mean cost C
        for l in range(L - 1, 0, -1):
            delta[l] = matmul(W[l + 1].T, delta[l + 1], out=delta[l])           # (BP2) W_{l+1}^T delta_{l+1} ...
            delta[l] = sigma[l].backward(delta[l], z[l], a[l], out=delta[l])   #       ... * sigma_l'(z_l)
        if grad_w is not None:
            ones_column = ones(m, self.dtype)[:, None]  # (m, 1)
            for l in range(1, L + 1):
                matmul(delta[l], a[l - 1].T, out=grad_w[l - 1])     # (BP3) dC/dW_l = delta_l a_{l-1}^T
                gemm(delta[l], ones_column, grad_b[l - 1][:, None])  # (BP4) dC/db_l = delta_l 1, the sum over samples
        return a, delta

    def output_error(self, z_L, a_L, y, out=None, simplified=None):
        """delta_L, shape (n_L, m): a_L - y where output and cost allow it, else dC/da_L * sigma'(z_L)."""
        if self.simple_output_error if simplified is None else simplified:
            return np.subtract(a_L, y, out=out)  # (BP1) simplified: delta_L = a_L - y
        grad_a = self.cost_function.gradient(a_L, y)  # dC_i/da_L
        return self.activations[-1].backward(grad_a, z_L, a_L, out=out)  # (BP1) delta_L = dC/da_L * sigma'(z_L)

    def cost_of(self, a_L, y, r=None):
        """C = mean_i C_i(a_L, y) (weighted by r when given) as a float."""
        return self.cost_function.total(a_L, y, r) / a_L.shape[1]

    # ---- helpers ----------------------------------------------------------------------------
    def _columns(self, X, Y, sample_weight):
        X = as_inputs(X, self.sizes[0], self.dtype)
        Y = as_targets(Y, X.shape[0], self.sizes[-1], self.dtype)
        return X.T, Y.T, as_sample_weight(sample_weight, X.shape[0], self.dtype)

    def _lay_out(self, buffer):
        """Make buffer (n_parameters,) this network's parameters, with W_l and b_l as views of it."""
        self._parameters = buffer
        self._weights, self._biases = self.views(buffer)

    def copy(self, dtype=None):
        """An independent copy of the network, optionally in another dtype (training state stays with training)."""
        new = object.__new__(Network)
        new.__dict__.update(self.__dict__)
        new.dtype = as_dtype(dtype or self.dtype)
        new._lay_out(self._parameters.astype(new.dtype))
        return new

    def __getstate__(self):  # pickle and deepcopy: the buffer travels, the views are made again
        return {k: v for k, v in self.__dict__.items() if k not in ("_weights", "_biases")}

    def __setstate__(self, state):
        self.__dict__.update(state)
        writable = self._parameters.flags.writeable  # not so when unpickled from a read-only memory map
        self._lay_out(self._parameters if writable else self._parameters.copy())

    def __repr__(self):
        acts = ",".join(act.name for act in self.activations)
        return f"Network({self.sizes}, activations=[{acts}], cost={self.cost_function.name!r}, dtype={self.dtype.name})"


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not all(isinstance(n, numbers.Integral) for n in _iterable(sizes)):
        raise ConfigError(f"sizes must be a list of integer layer widths such as [2, 3, 1], got {sizes!r}")
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ConfigError(f"sizes needs at least an input and an output layer, each of size >= 1; got {sizes}")
    n_params = sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes, sizes[1:]))
    if n_params > MAX_PARAMETERS:
        raise ConfigError(f"sizes {sizes} make {n_params:.3g} parameters, more than the {MAX_PARAMETERS:.0e} "
                          "this engine allocates; use narrower layers")
    return sizes


def _iterable(value):
    try:
        return list(value)
    except TypeError:
        return [None]
