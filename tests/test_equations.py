"""Every equation the step-through shows with numbers is arithmetically true as shown, for any batch.

The lines come from explain()'s "stages" (the page and `backprop explain` show exactly these); each is
checked with interval arithmetic on its shown numbers (tests/shown_arithmetic.py), and its value is
compared with the engine's number it stands for.
"""

import itertools

import numpy as np
import pytest

from backprop.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from backprop.learn.explain import build, explain
from shown_arithmetic import check, shown

OUTPUT_COSTS = [(o, "mse") for o in OUTPUT_ACTIVATIONS] + [("softmax", "cross_entropy"),
                                                             ("sigmoid", "binary_cross_entropy")]
PAIRINGS = list(itertools.product(HIDDEN_ACTIVATIONS, OUTPUT_COSTS))
BATCHES = range(1, 9)


def expected_values(r, stage):
    """The engine's numbers each line of each item stands for, in the order the lines are shown."""
    kind, ly, m = stage["kind"], r["layers"][stage["layer"] - 1], r["samples"]
    if kind in ("z", "a"):
        return [ly[kind][j] for j in range(len(ly["z"]))]
    if kind in ("bp1", "bp2"):
        return [ly["delta"][j] for j in range(len(ly["z"]))]
    if kind == "cost":
        return [r["cost_per_sample"] + ([r["cost"]] if m > 1 else [])]
    if kind == "bp3":
        return [[g] for row in ly["dC_dW"] for g in row]
    if kind == "bp4":
        return [[g] for g in ly["dC_db"]]
    return [[w] for layer in r["layers"] for row in layer["W_new"] for w in row] + \
           [[b] for layer in r["layers"] for b in layer["b_new"]]


def check_all(r):
    """Check every line of every stage of r; returns the number of lines checked."""
    checked = 0
    for stage in r["stages"]:
        for line in stage["general"]:
            assert check(line)[0] < 2, f"a general line with arithmetic: {line}"
        wanted = expected_values(r, stage)
        assert len(stage["items"]) == len(wanted), stage["title"]
        for lines, values in zip(stage["items"], wanted):
            assert len(lines) == len(values), (stage["title"], lines)
            for line, value in zip(lines, values):
                parts, shown_value = check(line)
                assert parts >= 2, f"no numbers plugged in: {line}"
                assert shown(f"{shown_value:.6g}").meets(shown(f"{value:.6g}")), (line, value)
                checked += 1
    return checked


@pytest.mark.parametrize("hidden,output_cost", PAIRINGS, ids=[f"{h}-{o}-{c}" for h, (o, c) in PAIRINGS])
def test_every_shown_equation_is_true_for_batches_of_1_to_8(hidden, output_cost):
    output, cost = output_cost
    for m in BATCHES:
        net, X, Y = build([3, 3, 2, 2], activation=hidden, output=output, cost=cost, seed=m, samples=m)
        r = explain(net, X, Y, learning_rate=0.5)
        assert check_all(r) > 0
        deltas = [np.array(layer["delta"]) for layer in r["layers"]]
        assert all(d.shape[1] == m for d in deltas)


def test_the_deltas_shown_are_each_samples_own():
    """delta_L of a batch is the stack of each sample's delta_L alone; (BP3) averages them."""
    net, X, Y = build([2, 3, 2], activation="tanh", output="sigmoid", cost="mse", seed=4, samples=5)
    r = explain(net.copy(), X, Y)
    for i in range(5):
        alone = explain(net.copy(), X[i:i + 1], Y[i:i + 1])
        for layer, single in zip(r["layers"], alone["layers"]):
            np.testing.assert_allclose(np.array(layer["delta"])[:, i], np.array(single["delta"])[:, 0], rtol=1e-12)
    for layer in r["layers"]:
        l = layer["layer"]
        a_prev = np.array(r["x"] if l == 1 else r["layers"][l - 2]["a"])
        np.testing.assert_allclose(layer["dC_dW"], np.array(layer["delta"]) @ a_prev.T / 5, rtol=1e-12)


@pytest.mark.parametrize("line", [
    "z_1[1] = Σ_k W_1[1,k] a_0[k] + b_1[1] = 0.1·1 + 0.2·0.5 + 0.1 = 0.31",  # 0.3
    "δ_2[1] = (a_2[1] − y[1]) · σ'(z_2[1]) = (0.522845 − 1)·(0.522845·(1 − 0.522845)) = -0.0397543",  # /3
    "∂C/∂b_2[1] = (1/m) Σ_i δ_2[1] = (1/3)·(0.1 + 0.2 + 0.3) = 0.6",  # the sum, called a mean
])
def test_the_checker_refuses_false_arithmetic(line):
    with pytest.raises(AssertionError):
        check(line)


def test_the_cost_and_bp1_show_their_numbers_for_every_cost():
    for output, cost in (("sigmoid", "mse"), ("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")):
        net, X, Y = build([2, 3, 2], activation="tanh", output=output, cost=cost, seed=1, samples=2)
        stages = {s["kind"]: s for s in explain(net, X, Y)["stages"]}
        assert all(check(line)[0] >= 2 for line in stages["cost"]["items"][0])
        bp1 = stages["bp1"]
        if cost != "mse":  # the simplification, stated and shown with its numbers
            assert "δ_L = a_L − y" in bp1["general"][1]
            assert all(check(line)[0] >= 3 for line in bp1["items"][0])
        if cost == "binary_cross_entropy":
            assert "cancel" in bp1["general"][1] and "/ (" in bp1["items"][0][0]
