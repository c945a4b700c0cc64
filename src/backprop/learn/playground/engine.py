"""The one place the playground touches the rest of backprop: build, train, forward, explain, save.

When the package layout moves, only these imports change.
"""

from typing import NamedTuple

import numpy as np

from ... import io as model_io
from ...data.sources import read_table
from ...data.preprocessing import Scaler
from ...errors import BackpropError, ConfigError, DataError, DivergenceError
from ..explain import build, explain
from ...network import Network
from ...model import Model
from ...tasks import TASKS, class_indices, output_layer
from ...training import TrainingOptions, train
from ...training.options import Spec, narrowed

__all__ = ["BackpropError", "ConfigError", "DataError", "DivergenceError", "Model", "Network", "Scaler", "Spec",
           "TASKS", "class_indices", "explain_step", "forward", "output_layer", "read_csv_bytes", "save_model_bytes",
           "train_epochs", "training_spec", "worked_example"]


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
    """explain's JSON-ready dict for one SGD step on a copy of net (net itself is not changed)."""
    return explain(net.copy(), np.asarray(X, dtype=float), np.asarray(Y, dtype=float), learning_rate)


def worked_example():
    """(net, X, Y): the reference's 2-3-2 sigmoid network with the weights `backprop explain` uses."""
    return build()


class Upload(NamedTuple):
    """A table read for the playground: encoded inputs X (n, width), targets y, the inputs' names."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list   # one per input unit: a column, or column=category for a text column
    target_name: str
    encoder: object       # the Encoder that one-hot encodes the text columns, kept in the saved model


def read_csv_bytes(content, name="upload.csv"):
    """The Upload of a table file's bytes, read by the same reader as `backprop train` (in memory)."""
    X, y, encoder, target = read_table(content, name=name)
    return Upload(X, y, encoder.input_names(), target, encoder)


def read_csv_file(path):
    """The Upload of a table file (`backprop playground --data FILE`)."""
    X, y, encoder, target = read_table(path)
    return Upload(X, y, encoder.input_names(), target, encoder)


def save_model_bytes(model, playground=None):
    """A backprop model file (.npz) of model (network, scaler, classes) as bytes; `backprop predict` reads it.

    playground: the page's settings, kept in the file's metadata beside the training state.
    """
    return model_io.to_bytes(model.network, **model.metadata(), playground=playground or {})
