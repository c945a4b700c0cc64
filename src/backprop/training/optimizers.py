"""Optimizers: each applies one step to the parameters from their gradients, in place.

step(params, grads, learning_rate): params and grads are matching lists of arrays (the weights,
then the biases); the network's own arrays change and nothing is reallocated. The gradient
arrays may be used as scratch space (their values are spent). The learning rate is passed to
every step (a schedule changes it between epochs); the step count t is the optimizer's own.
Rules follow PyTorch's torch.optim, so the two can be compared step by step; weight_decay is an
L2 term added to the weights' gradients (decoupled from them in AdamW), biases never decay.
"""

import itertools
import math

import numpy as np

from .. import blas
from ..errors import unknown_name
from .parameters import flat, pack


class Optimizer:
    """Base class: holds the step count t and the state arrays (moments, velocities)."""

    name = ""
    default_learning_rate = 0.1
    options = ("weight_decay",)  # the keyword options this optimizer takes (TrainingOptions checks them)
    buffers = ()  # the names of its state arrays, each a list shaped like params

    def __init__(self, weight_decay=0.0):
        self.weight_decay = weight_decay
        self.t = 0          # steps taken
        self.state = {}     # name -> list of arrays shaped like params
        self._cache = None  # the last step's pieces, kept while the same arrays come back

    def step(self, params, grads, learning_rate):
        """Update every array in params in place from the matching gradient in grads."""
        self.t += 1
        for p, g, decayed, *state in self._pieces(params, grads):
            if decayed is not None and self.weight_decay:
                self._decay(*decayed, learning_rate)
            self._update(p, g, learning_rate, *state)

    def _decay(self, p, g, learning_rate):
        """Weight decay as an L2 term, as torch.optim does: g <- g + wd W, the gradient of (wd/2) ||W||^2."""
        blas.add_scaled(g, p, self.weight_decay)

    def _update(self, p, g, learning_rate, *state):
        """The rule on one piece: p, its gradient g (scratch space once spent), its state arrays."""
        raise NotImplementedError

    def _pieces(self, params, grads):
        """(p, g, decayed, *state) for each piece a step updates; decayed: the (p, g) views that take L2
        (the weights; biases never), or None.

        With params, grads and the state laid out flat (training.parameters, as the loop does), there
        is one piece, the whole buffer, whose first part (the weights) decays: each pass of the rule is
        one call, not 2L, and on small networks the calls' fixed cost is most of a step.
        """
        for name in self.buffers:
            if name not in self.state:
                zeros = [np.zeros_like(p) for p in params]
                self.state[name] = pack(zeros, params[0].dtype) if flat(params) is not None else zeros
        states = [self.state[name] for name in self.buffers]
        arrays = [*params, *grads, *itertools.chain(*states)]
        key = tuple(map(id, arrays))  # while the cache holds the arrays, no other array can take their ids
        if self._cache is not None and self._cache[0] == key:
            return self._cache[2]
        P, G = flat(params), flat(grads)
        for state in states:  # state read from a model file: laid out like params from now on
            if P is not None and flat(state) is None:
                state[:] = pack(state, P.dtype)
        S = [flat(state) for state in states]
        n_weights = sum(p.ndim == 2 for p in params)
        if P is None or G is None or any(x is None for x in S) or any(p.ndim == 2 for p in params[n_weights:]):
            pieces = [(p, g, (p, g) if p.ndim == 2 else None, *state) for p, g, *state in zip(params, grads, *states)]
        else:
            w = sum(p.size for p in params[:n_weights])  # the weights come first, then the biases
            pieces = [(P, G, (P[:w], G[:w]) if w else None, *S)]
        self._cache = (key, arrays, pieces)
        return pieces

    def settings(self):
        """The options this optimizer was built with, by name."""
        return {name: getattr(self, name) for name in self.options}

    def __getstate__(self):  # copies (deepcopy, a network's copy) leave the cache, which refers to params
        return {**self.__dict__, "_cache": None}

    def __repr__(self):
        return f"<optimizer {self.name} {self.settings()}>"


