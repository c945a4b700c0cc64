"""backprop explain: its printed numbers are the engine's, checked against finite differences."""

import json
import re

import numpy as np
import pytest

from backprop.learn.explain import build, explain
from backprop.gradcheck import numeric_gradient
from conftest import run_cli


def run(*args):
    result = run_cli("explain", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_default_text_follows_the_reference_and_lowers_the_cost():
    text = run()
    order = [
        text.index(s)
        for s in (
            "forward pass",
            "z_1 =",
            "a_2 =",
            "  cost C =",
            "(BP1) delta_2",
            "(BP2) delta_1",
            "(BP3) dC/dW_2",
            "(BP4) dC/db_1",
            "gradient descent",
        )
    ]
    assert order == sorted(order)
    assert "a_2(1 - a_2)" in text
    before, after = map(float, re.search(r"after the step C = ([\d.]+) \(was ([\d.]+)", text).groups()[::-1])
    assert after < before
    errors = [float(e) for e in re.findall(r"relative error ([\d.e+-]+)", text)]
    assert len(errors) == 4 and max(errors) < 1e-6


# (command-line options, the same network as backprop.learn.explain.build arguments)
CASES = [
    ([], {}),
    (
        ["--layers", "3,4,4,2", "--activation", "tanh", "--output", "softmax", "--cost", "cross_entropy",
         "--samples", "3", "--seed", "2"],
        dict(layers=[3, 4, 4, 2], activation="tanh", output="softmax", cost="cross_entropy", samples=3, seed=2),
    ),
    (
        ["--layers", "2,5,1", "--activation", "relu", "--output", "identity", "--samples", "4",
         "--learning-rate", "0.1"],
        dict(layers=[2, 5, 1], activation="relu", output="identity", samples=4, seed=0),
    ),
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("args,network", CASES)
def test_json_round_trips_and_its_gradients_match_finite_differences(args, network):
    result = json.loads(run(*args, "--format", "json"))
    net, X, Y = build(**network)  # the same network, rebuilt here from the printed settings
    assert net.sizes == result["sizes"]
    np.testing.assert_allclose(np.array(result["x"]).T, X)
    assert result["cost"] == pytest.approx(net.cost(X, Y), rel=1e-12)  # the printed numbers are the network's
    for layer, W, b in zip(result["layers"], net.weights, net.biases):
        np.testing.assert_allclose(layer["W"], W)
        # Independent finite differences on the rebuilt network, compared with the printed backprop values.
        numeric = numeric_gradient(lambda: net.cost(X, Y), W, 1e-6)
        np.testing.assert_allclose(layer["dC_dW"], numeric, rtol=1e-5, atol=1e-9)
        numeric_b = numeric_gradient(lambda: net.cost(X, Y), b, 1e-6)
        np.testing.assert_allclose(layer["dC_db"], numeric_b, rtol=1e-5, atol=1e-9)
        assert layer["dC_dW_error"] < 1e-6 and layer["dC_db_error"] < 1e-6
        lr = result["learning_rate"]
        np.testing.assert_allclose(layer["W_new"], W - lr * np.array(layer["dC_dW"]), rtol=1e-12, atol=1e-15)
    assert result["cost_after"] < result["cost"]


@pytest.mark.slow
def test_markdown_and_depth(tmp_path):
    assert run("--format", "markdown").startswith("## One step")
    text = run("--depth", "8", "--plot", str(tmp_path / "depth.png"))
    rows = [line.split() for line in text.splitlines() if line.strip()[:1].isdigit()]
    sigmoid = [float(r[1]) for r in rows]
    assert len(rows) == 8 and sigmoid[0] < sigmoid[-1] / 100  # vanishing gradient in the first layers
    assert (tmp_path / "depth.png").exists()


def test_the_step_uses_the_engine():
    net, X, Y = build()
    W_before = [W.copy() for W in net.weights]
    result = explain(net, X, Y, learning_rate=0.5)
    grad_w, _ = build()[0].gradients(X, Y)
    for layer, W0, g, W1 in zip(result["layers"], W_before, grad_w, net.weights):
        np.testing.assert_allclose(layer["W_new"], W0 - 0.5 * g, rtol=1e-12)
        np.testing.assert_allclose(W1, layer["W_new"])


@pytest.mark.slow
def test_explain_steps_through_a_trained_model_on_rows_of_the_users_data(tmp_path):
    """A model trained by `backprop train` on a table with a text column, explained on rows 1, 5 and 9."""
    import backprop as bp
    from backprop.checks import as_targets
    from shown_arithmetic import check

    rng = np.random.default_rng(0)
    lines = ["size,region,price,label"]
    for i in range(40):
        size = rng.normal()
        lines.append(f"{size:.3f},{['east', 'west', 'north'][i % 3]},{rng.normal():.3f},{'yes' if size > 0 else 'no'}")
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    trained = run_cli("train", "--data", tmp_path / "d.csv", "--layers", "3", "--epochs", "3",
                      "--out", tmp_path / "m.npz", "--quiet", "--no-plots")
    assert trained.returncode == 0, trained.stderr
    r = json.loads(run(tmp_path / "m.npz", "--data", tmp_path / "d.csv", "--rows", "1,5,9", "--format", "json"))
    assert r["rows"] == [1, 5, 9] and r["samples"] == 3
    model = bp.load(str(tmp_path / "m.npz"))
    table = [line.split(",") for line in lines[1:]]
    raw = [[float(t[0]), t[1], float(t[2])] for t in (table[0], table[4], table[8])]
    import pandas as pd
    X = model.inputs(pd.DataFrame(raw, columns=["size", "region", "price"]))
    np.testing.assert_allclose(np.array(r["x"]).T, X, rtol=1e-12)  # one-hot region, scaled as the model does
    net = model.network.copy(dtype="float64")
    Y = as_targets(model.targets(np.array([t[3] for t in (table[0], table[4], table[8])])), 3, net.sizes[-1], float)
    np.testing.assert_allclose(np.array(r["y"]).T, Y)
    for layer, W in zip(r["layers"], net.weights):
        np.testing.assert_allclose(layer["W"], W, rtol=1e-12)
        np.testing.assert_allclose(layer["dC_dW"], numeric_gradient(lambda: net.cost(X, Y), W, 1e-6), atol=1e-8)
    assert all(check(line)[0] >= 2 for stage in r["stages"] for item in stage["items"] for line in item)
    text = run(tmp_path / "m.npz", "--data", tmp_path / "d.csv", "--rows", "1,5,9")
    assert "m = 3 sample(s), one per column; rows 1, 5, 9 of the data" in text
    bad = run_cli("explain", tmp_path / "m.npz", "--data", tmp_path / "d.csv", "--rows", "1,41")
    assert bad.returncode == 2 and bad.stderr.strip() == \
        f"error: --rows: row 41 is past the end; {tmp_path / 'd.csv'} has 40 rows (1..40)"
