"""Training data that arrive in chunks each epoch (a table read from disk, data.stream), never all at once.

A chunk is a shuffle buffer's worth of rows; each runs through the loop's own per-batch step
(loop.one_epoch), so a streamed epoch takes exactly the steps an in-memory epoch over the same rows
in the same order would. The epoch's cost and accuracy are the chunks' means weighted by their rows.
"""

import numpy as np

from .data import Batches, TrainingData, epoch_rng
from .guards import Diverged
from .loop import n_correct, one_epoch


class StreamedData:
    """Rows read chunk by chunk. chunks(epoch, rng) and validation_chunks() yield (X (m, n_0), Y (m, n_L)).

    n: the training rows of an epoch (for progress bars); batch_size: rows per mini-batch; a chunk
    holds a whole number of mini-batches except the epoch's last.
    """

    def __init__(self, chunks, n, batch_size, classification, validation_chunks=None, shuffle=True, seed=None):
        self.chunks, self.n, self.batch_size = chunks, n, batch_size
        self.classification, self.validation_chunks = classification, validation_chunks
        self.shuffle, self.seed = shuffle, seed
        self.validation = None  # loop.validate: this data validates itself (validation_metrics)

    def run_epoch(self, net, optimizer, learning_rate, epoch, callbacks, check_signals):
        """One pass over the chunks with the loop's per-batch step; (mean cost, accuracy or None)."""
        rng = epoch_rng(self.seed, epoch)
        cost, correct, seen, batches_done = 0.0, 0.0, 0, 0
        for X, Y in self.chunks(epoch, rng if self.shuffle else None):
            m = X.shape[0]
            chunk = TrainingData(X, Y, None, None, self.classification, min(self.batch_size, m))
            order = rng.permutation(m) if self.shuffle else np.arange(m)
            try:
                c, a = one_epoch(net, Batches(net, chunk), optimizer, learning_rate, order, epoch, callbacks,
                                 check_signals)
            except Diverged as exc:
                raise Diverged(str(exc), batches_done + exc.batch) from None
            batches_done += -(-m // chunk.batch_size)
            cost, seen = cost + c * m, seen + m
            correct += 0.0 if a is None else a * m
        return cost / max(seen, 1), (correct / max(seen, 1) if self.classification else None)

    def validation_metrics(self, net):
        """{"val_cost", "val_accuracy"} over the validation chunks, or None values without them."""
        if self.validation_chunks is None:
            return {"val_cost": None, "val_accuracy": None}
        cost, correct, seen = 0.0, 0, 0
        for X, Y in self.validation_chunks():
            a_L = net.forward(X.T)[1][-1]
            cost += net.cost_of(a_L, Y.T) * X.shape[0]
            correct += n_correct(a_L, Y.T) if self.classification else 0
            seen += X.shape[0]
        if not seen:
            return {"val_cost": None, "val_accuracy": None}
        return {"val_cost": cost / seen, "val_accuracy": correct / seen if self.classification else None}
