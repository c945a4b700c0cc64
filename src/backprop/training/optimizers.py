"""Optimizers: each applies one step to a network's parameters from their gradients, in place.

step(params, grads, learning_rate, n_decayed): params is the network's one parameter buffer
(Network.parameters: the weights W_1..W_L, then the biases) and grads a buffer laid out the same
way; each pass of a rule is then one numpy call over every weight and bias, not one per array.
The gradient buffer may be used as scratch space (its values are spent). The optimizer keeps its
own state (moments, velocities), one buffer per name laid out as params, and the step count t.
The learning rate is passed to every step (a schedule changes it between epochs). Rules follow
PyTorch's torch.optim, so the two can be compared step by step; weight_decay is an L2 term added
to the weights' gradients (decoupled from them in AdamW): the first n_decayed entries, the
weights; biases never decay. l1 adds l1 sign(W) to the same entries (L1 regularization, as
TensorFlow Playground has it). Neither penalty is part of the cost training reports.
"""

import math

import numpy as np

from .. import blas
from ..errors import ShapeError, unknown_name


class Optimizer:
    """Base class: holds the step count t and the state buffers (moments, velocities)."""

    name = ""
    default_learning_rate = 0.1
    options = ("weight_decay", "l1")  # the keyword options this optimizer takes (TrainingOptions checks them)
    buffers = ()  # the names of its state buffers, each laid out as the parameters

    def __init__(self, weight_decay=0.0, l1=0.0):
        self.weight_decay = weight_decay
        self.l1 = l1
        self.t = 0          # steps taken
        self.state = {}     # name -> 1-D array laid out as the parameters

    def step(self, params, grads, learning_rate, n_decayed=0):
        """Update the 1-D buffer params in place from grads (same shape); L2 and L1 on params[:n_decayed]."""
        self.t += 1
        state = [self._buffer(name, params) for name in self.buffers]
        if n_decayed and self.l1:
            self._l1(params[:n_decayed], grads[:n_decayed])
        if n_decayed and self.weight_decay:
            self._decay(params[:n_decayed], grads[:n_decayed], learning_rate)
        self._update(params, grads, learning_rate, *state)

    def _buffer(self, name, params):
        """The state buffer name, made (zeros shaped like params) on the first step."""
        buffer = self.state.get(name)
        if buffer is None:
            buffer = self.state[name] = np.zeros_like(params)
        elif buffer.shape != params.shape or buffer.dtype != params.dtype:
            raise ShapeError(f"the {self.name} optimizer's {name} is {buffer.shape} {buffer.dtype}, but the "
                             f"parameters are {params.shape} {params.dtype}: state from another network")
        return buffer

    def _l1(self, p, g):
        """g <- g + l1 sign(W): a subgradient of l1 ||W||_1 (at W = 0, sign gives 0, a valid choice)."""
        blas.add_scaled(g, np.sign(p), self.l1)

    def _decay(self, p, g, learning_rate):
        """Weight decay as an L2 term, as torch.optim does: g <- g + wd W, the gradient of (wd/2) ||W||^2."""
        blas.add_scaled(g, p, self.weight_decay)

    def _update(self, p, g, learning_rate, *state):
        """The rule on all parameters p at once, their gradients g (scratch space once spent), its state buffers."""
        raise NotImplementedError

    def settings(self):
        """The options this optimizer was built with, by name."""
        return {name: getattr(self, name) for name in self.options}

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
        cost): W_l <- (1 - lr wd) W_l - lr delta_l a_{l-1}^T - lr l1 sign(W_l), b_l <- b_l - lr sum_i delta_l.
        Equal to step() with the gradients of (BP3) and (BP4); a test checks that.
        """
        self.t += 1
        decay = 1.0 - learning_rate * self.weight_decay  # (1 - lr wd) W: the L2 term's share of the step
        ones = blas.ones(delta[-1].shape[1], delta[-1].dtype)[:, None]
        for l in range(1, len(weights) + 1):
            signs = np.sign(weights[l - 1]) if self.l1 else None  # sign(W_l) before the step, as step() takes it
            # (BP3) and (BP4) with the step: W_l <- decay W_l - lr delta_l a_{l-1}^T, b_l <- b_l - lr delta_l 1
            blas.gemm(delta[l], a[l - 1].T, weights[l - 1], -learning_rate, decay)
            if self.l1:
                blas.add_scaled(weights[l - 1], signs, -learning_rate * self.l1)  # - lr l1 sign(W_l)
            blas.gemm(delta[l], ones, biases[l - 1][:, None], -learning_rate, 1.0)


class Momentum(Optimizer):
    """v <- mu v + g;  p <- p - lr v (heavy-ball momentum)."""

    name = "momentum"
    default_learning_rate = 0.01
    options = ("momentum", "weight_decay", "l1")
    buffers = ("velocity",)

    def __init__(self, momentum=0.9, weight_decay=0.0, l1=0.0):
        super().__init__(weight_decay, l1)
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
    options = ("beta1", "beta2", "eps", "weight_decay", "l1")
    buffers = ("m", "v")

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, l1=0.0):
        super().__init__(weight_decay, l1)
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

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, l1=0.0):
        super().__init__(beta1, beta2, eps, weight_decay, l1)

    def _decay(self, p, g, learning_rate):
        p *= 1 - learning_rate * self.weight_decay  # p <- p - lr wd p, apart from the gradient


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adam, AdamW)}


def get_optimizer(name, **options):
    """A new optimizer by name with its options (only those it takes; TrainingOptions checks them first)."""
    if name not in OPTIMIZERS:
        raise unknown_name("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](**options)
