"""Optimizers: each turns gradients into an in-place update of the parameters, step(params, grads).

params and grads are matching lists of arrays (the weights, then the biases). Every optimizer
updates the arrays it is given in place, so the network's own arrays change and nothing is
reallocated; it may also use the gradient arrays as scratch space (their values are spent).
Rules follow PyTorch's torch.optim, so the two can be compared step by step.
"""

import inspect

import numpy as np

from .errors import ConfigError, unknown_name


class Optimizer:
    """Base class. learning_rate may be changed between steps (a schedule does)."""

    name = ""
    default_learning_rate = 0.1
    takes_prescaled = False  # True if step() can take gradients already multiplied by learning_rate

    def __init__(self, learning_rate=None):
        self.learning_rate = self.default_learning_rate if learning_rate is None else float(learning_rate)
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate must be positive, got {learning_rate}")
        self.t = 0          # steps taken
        self.state = {}     # name -> list of arrays shaped like params

    def _buffers(self, name, params):
        if name not in self.state:
            self.state[name] = [np.zeros_like(p) for p in params]
        return self.state[name]

    def step(self, params, grads, prescaled=False):
        """Update every array in params in place from the matching gradient in grads."""
        raise NotImplementedError

    def __repr__(self):
        return f"<optimizer {self.name} lr={self.learning_rate:g}>"


class SGD(Optimizer):
    """p <- p - lr g: plain gradient descent, as in the reference."""

    name = "sgd"
    takes_prescaled = True

    def step(self, params, grads, prescaled=False):
        """prescaled=True: grads already hold lr * g (the training loop asks backprop for that)."""
        self.t += 1
        for p, g in zip(params, grads):
            if not prescaled:
                g *= self.learning_rate  # in place: no temporary the size of p
            p -= g


class Momentum(Optimizer):
    """v <- mu v + g;  p <- p - lr v (heavy-ball momentum)."""

    name = "momentum"
    default_learning_rate = 0.01

    def __init__(self, learning_rate=None, momentum=0.9):
        super().__init__(learning_rate)
        if not 0 <= momentum < 1:
            raise ConfigError(f"momentum must lie in [0, 1), got {momentum}")
        self.momentum = momentum

    def step(self, params, grads, prescaled=False):
        self.t += 1
        for p, g, v in zip(params, grads, self._buffers("velocity", params)):
            v *= self.momentum
            v += g
            p -= self.learning_rate * self._direction(g, v)

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

    def __init__(self, learning_rate=None, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(learning_rate)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ConfigError(f"beta1 and beta2 must lie in [0, 1), got {beta1}, {beta2}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def step(self, params, grads, prescaled=False):
        self.t += 1
        # The bias corrections m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t), folded into scalars.
        correction1, correction2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        step_size = self.learning_rate / correction1
        for p, g, m, v in zip(params, grads, self._buffers("m", params), self._buffers("v", params)):
            self._decay(p)
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * (g * g)
            denominator = np.sqrt(v / correction2)
            denominator += self.eps
            p -= step_size * (m / denominator)

    def _decay(self, p):
        """Plain Adam decays nothing itself; an L2 term, if any, is already in the gradient."""


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p - lr wd p before the Adam step, on weights only."""

    name = "adamw"

    def __init__(self, learning_rate=None, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(learning_rate, beta1, beta2, eps)
        if not weight_decay >= 0:
            raise ConfigError(f"weight_decay must be >= 0, got {weight_decay}")
        self.weight_decay = weight_decay

    def _decay(self, p):
        if p.ndim == 2 and self.weight_decay:  # weight matrices decay; bias vectors do not
            p -= (self.learning_rate * self.weight_decay) * p


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adam, AdamW)}
# Which optimizers handle weight decay themselves (decoupled) rather than as an L2 term in the cost.
DECOUPLED_DECAY = ("adamw",)


def get_optimizer(name, learning_rate=None, **options):
    """A new optimizer by name, with its options (momentum, beta1, beta2, eps, weight_decay)."""
    if isinstance(name, Optimizer):
        return name
    if name not in OPTIMIZERS:
        raise unknown_name("optimizer", name, OPTIMIZERS)
    cls = OPTIMIZERS[name]
    accepted = inspect.signature(cls.__init__).parameters
    return cls(learning_rate, **{k: v for k, v in options.items() if k in accepted})
