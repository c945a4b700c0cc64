"""A trained model: the network plus what turns raw rows into its inputs and its outputs into labels.

backprop.save(model_or_network, path) and backprop.load(path) write and read the same .npz files as
the command line: `backprop predict` and `load(path).predict(X)` give the same labels.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from .data import frames
from .data.encoder import MAX_CATEGORIES, Encoder
from .data.preprocessing import Scaler, encode_labels
from .errors import DataError, ModelFileError
from .tasks import class_indices, probabilities
from .training import train


@dataclass
class Model:
    """A trained network plus what maps raw data to its inputs and its outputs back to labels."""

    network: object
    task: str
    classes: list | None = None
    scaler: Scaler = field(default_factory=Scaler)
    target_scaler: Scaler = field(default_factory=Scaler)
    feature_names: list = field(default_factory=list)
    target_name: str | None = None
    data: dict = field(default_factory=dict)   # where the training data came from, and the split
    encoder: Encoder = field(default_factory=Encoder)  # chosen columns and categories of a table, if any

    @classmethod
    def for_data(cls, network, X, y, scale="standard", task="auto", feature_names=None, target_name=None,
                 impute="none", max_categories=MAX_CATEGORIES):
        """A Model around network with its preprocessing fitted on raw X and y: the scaler, the class labels
        (classification) or the target's scaler (regression); train with model.fit(X, y).

        X: an array (n, d), or a pandas/polars DataFrame or Arrow table whose columns the model then knows by
        name (text columns one-hot encoded as the command line does); y: labels or values (n,) or (n, k)."""
        from .data.sources import infer_task
        encoder = Encoder()
        if frames.is_frame(X):
            table = frames.as_table(X)
            encoder = Encoder.fit(table, impute, max_categories)
            X, feature_names = encoder.transform(table), encoder.input_names()
        X = np.asarray(X, dtype=float)
        y = frames.as_vector(y)
        task = infer_task(y, task)
        classes, target_scaler = None, Scaler()
        if task == "classification":
            classes = [_plain(c) for c in encode_labels(y)[1]]
        else:
            target_scaler = Scaler.fit(y.astype(float).reshape(len(y), -1), "standard")
        return cls(network, task, classes, Scaler.fit(X, scale), target_scaler,
                   list(feature_names or []), target_name, encoder=encoder)

    def fit(self, X, y, validation_data=None, **options):
        """Train the network on raw X and y (arrays or frames, as for_data takes them); returns the History."""
        if validation_data is not None:
            validation_data = (self.inputs(validation_data[0]), self.targets(validation_data[1]))
        return train(self.network, self.inputs(X), self.targets(y), validation_data=validation_data, **options)

    def predict(self, X):
        """Labels (classification, in their original names) or values (regression) for raw rows X (n, d)."""
        return self.predict_labels(X)

    def predict_proba(self, X):
        """Class probabilities (n, classes) for raw rows X; classification only."""
        if self.task != "classification":
            raise DataError("predict_proba: this model does regression; it predicts values, not probabilities")
        return probabilities(self.predict_output(X))

    def save(self, path):
        """Write the model to path (.npz): the same file `backprop train` writes."""
        return save(self, path)

    def inputs(self, X):
        """Scaled inputs (n, n_0) for raw X: a frame's columns matched by name (extra ones ignored with a
        warning), an array's by position (numbers as the network's inputs, or text cells of the raw columns)."""
        if frames.is_frame(X):
            table = frames.as_table(X)
            if self.encoder.active:
                return self.scaler.transform(self.encoder.transform(frames.select(table, self.encoder.columns)))
            X = Encoder(table.column_names).transform(table)  # a model fitted on an array: by position
        X = np.asarray(X)
        X = X.reshape(1, -1) if X.ndim == 1 else X
        if self.encoder.active and X.dtype.kind in "OUS":  # raw text cells of the table's columns, in order
            return self.scaler.transform(self.encoder.transform(frames.cells_table(X, self.encoder.columns)))
        X = np.asarray(X, dtype=float)
        n = self.network.sizes[0]
        if X.shape[1] != n:
            names = f" ({', '.join(self.feature_names[:6])}{', ...' if n > 6 else ''})" if self.feature_names else ""
            raise DataError(f"the data have {X.shape[1]} features but the model takes {n}{names}")
        return self.scaler.transform(X)

    def targets(self, y):
        """Targets for the network: class indices, or scaled real values as a column block."""
        y = frames.as_vector(y)
        if self.task == "classification":
            return encode_labels(y, np.asarray(self.classes))[0]
        y = np.asarray(y, dtype=float)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        return self.target_scaler.transform(y)

    def predict_output(self, X):
        """The network's outputs for raw X: class probabilities, or values in the target's units."""
        out = self.network.predict(self.inputs(X))
        if self.task == "regression" and self.target_scaler.kind != "none":
            out = out * self.target_scaler.scale + self.target_scaler.center
        return out

    def predict_labels(self, X):
        """Predicted labels in the original names (classification) or values (regression)."""
        out = self.predict_output(X)
        if self.task == "regression":
            return out[:, 0] if out.shape[1] == 1 else out
        return np.asarray(self.classes)[class_indices(out)]

    def metadata(self):
        return {"task": self.task, "classes": None if self.classes is None else [_plain(c) for c in self.classes],
                "scaler": self.scaler.to_dict(), "target_scaler": self.target_scaler.to_dict(),
                "feature_names": list(self.feature_names), "target_name": self.target_name, "data": self.data,
                "encoder": self.encoder.to_dict()}

    @classmethod
    def from_metadata(cls, network, meta):
        """The Model of a file's metadata; a bare Network's file gets no preprocessing and plain labels."""
        task, classes = meta.get("task"), meta.get("classes")
        if task is None:  # saved from a bare Network: softmax outputs are classes 0..k-1, others values
            softmax = network.activations[-1].name == "softmax"
            task = "classification" if softmax else "regression"
            classes = list(range(network.sizes[-1])) if softmax else None
        none = {"kind": "none"}
        return cls(network, task, classes, Scaler.from_dict(meta.get("scaler") or none),
                   Scaler.from_dict(meta.get("target_scaler") or none), meta.get("feature_names") or [],
                   meta.get("target_name"), meta.get("data") or {}, Encoder.from_dict(meta.get("encoder")))


def model_file(path):
    """path itself, or path/model.npz when path is a run folder."""
    path = os.fspath(path)
    if os.path.isdir(path):
        inside = os.path.join(path, "model.npz")
        if not os.path.isfile(inside):
            raise ModelFileError(f"{path}: a folder without a model.npz; pass a model file or a run folder")
        return inside
    return path


def as_model(obj):
    """obj as a Model where it is one or can make one (a fitted backprop.sklearn estimator's to_model());
    a bare Network as it is."""
    return obj.to_model() if not isinstance(obj, Model) and callable(getattr(obj, "to_model", None)) else obj


def save(model, path):
    """Write a Model, a fitted backprop.sklearn estimator or a bare Network to path (.npz, no pickle, written
    atomically); returns path."""
    from . import io as model_io
    model = as_model(model)
    if isinstance(model, Model):
        return model_io.save(os.fspath(path), model.network, **model.metadata())
    return model_io.save(os.fspath(path), model)


def load(path):
    """The Model in a file written by backprop.save or `backprop train` (a run folder works too)."""
    from . import io as model_io
    network, meta = model_io.load(model_file(path))
    return Model.from_metadata(network, meta)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
