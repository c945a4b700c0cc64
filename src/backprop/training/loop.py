"""The training loop, in named stages: prepare the data, then per epoch one pass of mini-batches,
the divergence guard, validation, the history and the stopping rules.

The engine (network.py) computes gradients; this module decides which samples they are computed
on, and the optimizer applies them. Everything random is drawn from the options' seed.
"""

import copy
import math
import time
from dataclasses import dataclass

import numpy as np

from ..checks import as_inputs, as_sample_weight, as_targets
from ..errors import ConfigError, DivergenceError, ShapeError
from .history import History
from .interrupts import deferred_signals
from .options import TrainingOptions
from .schedules import get_schedule
from .state import training_state


def train(net, X, Y, *, sample_weight=None, validation_data=None, callbacks=(), options=None, **changes):
    """Train net on X (n_samples, n_0) and Y (n_samples, n_L) or 1-D class labels; returns this run's History.

    Options are the fields of TrainingOptions, as keywords or as options= (a TrainingOptions or a dict).
    A second call continues from the current weights and optimizer state (a warm start); the epoch
    count goes on from there. A non-finite cost or runaway weights raise DivergenceError, and Ctrl-C,
    SIGTERM or SIGHUP raise training.Interrupted; either way the weights (and the optimizer's state)
    of the last completed epoch are put back first.
    """
    options = TrainingOptions.build(options, **changes)
    if options.seed is None:
        options = TrainingOptions.build(options, seed=net.seed)
    data = prepare_data(net, X, Y, sample_weight, validation_data, options)
    state = training_state(net, options)
    run = History()
    for cb in callbacks:
        cb.on_train_begin({"epochs": options.epochs, "batches_per_epoch": math.ceil(data.n / data.batch_size),
                           "n_samples": data.n, "first_epoch": state.epochs_trained})
    # Overflow on the way to divergence is expected and reported below as a DivergenceError, so
    # numpy's own warnings would only repeat it less clearly.
    try:
        with deferred_signals() as check_signals, np.errstate(over="ignore", invalid="ignore"):
            run_epochs(net, data, state, options, run, callbacks, check_signals)
    finally:  # the epochs are already in state.history (a checkpoint holds them all); how it ended:
        state.history.stop_reason, state.history.best_epoch = run.stop_reason, run.best_epoch
        for cb in callbacks:
            cb.on_train_end(run)
    return run


# ---- stage 1: the data -------------------------------------------------------------------------
@dataclass
class TrainingData:
    """Checked arrays: X (n, n_0), Y (n, n_L), relative sample weights r (n,) or None, validation or None."""

    X: np.ndarray
    Y: np.ndarray
    r: np.ndarray | None
    validation: tuple | None
    classification: bool
    batch_size: int

    @property
    def n(self):
        return self.X.shape[0]


def prepare_data(net, X, Y, sample_weight, validation_data, options):
    """Check and convert the inputs, fold in class weights, split off the validation set."""
    X = as_inputs(X, net.sizes[0], net.dtype)
    Y = as_targets(Y, X.shape[0], net.sizes[-1], net.dtype)
    r = as_sample_weight(sample_weight, X.shape[0], net.dtype)
    classification = is_classification(Y)
    if options.class_weight is not None and classification:
        r = class_weights(Y, options.class_weight, r)
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ConfigError("validation_data must be a pair (X_val, Y_val)")
        Xv = as_inputs(validation_data[0], net.sizes[0], net.dtype)
        validation = (Xv, as_targets(validation_data[1], Xv.shape[0], net.sizes[-1], net.dtype))
    else:
        split = options.validation_split or (0.1 if options.early_stopping else 0.0)
        if split:
            (X, Y, r), validation = split_validation(X, Y, r, split, options.seed)
    m = X.shape[0] if options.batch_size is None else min(options.batch_size, X.shape[0])
    return TrainingData(X, Y, r, validation, classification, m)


def split_validation(X, Y, r, fraction, seed):
    """((X, Y, r) to train on, (X_val, Y_val)): a seeded random fraction held out."""
    n_val = int(round(fraction * X.shape[0]))
    if n_val < 1 or n_val >= X.shape[0]:
        raise ConfigError(f"validation_split {fraction} leaves no samples for validation or for training "
                          f"out of {X.shape[0]}; pass validation_split=0 or more data")
    order = epoch_rng(seed, 2**31).permutation(X.shape[0])
    keep, held = np.sort(order[n_val:]), np.sort(order[:n_val])
    r_keep = None if r is None else r[keep] * (len(keep) / r[keep].sum())
    return (X[keep], Y[keep], r_keep), (X[held], Y[held])


def class_weights(Y, class_weight, r):
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


