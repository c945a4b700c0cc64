"""backprop's scikit-learn estimators: scikit-learn's own checks, meta-estimators, digits, Dask.

scikit-learn's own MLP tests run against them in test_sklearn_suite.py; what they add is tested here.
"""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from backprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# Checks that cannot pass for a stochastic mini-batch learner, each with the reason.
EXPECTED_FAILURES = {}


@parametrize_with_checks(
    [MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)], expected_failed_checks=lambda est: EXPECTED_FAILURES
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)


@pytest.mark.slow
def test_pipeline_grid_search_cross_val_and_clone(digits):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0, learning_rate_init=0.003)
    )
    scores = cross_val_score(pipe, X_train, y_train, cv=3)
    assert scores.mean() > 0.9
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2, n_jobs=-1).fit(X_train, y_train)
    assert search.best_score_ > 0.9 and search.score(X_test, y_test) > 0.9
    copy = clone(search.best_estimator_)
    assert copy.get_params()["mlpclassifier__alpha"] == search.best_params_["mlpclassifier__alpha"]
    assert not hasattr(copy[-1], "network_")


@pytest.mark.slow
def test_digits_accuracy_within_one_point_of_scikit_learn(digits):
    from sklearn.neural_network import MLPClassifier as SkMLP

    X_train, X_test, y_train, y_test = digits
    settings = dict(hidden_layer_sizes=(64,), solver="adam", max_iter=60, random_state=0, tol=0, batch_size=64)
    ours = [
        MLPClassifier(**{**settings, "random_state": s}).fit(X_train, y_train).score(X_test, y_test) for s in range(3)
    ]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached: ConvergenceWarning
        theirs = [
            SkMLP(**{**settings, "random_state": s}).fit(X_train, y_train).score(X_test, y_test) for s in range(3)
        ]
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.01, (ours, theirs)


def test_estimator_attributes_warm_start_and_early_stopping(digits):
    X_train, _, y_train, _ = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0, tol=0).fit(X_train, y_train)
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 5 and clf.n_features_in_ == 64
    assert list(clf.classes_) == list(range(10)) and clf.validation_scores_ is None
    clf.set_params(warm_start=True).fit(X_train, y_train)
    # n_iter_ counts this fit's iterations (as scikit-learn's); loss_curve_ and t_ go on across fits
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 10 and clf.loss_curve_[5] < clf.loss_curve_[0]
    assert clf.t_ == 10 * len(X_train) and clf.best_loss_ == min(clf.loss_curve_)
    stopped = MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=500, early_stopping=True, n_iter_no_change=3, random_state=0
    ).fit(X_train, y_train)
    assert stopped.n_iter_ < 500 and len(stopped.validation_scores_) == stopped.n_iter_
    assert stopped.best_validation_score_ == max(stopped.validation_scores_)
    part = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    part.partial_fit(X_train[:100], y_train[:100], classes=np.arange(10))
    part.partial_fit(X_train[100:], y_train[100:])
    assert part.n_iter_ == 1 and part.t_ == len(X_train) and len(part.loss_curve_) == 2


def test_regressor_and_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
    reg = MLPRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0, learning_rate_init=0.01).fit(X, y)
    assert reg.predict(X).shape == (200,) and reg.score(X, y) > 0.95
    labels = np.where(X[:, 0] > 0, "yes", "no")
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0, learning_rate_init=0.01).fit(X, labels)
    assert set(clf.predict(X)) <= {"yes", "no"} and clf.score(X, labels) > 0.9


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster(digits):
    """The same GridSearchCV, run through joblib's dask backend on a LocalCluster (loopback only)."""
    distributed = pytest.importorskip("distributed")
    import joblib
    from sklearn.model_selection import GridSearchCV

    X_train, _, y_train, _ = digits
    grid = {"hidden_layer_sizes": [(16,), (32,)], "alpha": [1e-4, 1e-2]}
    local = GridSearchCV(MLPClassifier(max_iter=20, random_state=0), grid, cv=2).fit(X_train, y_train)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(MLPClassifier(max_iter=20, random_state=0), grid, cv=2, n_jobs=-1).fit(
                X_train, y_train
            )
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_


# ---- what the drop-in adds to the engine's estimators ------------------------------------------------
def small_problem(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)


