"""scikit-learn estimators backed by backprop's engine: MLPClassifier and MLPRegressor.

A drop-in for scikit-learn's own MLP: the same parameters, attributes (coefs_ in its (n_in, n_out)
layout, intercepts_, loss_curve_, n_iter_, t_, ...), solvers (sgd, adam, lbfgs) and behaviour;
scikit-learn's test_mlp.py passes against them (tests/test_sklearn_suite.py). backprop adds an
activation per hidden layer, the output and cost by name, class_weight and a dtype. Importing
this package imports scikit-learn; backprop's core does not.
"""

from .estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
