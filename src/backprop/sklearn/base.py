"""What MLPClassifier and MLPRegressor share: parameters, the network behind coefs_ and
intercepts_, and fitting (one epoch per iteration for sgd and adam, or L-BFGS).

coefs_[l] is a view of the network's W_{l+1} transposed, scikit-learn's (n_in, n_out) layout of
the engine's (n_out, n_in): training changes it, and changing it in place changes the model. An
array assigned to coefs_[l] (or intercepts_[l]) is copied into the network before it is next used.
"""

import math
import time
import warnings

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _is_fitted

from ..network import Network
from ..training.data import Batches, TrainingData
from ..training.guards import Diverged
from ..training.loop import one_epoch
from .callbacks import CallbackSupportMixin, FitTasks
from .conversion import to_model
from .solvers import StepSizes, fit_lbfgs
from .stopping import StoppingRules
from .validation import (PARAMETER_CONSTRAINTS, SKLEARN_ACTIVATIONS, check_continuation, hidden_activations,
                         hidden_sizes, parameter_sizes, relative_weights)

DIVERGED = ("Solver produced non-finite parameter weights. The input data may contain large values and need "
            "to be preprocessed (scale X, for instance with StandardScaler), or lower learning_rate_init")


class BaseMLP(CallbackSupportMixin, StoppingRules, BaseEstimator):
    """Shared fitting: scikit-learn's attributes and warnings, backprop's engine; the stopping rules (early_stopping,
    early_stopping_metric) are StoppingRules'."""

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, early_stopping_metric="score",
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
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
        self.early_stopping_metric = early_stopping_metric
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
        return hidden_sizes(self.hidden_layer_sizes)

    def _hidden_activations(self, n_hidden):
        return hidden_activations(self.activation, n_hidden)

    def to_model(self):
        """This fitted estimator as a backprop Model (a copy): backprop.save(est, path) writes it, the file
        `backprop train` writes; backprop.export.to_onnx(est, path) and to_torch(est) export it."""
        return to_model(self)

    def _validate_params_again(self):
        """Check the parameters on a later partial_fit where set_params changed them since the last check:
        scikit-learn's _fit_context checks only the first call's, and a full check costs more than this comparison."""
        if not _is_fitted(self):
            return
        values = repr([self.__dict__.get(name) for name in self._parameter_constraints])
        if values != getattr(self, "_checked_parameters", None):
            self._validate_params()
            self._checked_parameters = values

    # ---- the network behind coefs_ and intercepts_ ------------------------------------------------
    def _new_network(self, sizes, dtype):
        output, cost = self._output_and_cost()
        hidden = [SKLEARN_ACTIVATIONS[name] for name in self._hidden_activations(len(sizes) - 2)]
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
            self._learning_rate_curve, self._seconds_curve = [], []  # per iteration, beside loss_curve_
            self.best_loss_ = None if self.early_stopping else np.inf
            self._reset_validation()

    def _network(self):
        """network_ with coefs_ and intercepts_ in it: arrays assigned to them are copied in first."""
        net = getattr(self, "network_", None)
        sizes = parameter_sizes(self.coefs_, self.intercepts_)
        if net is None:  # coefs_ set by hand before any fit
            dtype = np.asarray(self.coefs_[0]).dtype
            net = self.network_ = self._new_network(sizes, dtype if dtype in (np.float32, np.float64) else np.float64)
        elif sizes != net.sizes:
            raise ValueError(f"coefs_ and intercepts_ describe layers {sizes}, but the fitted network has {net.sizes}; "
                             "assign arrays of the fitted shapes, or fit anew")
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
        if X.shape[1] != net.sizes[0]:
            raise ValueError(f"X has {X.shape[1]} features, but coefs_[0] takes {net.sizes[0]}")
        x = X.astype(net.dtype, copy=False).T
        with np.errstate(over="ignore", invalid="ignore"):
            return net.forward(x)[1][-1].T

    def _reported_loss(self, Y, sample_weight):
        """(scale, offset): scikit-learn's loss is scale C + offset for the network's cost C on targets Y (n, k).

        The classifier's log losses are the network's costs as they are; MLPRegressor overrides this.
        """
        return 1.0, 0.0

    # ---- fitting ----------------------------------------------------------------------------------
    def _fit(self, X, Y, sample_weight, incremental, stratify=None, data=None):
        """Fit on validated X (n, n_features) and encoded targets Y (n, n_outputs); returns self.

        data: (X, y, sample_weight) as fit received them, what scikit-learn's callbacks score on.
        """
        if not hasattr(self, "coefs_") or not (self.warm_start or incremental):
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], Y.shape[1], np.dtype(self.dtype) if self.dtype is not None else X.dtype)
        elif not hasattr(self, "_random_state"):  # coefs_ assigned by hand
            self._random_state = check_random_state(self.random_state)
        net = self._network()
        check_continuation(self, net, X.shape[1], Y.shape[1])  # a warm start goes on with the network it has
        X = X.tocsr().astype(net.dtype, copy=False) if issparse(X) else X.astype(net.dtype, copy=False)
        Y = Y.astype(net.dtype, copy=False)
        iterations = self.max_iter + 1 if self.solver == "lbfgs" else 1 if incremental else self.max_iter
        tasks = FitTasks(self, *(data or (X, None, None)), iterations)
        if self.solver == "lbfgs":
            fit_lbfgs(self, net, X, Y, relative_weights(sample_weight, net.dtype), sample_weight, tasks)
        else:
            self._fit_stochastic(net, X, Y, sample_weight, incremental, stratify, tasks)
        tasks.end()
        if not np.isfinite(net.parameters).all():
            raise ValueError(DIVERGED)
        return self

    def _batch_size(self, n):
        """scikit-learn's rule: "auto" is min(200, n); a size over n is n, with a warning."""
        if self.batch_size != "auto" and self.batch_size > n:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training samples; using {n}",
                          stacklevel=6)
        return min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)

    def _fit_stochastic(self, net, X, Y, sample_weight, incremental, stratify, tasks):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True; set early_stopping=False "
                             "or call fit")
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = StepSizes.for_estimator(self)
        X, Y, sample_weight, validation = self._split_validation(X, Y, sample_weight, stratify)
        if validation is not None and getattr(self, "validation_loss_curve_", None) is None:
            self._reset_validation()  # a warm start that turned early_stopping on
        n = X.shape[0]
        batch = self._batch_size(n)
        steps = self._optimizer
        # scikit-learn's penalty is (alpha / 2) ||W||^2 over each batch of m samples: gradient alpha W / m.
        # Weighted samples count as their weight (weight 2 is a duplicate), so m is the batch's total weight.
        weight_mean = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        steps.rule.weight_decay = self.alpha / (batch * weight_mean)
        batches = Batches(net, TrainingData(X, Y, relative_weights(sample_weight, X.dtype), None, False, batch))
        scale, offset = self._reported_loss(Y, sample_weight)
        self.n_iter_ = 0
        order = np.arange(n)
        rates, seconds = self.__dict__.setdefault("_learning_rate_curve", []), \
            self.__dict__.setdefault("_seconds_curve", [])
        for _ in range(self.max_iter):
            start, rate = time.perf_counter(), steps.learning_rate
            tasks.begin_iteration()
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
            penalty = 0.5 * self.alpha * squares * math.ceil(n / batch) / (n * weight_mean)
            self.loss_ = scale * cost + offset + penalty
            self.loss_curve_.append(self.loss_)
            rates.append(rate)
            seconds.append(time.perf_counter() - start)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            self._count_no_improvement(validation, penalty)
            steps.iteration_ends(self.t_, self.n_iter_)
            stop_requested = tasks.end_iteration()  # a callback's on_fit_task_end returned True
            if diverged or self._stops(steps, validation) or incremental or stop_requested:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                              "optimization hasn't converged yet; raise max_iter or tol", ConvergenceWarning,
                              stacklevel=5)
        if validation is not None and self._best is not None:  # keep the best epoch's weights
            self._best.restore(net.parameters)
        elif diverged:
            raise ValueError(f"{DIVERGED} (the loss became non-finite at iteration {self.n_iter_})")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _is_transpose(c, W):
    """Whether c is a view of W transposed: coefs_[l] while it is in step with the network's W_l."""
    return (isinstance(c, np.ndarray) and c.shape == W.shape[::-1] and c.strides == W.strides[::-1]
            and c.dtype == W.dtype and c.__array_interface__["data"][0] == W.__array_interface__["data"][0])


def _no_signals():
    """The training loop's signal check: the estimators leave Ctrl-C to Python."""