class SGD(Optimizer):
    """p <- p - lr g: plain gradient descent, as in the reference."""

    name = "sgd"

    def _update(self, p, g, learning_rate):
        blas.add_scaled(p, g, -learning_rate)  # p <- p - lr g, with no temporary lr g

    def step_from_deltas(self, weights, biases, delta, a, learning_rate):
        """The same step, with (BP3) and the update of each W_l in one BLAS call.

        delta[l] (n_l, m) and a[l] (n_l, m) as Network.backprop leaves them (delta of the mean
        cost): W_l <- (1 - lr wd) W_l - lr delta_l a_{l-1}^T, b_l <- b_l - lr sum_i delta_l.
        Equal to step() with the gradients of (BP3) and (BP4); a test checks that.
        """
        self.t += 1
        decay = 1.0 - learning_rate * self.weight_decay  # (1 - lr wd) W: the L2 term's share of the step
        ones = blas.ones(delta[-1].shape[1], delta[-1].dtype)[:, None]
        for l in range(1, len(weights) + 1):
            # (BP3) and (BP4) with the step: W_l <- decay W_l - lr delta_l a_{l-1}^T, b_l <- b_l - lr delta_l 1
            blas.gemm(delta[l], a[l - 1].T, weights[l - 1], -learning_rate, decay)
            blas.gemm(delta[l], ones, biases[l - 1][:, None], -learning_rate, 1.0)


class Momentum(Optimizer):
    """v <- mu v + g;  p <- p - lr v (heavy-ball momentum)."""

    name = "momentum"
    default_learning_rate = 0.01
    options = ("momentum", "weight_decay")
    buffers = ("velocity",)

    def __init__(self, momentum=0.9, weight_decay=0.0):
        super().__init__(weight_decay)
        self.momentum = momentum

    def _update(self, p, g, learning_rate, v):
        v *= self.momentum
        blas.add_scaled(v, g, 1.0)                # v <- mu v + g
        blas.add_scaled(p, v, -learning_rate)     # p <- p - lr v


class Nesterov(Momentum):
    """v <- mu v + g;  p <- p - lr (g + mu v): the gradient looks one momentum step ahead."""

    name = "nesterov"

    def _update(self, p, g, learning_rate, v):
        v *= self.momentum
        blas.add_scaled(v, g, 1.0)                                # v <- mu v + g
        blas.add_scaled(p, g, -learning_rate)
        blas.add_scaled(p, v, -learning_rate * self.momentum)     # p <- p - lr (g + mu v)


class Adam(Optimizer):
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  p <- p - lr m_hat / (sqrt(v_hat) + eps)."""

    name = "adam"
    default_learning_rate = 0.001
    options = ("beta1", "beta2", "eps", "weight_decay")
    buffers = ("m", "v")

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _update(self, p, g, learning_rate, m, v):
        # The bias corrections m_hat = m / c1, v_hat = v / c2 (c1 = 1 - b1^t, c2 = 1 - b2^t) fold into
        # scalars: m_hat / (sqrt(v_hat) + eps) = (sqrt(c2) / c1) m / (sqrt(v) + eps sqrt(c2)).
        root_c2 = math.sqrt(1 - self.beta2 ** self.t)
        step_size = learning_rate * root_c2 / (1 - self.beta1 ** self.t)
        # In place, with g as the scratch space once it is spent: a temporary the size of p per
        # operation costs more than the arithmetic (fresh pages for every array past malloc's threshold).
        m *= self.beta1
        blas.add_scaled(m, g, 1 - self.beta1)              # m <- b1 m + (1 - b1) g
        g *= g
        v *= self.beta2
        blas.add_scaled(v, g, 1 - self.beta2)              # v <- b2 v + (1 - b2) g^2
        denominator = np.sqrt(v, out=g)
        denominator += self._eps_term(root_c2)             # sqrt(v) + eps sqrt(c2)
        ratio = np.divide(m, denominator, out=denominator)
        blas.add_scaled(p, ratio, -step_size)              # p <- p - lr m_hat / (sqrt(v_hat) + eps)

    def _eps_term(self, root_c2):
        """What sqrt(v) gets added: eps sqrt(c2), so that eps is added to sqrt(v_hat) as torch.optim.Adam does."""
        return self.eps * root_c2


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p - lr wd p before the Adam step, on weights only."""

    name = "adamw"

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(beta1, beta2, eps, weight_decay)

    def _decay(self, p, g, learning_rate):
        p *= 1 - learning_rate * self.weight_decay  # p <- p - lr wd p, apart from the gradient


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adam, AdamW)}


def get_optimizer(name, **options):
    """A new optimizer by name with its options (only those it takes; TrainingOptions checks them first)."""
    if name not in OPTIMIZERS:
        raise unknown_name("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](**options)