def test_coefs_are_the_networks_weights_transposed_and_setting_them_changes_the_model():
    X, y = small_problem()
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    net = clf.network_
    assert [c.shape for c in clf.coefs_] == [(5, 4), (4, 3)]
    np.testing.assert_array_equal(clf.coefs_[0], net.weights[0].T)
    proba = clf.predict_proba(X)
    clf.coefs_[1][:] = 0.0  # in place: a view of W_2
    clf.intercepts_[1] = np.array([0.0, 5.0, 0.0])  # assigned: copied in before the next use
    assert (clf.predict(X) == clf.classes_[1]).all() and not np.allclose(clf.predict_proba(X), proba)
    np.testing.assert_array_equal(clf.network_.biases[1], [0.0, 5.0, 0.0])


def test_lbfgs_objective_gradient_matches_finite_differences():
    from backprop.sklearn.solvers import lbfgs_objective

    X, y = small_problem(12)
    for activation in ("identity", "logistic", "tanh", "relu"):
        clf = MLPClassifier(
            hidden_layer_sizes=(3,), activation=activation, solver="lbfgs", max_iter=1, alpha=0.1, random_state=1
        )
        with pytest.warns(sklearn.exceptions.ConvergenceWarning):
            clf.fit(X, y)
        Y = clf._label_binarizer.transform(y).astype(float)
        weights = np.linspace(0.5, 2, len(X))
        fun, theta, _ = lbfgs_objective(clf.network_, X, Y, weights / weights.mean(), clf.alpha, weights.sum())
        _, grad = fun(theta)
        eps, numeric = 1e-6, np.empty_like(theta)
        for i in range(theta.size):
            step = np.zeros_like(theta)
            step[i] = eps
            numeric[i] = (fun(theta + step)[0] - fun(theta - step)[0]) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_cosine_schedule_runs_over_max_iter_without_restarting(monkeypatch):
    import math

    from backprop.sklearn import base

    rates, one_epoch = [], base.one_epoch

    def recording(net, batches, rule, learning_rate, *rest):
        rates.append(learning_rate)
        return one_epoch(net, batches, rule, learning_rate, *rest)

    monkeypatch.setattr(base, "one_epoch", recording)
    X, y = small_problem()
    MLPClassifier(
        hidden_layer_sizes=(4,),
        learning_rate="cosine",
        learning_rate_init=0.1,
        max_iter=8,
        tol=0,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)
    assert rates == pytest.approx([0.05 * (1 + math.cos(math.pi * k / 8)) for k in range(8)])


def test_loss_curve_counts_the_l2_penalty_once_per_batch():
    X, y = small_problem(50)
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        momentum=0,
        learning_rate_init=1e-12,
        alpha=3.0,
        batch_size=20,
        max_iter=1,
        random_state=0,
    )
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        clf.fit(X, y)
    Y = clf._label_binarizer.transform(y)
    squares = sum((W**2).sum() for W in clf.coefs_)
    # 3 batches of 20, 20 and 10 samples: scikit-learn adds (alpha / 2) ||W||^2 / m_b per batch, weighted by m_b / n
    expected = clf.network_.cost(X, Y) + 0.5 * clf.alpha * squares * 3 / 50
    assert clf.loss_curve_[0] == pytest.approx(expected, rel=1e-9)


def test_sparse_inputs_go_through_the_engine_without_densifying():
    import scipy.sparse as sp

    from backprop.network import Network

    rng = np.random.default_rng(0)
    X = rng.random((7, 6)) * (rng.random((7, 6)) < 0.3)
    Y = rng.random((7, 2))
    net = Network([6, 4, 2], activation="tanh", seed=0)
    dense = net.gradients(X, Y)
    x = sp.csr_matrix(X).T
    grad_w, grad_b = [np.empty_like(W) for W in net.weights], [np.empty_like(b) for b in net.biases]
    a, _ = net.backprop(x, Y.T, None, grad_w, grad_b)
    np.testing.assert_allclose(a[-1], net.forward(X.T)[1][-1])
    for got, want in zip(grad_w + grad_b, dense[0] + dense[1]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    for solver in ("sgd", "adam"):  # sgd takes the fused step's fallback for sparse a_0
        settings = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0, tol=0)
        with pytest.warns(sklearn.exceptions.ConvergenceWarning):
            on_dense = MLPRegressor(**settings).fit(X, Y)
        with pytest.warns(sklearn.exceptions.ConvergenceWarning):
            on_sparse = MLPRegressor(**settings).fit(sp.csr_matrix(X), Y)
        np.testing.assert_allclose(on_sparse.predict(sp.csr_matrix(X)), on_dense.predict(X), rtol=1e-10)


