"""A progress bar for training, built on tqdm (the optional 'progress' extra)."""

import sys

from .history import Callback


class ProgressBar(Callback):
    """One bar over all batches of a run, showing the epoch and the live cost.

    Off when the stream is not a terminal (unless enabled=True), and a silent no-op when tqdm is
    not installed: pip install 'backprop[progress]'.
    """

    def __init__(self, stream=None, enabled=None, min_interval=0.1):
        self.stream = stream or sys.stderr
        self.enabled = enabled if enabled is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = min_interval
        self.bar = None

    def on_train_begin(self, info):
        if not self.enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=info["epochs"] * info["batches_per_epoch"], file=self.stream, unit="batch",
                        mininterval=self.min_interval, leave=False, dynamic_ncols=True)

    def on_batch_end(self, batch, logs):
        if self.bar is not None:
            self.bar.set_postfix(epoch=logs["epoch"], cost=f"{logs['cost']:.4f}", refresh=False)
            self.bar.update(1)

    def on_train_end(self, history):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
