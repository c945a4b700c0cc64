"""A trained model: the network plus what turns raw rows into its inputs and its outputs into labels."""

from dataclasses import dataclass, field

import numpy as np

from .data.preprocessing import Scaler, encode_labels
from .errors import DataError


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

    def inputs(self, X):
        """Scaled inputs for the network, after checking the feature count."""
        n = self.network.sizes[0]
        if X.shape[1] != n:
            names = f" ({', '.join(self.feature_names[:6])}{', ...' if n > 6 else ''})" if self.feature_names else ""
            raise DataError(f"the data have {X.shape[1]} features but the model takes {n}{names}")
        return self.scaler.transform(X)

    def targets(self, y):
        """Targets for the network: class indices, or scaled real values as a column block."""
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
        index = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0.5).astype(int)
        return np.asarray(self.classes)[index]

    def metadata(self):
        return {"task": self.task, "classes": None if self.classes is None else [_plain(c) for c in self.classes],
                "scaler": self.scaler.to_dict(), "target_scaler": self.target_scaler.to_dict(),
                "feature_names": list(self.feature_names), "target_name": self.target_name, "data": self.data}

    @classmethod
    def from_metadata(cls, network, meta):
        return cls(network, meta.get("task", "regression"), meta.get("classes"), Scaler.from_dict(meta.get("scaler", {"kind": "none"})),
                   Scaler.from_dict(meta.get("target_scaler", {"kind": "none"})), meta.get("feature_names", []),
                   meta.get("target_name"), dict(meta.get("data") or {}))


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
