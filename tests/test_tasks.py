"""The task rule (backprop.tasks): one output layer per task, the same in every front end."""

import numpy as np
import pytest

from backprop import io as model_io
from backprop.cli import main
from backprop.learn.playground.session import Session, Settings
from backprop.tasks import class_indices, output_layer, probabilities


def test_the_rule_gives_each_task_its_output_layer_and_cost():
    assert output_layer("classification", 2) == (1, "sigmoid", "binary_cross_entropy")
    assert output_layer("classification", 3) == (3, "softmax", "cross_entropy")
    assert output_layer("regression", 2) == (2, "identity", "mse")
    # A chosen output or cost is kept: two classes under a softmax get two units.
    assert output_layer("classification", 2, output="softmax") == (2, "softmax", "cross_entropy")
    assert output_layer("classification", 3, output="sigmoid") == (3, "sigmoid", "binary_cross_entropy")
    assert output_layer("regression", 1, output="sigmoid") == (1, "sigmoid", "mse")
    assert output_layer("classification", 2, cost="mse") == (1, "sigmoid", "mse")


def test_class_indices_are_the_arg_max_or_a_strict_half_threshold_in_either_orientation():
    one_unit = np.array([[0.2], [0.5], [0.51], [0.9]])            # (n, 1): rows are samples
    assert class_indices(one_unit).tolist() == [0, 0, 1, 1]
    assert class_indices(one_unit.T, axis=0).tolist() == [0, 0, 1, 1]  # the engine's (n_L, m)
    assert class_indices(one_unit).dtype == np.intp                # usable as an index into the labels
    three = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    assert class_indices(three).tolist() == [1, 0]
    assert class_indices(three.T, axis=0).tolist() == [1, 0]
    out = np.empty(2, np.intp)
    assert class_indices(three.T, axis=0, out=out) is out
    assert probabilities(one_unit)[:, 0].tolist() == pytest.approx([0.8, 0.5, 0.49, 0.1])


def test_every_front_end_gives_two_classes_one_logistic_unit(tmp_path):
    """The command line, the playground and the estimator build the same last layer for a binary problem."""
    from backprop.sklearn import MLPClassifier

    assert main(["train", "--data", "moons", "--epochs", "1", "--layers", "3", "--quiet", "--no-plots",
                 "--out", tmp_path / "m.npz"]) == 0
    net, _ = model_io.load(tmp_path / "m.npz")
    cli = (net.sizes[-1], net.activations[-1].name, net.cost_function.name)

    page = Session(Settings.from_dict({"dataset": "circle"})).net
    playground = (page.sizes[-1], page.activations[-1].name, page.cost_function.name)

    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    fitted = est.network_
    estimator = (fitted.sizes[-1], fitted.activations[-1].name, fitted.cost_function.name)

    assert cli == playground == estimator == (1, "sigmoid", "binary_cross_entropy")
    assert (est.n_outputs_, est.out_activation_) == (1, "logistic")  # in scikit-learn's words


def test_a_binary_model_gives_two_probability_columns_and_labels_by_the_threshold(tmp_path):
    assert main(["train", "--data", "moons", "--epochs", "2", "--layers", "3", "--quiet", "--no-plots",
                 "--out", tmp_path / "m.npz"]) == 0
    from backprop import load
    from backprop.data.datasets import load as load_set

    model = load(tmp_path / "m.npz")
    X = load_set("moons")[0][:50]
    p = model.predict_output(X)[:, 0]
    proba = model.predict_proba(X)
    assert proba.shape == (50, 2) and np.allclose(proba[:, 1], p) and np.allclose(proba.sum(axis=1), 1)
    assert model.predict(X).tolist() == np.asarray(model.classes)[(p > 0.5).astype(int)].tolist()
