"""validation_loss_curve_ beside scikit-learn's validation_scores_, and early stopping on the validation loss."""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from backprop.sklearn import MLPClassifier, MLPRegressor, stopping  # noqa: E402


def problem(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)


@pytest.fixture
def held_out(monkeypatch):
    """The rows each fit holds out, as the estimator's own split drew them: [(X_train, X_val, Y_val)]."""
    splits, split = [], stopping.train_test_split

    def recording(*arrays, **kwargs):
        parts = split(*arrays, **kwargs)
        splits.append((parts[0], parts[1], parts[3]))
        return parts

    monkeypatch.setattr(stopping, "train_test_split", recording)
    return splits


def fitted(Estimator, X, y, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(**{"hidden_layer_sizes": (8,), "random_state": 0, **settings}).fit(X, y)


@pytest.mark.parametrize("metric", ["score", "loss"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_validation_loss_curve_has_one_value_per_iteration(Estimator, metric):
    X, y = problem()
    est = fitted(Estimator, X, y, early_stopping=True, early_stopping_metric=metric, max_iter=15,
                 n_iter_no_change=100)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == len(est.loss_curve_) == est.n_iter_ == 15
    assert np.isfinite(est.validation_loss_curve_).all()
    assert est.best_validation_loss_ == min(est.validation_loss_curve_)
    plain = fitted(Estimator, X, y, max_iter=3)
    assert plain.validation_loss_curve_ is None and plain.best_validation_loss_ is None


@pytest.mark.parametrize("Estimator,alpha", [(MLPClassifier, 0.0), (MLPClassifier, 0.5), (MLPRegressor, 0.5)])
def test_the_validation_loss_is_loss_curves_loss_on_the_held_out_rows(Estimator, alpha, held_out):
    """Recomputed from the weights kept (the lowest validation loss's): the data loss on the rows scikit-learn's
    split holds out, plus loss_curve_'s L2 term (alpha / 2) ||W||^2 counted once per batch."""
    X, y = problem()
    est = fitted(Estimator, X, y, early_stopping=True, max_iter=4, n_iter_no_change=100, alpha=alpha,
                 batch_size=50, solver="sgd", early_stopping_metric="loss")
    (X_train, X_val, Y_val), = held_out  # Y_val encoded: one-hot rows, or a column of values
    if Estimator is MLPClassifier:
        data_loss = -np.mean(np.log(est.predict_proba(X_val)[Y_val.astype(bool)]))
    else:
        data_loss = 0.5 * np.mean((est.predict(X_val) - Y_val[:, 0]) ** 2)
    batches = int(np.ceil(len(X_train) / 50))
    penalty = 0.5 * alpha * sum((W**2).sum() for W in est.coefs_) * batches / len(X_train)
    assert min(est.validation_loss_curve_) == pytest.approx(data_loss + penalty, rel=1e-10)


def test_early_stopping_on_the_validation_loss_stops_where_the_loss_stalls_and_keeps_its_best_weights(held_out):
    X, y = problem(300)
    settings = dict(early_stopping=True, max_iter=500, n_iter_no_change=5, learning_rate_init=0.05, alpha=0.0)
    loss = fitted(MLPClassifier, X, y, early_stopping_metric="loss", **settings)
    curve = loss.validation_loss_curve_
    best = int(np.argmin(curve))
    # Stopped n_iter_no_change + 1 iterations after the last improvement by tol (scikit-learn's count).
    assert loss.n_iter_ < 500 and loss.n_iter_ == best + 1 + loss.n_iter_no_change + 1
    assert all(c > curve[best] - loss.tol for c in curve[best + 1:])
    # The weights kept are the best loss's: recomputing it on the same rows gives the minimum.
    _, X_val, Y_val = held_out[0]
    data_loss = -np.mean(np.log(loss.predict_proba(X_val)[Y_val.astype(bool)]))
    assert data_loss == pytest.approx(curve[best], rel=1e-10)
    score = fitted(MLPClassifier, X, y, **settings)
    assert score.n_iter_ != loss.n_iter_  # the two metrics stop at different iterations here


def test_a_warm_start_goes_on_appending_to_the_validation_curves():
    X, y = problem()
    est = fitted(MLPRegressor, X, y, early_stopping=True, max_iter=3, warm_start=True)
    est.set_params(max_iter=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == 7
