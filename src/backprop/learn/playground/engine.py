"""The one place the playground touches the rest of backprop: build, train, forward, explain, save.

When the package layout moves, only these imports change.
"""

import os
import tempfile

import numpy as np

from ... import io as model_io
from ...data.sources import read_table
from ...data.preprocessing import Scaler
from ...errors import BackpropError, ConfigError, DataError, DivergenceError
from ..explain import build, explain
from ...gradcheck import relative_error
from ...network import Network
from ...model import Model
from ...training import train

__all__ = ["BackpropError", "ConfigError", "DataError", "DivergenceError", "Model", "Network", "Scaler",
           "explain_step", "forward", "read_csv_bytes", "save_model_bytes", "train_epochs", "worked_example"]


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
    """(X, y, feature_names, target_name) from an uploaded table's bytes (CSV, .gz, Parquet, Feather), read
    and checked by the same reader as the command line's --data, text columns one-hot encoded."""
    X, y, encoder, target = read_table(content, name=name)
    return X, y, encoder.input_names(), target


def read_csv_file(path):
    X, y, encoder, target = read_table(path)
    return X, y, encoder.input_names(), target


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
