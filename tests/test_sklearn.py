"""backprop's scikit-learn estimators: scikit-learn's own checks, meta-estimators, digits, Dask."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
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
    assert clf.n_iter_ == 10 and clf.loss_curve_[5] < clf.loss_curve_[0]
    stopped = MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=500, early_stopping=True, n_iter_no_change=3, random_state=0
    ).fit(X_train, y_train)
    assert stopped.n_iter_ < 500 and len(stopped.validation_scores_) == stopped.n_iter_
    assert stopped.best_validation_score_ == max(stopped.validation_scores_)
    part = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    part.partial_fit(X_train[:100], y_train[:100], classes=np.arange(10))
    part.partial_fit(X_train[100:], y_train[100:])
    assert part.n_iter_ == 2


def test_regressor_and_string_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
    reg = MLPRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0, learning_rate_init=0.01).fit(X, y)
    assert reg.predict(X).shape == (200,) and reg.score(X, y) > 0.95
    labels = np.where(X[:, 0] > 0, "yes", "no")
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0, learning_rate_init=0.01).fit(X, labels)
    assert set(clf.predict(X)) <= {"yes", "no"} and clf.score(X, labels) > 0.9


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
