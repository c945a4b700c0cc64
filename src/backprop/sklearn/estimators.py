"""MLPClassifier and MLPRegressor: scikit-learn's MLP estimators on backprop's engine."""

import numpy as np
from scipy.special import xlogy
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..tasks import CLASSIFICATION_COSTS, class_indices, output_layer, probabilities
from .base import BaseMLP
from .poisson import Exp, HalfPoissonDeviance
from .validation import checked_sample_weight

FLOATS = (np.float64, np.float32)  # the input's float dtype is kept; others become float64


def _stochastic(est):
    """partial_fit exists for the stochastic solvers only, as in scikit-learn."""
    if est.solver == "lbfgs":
        raise AttributeError("partial_fit is only available for stochastic optimizers (sgd, adam); "
                             "lbfgs is not stochastic")
    return True


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A classifier: softmax output for several classes, one logistic unit for two, a logistic unit
    per label for multilabel y; cross-entropy. classes_ holds the labels.

    Parameters are scikit-learn's MLPClassifier's, plus output and cost (backprop's names), an
    activation per hidden layer (a list), class_weight ("balanced" or {label: weight}), dtype
    (None: the input's float dtype) and early_stopping_metric: with early_stopping, "score" (scikit-learn's
    rule, the default) or "loss" (stop on validation_loss_curve_; see backprop.sklearn.stopping).
    """

    _parameter_constraints: dict = {**BaseMLP._parameter_constraints,
                                    "class_weight": [dict, StrOptions({"balanced"}), None]}

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, early_stopping_metric="score",
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000, output=None, cost=None, class_weight=None,
                 dtype=None):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
                         learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
                         warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
                         early_stopping=early_stopping, early_stopping_metric=early_stopping_metric,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         n_iter_no_change=n_iter_no_change, max_fun=max_fun,
                         output=output, cost=cost, dtype=dtype)
        self.class_weight = class_weight

    def _output_and_cost(self):
        if self._multilabel:  # a logistic unit per label
            output = self.output or "sigmoid"
            return output, self.cost or CLASSIFICATION_COSTS.get(output, "mse")
        return output_layer("classification", len(self.classes_), self.output, self.cost)[1:]

    @property
    def _multilabel(self):
        return self._label_binarizer.y_type_.startswith("multilabel")

    def _encode(self, y, incremental):
        """(Y, stratify): y as a 0/1 matrix (n, n_outputs), and what an early-stopping split stratifies on."""
        if not hasattr(self, "classes_") or not (self.warm_start or incremental):
            self._fit_labels(y)
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental and set(classes) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                                 f"call to fit. Previously got {self.classes_}, `y` has {classes}. Fit with "
                                 "warm_start=False to learn new classes")
            unknown = np.setdiff1d(classes, self.classes_)
            if len(unknown):
                raise ValueError(f"`y` has classes {unknown} not in `self.classes_` {self.classes_}; pass every "
                                 "class in classes= on the first call to partial_fit")
        Y = self._label_binarizer.transform(y).astype(bool)  # bool: no upcast of float32 data
        stratify = Y if Y.shape[1] == 1 else None  # as scikit-learn: only binary problems are stratified
        if Y.shape[1] == 1 and self.output == "softmax":  # backprop's two-unit softmax for two classes
            Y = np.hstack([~Y, Y])
        return Y, stratify

    def _fit_labels(self, labels):
        self._label_binarizer = LabelBinarizer().fit(labels)
        self.classes_ = self._label_binarizer.classes_

    def _weights(self, y, sample_weight, X):
        if self.class_weight is not None and not self._multilabel:
            by_class = compute_sample_weight(self.class_weight, y)
            sample_weight = by_class if sample_weight is None else by_class * np.asarray(sample_weight)
        return checked_sample_weight(sample_weight, X)

    def _validate(self, X, y, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True, dtype=FLOATS, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"MLPClassifier takes binary, multiclass or multilabel-indicator y, got "
                             f"{type_of_target(y)}; use MLPRegressor for continuous targets")
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit on X (n_samples, n_features), dense or sparse, and labels y (n_samples,) or a multilabel
        indicator matrix (n_samples, n_labels); returns self."""
        X, y = self._validate(X, y, reset=not (self.warm_start and hasattr(self, "coefs_")))
        Y, stratify = self._encode(y, incremental=False)
        return self._fit(X, Y, self._weights(y, sample_weight, X), incremental=False, stratify=stratify,
                         data=(X, y, sample_weight))

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One iteration over X, y. classes (every label) is required on the first call and may not change."""
        self._validate_params_again()
        first = not hasattr(self, "classes_")
        if classes is not None and not first and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={list(classes)} differs from the classes of the first call to partial_fit, "
                             f"{list(self.classes_)}; pass the same classes or start a new estimator")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit: every label y may hold")
        X, y = self._validate(X, y, reset=first)
        if first:
            self._fit_labels(y if type_of_target(y).startswith("multilabel") else classes)
            unknown = np.setdiff1d(unique_labels(y), self.classes_) if not self._multilabel else []
            if len(unknown):
                del self.classes_
                raise ValueError(f"y holds labels {unknown} that classes={list(classes)} does not list")
        Y, _ = self._encode(y, incremental=True)
        return self._fit(X, Y, self._weights(y, sample_weight, X), incremental=True, data=(X, y, sample_weight))

    def _score_outputs(self, out, Y, sample_weight):
        """Accuracy of outputs out (n, n_outputs) against the 0/1 matrix Y: subset accuracy for multilabel."""
        if self._multilabel:
            right = ((out > 0.5) == Y).all(axis=1)
        else:
            right = class_indices(out) == class_indices(Y)
        return np.average(right, weights=sample_weight)

    def predict_proba(self, X):
        """Probabilities (n_samples, n_classes) in the order of classes_ (per label, for multilabel y)."""
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=FLOATS, reset=False)
        out = self._forward(X)
        if len(self.classes_) == 1 and not self._multilabel:  # fitted on one class: it is certain
            return np.ones((out.shape[0], 1), dtype=out.dtype)
        if out.shape[1] == 1:
            return probabilities(out)
        if self._multilabel or self.out_activation_ == "softmax":
            return np.ascontiguousarray(out)
        return out / out.sum(axis=1, keepdims=True)  # backprop's other outputs, normalised

    def predict_log_proba(self, X):
        """log(predict_proba(X))."""
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def predict(self, X):
        """Predicted labels (n_samples,), or an indicator matrix (n_samples, n_labels) for multilabel y."""
        proba = self.predict_proba(X)
        if self._multilabel:
            return self._label_binarizer.inverse_transform(proba > 0.5)
        return self.classes_[proba.argmax(axis=1)]  # over probabilities, one column per class

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """A regressor: identity output and the cost 1/(2n) sum ||a - y||^2, or loss="poisson" (an
    exponential output and the half Poisson deviance). Parameters are scikit-learn's MLPRegressor's,
    plus output, cost, an activation per hidden layer, dtype and early_stopping_metric: with early_stopping,
    "score" (R^2, scikit-learn's rule) or "loss" (validation_loss_curve_; see backprop.sklearn.stopping).
    """

    _parameter_constraints: dict = {**BaseMLP._parameter_constraints,
                                    "loss": [StrOptions({"squared_error", "poisson"})]}

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, early_stopping_metric="score",
                 validation_fraction=0.1, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000, output=None, cost=None,
                 dtype=None):
        super().__init__(hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
                         learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
                         warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
                         early_stopping=early_stopping, early_stopping_metric=early_stopping_metric,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         n_iter_no_change=n_iter_no_change, max_fun=max_fun,
                         output=output, cost=cost, dtype=dtype)
        self.loss = loss

    def _output_and_cost(self):
        if self.loss == "poisson":
            return self.output or Exp(), self.cost or HalfPoissonDeviance()
        return self.output or "identity", self.cost or "mse"

    def _reported_loss(self, Y, sample_weight):
        """scikit-learn's squared error averages over the k outputs: (1/k) C. Its Poisson loss keeps the
        terms y log y - y that the deviance's gradient does not need: C plus their weighted mean."""
        if self.cost is not None or self.output is not None:  # backprop's own choice: nothing to match
            return 1.0, 0.0
        if self.loss == "squared_error":
            return 1.0 / Y.shape[1], 0.0
        constant = (xlogy(Y, Y) - Y).sum(axis=1)
        return 1.0, float(np.average(constant, weights=sample_weight))

    def _targets(self, X, y, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
                             dtype=FLOATS, reset=reset)
        if self.loss == "poisson" and (np.asarray(y) < 0).any():
            raise ValueError("loss='poisson' needs non-negative y (counts or rates)")
        return X, np.asarray(y, dtype=X.dtype).reshape(len(y), -1)

    def _weights(self, sample_weight, X):
        return checked_sample_weight(sample_weight, X)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit on X (n_samples, n_features), dense or sparse, and y (n_samples,) or (n_samples, n_targets)."""
        X, Y = self._targets(X, y, reset=not (self.warm_start and hasattr(self, "coefs_")))
        return self._fit(X, Y, self._weights(sample_weight, X), incremental=False, data=(X, y, sample_weight))

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One iteration over X, y."""
        self._validate_params_again()
        X, Y = self._targets(X, y, reset=not hasattr(self, "coefs_"))
        return self._fit(X, Y, self._weights(sample_weight, X), incremental=True, data=(X, y, sample_weight))

    def _score_outputs(self, out, Y, sample_weight):
        return r2_score(Y, out, sample_weight=sample_weight)

    def predict(self, X):
        """Predictions: (n_samples,) for one target, else (n_samples, n_targets); the input's float dtype."""
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=FLOATS, reset=False)
        out = self._forward(X)
        return out[:, 0].copy() if out.shape[1] == 1 else np.ascontiguousarray(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y may be (n_samples, n_targets)
        return tags
