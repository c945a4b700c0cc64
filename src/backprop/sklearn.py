"""scikit-learn estimators backed by backprop's engine: MLPClassifier and MLPRegressor.

They follow scikit-learn's conventions (parameters stored untouched by __init__, learned
attributes ending in _, random_state, warm_start, partial_fit) and its MLP's parameter names
where the meaning is the same. Importing this module imports scikit-learn; the core does not.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .network import Network
from .training import TrainingOptions, train


class _BaseMLP(BaseEstimator):
    """Shared fitting loop: one epoch per iteration, scikit-learn's stopping rules."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9,
                 beta_2=0.999, n_iter_no_change=10, output=None, cost=None, dtype="float64"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.n_iter_no_change = n_iter_no_change
        self.output = output
        self.cost = cost
        self.dtype = dtype

    # scikit-learn's activation names, mapped to backprop's
    ACTIVATIONS = {"relu": "relu", "logistic": "sigmoid", "tanh": "tanh", "identity": "identity",
                   "sigmoid": "sigmoid", "leaky_relu": "leaky_relu"}
    SCHEDULES = {"constant": "constant", "step": "step", "exponential": "exponential", "cosine": "cosine"}

    def _check_params(self):
        sizes = [self.hidden_layer_sizes] if np.isscalar(self.hidden_layer_sizes) else list(self.hidden_layer_sizes)
        if any(int(s) < 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be >= 1, got {self.hidden_layer_sizes}")
        if self.activation not in self.ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} is not supported; "
                             f"choose one of {sorted(self.ACTIVATIONS)}")
        if self.solver not in ("sgd", "adam", "adamw"):
            raise ValueError(f"solver {self.solver!r} is not supported; choose 'sgd', 'adam' or 'adamw'")
        if self.learning_rate not in self.SCHEDULES:
            raise ValueError(f"learning_rate {self.learning_rate!r} must be one of {sorted(self.SCHEDULES)}")
        if not self.max_iter >= 1 or not self.learning_rate_init > 0 or not self.alpha >= 0:
            raise ValueError("max_iter must be >= 1, learning_rate_init > 0 and alpha >= 0")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {self.validation_fraction}")
        return [int(s) for s in sizes]

    def _optimizer(self):
        if self.solver == "sgd" and self.momentum > 0:
            return "nesterov" if self.nesterovs_momentum else "momentum"
        return self.solver

    def _new_network(self, n_in, n_out, hidden):
        output, cost = self._output_and_cost()
        self.network_ = Network([n_in, *hidden, n_out], activation=self.ACTIVATIONS[self.activation],
                                output=output, cost=cost, seed=self.random_state_seed_, dtype=self.dtype)
        self.loss_curve_, self.validation_scores_ = [], []
        self.best_loss_, self.best_validation_score_ = np.inf, -np.inf
        self.n_iter_, self._no_improvement = 0, 0

    def _fit(self, X, Y, sample_weight, incremental, max_iter):
        hidden = self._check_params()
        if not hasattr(self, "random_state_seed_") or not (self.warm_start or incremental):
            # backprop seeds from an integer; scikit-learn's random_state may be None or a RandomState
            rs = self.random_state
            self.random_state_seed_ = int(rs) if isinstance(rs, (int, np.integer)) else \
                int(check_random_state(rs).randint(2**31))
        if not (incremental or self.warm_start) or not hasattr(self, "network_"):
            self._new_network(X.shape[1], Y.shape[1], hidden)
        validation = None
        if self.early_stopping and not incremental:
            stratify = self._stratify(Y)
            arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
            parts = train_test_split(*arrays, test_size=self.validation_fraction,
                                     random_state=self.random_state_seed_, stratify=stratify)
            X, X_val, Y, Y_val = parts[:4]
            sample_weight = parts[4] if sample_weight is not None else None
            validation = (X_val, Y_val)
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else int(np.clip(self.batch_size, 1, n))
        # With sample weights, the samples count as their total weight (weight 2 = a duplicate).
        weight_mean = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        optimizer = self._optimizer()
        own = {"momentum": {"momentum": self.momentum}, "nesterov": {"momentum": self.momentum},
               "adam": {"beta1": self.beta_1, "beta2": self.beta_2},
               "adamw": {"beta1": self.beta_1, "beta2": self.beta_2}}.get(optimizer, {})
        options = TrainingOptions(epochs=1, batch_size=batch, optimizer=optimizer,
                                  learning_rate=self.learning_rate_init,
                                  # scikit-learn's penalty is (alpha / 2) ||W||^2 per batch of m samples
                                  weight_decay=self.alpha / (batch * weight_mean),
                                  schedule=self.SCHEDULES[self.learning_rate], shuffle=self.shuffle,
                                  seed=self.random_state_seed_, **own)
        for _ in range(max_iter):
            history = train(self.network_, X, Y, sample_weight=sample_weight, options=options)
            penalty = 0.5 * self.alpha * sum(float((W * W).sum()) for W in self.network_.weights)
            loss = history.cost[-1] + penalty / (n * weight_mean)
            self.loss_curve_.append(loss)
            self.n_iter_ += 1
            if incremental:
                continue
            if validation is not None:
                score = self._score_outputs(self.network_.predict(validation[0]), validation[1])
                self.validation_scores_.append(score)
                improved = score > self.best_validation_score_ + self.tol
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    self._best = [p.copy() for p in self.network_.weights + self.network_.biases]
            else:
                improved = loss < self.best_loss_ - self.tol
                self.best_loss_ = min(self.best_loss_, loss)
            self._no_improvement = 0 if improved else self._no_improvement + 1
            if self._no_improvement > self.n_iter_no_change:
                break
        if validation is not None and getattr(self, "_best", None) is not None:
            for p, best in zip(self.network_.weights + self.network_.biases, self._best):
                np.copyto(p, best)
        self.loss_ = self.loss_curve_[-1]
        if validation is None:
            self.validation_scores_ = None
            self.best_validation_score_ = None
        return self


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A classifier: softmax output and cross-entropy by default; classes_ holds the labels."""

    def _output_and_cost(self):
        output = self.output or "softmax"
        return output, self.cost or ("cross_entropy" if output == "softmax" else
                                     "binary_cross_entropy" if output == "sigmoid" else "mse")

    def _stratify(self, Y):
        return Y.argmax(axis=1)

    def _score_outputs(self, out, Y):
        return accuracy_score(Y.argmax(axis=1), out.argmax(axis=1))

    def _encode(self, y, incremental, classes=None):
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(f"MLPClassifier supports binary and multiclass targets, got {type_of_target(y)}")
        if not incremental or not hasattr(self, "classes_"):
            self.classes_ = np.unique(y if classes is None else classes)
            if len(self.classes_) < 2:
                raise ValueError(f"MLPClassifier needs samples of at least 2 classes; the data hold only one class, "
                                 f"{self.classes_[0]!r}")
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(f"y holds labels {unknown[:5]} not in classes {self.classes_}")
        return np.eye(len(self.classes_))[np.searchsorted(self.classes_, y)]

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n_samples, n_features) and labels y (n_samples,); returns self."""
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=True)
        if not self.warm_start and hasattr(self, "classes_"):
            del self.classes_
        Y = self._encode(y, incremental=self.warm_start)
        sample_weight = None if sample_weight is None else _check_sample_weight(sample_weight, X)
        return self._fit(X, Y, sample_weight, incremental=False, max_iter=self.max_iter)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on X, y (classes is required on the first call, as in scikit-learn)."""
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first)
        Y = self._encode(y, incremental=not first, classes=classes)
        sample_weight = None if sample_weight is None else _check_sample_weight(sample_weight, X)
        return self._fit(X, Y, sample_weight, incremental=True, max_iter=1)

    def predict_proba(self, X):
        """Class probabilities, (n_samples, n_classes) in the order of classes_."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        out = self.network_.predict(X)
        return out / out.sum(axis=1, keepdims=True) if self.network_.activations[-1].name != "softmax" else out

    def predict(self, X):
        """Predicted labels, (n_samples,)."""
        check_is_fitted(self, "network_")
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A regressor: identity output and the reference's cost 1/(2n) sum ||a - y||^2."""

    def _output_and_cost(self):
        return self.output or "identity", self.cost or "mse"

    def _stratify(self, Y):
        return None

    def _score_outputs(self, out, Y):
        return r2_score(Y, out)

    def _targets(self, X, y, reset):
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True, y_numeric=True, reset=reset)
        if reset or not hasattr(self, "_y_ndim"):
            self._y_ndim = y.ndim
        return X, y.reshape(len(y), -1).astype(X.dtype)

    def fit(self, X, y, sample_weight=None):
        """Fit on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets); returns self."""
        X, Y = self._targets(X, y, reset=True)
        sample_weight = None if sample_weight is None else _check_sample_weight(sample_weight, X)
        return self._fit(X, Y, sample_weight, incremental=False, max_iter=self.max_iter)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on X, y."""
        X, Y = self._targets(X, y, reset=not hasattr(self, "network_"))
        sample_weight = None if sample_weight is None else _check_sample_weight(sample_weight, X)
        return self._fit(X, Y, sample_weight, incremental=True, max_iter=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y may be (n_samples, n_targets)
        return tags

    def predict(self, X):
        """Predictions, (n_samples,) for a 1-D target, else (n_samples, n_targets)."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        out = self.network_.predict(X)
        return out[:, 0] if self._y_ndim == 1 else out
