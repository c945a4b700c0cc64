"""The first stage of training: checked arrays, class weights, the validation split, and the mini-batches."""

from dataclasses import dataclass

import numpy as np

from ..checks import as_inputs, as_sample_weight, as_targets
from ..errors import ConfigError
from ..tasks import class_indices


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
    labels = class_indices(Y)
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
    """A generator from the seed and keys (epoch numbers); from the OS only when no seed was given anywhere."""
    return np.random.default_rng(None if seed is None else [seed, *keys])


class Batches:
    """The mini-batches of an epoch, with preallocated z_l, a_l, delta_l for each batch size."""

    def __init__(self, net, data):
        self.net, self.data, self.workspaces = net, data, {}
        # One buffer laid out as the parameters, (BP3) and (BP4) filling its views: the optimizer's rule
        # then runs on all of it at once.
        self.grads = np.empty_like(net.parameters)
        self.grad_w, self.grad_b = net.views(self.grads)
        # Room for the outputs a_L of every sample of an epoch, and each sample's class index (n,) when
        # classifying: loop.epoch_cost_and_accuracy computes the epoch's cost and accuracy from them.
        self.outputs = np.empty((net.sizes[-1], data.n), net.dtype)
        self.classes = None
        if data.classification:
            self.classes = class_indices(data.Y, axis=1)

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


