"""The training loop: mini-batches, optimizers, schedules, validation, stopping and history.

The engine (network.py) computes gradients; this module decides which samples they are computed
on and what is done with them. Everything random is drawn from the settings' seed.
"""

import math
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace

import numpy as np

from .arrays import as_inputs, as_sample_weight, as_targets
from .blas import fused_update
from .errors import ConfigError, DivergenceError
from .history import History
from .optimizers import DECOUPLED_DECAY, OPTIMIZERS, get_optimizer
from .schedules import SCHEDULES, get_schedule


@dataclass
class TrainingConfig:
    """Every training setting in one place; the command-line tool builds one from its flags."""

    epochs: int = 10
    batch_size: int | None = 32          # None: the whole data set in one batch (the reference)
    learning_rate: float | None = None   # None: the optimizer's default (sgd 0.1, adam 0.001, ...)
    optimizer: str = "sgd"               # one of OPTIMIZERS
    momentum: float = 0.9                # momentum and nesterov
    beta1: float = 0.9                   # adam and adamw
    beta2: float = 0.999
    weight_decay: float = 0.0            # L2 on weights only (decoupled for adamw)
    schedule: str = "constant"           # one of SCHEDULES
    step_size: int = 10                  # epochs between drops, for the step schedule
    gamma: float | None = None           # decay factor for step/exponential; None: the schedule's default
    validation_split: float = 0.0        # fraction of the data held out for validation
    early_stopping: int | None = None    # patience in epochs on the validation cost; None: off
    tol: float | None = None             # stop once the training cost is below tol
    max_weight_growth: float | None = 1e3  # diverged once ||params|| exceeds this times its start value
    class_weight: str | dict | None = None  # "balanced", {class index: weight}, or None
    shuffle: bool = True
    seed: int | None = None              # None: the network's seed

    def check(self):
        """Raise ConfigError for any setting out of range; return self."""
        def need(ok, message):
            if not ok:
                raise ConfigError(message)
        need(isinstance(self.epochs, (int, np.integer)) and self.epochs >= 1,
             f"epochs must be an integer >= 1, got {self.epochs!r}")
        need(self.batch_size is None or (isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1),
             f"batch_size must be an integer >= 1 or None for full batch, got {self.batch_size!r}")
        need(self.learning_rate is None or (math.isfinite(self.learning_rate) and self.learning_rate > 0),
             f"learning_rate must be a positive number, got {self.learning_rate!r}")
        need(self.optimizer in OPTIMIZERS,
             f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
        need(self.schedule in SCHEDULES, f"unknown schedule {self.schedule!r}; choose one of: {', '.join(SCHEDULES)}")
        need(self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}")
        need(0 <= self.validation_split < 1, f"validation_split must lie in [0, 1), got {self.validation_split}")
        need(self.early_stopping is None or self.early_stopping >= 1,
             f"early_stopping (patience) must be >= 1, got {self.early_stopping}")
        need(self.tol is None or self.tol >= 0, f"tol must be >= 0, got {self.tol}")
        need(self.max_weight_growth is None or self.max_weight_growth > 1,
             f"max_weight_growth must be > 1 or None, got {self.max_weight_growth}")
        need(self.class_weight in (None, "balanced") or isinstance(self.class_weight, dict),
             f"class_weight must be 'balanced', a dict or None, got {self.class_weight!r}")
        return self


def make_config(config=None, **settings):
    """A checked TrainingConfig from an optional base config and keyword overrides."""
    known = {f.name for f in fields(TrainingConfig)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"unknown training setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    return replace(config or TrainingConfig(), **settings).check()


def _rng(seed, *keys):
    """A generator from the seed and keys (epoch numbers), or from the OS when seed is None."""
    return np.random.default_rng(None if seed is None else [seed, *keys])


def parameter_norm(params):
    """sqrt(sum of squares) over every parameter array, as a float."""
    return math.sqrt(sum(float(np.vdot(p, p)) for p in params))


def is_classification(Y):
    """True when Y (n_samples, n_outputs) holds one-hot rows, or 0/1 labels in one column."""
    binary = np.isin(Y, (0, 1)).all()
    return bool(binary and (Y.shape[1] == 1 or (Y.sum(axis=1) == 1).all()))


def n_correct(a, y):
    """How many columns of a (n_L, m) pick the class of y: arg max, or a 0.5 threshold for one output."""
    if a.shape[0] == 1:
        return int(((a[0] > 0.5) == (y[0] > 0.5)).sum())
    return int((a.argmax(axis=0) == y.argmax(axis=0)).sum())


class Workspace:
    """Preallocated z_l, a_l and delta_l for one batch size, reused by every step of that size."""

    def __init__(self, net, m):
        new = lambda n: np.empty((n, m), dtype=net.dtype)  # noqa: E731
        self.z = [None] + [new(n) for n in net.sizes[1:]]
        self.a = [None] + [new(n) for n in net.sizes[1:]]
        self.delta = [None] + [new(n) for n in net.sizes[1:]]


def gather_batch(X, Y, r, index):
    """The batch's x (n_0, m), y (n_L, m) and r (m,): its rows gathered, seen as columns (a view)."""
    # A plain gather into a fresh array is faster here than np.take(..., out=buffer).
    return X[index].T, Y[index].T, None if r is None else r[index]


@contextmanager
def deferred_interrupt():
    """Hold Ctrl-C until the current step has finished; yields a function that says if it came."""
    received = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main thread: interrupts cannot arrive here anyway
        previous = None
    try:
        yield lambda: bool(received)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _split(X, Y, r, config, validation_data, net):
    """(training arrays, validation arrays or None) from validation_data or validation_split."""
    split = config.validation_split or (0.1 if config.early_stopping and validation_data is None else 0.0)
    if validation_data is not None:
        Xv = as_inputs(validation_data[0], net.sizes[0], net.dtype)
        return (X, Y, r), (Xv, as_targets(validation_data[1], Xv.shape[0], net.sizes[-1], net.dtype))
    if not split:
        return (X, Y, r), None
    n_val = int(round(split * X.shape[0]))
    if n_val < 1 or n_val >= X.shape[0]:
        raise ConfigError(f"validation_split {split} leaves no samples for validation or training of {X.shape[0]}")
    order = _rng(config.seed, 2**31).permutation(X.shape[0])
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    return (X[train], Y[train], None if r is None else r[train] * (len(train) / r[train].sum())), (X[val], Y[val])


def _class_weights(Y, class_weight, r):
    """Fold class_weight ("balanced" or {class index: weight}) into the relative sample weights r (mean 1)."""
    labels = Y.argmax(axis=1) if Y.shape[1] > 1 else (Y[:, 0] > 0.5).astype(int)
    k = max(Y.shape[1], 2)
    if class_weight == "balanced":
        counts = np.bincount(labels, minlength=k)
        per_class = np.where(counts > 0, len(labels) / (k * np.maximum(counts, 1)), 0.0)
    else:
        per_class = np.array([float(class_weight.get(c, 1.0)) for c in range(k)])
    s = per_class[labels] * (1.0 if r is None else r)
    return as_sample_weight(s, len(labels), Y.dtype)


def train(net, X, Y, *, sample_weight=None, validation_data=None, callbacks=(), config=None, **settings):
    """Train net on X (n_samples, n_0), Y (n_samples, n_L) or class labels; returns a History.

    Settings are those of TrainingConfig, as keywords or as config=. A second call continues from
    the current weights and optimizer state (warm start), and the epoch count goes on from there.
    Raises DivergenceError if the cost becomes non-finite or the weights' norm grows past
    max_weight_growth times its start; the weights from the start of that epoch are restored.
    """
    config = make_config(config, **settings)
    seed = net.seed if config.seed is None else config.seed
    config = replace(config, seed=seed)
    X = as_inputs(X, net.sizes[0], net.dtype)
    Y = as_targets(Y, X.shape[0], net.sizes[-1], net.dtype)
    classification = is_classification(Y)
    r = as_sample_weight(sample_weight, X.shape[0], net.dtype)
    if config.class_weight is not None and classification:
        r = _class_weights(Y, config.class_weight, r)
    (X, Y, r), validation = _split(X, Y, r, config, validation_data, net)

    optimizer = net.optimizer
    options = {"momentum": config.momentum, "beta1": config.beta1, "beta2": config.beta2,
               "weight_decay": config.weight_decay}
    if optimizer is None or optimizer.name != config.optimizer:
        optimizer = get_optimizer(config.optimizer, config.learning_rate, **options)
    else:  # warm start: keep the state (step count, moments), take the settings given now
        for name, value in options.items():
            if hasattr(optimizer, name):
                setattr(optimizer, name, value)
    lr0 = optimizer.default_learning_rate if config.learning_rate is None else config.learning_rate
    net.optimizer, net.training_config = optimizer, config
    schedule = get_schedule(config.schedule)
    schedule_options = {"step_size": config.step_size, **({} if config.gamma is None else {"gamma": config.gamma})}
    l2 = 0.0 if config.optimizer in DECOUPLED_DECAY else config.weight_decay

    n = X.shape[0]
    m = n if config.batch_size is None else min(config.batch_size, n)
    params = net.weights + net.biases
    grad_w = [np.empty_like(W) for W in net.weights]
    grad_b = [np.empty_like(b) for b in net.biases]
    backup = [p.copy() for p in params]  # the parameters at the start of the epoch, checked finite
    norm_limit = config.max_weight_growth and config.max_weight_growth * max(parameter_norm(params), 1e-3)
    best = None                          # (val_cost, epoch, parameters) for early stopping
    workspaces = {}
    first_epoch = net.epochs_trained
    history = History()
    for cb in callbacks:
        cb.on_train_begin({"epochs": config.epochs, "batches_per_epoch": math.ceil(n / m),
                           "n_samples": n, "first_epoch": first_epoch})

    def restore(saved):
        for p, s in zip(params, saved):
            np.copyto(p, s)

    def diverged(what, epoch, batch):
        restore(backup)
        history.stop_reason = "diverged"
        lr = optimizer.learning_rate
        raise DivergenceError(
            f"training diverged at epoch {epoch}, batch {batch + 1}: {what}; the weights from the start of "
            f"epoch {epoch} (the last checked finite) were restored. Try a smaller learning rate than {lr:g} "
            f"(say {lr / 10:g}) or scale the inputs",
            epoch=epoch, batch=batch + 1, learning_rate=lr)

    # Overflow on the way to divergence is expected and is checked for below (a non-finite cost or
    # runaway weights raise DivergenceError), so numpy's own warnings would only repeat it less clearly.
    with deferred_interrupt() as interrupted, np.errstate(over="ignore", invalid="ignore"):
        try:
            for epoch in range(first_epoch + 1, first_epoch + config.epochs + 1):
                started = time.perf_counter()
                for p, saved in zip(params, backup):
                    np.copyto(saved, p)
                optimizer.learning_rate = schedule(lr0, epoch - 1, first_epoch + config.epochs, **schedule_options)
                # Plain SGD is linear in the gradient: backprop can hand it lr * dC/dW directly,
                # which spares one pass over every weight per step (see SGD.step).
                scale = optimizer.learning_rate if optimizer.takes_prescaled else 1.0
                # ... and with no weight decay, the step itself can be one BLAS call per layer.
                gemm_step = fused_update(net.dtype) if optimizer.takes_prescaled and not l2 else None
                order = _rng(seed, epoch).permutation(n) if config.shuffle else np.arange(n)
                total_cost, correct = 0.0, 0
                for batch, start in enumerate(range(0, n, m)):
                    index = order[start:start + m]
                    if len(index) not in workspaces:  # the batch size, and the last short batch
                        workspaces[len(index)] = Workspace(net, len(index))
                    ws = workspaces[len(index)]
                    x, y, rb = gather_batch(X, Y, r, index)
                    a = net.backprop(x, y, rb, grad_w, grad_b, ws.z, ws.a, ws.delta, scale=scale, descend=gemm_step)
                    cost = net.cost_of(a[-1], y, rb)
                    if not math.isfinite(cost):
                        diverged(f"the cost became {cost}", epoch, batch)
                    if gemm_step:  # backprop has taken the plain gradient-descent step itself
                        optimizer.t += 1
                    else:
                        if l2:
                            for g, W in zip(grad_w, net.weights):
                                g += (scale * l2) * W  # gradient of the L2 term (l2/2) ||W||^2
                        optimizer.step(params, grad_w + grad_b, prescaled=scale != 1.0)
                    total_cost += cost * len(index)
                    if classification:
                        correct += n_correct(a[-1], y)
                    for cb in callbacks:
                        cb.on_batch_end(batch, {"epoch": epoch, "cost": cost})
                    if interrupted():
                        raise KeyboardInterrupt
                # Checked once an epoch rather than every step: a pass over all weights per batch
                # would cost as much as the update itself. `not <` also catches inf and NaN.
                norm = parameter_norm(params)
                if not norm < (norm_limit or math.inf):
                    diverged(f"the weights' norm grew to {norm:.3g}, past {config.max_weight_growth:g} times its "
                             "start", epoch, batch)
                val_cost = val_acc = None
                if validation is not None:
                    a_val = net.forward(validation[0].T)[1][-1]
                    val_cost = net.cost_of(a_val, validation[1].T)
                    val_acc = n_correct(a_val, validation[1].T) / validation[0].shape[0] if classification else None
                row = {"epoch": epoch, "cost": total_cost / n, "accuracy": correct / n if classification else None,
                       "val_cost": val_cost, "val_accuracy": val_acc, "learning_rate": optimizer.learning_rate,
                       "seconds": time.perf_counter() - started}
                for key, value in row.items():
                    getattr(history, key).append(value)
                net.epochs_trained = epoch
                for cb in callbacks:
                    cb.on_epoch_end(epoch, row)
                if config.early_stopping and val_cost is not None:
                    if best is None or val_cost < best[0]:
                        best = (val_cost, epoch, [p.copy() for p in params])
                    elif epoch - best[1] >= config.early_stopping:
                        history.stop_reason = "early_stopping"
                        break
                if config.tol is not None and row["cost"] < config.tol:
                    history.stop_reason = "tol"
                    break
                if interrupted():
                    raise KeyboardInterrupt
            else:
                history.stop_reason = "completed"
            if best is not None:
                restore(best[2])
                history.best_epoch = best[1]
        except KeyboardInterrupt:
            history.stop_reason = "interrupted"
            raise
        finally:
            _record(net, history, callbacks)
    return history


def _record(net, history, callbacks):
    """Append this run to the network's history and tell the callbacks that training ended."""
    if net.history is None:
        net.history = History()
    net.history.extend(history)
    for cb in callbacks:
        cb.on_train_end(history)