def test_float32_input_trains_and_predicts_in_float32_unless_dtype_says_otherwise():
    X, y = small_problem()
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        reg.fit(X.astype(np.float32), y)
    assert reg.network_.dtype == np.float32 and reg.predict(X.astype(np.float32)).dtype == np.float32
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        reg.set_params(dtype="float64").fit(X.astype(np.float32), y)
    assert reg.coefs_[0].dtype == np.float64


def test_backprops_additions_per_layer_activation_output_cost_and_class_weight():
    X, y = small_problem(90)
    clf = MLPClassifier(
        hidden_layer_sizes=(6, 4),
        activation=["tanh", "relu"],
        output="softmax",
        max_iter=3,
        random_state=0,
        class_weight="balanced",
    )
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        clf.fit(X, y)
    assert [a.name for a in clf.network_.activations] == ["tanh", "relu", "softmax"]
    binary = MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    with pytest.warns(sklearn.exceptions.ConvergenceWarning):
        binary.fit(X, y > 0)
    assert binary.n_outputs_ == 1 and binary.out_activation_ == "logistic"  # one logistic unit for two classes
    with pytest.raises(ValueError, match="activation lists 1 names for 2 hidden layers"):
        MLPClassifier(hidden_layer_sizes=(6, 4), activation=["tanh"]).fit(X, y)


@pytest.mark.slow
def test_readme_snippet_runs():
    import pathlib
    import re

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("## With scikit-learn") :]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "from backprop.sklearn import" in snippet
    exec(compile(snippet, "README.md", "exec"), {})


def test_bench_estimator_table_prints_a_row_per_setting():
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
    from harness import estimator_comparison

    lines = []
    results = estimator_comparison(
        datasets=("mnist-shaped",), solvers=("adam", "lbfgs"), n=100, max_iter=2, report=lines.append
    )
    rows = [line for line in lines if line.startswith("| mnist-shaped |")]
    assert len(rows) == len(results) == 4 and all(row.count("|") == 10 for row in rows)
    assert any("speed-up" in line for line in lines)


def test_bench_float32_rows_give_both_sides_float32_data():
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
    from harness import estimator_comparison, estimator_data

    assert [a.dtype for a in estimator_data("mnist-shaped float32", n=50)[:2]] == [np.float32] * 2
    assert estimator_data("digits", n=50)[0].dtype == np.float64
    lines = []
    estimator_comparison(datasets=("digits float32",), solvers=("adam",), max_iter=1, report=lines.append)
    assert sum(line.startswith("| digits float32 | ") for line in lines) == 2


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_fits_take_scikit_learns_steps_exactly(solver, rng):
    """Same initial weights, the same shuffles (each epoch reshuffles the last order) and scikit-learn's
    Adam (eps added to sqrt(v)): the weights after five epochs equal scikit-learn's to rounding."""
    from sklearn.neural_network import MLPClassifier as Theirs
    X = rng.normal(size=(96, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    settings = dict(hidden_layer_sizes=(7,), solver=solver, batch_size=16, tol=0, learning_rate_init=0.05,
                    max_iter=5, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = MLPClassifier(**settings).fit(X, y), Theirs(**settings).fit(X, y)
    for p, q in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_regressor_reports_scikit_learns_loss_and_stops_where_it_does(loss, solver, rng):
    """scikit-learn's squared error averages over the outputs and its Poisson loss keeps y log y - y: loss_
    is on its scale, so tol stops training at the same iteration and L-BFGS takes the same steps."""
    from sklearn.neural_network import MLPRegressor as Theirs
    X = rng.normal(size=(120, 4))
    Y = np.exp(0.5 * X[:, :3] + 0.3 * rng.normal(size=(120, 3)))  # three positive outputs
    settings = dict(loss=loss, hidden_layer_sizes=(6,), solver=solver, batch_size=20, learning_rate_init=0.01,
                    max_iter=400 if solver == "sgd" else 50, tol=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = MLPRegressor(**settings).fit(X, Y), Theirs(**settings).fit(X, Y)
    assert ours.n_iter_ == theirs.n_iter_
    if solver == "sgd":  # tol stopped both early; scikit-learn adds each batch's penalty with that batch's W
        assert ours.n_iter_ < 400
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-4)
    else:
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-9)