def is_classification(Y):
    """True when Y (n_samples, n_outputs) holds one-hot rows, or 0/1 labels in one column."""
    binary = np.isin(Y, (0, 1)).all()
    return bool(binary and (Y.shape[1] == 1 or (Y.sum(axis=1) == 1).all()))


def epoch_rng(seed, *keys):
    """A generator from the seed and keys (epoch numbers)."""
    return np.random.default_rng([seed, *keys])


# ---- the epochs ----------------------------------------------------------------------------------
def run_epochs(net, data, state, options, run, callbacks, check_signals):
    """Train options.epochs epochs, appending each to run; stops early on tol or early stopping."""
    params = own_parameters(net)
    optimizer = state.optimizer
    lr0 = options.learning_rate or optimizer.default_learning_rate
    schedule, schedule_settings = get_schedule(options.schedule), options.schedule_settings()
    first, last = state.epochs_trained, state.epochs_trained + options.epochs
    start = Snapshot(params, optimizer)          # the last completed epoch: put back on divergence or a signal
    guard = DivergenceGuard(params, options.max_weight_growth)
    best = EarlyStopping(options.early_stopping)
    batches = Batches(net, data)
    for epoch in range(first + 1, last + 1):
        started = time.perf_counter()
        start.take(params, optimizer)
        learning_rate = schedule(lr0, epoch - 1, last, **schedule_settings)
        order = epoch_rng(options.seed, epoch).permutation(data.n) if options.shuffle else np.arange(data.n)
        try:
            cost, accuracy = one_epoch(net, batches, optimizer, learning_rate, order, epoch, callbacks, check_signals)
            guard.check_weights(params)
        except Diverged as exc:
            start.restore(params, net)
            run.stop_reason = "diverged"
            raise DivergenceError(
                f"training diverged at epoch {epoch}, batch {exc.batch}: {exc}; the weights from the start of "
                f"epoch {epoch} were put back. Try a smaller learning rate than {learning_rate:g} "
                f"(say {learning_rate / 10:g}) or scale the inputs",
                epoch=epoch, batch=exc.batch, learning_rate=learning_rate) from None
        except KeyboardInterrupt:
            start.restore(params, net)
            run.stop_reason = "interrupted"
            raise
        row = {"epoch": epoch, "cost": cost, "accuracy": accuracy, **validate(net, data),
               "learning_rate": learning_rate, "seconds": time.perf_counter() - started}
        run.append(row)
        state.history.append(row)
        stop = best.should_stop(row, params)
        state.history.best_epoch = best.epoch
        for cb in callbacks:
            cb.on_epoch_end(epoch, row)
        if stop:
            run.stop_reason = "early_stopping"
            break
        if options.tol is not None and cost < options.tol:
            run.stop_reason = "tol"
            break
    else:
        run.stop_reason = "completed"
    if best.epoch is not None:
        best.restore(params)
        run.best_epoch = best.epoch


def own_parameters(net):
    """net's weights then biases, each made a writable C-ordered array of net.dtype (copied if it was not)."""
    for arrays, kind in ((net.weights, "W"), (net.biases, "b")):
        for l, (p, n_out, n_in) in enumerate(zip(arrays, net.sizes[1:], net.sizes[:-1])):
            shape = (n_out, n_in) if kind == "W" else (n_out,)
            if np.shape(p) != shape:
                raise ShapeError(f"{kind}_{l + 1} has shape {np.shape(p)}, but layer {l + 1} needs {shape}")
            if not (isinstance(p, np.ndarray) and p.dtype == net.dtype and p.flags.c_contiguous and p.flags.writeable):
                arrays[l] = np.array(p, dtype=net.dtype, order="C")
    return net.weights + net.biases


class Batches:
    """The mini-batches of an epoch, with preallocated z_l, a_l, delta_l for each batch size."""

    def __init__(self, net, data):
        self.net, self.data, self.workspaces = net, data, {}
        self.grad_w = [np.empty_like(W) for W in net.weights]
        self.grad_b = [np.empty_like(b) for b in net.biases]

    def __call__(self, order):
        """Yields (x (n_0, m), y (n_L, m), r (m,) or None, workspace) for each batch of the order."""
        m = self.data.batch_size
        for start in range(0, len(order), m):
            index = order[start:start + m]
            if len(index) not in self.workspaces:  # the batch size, and the last short batch
                self.workspaces[len(index)] = Workspace(self.net, len(index))
            # A plain gather into a fresh array is faster here than np.take(..., out=buffer); its
            # transpose is the columns the engine wants, as a view.
            r = None if self.data.r is None else self.data.r[index]
            yield self.data.X[index].T, self.data.Y[index].T, r, self.workspaces[len(index)]


class Workspace:
    """Preallocated z_l, a_l and delta_l for one batch size m."""

    def __init__(self, net, m):
        self.z = [None] + [np.empty((n, m), dtype=net.dtype) for n in net.sizes[1:]]
        self.a = [None] + [np.empty((n, m), dtype=net.dtype) for n in net.sizes[1:]]
        self.delta = [None] + [np.empty((n, m), dtype=net.dtype) for n in net.sizes[1:]]


