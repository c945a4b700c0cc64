"""The task rule: the output layer and cost a task gets, and the class an output stands for.

Every front end (the command line, the playground, the scikit-learn estimators, the plots) asks here:

- k > 2 classes: k softmax units and the cross-entropy cost;
- two classes: ONE logistic (sigmoid) unit a = P(class 1) with the binary cross-entropy, as
  scikit-learn's MLPClassifier does, so that a backprop model and the drop-in estimator agree;
- regression on k target columns: k identity units and the mean squared error.

An output a (one sample's units) stands for the class argmax(a), or 1 if a > 0.5 else 0 for one unit.
"""

import numpy as np

from .errors import ConfigError

TASKS = ("classification", "regression")
# The cost that fits an output activation when none is chosen: the pairs the engine fuses (network.py).
CLASSIFICATION_COSTS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}


def output_layer(task, k, output=None, cost=None):
    """(units, output activation, cost) of the last layer for k classes or k target columns; output and
    cost, when given, are kept (two classes under a softmax get two units)."""
    if task == "regression":
        return k, output or "identity", cost or "mse"
    if task != "classification":
        raise ConfigError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    output = output or ("sigmoid" if k <= 2 else "softmax")
    units = 1 if k <= 2 and output == "sigmoid" else k
    return units, output, cost or CLASSIFICATION_COSTS.get(output, "mse")


def class_indices(outputs, axis=1, out=None):
    """The class index each sample's outputs stand for, over the units along axis (1: rows are samples,
    (n, k) -> (n,); 0: the engine's (n_L, m) -> (m,)): the arg max, or output > 0.5 for one unit."""
    if outputs.shape[axis] == 1:
        above = np.greater(outputs.take(0, axis=axis), 0.5, out=out)
        return above if out is not None else above.astype(np.intp)
    return outputs.argmax(axis=axis, out=out)


def probabilities(outputs):
    """Class probabilities (n, classes) from outputs (n, units): one logistic unit p gives [1 - p, p]."""
    return np.hstack([1 - outputs, outputs]) if outputs.shape[1] == 1 else outputs
