"""The estimators' checks before any work: scikit-learn's parameter constraints, warm starts that changed the
network, coefs_ and intercepts_ of the wrong shape, sample weights whose sum overflows."""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

from backprop.sklearn import MLPClassifier, MLPRegressor, base  # noqa: E402


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)


@pytest.fixture
def no_epoch(monkeypatch):
    """Training an epoch fails the test: the checks must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("an epoch ran before the parameters were checked")

    monkeypatch.setattr(base, "one_epoch", refuse)


BAD = [
    ("max_iter", 2.5), ("max_iter", np.inf), ("max_iter", 0), ("activation", None), ("activation", "softplus"),
    ("hidden_layer_sizes", None), ("hidden_layer_sizes", 1.5), ("solver", "newton"), ("alpha", -1.0),
    ("batch_size", 0), ("batch_size", "all"), ("learning_rate", "cyclic"), ("learning_rate_init", 0.0),
    ("momentum", 1.5), ("validation_fraction", 1.0), ("n_iter_no_change", 0), ("tol", -1e-3),
    ("beta_1", 1.0), ("epsilon", 0.0), ("max_fun", 0), ("shuffle", "yes"), ("early_stopping", "loss"),
    ("early_stopping_metric", "accuracy"), ("dtype", "int8"), ("output", "softplus"), ("cost", "hinge"),
]


@pytest.mark.parametrize("name,value", BAD, ids=[f"{n}={v!r}" for n, v in BAD])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_a_bad_parameter_raises_invalid_parameter_error_naming_it_before_any_work(Estimator, name, value, data,
                                                                                  no_epoch):
    X, y = data
    est = Estimator(max_iter=2).set_params(**{name: value})
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {Estimator.__name__}"):
        est.fit(X, y)
    assert not hasattr(est, "n_features_in_") and not hasattr(est, "coefs_")  # X was not even read


def test_each_estimators_own_parameter_is_checked(data, no_epoch):
    X, y = data
    with pytest.raises(InvalidParameterError, match="'class_weight' parameter"):
        MLPClassifier(class_weight="uniform").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        MLPRegressor(loss="huber").fit(X, y)


def test_partial_fit_checks_parameters_changed_after_the_first_call(data):
    X, y = data
    clf = MLPClassifier(hidden_layer_sizes=(3,)).partial_fit(X, y, classes=[0, 1, 2])
    clf.set_params(learning_rate_init=-0.1)  # scikit-learn's _fit_context checks only the first partial_fit
    with pytest.raises(InvalidParameterError, match="'learning_rate_init'"):
        clf.partial_fit(X, y)


def test_every_parameter_has_a_constraint():
    for Estimator in (MLPClassifier, MLPRegressor):
        assert set(Estimator().get_params()) == set(Estimator._parameter_constraints)


@pytest.mark.parametrize("change,match", [
    ({"hidden_layer_sizes": (5,)}, "hidden_layer_sizes=\\(5,\\), but the fitted network's hidden layers are \\(4,\\)"),
    ({"hidden_layer_sizes": (4, 4)}, "hidden layers are \\(4,\\)"),
    ({"activation": "tanh"}, "activation='tanh', but the fitted network's hidden layers use \\['relu'\\]"),
    ({"output": "sigmoid"}, "output layer would be sigmoid with cost binary_cross_entropy"),
    ({"dtype": "float32"}, "dtype='float32', but the fitted network is float64"),
])
@pytest.mark.parametrize("incremental", [False, True])
def test_a_warm_start_that_changed_the_network_raises_value_error(change, match, incremental, data, monkeypatch):
    X, y = data
    fitted = MLPClassifier(hidden_layer_sizes=(4,), warm_start=True, max_iter=1)
    with pytest.warns(ConvergenceWarning):
        fitted.fit(X, y)
    weights = [c.copy() for c in fitted.coefs_]
    fitted.set_params(**change)
    monkeypatch.setattr(base, "one_epoch", lambda *args: pytest.fail("an epoch ran before the check"))
    with pytest.raises(ValueError, match=match):
        fitted.partial_fit(X, y) if incremental else fitted.fit(X, y)
    for before, after in zip(weights, fitted.coefs_):
        np.testing.assert_array_equal(before, after)


def test_a_warm_start_with_more_features_raises_value_error(data):
    X, y = data
    reg = MLPRegressor(hidden_layer_sizes=(3,), warm_start=True, max_iter=2)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    for refit in (reg.fit, reg.partial_fit):
        with pytest.raises(ValueError, match="X has 6 features, but MLPRegressor is expecting 5"):
            refit(np.hstack([X, X[:, :1]]), y)


def test_coefs_set_by_hand_to_the_wrong_shape_raise_value_error(data):
    X, y = data
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    good = [c.copy() for c in clf.coefs_], [b.copy() for b in clf.intercepts_]
    wrong = [("coefs_", 0, np.zeros((3, 4)), "describe layers \\[3, 4, 3\\], but the fitted network has \\[5, 4, 3\\]"),
             ("coefs_", 0, np.zeros((5, 6)), "intercepts_\\[0\\] has shape \\(4,\\); it must be \\(6,\\)"),
             ("coefs_", 1, np.zeros(12), "coefs_\\[1\\] has shape \\(12,\\)"),
             ("intercepts_", 0, np.zeros(7), "intercepts_\\[0\\] has shape \\(7,\\); it must be \\(4,\\)")]
    for name, l, array, match in wrong:
        getattr(clf, name)[l] = array
        with pytest.raises(ValueError, match=match):
            clf.predict(X)
        clf.coefs_, clf.intercepts_ = [c.copy() for c in good[0]], [b.copy() for b in good[1]]
        clf.predict(X)
    unfitted = MLPClassifier()
    unfitted.coefs_, unfitted.intercepts_ = [np.zeros((5, 2)), np.zeros((3, 1))], [np.zeros(2), np.zeros(1)]
    with pytest.raises(ValueError, match="coefs_\\[1\\] has shape \\(3, 1\\); it must be \\(2, n_out\\)"):
        unfitted._forward(X)


@pytest.mark.parametrize("weight", [1e308, 1e-320])
def test_sample_weights_whose_sum_leaves_the_float_range_are_refused(weight, data, no_epoch):
    X, y = data
    for est in (MLPClassifier(), MLPRegressor(), MLPClassifier(dtype="float32")):
        with pytest.raises(ValueError, match="sample_weight sums to .*beyond a float's range"):
            est.fit(X, y, sample_weight=np.full(len(X), weight))


def test_large_sample_weights_within_range_train_as_their_ratios_do(data):
    """Weights of 1e300 are fine in float64 and equal to weights of 1 (float32 data included: scaled first)."""
    X, y = data
    settings = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0, solver="sgd", alpha=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ones = MLPClassifier(**settings).fit(X.astype(np.float32), y, sample_weight=np.ones(len(X)))
        huge = MLPClassifier(**settings).fit(X.astype(np.float32), y, sample_weight=np.full(len(X), 1e300))
    assert np.isfinite(huge.loss_curve_).all()
    for p, q in zip(ones.coefs_, huge.coefs_):
        np.testing.assert_allclose(p, q, rtol=1e-5)
