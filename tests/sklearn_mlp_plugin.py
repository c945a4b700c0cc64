"""A pytest plugin that runs scikit-learn's own MLP tests against backprop's estimators.

    PYTHONPATH=tests pytest -p sklearn_mlp_plugin --pyargs sklearn.neural_network.tests.test_mlp

The only change is the import: before the test module is collected, sklearn.neural_network's
MLPClassifier and MLPRegressor are pointed at backprop.sklearn's, so the module's own
`from sklearn.neural_network import MLPClassifier, MLPRegressor` (and every parametrize list
built from it at import time) gets ours. Nothing of scikit-learn's test code is copied here.
"""

import pytest

# Tests of scikit-learn's private functions, which a drop-in does not have: name -> reason.
SKIPPED = {
    "test_gradient": "calls scikit-learn's private MLP._loss_grad_lbfgs; tests/test_sklearn.py checks our lbfgs "
    "gradient against finite differences instead",
}


def pytest_configure(config):
    import sklearn.neural_network

    from backprop.sklearn import MLPClassifier, MLPRegressor

    sklearn.neural_network.MLPClassifier = MLPClassifier
    sklearn.neural_network.MLPRegressor = MLPRegressor


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = SKIPPED.get(item.originalname if hasattr(item, "originalname") else item.name)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
