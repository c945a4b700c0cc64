"""Per-epoch lines while training, as Keras prints them: the CLI's callback (the library never prints)."""

import sys

from ..training import Callback
from ..training.history import number


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
