"""The one place the playground touches the rest of backprop: build, train, forward, explain, save.

When the package layout moves, only these imports change.
"""

import os
import tempfile

import numpy as np

from ... import io as model_io
from ...data.files import read_csv
from ...data.preprocessing import Scaler
from ...errors import BackpropError, ConfigError, DataError, DivergenceError
from ..explain import build, explain
from ...gradcheck import relative_error
from ...network import Network
from ...model import Model
from ...tasks import TASKS, class_indices, output_layer
from ...training import TrainingOptions, train
from ...training.options import Spec, narrowed

__all__ = ["BackpropError", "ConfigError", "DataError", "DivergenceError", "Model", "Network", "Scaler", "Spec",
           "TASKS", "class_indices", "training_spec", "explain_step", "forward", "output_layer", "read_csv_bytes", "save_model_bytes",
           "train_epochs", "worked_example"]


def training_spec(name, **changes):
    """The Spec of the training option name, narrowed by changes (backprop.training.options)."""
    return narrowed(TrainingOptions, name, **changes)


def train_epochs(net, X, Y, epochs, **settings):
    """Train net in place for epochs more epochs (warm start); settings as backprop's train takes them."""
    train(net, X, Y, epochs=epochs, **settings)


def forward(net, X):
    """(z, a) lists for X (n_samples, n_0): z[l], a[l] of shape (n_l, n_samples), a[0] = X.T."""
    return net.forward(np.ascontiguousarray(X.T, dtype=net.dtype))


def cost(net, X, Y):
    return net.cost(X, Y)


def explain_step(net, X, Y, learning_rate):
    """explain's JSON-ready dict for one SGD step on a copy of net, plus sigma'(z_l) of every unit.

    The per-entry relative errors of each gradient against its finite difference are added, so the
    page's "Check" button shows engine numbers only.
    """
    copy = net.copy()
    step = explain(copy, np.asarray(X, dtype=float), np.asarray(Y, dtype=float), learning_rate)
    z, a = forward(net, np.asarray(X, dtype=float))
    for l, layer in enumerate(step["layers"], start=1):
        act = net.activations[l - 1]
        slope = act.derivative(z[l], a[l]) if act.elementwise else None
        layer["sigma_prime"] = None if slope is None else slope.tolist()
        for key in ("dC_dW", "dC_db"):
            exact, numeric = np.asarray(layer[key]), np.asarray(layer[key + "_numeric"])
            layer[key + "_errors"] = np.vectorize(lambda e, n: relative_error(np.array(e), np.array(n)))(
                exact, numeric).tolist()
    return step


def worked_example():
    """(net, X, Y): the reference's 2-3-2 sigmoid network with the weights `backprop explain` uses."""
    return build()


def read_csv_bytes(content, name="upload.csv"):
    """(X, y, feature_names, target_name) from CSV bytes, checked as the command-line tool checks files."""
    folder = tempfile.mkdtemp(prefix="backprop-playground-")
    path = os.path.join(folder, "upload.csv")
    try:
        with open(path, "wb") as f:
            f.write(content)
        try:
            return read_csv(path)
        except DataError as exc:  # name the upload, not the temporary file
            raise DataError(str(exc).replace(path, name)) from None
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(folder)


def read_csv_file(path):
    return read_csv(path)


def save_model_bytes(model, playground=None):
    """A backprop model file (.npz) of model (network, scaler, classes) as bytes; `backprop predict` reads it.

    playground: the page's settings, kept in the file's metadata beside the training state.
    """
    folder = tempfile.mkdtemp(prefix="backprop-playground-")
    path = os.path.join(folder, "model.npz")
    try:
        model_io.save(path, model.network, **model.metadata(), playground=playground or {})
        with open(path, "rb") as f:
            return f.read()
    finally:
        if os.path.exists(path):
            os.remove(path)
        os.rmdir(folder)
