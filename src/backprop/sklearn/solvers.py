"""How the estimators take steps: the learning rate from one iteration to the next with the rule
that applies each step (the stochastic solvers), and L-BFGS on backprop's own gradients."""

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from ..training.optimizers import Adam, get_optimizer
from ..training.schedules import SCHEDULES

# scikit-learn's learning_rate values; backprop's schedules (step, exponential, cosine) are the others.
SKLEARN_SCHEDULES = ("constant", "invscaling", "adaptive")
LEARNING_RATES = SKLEARN_SCHEDULES + tuple(name for name in SCHEDULES if name not in SKLEARN_SCHEDULES)
MIN_ADAPTIVE_RATE = 1e-6  # "adaptive" stops once the rate is at or below this


class StepSizes:
    """The learning rate across iterations and the step rule (a backprop optimizer) that uses it.

    Kept as the estimator's _optimizer, where scikit-learn keeps its own, with learning_rate the
    rate of the next iteration. The schedule is driven by the estimator's own counts: t, samples
    seen (invscaling), and the iteration within this fit (backprop's schedules, over max_iter).
    """

    def __init__(self, rule, learning_rate_init, schedule, power_t, max_iter):
        self.rule, self.learning_rate_init = rule, float(learning_rate_init)
        self.learning_rate = self.learning_rate_init  # the rate of the next iteration
        self.schedule, self.power_t, self.max_iter = schedule, power_t, max_iter

    @classmethod
    def for_estimator(cls, est):
        if est.solver != "sgd":
            rule = ScikitLearnAdam(beta1=est.beta_1, beta2=est.beta_2, eps=est.epsilon)
        elif est.momentum == 0:
            rule = get_optimizer("sgd")
        else:
            rule = get_optimizer("nesterov" if est.nesterovs_momentum else "momentum", momentum=est.momentum)
        # As in scikit-learn, invscaling and adaptive act on sgd only; backprop's schedules on any solver.
        schedule = est.learning_rate if est.solver == "sgd" or est.learning_rate not in SKLEARN_SCHEDULES \
            else "constant"
        return cls(rule, est.learning_rate_init, schedule, est.power_t, est.max_iter)

    def iteration_ends(self, t, iteration):
        """Set the rate for the next iteration, after `iteration` iterations of this fit and t samples in all."""
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (t + 1) ** self.power_t
        elif self.schedule not in SKLEARN_SCHEDULES:
            self.learning_rate = SCHEDULES[self.schedule](self.learning_rate_init, iteration, self.max_iter)

    def trigger_stopping(self, message, verbose):
        """True to stop after too many iterations without improvement; "adaptive" first divides the rate by 5."""
        if self.schedule != "adaptive" or self.learning_rate <= MIN_ADAPTIVE_RATE:
            if verbose:
                print(message + " Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(message + f" Setting learning rate to {self.learning_rate:f}")
        return False


class ScikitLearnAdam(Adam):
    """Adam as scikit-learn writes it: eps added to sqrt(v) rather than to sqrt(v_hat). The two differ
    while t is small, and on coordinates whose gradient is only the L2 term they keep differing."""

    def _eps_term(self, root_c2):
        return self.eps


def lbfgs_objective(net, X, Y, r, alpha, n, reported=(1.0, 0.0)):
    """(loss_and_gradient, theta0, unpack) for L-BFGS over every weight and bias of net, packed in one vector.

    loss_and_gradient(theta) sets the parameters to theta and returns C + (alpha / 2n) sum ||W_l||^2 and
    its gradient (float64, as scipy wants), from one forward and backward pass of the engine.
    X (m, n_0) dense or sparse, Y (m, n_L), r relative sample weights (mean 1) or None; n the samples'
    total weight. reported (scale, offset) puts the loss on scikit-learn's scale (scale C + offset) and
    leaves the gradient that of C: for a squared error over k outputs scikit-learn's loss is C / k while
    its gradient is C's, and L-BFGS-B's line search and stopping see both, so its steps do too.
    """
    scale, offset = reported
    x, y = X.T, Y.T  # the engine's columns
    params = net.parameters  # theta holds every parameter in this buffer's order, in float64 for scipy
    flat_grads = np.empty_like(params)
    grad_w, grad_b = net.views(flat_grads)

    def unpack(theta):
        params[...] = theta

    def loss_and_gradient(theta):
        unpack(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            a, _ = net.backprop(x, y, r, grad_w, grad_b)
            squares = sum(float(np.vdot(W, W)) for W in net.weights)
            loss = scale * net.cost_of(a[-1], y, r) + offset + 0.5 * alpha * squares / n
        for W, g in zip(net.weights, grad_w):
            g += (alpha / n) * W  # d/dW of (alpha / 2n) ||W||^2
        return loss, flat_grads.astype(np.float64)

    theta0 = params.astype(np.float64)
    return loss_and_gradient, theta0, unpack


def fit_lbfgs(est, net, X, Y, r, sample_weight=None, tasks=None):
    """Minimise the loss of lbfgs_objective with scipy's L-BFGS-B; sets n_iter_ and loss_ (scikit-learn's scale).

    tasks (callbacks.FitTasks): each L-BFGS iteration is one subtask of scikit-learn's callbacks.
    """
    n = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))  # weight 2 counts as a duplicate
    reported = est._reported_loss(Y, sample_weight)
    loss_and_gradient, theta0, unpack = lbfgs_objective(net, X, Y, r, est.alpha, n, reported)
    iterations = [0]

    def iteration_ends(intermediate_result):
        iterations[0] += 1
        if est.verbose:
            print(f"Iteration {iterations[0]}, loss = {intermediate_result.fun:.8f}")
        if tasks is not None and tasks.context is not None:
            unpack(intermediate_result.x)  # the iterate, not the line search's last trial point
            if tasks.end_iteration():
                raise StopIteration  # scipy ends the minimisation there
            tasks.begin_iteration()

    watched = est.verbose or (tasks is not None and tasks.context is not None)
    if tasks is not None:
        tasks.begin_iteration()
    result = minimize(loss_and_gradient, theta0, method="L-BFGS-B", jac=True,
                      callback=iteration_ends if watched else None,
                      options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol})
    unpack(result.x)
    est.n_iter_ = min(int(result.nit), est.max_iter)
    est.loss_ = float(result.fun)
    if result.status != 0:
        warnings.warn(f"lbfgs stopped before converging after {result.nit} iterations and {result.nfev} "
                      f"evaluations ({result.message}); raise max_iter (now {est.max_iter}) or max_fun "
                      f"(now {est.max_fun}), or scale the data", ConvergenceWarning, stacklevel=5)