class Diverged(Exception):
    """Raised inside an epoch; run_epochs puts the weights back and raises DivergenceError."""

    def __init__(self, what, batch):
        super().__init__(what)
        self.batch = batch


def one_epoch(net, batches, optimizer, learning_rate, order, epoch, callbacks, check_signals):
    """One pass over the batches of order: backprop, then the optimizer's step. (mean cost, accuracy or None)."""
    params, grads = net.weights + net.biases, batches.grad_w + batches.grad_b
    # Plain SGD can take (BP3) and its step in one BLAS call per layer (optimizers.SGD.step_from_deltas).
    fused = getattr(optimizer, "step_from_deltas", None)
    total_cost, correct = 0.0, 0
    for batch, (x, y, r, ws) in enumerate(batches(order), start=1):
        if fused:
            a, delta = net.backprop(x, y, r, None, None, ws.z, ws.a, ws.delta)
        else:
            a, delta = net.backprop(x, y, r, batches.grad_w, batches.grad_b, ws.z, ws.a, ws.delta)
        cost = net.cost_of(a[-1], y, r)
        if not math.isfinite(cost):
            raise Diverged(f"the cost became {cost}", batch)
        if fused:
            fused(net.weights, net.biases, delta, a, learning_rate)
        else:
            optimizer.step(params, grads, learning_rate)
        total_cost += cost * x.shape[1]
        if batches.data.classification:
            correct += n_correct(a[-1], y)
        for cb in callbacks:
            cb.on_batch_end(batch - 1, {"epoch": epoch, "cost": cost})
        check_signals()
    n = len(order)
    return total_cost / n, (correct / n if batches.data.classification else None)


def n_correct(a, y):
    """How many columns of a (n_L, m) pick the class of y: arg max, or a 0.5 threshold for one output."""
    if a.shape[0] == 1:
        return int(((a[0] > 0.5) == (y[0] > 0.5)).sum())
    return int((a.argmax(axis=0) == y.argmax(axis=0)).sum())


def validate(net, data):
    """{"val_cost", "val_accuracy"} on the validation set (None without one)."""
    if data.validation is None:
        return {"val_cost": None, "val_accuracy": None}
    Xv, Yv = data.validation
    a_L = net.forward(Xv.T)[1][-1]
    accuracy = n_correct(a_L, Yv.T) / Xv.shape[0] if data.classification else None
    return {"val_cost": net.cost_of(a_L, Yv.T), "val_accuracy": accuracy}


# ---- the guards ----------------------------------------------------------------------------------
def parameter_norm(params):
    """sqrt(sum of squares) over every parameter array, as a float."""
    return math.sqrt(sum(float(np.vdot(p, p)) for p in params))


class Snapshot:
    """A copy of the parameters (and the optimizer's state), taken and put back in place."""

    def __init__(self, params, optimizer=None):
        self.params = [p.copy() for p in params]
        self.optimizer = copy.deepcopy(optimizer)

    def take(self, params, optimizer=None):
        for saved, p in zip(self.params, params):
            np.copyto(saved, p)
        self.optimizer = copy.deepcopy(optimizer)

    def restore(self, params, net=None):
        for p, saved in zip(params, self.params):
            np.copyto(p, saved)
        if net is not None and self.optimizer is not None:
            net.training.optimizer = copy.deepcopy(self.optimizer)


class DivergenceGuard:
    """Raises Diverged once the weights' norm exceeds max_growth times its start (or is not finite)."""

    def __init__(self, params, max_growth):
        self.max_growth = max_growth
        self.limit = math.inf if max_growth is None else max_growth * max(parameter_norm(params), 1e-3)

    def check_weights(self, params):
        # Once an epoch rather than every step: a pass over all weights per batch would cost as much
        # as the update itself. `not <` also catches inf and NaN.
        norm = parameter_norm(params)
        if not norm < self.limit:
            raise Diverged(f"the weights' norm grew to {norm:.3g}, past {self.max_growth:g} times its start", "end")


class EarlyStopping:
    """Keeps the weights of the epoch with the lowest validation cost; stops after `patience` worse ones."""

    def __init__(self, patience):
        self.patience, self.epoch, self.cost, self.best = patience, None, math.inf, None

    def should_stop(self, row, params):
        if not self.patience or row["val_cost"] is None:
            return False
        if row["val_cost"] < self.cost:
            self.cost, self.epoch = row["val_cost"], row["epoch"]
            if self.best is None:
                self.best = Snapshot(params)
            else:
                self.best.take(params)
            return False
        return row["epoch"] - self.epoch >= self.patience

    def restore(self, params):
        self.best.restore(params)
