"""scikit-learn's callbacks (sklearn.callback, 1.9+): one subtask per iteration; nothing breaks without them."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from backprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn before 1.9 has no callbacks")


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:400] / 16, y[:400]


def fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def iteration_rows(monitor):
    return [row for row in monitor.get_logs().data if row["task_name"] == "iteration"]


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_scoring_monitor_logs_one_score_per_iteration(solver, digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=6, random_state=0, learning_rate_init=0.01)
    fit(clf.set_callbacks(monitor), X, y)
    rows = iteration_rows(monitor)
    assert clf.n_iter_ == 6 and len(rows) == clf.n_iter_
    assert [row["task_id"] for row in rows] == list(range(6))
    # Each score is the model after that iteration: the last one is the fitted model's.
    assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, y), abs=1e-12)
    assert len({row["accuracy"] for row in rows}) > 1  # the weights changed from one iteration to the next


def test_the_scores_follow_the_weights_of_each_epoch(digits):
    """A second fit with max_iter=k stops where the first was after k epochs: its score is the k-th logged."""
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    settings = dict(hidden_layer_sizes=(8,), solver="sgd", random_state=0, tol=0, learning_rate_init=0.05)
    fit(MLPClassifier(max_iter=5, **settings).set_callbacks(monitor), X, y)
    scores = [row["accuracy"] for row in iteration_rows(monitor)]
    for k in (1, 3):
        assert fit(MLPClassifier(max_iter=k, **settings), X, y).score(X, y) == pytest.approx(scores[k - 1], abs=1e-12)


def test_regressor_and_early_stopping_log_per_iteration_and_a_callback_can_stop_the_fit(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="r2")
    reg = fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, early_stopping=True, n_iter_no_change=3,
                           learning_rate_init=0.01, random_state=0).set_callbacks(monitor), X, y.astype(float))
    assert reg.n_iter_ < 300 and len(iteration_rows(monitor)) == reg.n_iter_

    class StopAfterThree:
        def setup(self, estimator, context):
            self.ends = 0

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context):
            self.ends += context.task_name == "iteration"
            return self.ends >= 3

        def teardown(self, estimator, context):
            pass

    for solver in ("adam", "lbfgs"):
        clf = fit(MLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=50, random_state=0)
                  .set_callbacks(StopAfterThree()), X, y)
        assert clf.n_iter_ == 3


def test_progress_bar_shows_the_epochs(digits, capsys):
    pytest.importorskip("rich")
    X, y = digits
    fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, random_state=0).set_callbacks(callback.ProgressBar()), X, y)
    shown = capsys.readouterr().out
    assert "MLPClassifier - fit" in shown and "100%" in shown


def test_each_partial_fit_is_one_iteration(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0).set_callbacks(monitor)
    clf.partial_fit(X, y, classes=np.arange(10))
    clf.partial_fit(X, y)
    runs = monitor.get_logs(select="all")
    assert [len([r for r in run.data if r["task_name"] == "iteration"]) for run in runs] == [1, 1]


@pytest.mark.slow
def test_without_sklearn_callback_the_estimators_fit_and_have_no_set_callbacks():
    """An older scikit-learn, simulated: once scikit-learn's own modules are loaded, sklearn.callback loses
    CallbackSupportMixin, so backprop's `from sklearn.callback import CallbackSupportMixin` fails."""
    code = """
import numpy as np, sklearn.callback, sklearn.metrics, sklearn.model_selection, sklearn.preprocessing
del sklearn.callback.CallbackSupportMixin
from backprop.sklearn import MLPClassifier
from backprop.sklearn.callbacks import CallbackSupportMixin
X = np.random.default_rng(0).normal(size=(40, 3)); y = (X[:, 0] > 0).astype(int)
clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, solver="lbfgs").fit(X, y)
clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
print(CallbackSupportMixin.__module__, hasattr(clf, "set_callbacks"), clf.n_iter_, clf.predict(X).shape)
"""
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stdout.split() == ["backprop.sklearn.callbacks", "False", "3", "(40,)"], out.stderr
