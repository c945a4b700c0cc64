"""Optimizers: each applies one step to the parameters from their gradients, in place.

step(params, grads, learning_rate): params and grads are matching lists of arrays (the weights,
then the biases); the network's own arrays change and nothing is reallocated. The gradient
arrays may be used as scratch space (their values are spent). The learning rate is passed to
every step (a schedule changes it between epochs); the step count t is the optimizer's own.
Rules follow PyTorch's torch.optim, so the two can be compared step by step; weight_decay is an
L2 term added to the weights' gradients (decoupled from them in AdamW), biases never decay.
"""

import numpy as np

from ..errors import unknown_name
from .. import blas


class Optimizer:
    """Base class: holds the step count t and the state arrays (moments, velocities)."""

    name = ""
    default_learning_rate = 0.1
    options = ("weight_decay",)  # the keyword options this optimizer takes (TrainingOptions checks them)

    def __init__(self, weight_decay=0.0):
        self.weight_decay = weight_decay
        self.t = 0          # steps taken
        self.state = {}     # name -> list of arrays shaped like params

    def _buffers(self, name, params):
        if name not in self.state:
            self.state[name] = [np.zeros_like(p) for p in params]
        return self.state[name]

    def _add_l2(self, params, grads):
        """g <- g + wd W on the weight matrices: the gradient of (wd/2) ||W||^2."""
        if self.weight_decay:
            for p, g in zip(params, grads):
                if p.ndim == 2:
                    blas.add_scaled(g, p, self.weight_decay)

    def step(self, params, grads, learning_rate):
        """Update every array in params in place from the matching gradient in grads."""
        raise NotImplementedError

    def settings(self):
        """The options this optimizer was built with, by name."""
        return {name: getattr(self, name) for name in self.options}

    def __repr__(self):
        return f"<optimizer {self.name} {self.settings()}>"


class SGD(Optimizer):
    """p <- p - lr g: plain gradient descent, as in the reference."""

    name = "sgd"

    def step(self, params, grads, learning_rate):
        self.t += 1
        self._add_l2(params, grads)
        for p, g in zip(params, grads):
            g *= learning_rate  # in place: no temporary the size of p
            p -= g

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

    def __init__(self, momentum=0.9, weight_decay=0.0):
        super().__init__(weight_decay)
        self.momentum = momentum

    def step(self, params, grads, learning_rate):
        self.t += 1
        self._add_l2(params, grads)
        for p, g, v in zip(params, grads, self._buffers("velocity", params)):
            v *= self.momentum
            v += g
            p -= learning_rate * self._direction(g, v)

    def _direction(self, g, v):
        return v


class Nesterov(Momentum):
    """v <- mu v + g;  p <- p - lr (g + mu v): the gradient looks one momentum step ahead."""

    name = "nesterov"

    def _direction(self, g, v):
        return g + self.momentum * v


class Adam(Optimizer):
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  p <- p - lr m_hat / (sqrt(v_hat) + eps)."""

    name = "adam"
    default_learning_rate = 0.001
    options = ("beta1", "beta2", "eps", "weight_decay")

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(weight_decay)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def step(self, params, grads, learning_rate):
        self.t += 1
        self._decay(params, grads, learning_rate)
        # The bias corrections m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t), folded into scalars.
        correction1, correction2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        step_size = learning_rate / correction1
        # In place, with g as the scratch space once it is spent: a temporary the size of p per
        # operation costs more than the arithmetic (fresh pages for every array past malloc's threshold).
        for p, g, m, v in zip(params, grads, self._buffers("m", params), self._buffers("v", params)):
            m -= g
            m *= self.beta1
            m += g                                # m <- b1 m + (1 - b1) g
            g *= g
            g *= 1 - self.beta2
            v *= self.beta2
            v += g                                # v <- b2 v + (1 - b2) g^2
            denominator = np.divide(v, correction2, out=g)
            np.sqrt(denominator, out=denominator)
            denominator += self.eps               # sqrt(v_hat) + eps
            step = np.divide(m, denominator, out=denominator)
            step *= step_size
            p -= step                             # p <- p - lr m_hat / (sqrt(v_hat) + eps)

    def _decay(self, params, grads, learning_rate):
        self._add_l2(params, grads)  # Adam's weight decay is an L2 term in the gradient (as torch.optim.Adam)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p - lr wd p before the Adam step, on weights only."""

    name = "adamw"

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(beta1, beta2, eps, weight_decay)

    def _decay(self, params, grads, learning_rate):
        for p in params:
            if p.ndim == 2 and self.weight_decay:  # weight matrices decay; bias vectors do not
                p -= (learning_rate * self.weight_decay) * p


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adam, AdamW)}


def get_optimizer(name, **options):
    """A new optimizer by name with its options (only those it takes; TrainingOptions checks them first)."""
    if name not in OPTIMIZERS:
        raise unknown_name("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](**options)
