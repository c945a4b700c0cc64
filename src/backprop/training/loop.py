"""The training loop, in named stages: prepare the data, then per epoch one pass of mini-batches,
the divergence guard, validation, the history and the stopping rules.

The engine (network.py) computes gradients; this module decides which samples they are computed
on, and the optimizer applies them. Everything random is drawn from the options' seed.
"""

import math
import time

import numpy as np

from ..errors import DivergenceError
from ..tasks import class_indices
from .data import Batches, epoch_rng, prepare_data
from .guards import DivergenceGuard, Diverged, EarlyStopping, Snapshot
from .history import Callback, History
from .interrupts import deferred_signals
from .options import TrainingOptions
from .schedules import get_schedule
from .state import state_for_run


def train(net, X, Y, *, sample_weight=None, validation_data=None, callbacks=(), options=None, **changes):
    """Train net on X (n_samples, n_0) and Y (n_samples, n_L) or 1-D class labels; returns this run's History.

    Options are the fields of TrainingOptions, as keywords or as options= (a TrainingOptions or a dict).
    A second call continues from the current weights and optimizer state (a warm start); the epoch
    count goes on from there. A non-finite cost or runaway weights raise DivergenceError, and Ctrl-C,
    SIGTERM or SIGHUP raise training.Interrupted; either way the weights (and the optimizer's state)
    of the last completed epoch are put back first. X may instead be a training.streaming.StreamedData
    (Y None): rows read chunk by chunk each epoch, which validates itself.
    """
    options = TrainingOptions.build(options, **changes)
    if options.seed is None:
        options = TrainingOptions.build(options, seed=net.seed)
    streamed = hasattr(X, "run_epoch")
    data = X if streamed else prepare_data(net, X, Y, sample_weight, validation_data, options)
    state = state_for_run(net, options)
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


# ---- the epochs: one pass of mini-batches each, then the checks ----------------------------------
def run_epochs(net, data, state, options, run, callbacks, check_signals):
    """Train options.epochs epochs, appending each to run; stops early on tol or early stopping."""
    params = net.parameters  # every weight and bias, one buffer: what the snapshots and the guard read
    optimizer = state.optimizer
    lr0 = options.learning_rate or optimizer.default_learning_rate
    schedule, schedule_settings = get_schedule(options.schedule), options.schedule_settings()
    first, last = state.epochs_trained, state.epochs_trained + options.epochs
    start = Snapshot(params, optimizer)          # the last completed epoch: put back on divergence or a signal
    guard = DivergenceGuard(params, options.max_weight_growth)
    best = EarlyStopping(options.early_stopping)
    streamed = hasattr(data, "run_epoch")  # training.streaming: the epoch's rows come in chunks
    batches = None if streamed else Batches(net, data)
    for epoch in range(first + 1, last + 1):
        started = time.perf_counter()
        start.take(params, optimizer)
        learning_rate = schedule(lr0, epoch - 1, last, **schedule_settings)
        try:
            if streamed:
                cost, accuracy = data.run_epoch(net, optimizer, learning_rate, epoch, callbacks, check_signals)
            else:
                order = epoch_rng(options.seed, epoch).permutation(data.n) if options.shuffle else np.arange(data.n)
                cost, accuracy = one_epoch(net, batches, optimizer, learning_rate, order, epoch, callbacks,
                                           check_signals)
            guard.check_weights(params)
        except Diverged as exc:
            start.restore(params, state)
            run.stop_reason = "diverged"
            raise DivergenceError(
                f"training diverged at epoch {epoch}, batch {exc.batch}: {exc}; the weights from the start of "
                f"epoch {epoch} were put back. Try a smaller learning rate than {learning_rate:g} "
                f"(say {learning_rate / 10:g}) or scale the inputs",
                epoch=epoch, batch=exc.batch, learning_rate=learning_rate) from None
        except KeyboardInterrupt:
            start.restore(params, state)
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


def one_epoch(net, batches, optimizer, learning_rate, order, epoch, callbacks, check_signals):
    """One pass over the batches of order: backprop, then the optimizer's step. (mean cost, accuracy or None).

    Each batch's outputs a_L are kept, and the epoch's cost and accuracy are computed from them once,
    at its end (epoch_cost_and_accuracy): one copy a batch instead of four numpy calls. A non-finite
    cost is found there, naming the first batch it appeared in; the loop then puts back the weights
    of the epoch's start.
    """
    # Plain SGD can take (BP3) and its step in one BLAS call per layer (optimizers.SGD.step_from_deltas).
    fused = getattr(optimizer, "step_from_deltas", None)
    # Only callbacks that watch batches (a progress bar) need each batch's cost as it comes.
    watchers = [cb for cb in callbacks if getattr(cb.on_batch_end, "__func__", None) is not Callback.on_batch_end]
    done = 0
    for batch, (x, y, r, ws) in enumerate(batches(order), start=1):
        if fused:
            a, delta = net.backprop(x, y, r, None, None, ws.z, ws.a, ws.delta)
            fused(net.weights, net.biases, delta, a, learning_rate)
        else:
            a, delta = net.backprop(x, y, r, batches.grad_w, batches.grad_b, ws.z, ws.a, ws.delta)
            optimizer.step(net.parameters, batches.grads, learning_rate, net.n_weights)  # weights decay, biases not
        m = x.shape[1]
        batches.outputs[:, done:done + m] = a[-1]  # a_L from the weights this batch saw
        done += m
        for cb in watchers:
            cb.on_batch_end(batch - 1, {"epoch": epoch, "cost": net.cost_of(a[-1], y, r)})
        check_signals()
    return epoch_cost_and_accuracy(net, batches, order)


def epoch_cost_and_accuracy(net, batches, order):
    """(mean cost, accuracy or None) of the epoch just run, from its outputs (n_L, n) in the order's columns.

    Raises Diverged naming the first batch whose cost is not finite.
    """
    data, n, m = batches.data, len(order), batches.data.batch_size
    per_sample = net.cost_function.per_sample(batches.outputs, data.Y[order].T)  # C_i, (n,)
    if data.r is not None:
        per_sample *= data.r[order]
    starts = np.arange(0, n, m)  # each batch's first column, cut as Batches cuts them
    sums = np.add.reduceat(per_sample, starts, dtype=np.float64)  # each batch's sum_i r_i C_i
    bad = np.flatnonzero(~np.isfinite(sums))
    if bad.size:
        first = int(bad[0])
        raise Diverged(f"the cost became {sums[first] / min(m, n - starts[first])}", first + 1)
    cost = float(sums.sum()) / n  # C, the (weighted) mean of the C_i over the epoch
    if batches.classes is None:
        return cost, None
    correct = np.count_nonzero(class_indices(batches.outputs, axis=0) == batches.classes[order])
    return cost, int(correct) / n


def n_correct(a, y):
    """How many columns of a (n_L, m) pick the class of y (one-hot columns, or 0/1 in one row)."""
    return int(np.count_nonzero(class_indices(a, axis=0) == class_indices(y, axis=0)))


def validate(net, data):
    """{"val_cost", "val_accuracy"} on the validation set (None without one)."""
    if hasattr(data, "validation_metrics"):
        return data.validation_metrics(net)
    if data.validation is None:
        return {"val_cost": None, "val_accuracy": None}
    Xv, Yv = data.validation
    a_L = net.forward(Xv.T)[1][-1]
    accuracy = n_correct(a_L, Yv.T) / Xv.shape[0] if data.classification else None
    return {"val_cost": net.cost_of(a_L, Yv.T), "val_accuracy": accuracy}


