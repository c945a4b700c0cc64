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
    """explain's JSON-ready dict for one SGD step on a copy of net (net itself is not changed)."""
    return explain(net.copy(), np.asarray(X, dtype=float), np.asarray(Y, dtype=float), learning_rate)


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
