"""What training reports: the per-epoch History, and callbacks that receive progress."""

from dataclasses import asdict, dataclass, field

STOP_REASONS = {
    "completed": "ran all epochs",
    "tol": "training cost fell below tol",
    "early_stopping": "validation cost stopped improving; best weights restored",
    "diverged": "cost became non-finite or weights ran away; the epoch's starting weights restored",
    "interrupted": "interrupted; the weights of the last completed epoch kept",
    "checkpoint": "still training when this checkpoint was saved",
}


def number(value, width=0):
    """A cost or rate in at most 5 significant digits, never 0.00000 for a non-zero value (then 1.234e-06)."""
    if value is None:
        return "-".rjust(width)
    text = f"{value:.5f}" if value == 0 or 1e-3 <= abs(value) < 1e4 else f"{value:.4g}"
    return text.rjust(width)


PER_EPOCH = ("epoch", "cost", "accuracy", "val_cost", "val_accuracy", "learning_rate", "seconds")


@dataclass
class History:
    """Per-epoch figures of a training run (one list entry per epoch) and why it stopped."""

    epoch: list = field(default_factory=list)           # global epoch number, 1-based
    cost: list = field(default_factory=list)            # mean training cost over the epoch's batches
    accuracy: list = field(default_factory=list)        # training accuracy (classification), else None
    val_cost: list = field(default_factory=list)        # validation cost, or None
    val_accuracy: list = field(default_factory=list)    # validation accuracy, or None
    learning_rate: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    stop_reason: str = ""
    best_epoch: int | None = None                       # epoch whose weights early stopping kept

    def __len__(self):
        return len(self.epoch)

    @property
    def stop_message(self):
        """The stop reason in words."""
        return STOP_REASONS.get(self.stop_reason, self.stop_reason)

    def as_dict(self):
        """The history as plain lists and strings (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """The inverse of as_dict."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def append(self, row):
        """Add one epoch: row holds a value for every per-epoch field."""
        for name in PER_EPOCH:
            getattr(self, name).append(row[name])

    def extend(self, other):
        """Append another run's epochs (a warm start continues the same history)."""
        for name in PER_EPOCH:
            getattr(self, name).extend(getattr(other, name))
        self.stop_reason, self.best_epoch = other.stop_reason, other.best_epoch

    def table(self, every=1):
        """The history as a fixed-width text table, one row per `every` epochs and the last."""
        columns = [("epoch", "{:>5d}", self.epoch), ("cost", "{:>10}", self.cost),
                   ("acc", "{:>7.2%}", self.accuracy), ("val_cost", "{:>10}", self.val_cost),
                   ("val_acc", "{:>7.2%}", self.val_accuracy), ("lr", "{:>9.3g}", self.learning_rate),
                   ("sec", "{:>6.2f}", self.seconds)]
        columns = [c for c in columns if any(v is not None for v in c[2])]
        widths = [len(fmt.format(1)) if "d" in fmt else len(fmt.format(1.0)) if "%" in fmt or "g" in fmt or "f" in fmt
                  else 10 for _, fmt, _ in columns]
        lines = ["  ".join(name.rjust(w) for (name, _, _), w in zip(columns, widths))]
        rows = [i for i in range(len(self)) if i % every == 0 or i == len(self) - 1 or self.epoch[i] == self.best_epoch]
        for i in rows:
            cells = [number(values[i], w) if fmt == "{:>10}" else fmt.format(values[i]) if values[i] is not None
                     else "-".rjust(w) for (_, fmt, values), w in zip(columns, widths)]
            lines.append("  ".join(cells) + ("  <- best" if self.epoch[i] == self.best_epoch else ""))
        return "\n".join(lines)


class Callback:
    """Receives training progress; override what you need. The library itself never prints."""

    def on_train_begin(self, info):
        """info: dict with epochs, batches_per_epoch, n_samples, first_epoch."""

    def on_batch_end(self, batch, logs):
        """logs: dict with epoch, cost (the batch's cost)."""

    def on_epoch_end(self, epoch, logs):
        """logs: the epoch's row of the History, as a dict."""

    def on_train_end(self, history):
        """history: the History of this run."""
