"""The pieces of a training run's prepare stage (cli/training_run.py): the output paths and run folder, the
small-data rule, the split, the checks of targets and plots, and a new model sized for the data."""

import os
from dataclasses import replace

import numpy as np

from ..data.encoder import Encoder
from ..data.files import warn_if_unscaled
from ..data.preprocessing import Scaler, encode_labels
from ..data.sources import split
from ..errors import ConfigError, DataError
from ..model import Model
from ..network import Network
from ..tasks import output_layer
from .budget import check_layers
from .common import parse_layers, say

def small_data(args, setup, options, given, dataset, resumed):
    """(setup, options) with no test or validation split for fewer than 20 samples, unless the user asked."""
    if len(dataset.X) >= 20 or resumed:
        return setup, options
    for name, where in (("test_split", "setup"), ("validation_split", "options")):
        value = getattr(setup if where == "setup" else options, name)
        if name not in given and value:
            if where == "setup":
                setup = replace(setup, test_split=0.0)
            else:
                options = replace(options, validation_split=0.0)
            say(args, f"note: only {len(dataset.X)} samples, so no {name.replace('_', ' ')} "
                      f"(pass --{name.replace('_', '-')} to insist)")
    return setup, options


def split_rows(setup, options, dataset, task, resumed):
    """(X_train, X_test, y_train, y_test), refusing a split that leaves too little to train on."""
    X_train, X_test, y_train, y_test = split(dataset, task, setup.test_split, options.seed, setup.test_data,
                                             setup.target)
    if task == "classification" and not resumed:
        missing = sorted(set(np.unique(dataset.y).tolist()) - set(np.unique(y_train).tolist()), key=str)
        if missing and setup.test_data is None:
            raise ConfigError(f"--test-split {setup.test_split:g} leaves {len(y_train)} training rows, and no "
                              f"training row of class {', '.join(map(repr, missing[:3]))}; use a smaller --test-split")
    if not resumed and setup.test_data is None and setup.test_split > 0 and len(y_train) < 10:
        raise ConfigError(f"--test-split {setup.test_split:g} leaves only {len(y_train)} of {len(dataset.y)} rows "
                          "for training; use a smaller --test-split")
    return X_train, X_test, y_train, y_test


def output_paths(out):
    """(model file or None, folder): --out PATH.npz is the model file, its plots in PATH-plots/."""
    if out and out.lower().endswith(".npz"):
        if os.path.isdir(out):
            raise ConfigError(f"--out {out}: a folder of that name exists; name a new .npz file or a run folder")
        parent = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(parent):
            raise ConfigError(f"--out {out}: the folder {parent} does not exist")
        return out, out[:-4] + "-plots"
    return None, out


def plottable(X, task):
    """--plot draws 2-D classification data (boundaries over time and hidden units)."""
    return task == "classification" and np.asarray(X).dtype.kind == "f" and np.shape(X)[1] == 2


def square_images(X):
    """Inputs that are square images of side 4 or more: their first-layer weights are drawn as images."""
    side = int(round(np.sqrt(X.shape[1])))
    return side * side == X.shape[1] and side >= 4


def check_targets(model, y, where):
    """y fits the model: known class labels, or as many target columns as the network has outputs."""
    if model.task == "classification":
        model.targets(y)
        return
    k, n_out = (1 if np.ndim(y) == 1 else np.shape(y)[1]), model.network.sizes[-1]
    if k != n_out:
        raise DataError(f"{where}: {k} target column(s), but the model predicts {n_out}")


def new_model(setup, options, dataset, task, X_train, y_train, y_test):
    """A fresh Model: the network sized for the data (backprop.tasks' rule), the scalers fitted on the training rows."""
    classes = None
    if task == "classification":
        _, classes = encode_labels(y_train)
        if len(y_test):
            encode_labels(y_test, classes)  # a test label never seen in training: say so before training
        k = len(classes)
    else:
        k = 1 if y_train.ndim == 1 else y_train.shape[1]
    encoder = dataset.encoder or Encoder()  # a table's X_train holds its encoded inputs already
    warn_if_unscaled(X_train, setup.scale)
    n_out, output, cost = output_layer(task, k, setup.output, setup.cost)
    sizes = [X_train.shape[1], *parse_layers(setup.layers), n_out]
    check_layers(sizes, setup.dtype, options.optimizer)  # before a byte is allocated
    net = Network(sizes, activation=setup.activation,
                  output=output, cost=cost, seed=options.seed, dtype=setup.dtype)
    target_scaler = Scaler.fit(np.asarray(y_train, float).reshape(len(y_train), -1), "standard") \
        if task == "regression" else Scaler()
    return Model(net, task, None if classes is None else classes.tolist(), Scaler.fit(X_train, setup.scale),
                 target_scaler, encoder.input_names() if encoder.active else dataset.feature_names,
                 dataset.target_name, encoder=encoder)


def new_run_folder(name, out):
    """out (created if needed), or the next free runs/NAME-NNN."""
    if out:
        os.makedirs(out, exist_ok=True)
        return out
    base = os.path.join("runs", os.path.basename(name.replace("mnist:", "mnist-")).split(".")[0] or "run")
    for i in range(1, 10000):
        folder = f"{base}-{i:03d}"
        try:
            os.makedirs(folder)
            return folder
        except FileExistsError:
            continue
    raise ConfigError("no free run folder name under runs/; pass --out")
