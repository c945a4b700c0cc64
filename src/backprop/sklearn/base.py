"""What MLPClassifier and MLPRegressor share: parameters, the network behind coefs_ and
intercepts_, and fitting (one epoch per iteration for sgd and adam, or L-BFGS).

coefs_[l] is a view of the network's W_{l+1} transposed, scikit-learn's (n_in, n_out) layout of
the engine's (n_out, n_in): training changes it, and changing it in place changes the model. An
array assigned to coefs_[l] (or intercepts_[l]) is copied into the network before it is next used.
"""

import math
import numbers
import warnings

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from ..network import Network
from ..training.data import Batches, TrainingData
from ..training.guards import Diverged, Snapshot
from ..training.loop import one_epoch
from .solvers import LEARNING_RATES, StepSizes, fit_lbfgs

# scikit-learn's activation names, and backprop's own, mapped to backprop's
ACTIVATIONS = {"relu": "relu", "logistic": "sigmoid", "tanh": "tanh", "identity": "identity",
               "sigmoid": "sigmoid", "leaky_relu": "leaky_relu"}
SOLVERS = ("sgd", "adam", "adamw", "lbfgs")
DIVERGED = ("Solver produced non-finite parameter weights. The input data may contain large values and need "
            "to be preprocessed (scale X, for instance with StandardScaler), or lower learning_rate_init")


