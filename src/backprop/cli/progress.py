"""The command line's callbacks: per-epoch lines as Keras prints them (the library never prints), a save
after every epoch (--checkpoint), and the decision boundary at a few epochs (--plot)."""

import sys

from .. import plots
from ..training import Callback, state_of
from ..training.history import number
from .common import say


class EpochLines(Callback):
    """Prints one line per epoch (every k-th of a long run, and the last) with validation figures as they come."""

    def __init__(self, stream=None, most=40):
        self.stream, self.most = stream or sys.stdout, most
        self.every, self.last = 1, 1

    def on_train_begin(self, info):
        first, self.epochs = info["first_epoch"], info["epochs"]
        self.last = first + self.epochs
        self.every = max(1, -(-self.epochs // self.most))
        self.width = len(str(self.last))

    def on_epoch_end(self, epoch, logs):
        if epoch % self.every and epoch != self.last:
            return
        parts = [f"epoch {epoch:>{self.width}}/{self.last}", f"cost {number(logs['cost'])}"]
        if logs.get("accuracy") is not None:
            parts.append(f"acc {logs['accuracy']:.2%}")
        if logs.get("val_cost") is not None:
            parts.append(f"val_cost {number(logs['val_cost'])}")
        if logs.get("val_accuracy") is not None:
            parts.append(f"val_acc {logs['val_accuracy']:.2%}")
        parts.append(f"{logs['seconds']:.2f}s")
        print(" - ".join(parts), file=self.stream, flush=True)


class Checkpoint(Callback):
    """Saves the model after every epoch, with the history so far."""

    def __init__(self, save, net):
        self.save, self.net = save, net

    def on_epoch_end(self, epoch, logs):
        state_of(self.net).history.stop_reason = "checkpoint"
        self.save()


class BoundaryFrames(Callback):
    """Records the network's class probabilities over the plane of 2-D data at a few epochs."""

    def __init__(self, model, X, epochs, steps=120):
        self.model, self.points = model, plots.grid(X, steps=steps)[2]
        self.wanted = sorted({1, max(1, epochs // 8), max(1, epochs // 4), max(1, epochs // 2), epochs})
        self.frames, self.count = [], 0

    def on_epoch_end(self, epoch, logs):
        self.count += 1
        if self.count in self.wanted:
            self.frames.append((epoch, self.model.predict_output(self.points)))


def say_stopped(args, history):
    """Why training stopped after how many epochs, and the best epoch where early stopping restored it."""
    if history.best_epoch is not None:
        say(args, f"stopped after {len(history)} epoch(s): {history.stop_message.split(';')[0]}; "
                  f"best epoch {history.best_epoch} restored (its weights are the ones saved)")
    else:
        say(args, f"stopped: {history.stop_message} after {len(history)} epoch(s)")
