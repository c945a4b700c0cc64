"""A fitted estimator as a backprop Model: what backprop.save writes (the file `backprop train` writes, read by
`backprop predict/evaluate/info/explain/export`), and what backprop.export turns into ONNX or PyTorch."""

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..data.encoder import Encoder
from ..model import Model
from ..training.history import History
from ..training.optimizers import get_optimizer
from ..training.options import MAX_EPOCHS, TrainingOptions
from ..training.schedules import SCHEDULES
from ..training.state import TrainingState, attach_state


def to_model(est):
    """A Model holding a copy of est's network, its class names (or none: regression), its feature names when
    it was fitted on a DataFrame, and, for sgd and adam, its training history; predicts as est does.

    Refused with a ValueError: multilabel classifiers (a Model gives one label per row), a classifier fitted
    on one class, and loss="poisson" (its exponential output is not among a model file's activations).
    Boolean class labels become 0 and 1 (a model file's labels are strings or numbers).
    """
    check_is_fitted(est, "coefs_")
    if getattr(est, "loss", None) == "poisson" and est.output is None:
        raise ValueError("MLPRegressor(loss='poisson') has an exponential output layer, which model files, ONNX "
                         "and PyTorch export do not hold; it cannot be saved as a backprop model")
    classes, task = None, "regression"
    if hasattr(est, "classes_"):
        if est._multilabel:
            raise ValueError("a multilabel MLPClassifier predicts several labels per row; a backprop model "
                             "predicts one, so it cannot be saved as one")
        if len(est.classes_) < 2:
            raise ValueError(f"the classifier was fitted on one class ({est.classes_[0]!r}); a model needs two or more")
        classes, task = [_label(c) for c in est.classes_], "classification"
    net = est._network().copy()
    attach_state(net, training_state(est))
    names = [str(name) for name in getattr(est, "feature_names_in_", [])]
    # A DataFrame's columns, all numeric (scikit-learn's MLP takes no others): read by name, as a table's are.
    return Model(net, task, classes, feature_names=names, data={"estimator": type(est).__name__},
                 encoder=Encoder(columns=names))


def training_state(est):
    """est's options and per-iteration history as a TrainingState; None for lbfgs (no iterations to show).

    The optimizer is saved fresh, without its moments: scikit-learn's Adam adds eps where backprop's
    does not, so a resumed run starts its moments over. invscaling and adaptive rates, which backprop's
    schedules do not name, are listed as constant in the options; the history shows each epoch's rate.
    """
    if est.solver == "lbfgs" or not getattr(est, "loss_curve_", None):
        return None
    options = TrainingOptions(**_options(est))
    optimizer = get_optimizer(options.optimizer, **options.optimizer_settings())
    return TrainingState(optimizer, options, _history(est))


def _options(est):
    if est.solver == "sgd":
        name = "sgd" if est.momentum == 0 else "nesterov" if est.nesterovs_momentum else "momentum"
        settings = {} if name == "sgd" else {"momentum": min(float(est.momentum), 0.999999)}
    else:
        name, settings = est.solver, {"beta1": est.beta_1, "beta2": est.beta_2, "eps": min(est.epsilon, 1.0)}
    seed = est.random_state if isinstance(est.random_state, (int, np.integer)) and est.random_state >= 0 else None
    patience = est.n_iter_no_change if est.early_stopping and math.isfinite(est.n_iter_no_change) else None
    return {"optimizer": name, **settings, "learning_rate": est.learning_rate_init,
            "epochs": min(max(est.n_iter_, 1), MAX_EPOCHS), "batch_size": 200 if est.batch_size == "auto" else
            int(est.batch_size), "schedule": est.learning_rate if est.learning_rate in SCHEDULES else "constant",
            "validation_split": est.validation_fraction if est.early_stopping else 0.0,
            "early_stopping": None if patience is None else int(patience), "shuffle": bool(est.shuffle),
            "seed": None if seed is None else int(seed),
            "class_weight": "balanced" if getattr(est, "class_weight", None) == "balanced" else None}


def _history(est):
    """One row per iteration of loss_curve_: the loss, the validation loss and accuracy, the rate, the seconds."""
    n = len(est.loss_curve_)
    rates = getattr(est, "_learning_rate_curve", [])
    seconds = getattr(est, "_seconds_curve", [])
    rates, seconds = (rates, seconds) if len(rates) == len(seconds) == n else ([est.learning_rate_init] * n, [0.0] * n)
    val_loss = est.validation_loss_curve_ if est.early_stopping and est.validation_loss_curve_ else []
    accuracy = est.validation_scores_ if hasattr(est, "classes_") and val_loss else []
    history = History()
    for i in range(n):
        history.append({"epoch": i + 1, "cost": _finite(est.loss_curve_[i]), "accuracy": None,
                        "val_cost": _finite(val_loss[i]) if i < len(val_loss) else None,
                        "val_accuracy": _finite(accuracy[i]) if i < len(accuracy) else None,
                        "learning_rate": float(rates[i]), "seconds": float(seconds[i])})
    stopped_early = est.n_iter_ < est.max_iter
    history.stop_reason = "completed" if not stopped_early else "early_stopping" if est.early_stopping else "tol"
    if est.early_stopping and val_loss:
        curve = val_loss if est.early_stopping_metric == "loss" else [-s for s in accuracy or est.validation_scores_]
        history.best_epoch = int(np.nanargmin(curve)) + 1 if not np.isnan(curve).all() else None
    return history


def _finite(value):
    return float(value) if value is not None and math.isfinite(value) else None


def _label(value):
    """A class label as a model file holds it: a plain str, int or float (a bool as 0 or 1)."""
    value = value.item() if isinstance(value, np.generic) else value
    return int(value) if isinstance(value, bool) else value