class BaseMLP(BaseEstimator):
    """Shared fitting: scikit-learn's stopping rules, attributes and warnings, backprop's engine."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000, output=None, cost=None, dtype=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.output = output
        self.cost = cost
        self.dtype = dtype

    # ---- checks ---------------------------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = [self.hidden_layer_sizes] if np.isscalar(self.hidden_layer_sizes) else list(self.hidden_layer_sizes)
        if not sizes or any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _hidden_activations(self, n_hidden):
        names = [self.activation] * n_hidden if isinstance(self.activation, str) else list(self.activation)
        if len(names) != n_hidden:
            raise ValueError(f"activation lists {len(names)} names for {n_hidden} hidden layers; give one per layer "
                             "or one name for all")
        unknown = [name for name in names if name not in ACTIVATIONS]
        if unknown:
            raise ValueError(f"activation {unknown[0]!r} is not supported; choose one of {sorted(ACTIVATIONS)}")
        return names

    def _check_params(self):
        if self.solver not in SOLVERS:
            raise ValueError(f"solver {self.solver!r} is not supported; choose one of {', '.join(SOLVERS)}")
        if self.learning_rate not in LEARNING_RATES:
            raise ValueError(f"learning_rate {self.learning_rate!r} must be one of {', '.join(LEARNING_RATES)}")
        checks = [("max_iter", self.max_iter, 1 <= self.max_iter), ("max_fun", self.max_fun, 1 <= self.max_fun),
                  ("learning_rate_init", self.learning_rate_init, self.learning_rate_init > 0),
                  ("alpha", self.alpha, self.alpha >= 0), ("tol", self.tol, self.tol >= 0),
                  ("momentum", self.momentum, 0 <= self.momentum <= 1),
                  ("n_iter_no_change", self.n_iter_no_change, self.n_iter_no_change > 0),
                  ("validation_fraction", self.validation_fraction, 0 < self.validation_fraction < 1),
                  ("beta_1", self.beta_1, 0 <= self.beta_1 < 1), ("beta_2", self.beta_2, 0 <= self.beta_2 < 1),
                  ("epsilon", self.epsilon, self.epsilon > 0)]
        for name, value, ok in checks:
            if not ok:
                raise ValueError(f"{name}={value!r} is out of range; see the {type(self).__name__} docstring")
        if self.batch_size != "auto" and not (isinstance(self.batch_size, numbers.Integral) and self.batch_size >= 1):
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {self.batch_size!r}")

    # ---- the network behind coefs_ and intercepts_ ------------------------------------------------
    def _new_network(self, sizes, dtype):
        output, cost = self._output_and_cost()
        hidden = [ACTIVATIONS[name] for name in self._hidden_activations(len(sizes) - 2)]
        net = Network(sizes, activation=hidden, output=output, cost=cost, seed=0, dtype=dtype)
        name = net.activations[-1].name
        self.out_activation_ = "logistic" if name == "sigmoid" else name  # in scikit-learn's words
        return net

    def _initialize(self, n_in, n_out, dtype):
        """A new network with Glorot-uniform weights and biases drawn from random_state, and fresh counters."""
        sizes = [n_in, *self._hidden_sizes(), n_out]
        names = self._hidden_activations(len(sizes) - 2)
        self.network_ = net = self._new_network(sizes, dtype)
        self.n_iter_, self.t_, self.n_outputs_, self.n_layers_ = 0, 0, n_out, len(sizes)
        weights, biases = [], []
        for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            factor = 2.0 if names[min(l, len(names) - 1)] == "logistic" else 6.0  # Glorot's bound for the layer
            bound = math.sqrt(factor / (fan_in + fan_out))
            # Drawn in scikit-learn's (n_in, n_out) layout, stored as the engine's W_l (n_out, n_in).
            weights.append(self._random_state.uniform(-bound, bound, (fan_in, fan_out)).T)
            biases.append(self._random_state.uniform(-bound, bound, fan_out))
        net.set_parameters(weights, biases)
        self._expose(net)
        if self.solver != "lbfgs":
            self.loss_curve_, self._no_improvement_count, self._best = [], 0, None
            self.best_loss_ = None if self.early_stopping else np.inf
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None

    def _network(self):
        """network_ with coefs_ and intercepts_ in it: arrays assigned to them are copied in first."""
        net = getattr(self, "network_", None)
        if net is None or len(net.weights) != len(self.coefs_):  # coefs_ set by hand before any fit
            sizes = [np.shape(self.coefs_[0])[0]] + [np.shape(c)[1] for c in self.coefs_]
            dtype = np.asarray(self.coefs_[0]).dtype
            net = self.network_ = self._new_network(sizes, dtype if dtype in (np.float32, np.float64) else np.float64)
        if not all(_is_transpose(c, W) for c, W in zip(self.coefs_, net.weights)) or \
                not all(i is b for i, b in zip(self.intercepts_, net.biases)):
            net.set_parameters([np.asarray(c).T for c in self.coefs_],
                               [np.reshape(i, -1) for i in self.intercepts_])
            self._expose(net)
        return net

    def _expose(self, net):
        """coefs_ and intercepts_ as views of the network's W_l (transposed to scikit-learn's layout) and b_l."""
        self.coefs_ = [W.T for W in net.weights]
        self.intercepts_ = list(net.biases)

    def _forward(self, X):
        """a_L for validated X (n_samples, n_features), one row per sample."""
        net = self._network()
        x = X.astype(net.dtype, copy=False).T
        with np.errstate(over="ignore", invalid="ignore"):
            return net.forward(x)[1][-1].T

    def _reported_loss(self, Y, sample_weight):
        """(scale, offset): scikit-learn's loss is scale C + offset for the network's cost C on targets Y (n, k).

        The classifier's log losses are the network's costs as they are; MLPRegressor overrides this.
        """
        return 1.0, 0.0

    # ---- fitting ----------------------------------------------------------------------------------
    def _fit(self, X, Y, sample_weight, incremental, stratify=None):
        """Fit on validated X (n, n_features) and encoded targets Y (n, n_outputs); returns self."""
        self._check_params()
        dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
        X = X.tocsr().astype(dtype, copy=False) if issparse(X) else X.astype(dtype, copy=False)
        Y = Y.astype(dtype, copy=False)
        if not hasattr(self, "coefs_") or not (self.warm_start or incremental):
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], Y.shape[1], dtype)
        elif not hasattr(self, "_random_state"):  # coefs_ assigned by hand
            self._random_state = check_random_state(self.random_state)
        net = self._network()
        if np.shape(self.coefs_[-1])[1] != Y.shape[1]:
            raise ValueError(f"the network has {np.shape(self.coefs_[-1])[1]} outputs but y needs {Y.shape[1]}; "
                             "fit with warm_start=False to start over")
        if self.solver == "lbfgs":
            fit_lbfgs(self, net, X, Y, _relative(sample_weight, dtype), sample_weight)
        else:
            self._fit_stochastic(net, X, Y, sample_weight, incremental, stratify)
        if not all(np.isfinite(p).all() for p in net.weights + net.biases):
            raise ValueError(DIVERGED)
        return self

    def _fit_stochastic(self, net, X, Y, sample_weight, incremental, stratify):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True; set early_stopping=False "
                             "or call fit")
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = StepSizes.for_estimator(self)
        X, Y, sample_weight, validation = self._split_validation(X, Y, sample_weight, stratify)
        n = X.shape[0]
        if self.batch_size != "auto" and self.batch_size > n:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training samples; using {n}",
                          stacklevel=3)
        batch = min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)
        steps = self._optimizer
        # scikit-learn's penalty is (alpha / 2) ||W||^2 over each batch of m samples: gradient alpha W / m.
        # Weighted samples count as their weight (weight 2 is a duplicate), so m is the batch's total weight.
        weight_mean = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        steps.rule.weight_decay = self.alpha / (batch * weight_mean)
        batches = Batches(net, TrainingData(X, Y, _relative(sample_weight, X.dtype), None, False, batch))
        scale, offset = self._reported_loss(Y, sample_weight)
        self.n_iter_ = 0
        order = np.arange(n)
        for _ in range(self.max_iter):
            if self.shuffle:  # each epoch shuffles the last one's order, as scikit-learn does: the same batches
                order = order[self._random_state.permutation(n)]
            with np.errstate(over="ignore", invalid="ignore"):
                try:
                    cost, _ = one_epoch(net, batches, steps.rule, steps.learning_rate, order, self.n_iter_ + 1, (),
                                        _no_signals)
                    diverged = False
                except Diverged:
                    cost, diverged = math.nan, True
            self.n_iter_ += 1
            self.t_ += n
            # The epoch's loss as scikit-learn reports it: the penalty counted once per batch of m samples.
            squares = sum(float(np.vdot(W, W)) for W in net.weights)
            self.loss_ = scale * cost + offset + 0.5 * self.alpha * squares * math.ceil(n / batch) / (n * weight_mean)
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            self._count_no_improvement(validation)
            steps.iteration_ends(self.t_, self.n_iter_)
            if diverged or self._stops(steps, validation) or incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                              "optimization hasn't converged yet; raise max_iter or tol", ConvergenceWarning,
                              stacklevel=4)
        if validation is not None and self._best is not None:  # keep the best epoch's weights
            self._best.restore(net.parameters)
        elif diverged:
            raise ValueError(f"{DIVERGED} (the loss became non-finite at iteration {self.n_iter_})")

    def _split_validation(self, X, Y, sample_weight, stratify):
        """(X, Y, sample_weight, validation): with early_stopping, validation_fraction of the rows set apart."""
        if not self.early_stopping:
            return X, Y, sample_weight, None
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        parts = train_test_split(*arrays, random_state=self._random_state, test_size=self.validation_fraction,
                                 stratify=stratify)
        validation = (parts[1], parts[3], parts[5] if sample_weight is not None else None)
        if validation[0].shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of "
                             f"your dataset ({validation[0].shape[0]} validation sample(s) cannot be scored).")
        return parts[0], parts[2], (parts[4] if sample_weight is not None else None), validation

    def _stops(self, steps, validation):
        """Whether training ends after n_iter_no_change iterations without improvement (sgd's adaptive rate
        first shrinks the step instead, as scikit-learn's does)."""
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        what = "Validation score" if validation is not None else "Training loss"
        message = f"{what} did not improve more than tol={self.tol:f} for {self.n_iter_no_change} consecutive epochs."
        if steps.trigger_stopping(message, self.verbose):
            return True
        self._no_improvement_count = 0
        return False

    def _count_no_improvement(self, validation):
        """scikit-learn's counter of iterations without improvement by tol: of the validation score, or the loss."""
        if validation is not None:
            X_val, Y_val, sw_val = validation
            out = self._forward(X_val)
            score = float(self._score_outputs(out, Y_val, sw_val)) if np.isfinite(out).all() else math.nan
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            self._no_improvement_count = self._no_improvement_count + 1 \
                if score < self.best_validation_score_ + self.tol else 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                params = self.network_.parameters
                if self._best is None:
                    self._best = Snapshot(params)
                else:
                    self._best.take(params)
        else:
            loss = self.loss_curve_[-1]
            self._no_improvement_count = self._no_improvement_count + 1 if loss > self.best_loss_ - self.tol else 0
            self.best_loss_ = min(self.best_loss_, loss)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _is_transpose(c, W):
    """Whether c is a view of W transposed: coefs_[l] while it is in step with the network's W_l."""
    return (isinstance(c, np.ndarray) and c.shape == W.shape[::-1] and c.strides == W.strides[::-1]
            and c.dtype == W.dtype and c.__array_interface__["data"][0] == W.__array_interface__["data"][0])


def checked_sample_weight(sample_weight, X):
    """sample_weight as a float array (n_samples,), checked, or None."""
    if sample_weight is None:
        return None
    s = np.asarray(sample_weight, dtype=np.float64)
    s = np.full(X.shape[0], float(s)) if s.ndim == 0 else s.reshape(-1)
    if s.shape[0] != X.shape[0]:
        raise ValueError(f"sample_weight has {s.shape[0]} entries for {X.shape[0]} samples; give one per sample")
    if not np.isfinite(s).all() or (s < 0).any() or s.sum() <= 0:
        raise ValueError("sample_weight must be finite and non-negative, and not all zero")
    return s


def _relative(sample_weight, dtype):
    """Sample weights scaled to mean 1 (what the engine takes), or None."""
    if sample_weight is None:
        return None
    s = np.asarray(sample_weight, dtype=dtype)
    return s * (len(s) / s.sum())


def _no_signals():
    """The training loop's signal check: the estimators leave Ctrl-C to Python."""
