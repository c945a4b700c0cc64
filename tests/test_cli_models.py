"""Model files and run folders, from the command line and from Python: save, load, evaluate, the best epoch."""

import re

import numpy as np
import pytest
from conftest import NAMES, assert_one_error_line, run_cli

import backprop as bp
from backprop.data.datasets import load
from backprop.training import state_of

pytestmark = pytest.mark.slow


def test_a_model_saved_by_the_cli_predicts_the_same_from_python(wine_run, wine_csv):
    folder, _ = wine_run
    model = bp.load(folder / "wine.npz")
    cli = run_cli("predict", folder / "wine.npz", "--data", wine_csv)
    assert cli.returncode == 0, cli.stderr
    from_cli = cli.stdout.split()[1:]
    names, cells, _ = read_cells(str(wine_csv))
    raw = cells[:, [names.index(c) for c in model.encoder.columns]]
    assert list(model.predict(raw)) == from_cli
    assert (model.predict(raw) == NAMES[load("wine")[1]]).mean() > 0.85  # the scaler is applied


def test_a_model_saved_from_python_works_in_the_cli(tmp_path):
    X, y, *_ = load("wine")
    net = bp.Network([13, 8, 3], activation="relu", output="softmax", cost="cross_entropy", seed=0)
    model = bp.Model.for_data(net, X, y)
    bp.train(net, model.inputs(X), model.targets(y), epochs=40)
    bp.save(model, tmp_path / "m.npz")
    np.savetxt(tmp_path / "x.csv", X, delimiter=",")
    out = run_cli("predict", tmp_path / "m.npz", "--data", tmp_path / "x.csv", "--no-header")
    assert out.returncode == 0, out.stderr
    assert [int(v) for v in out.stdout.split()[1:]] == list(bp.load(tmp_path / "m.npz").predict(X))
    assert (model.predict(X) == y).mean() > 0.9


def test_a_bare_network_saves_and_loads_and_the_cli_reads_it(tmp_path):
    net = bp.Network([2, 3, 1], seed=0)
    bp.save(net, tmp_path / "n.npz")
    model = bp.load(tmp_path / "n.npz")
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(model.predict(X), net.predict(X)[:, 0])
    np.savetxt(tmp_path / "x.csv", X, delimiter=",")
    predict = ("predict", tmp_path / "n.npz", "--data", tmp_path / "x.csv", "--no-header")
    for command in (("info", tmp_path / "n.npz"), predict):
        result = run_cli(*command)
        assert result.returncode == 0 and "KeyError" not in result.stderr, result.stderr


def test_out_npz_is_the_model_file_and_plots_go_beside_it(wine_run):
    folder, result = wine_run
    assert (folder / "wine.npz").is_file()
    assert (folder / "wine-plots" / "curves.png").is_file()
    assert "model: " in result.stdout and str(folder / "wine.npz") in result.stdout


def test_every_model_command_takes_a_run_folder(tmp_path):
    assert run_cli("train", "--data", "blobs", "--epochs", "2", "--out", "run", "--quiet", cwd=tmp_path).returncode == 0
    for command in (("info", "run"), ("evaluate", "run", "--data", "blobs"), ("evaluate", "run", "--held-out")):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 0, (command, result.stderr)
    resumed = run_cli("train", "--resume", "run", "--epochs", "1", "--out", "again", "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr


def test_evaluate_scores_all_rows_unless_held_out_is_asked_and_finds_them_by_content(wine_run, wine_csv, tmp_path):
    folder, _ = wine_run
    copy = tmp_path / "elsewhere.csv"
    copy.write_text(wine_csv.read_text())
    every = run_cli("evaluate", folder / "wine.npz", "--data", wine_csv)
    assert "scoring all 178 rows" in every.stdout and "(" in every.stdout
    held = [run_cli("evaluate", folder / "wine.npz", "--data", path, "--held-out").stdout for path in (wine_csv, copy)]
    assert "36 of 178 rows" in held[0] and "held-out accuracy" in held[0]
    assert held[0].split("\n", 1)[1] == held[1].split("\n", 1)[1]  # the path's spelling changes nothing


def test_the_best_epoch_is_named_in_the_message_and_info(tmp_path):
    result = run_cli(
        "train",
        "--data",
        "moons",
        "--epochs",
        "200",
        "--early-stopping",
        "2",
        "--learning-rate",
        "0.05",
        "--out",
        "m",
        "--no-plots",
        cwd=tmp_path,
    )
    best = re.search(r"best epoch (\d+) restored", result.stdout)
    assert best, result.stdout
    info = run_cli("info", "m", cwd=tmp_path).stdout
    assert f"best epoch:   {best.group(1)}" in info
    assert state_of(bp.load(tmp_path / "m").network).history.best_epoch == int(best.group(1))


def test_regression_says_which_figures_are_standardized(tmp_path):
    result = run_cli("train", "--data", "diabetes", "--epochs", "3", "--out", "r", "--no-plots", cwd=tmp_path)
    assert "costs are on the standardized target" in result.stdout
    assert "in the target's own units" in result.stdout
    assert "(on the standardized target)" in run_cli("info", "r", cwd=tmp_path).stdout


def test_predict_proba_on_regression_is_refused(tmp_path):
    run_cli("train", "--data", "diabetes", "--epochs", "1", "--out", "r", "--quiet", "--no-plots", cwd=tmp_path)
    X, *_ = load("diabetes")
    np.savetxt(tmp_path / "x.csv", X[:3], delimiter=",")
    assert_one_error_line(run_cli("predict", "r", "--data", "x.csv", "--proba", cwd=tmp_path), "--proba")


def read_cells(path):
    """(header, cells (n, d) of stripped text) of a CSV, read with the csv module: the raw cells a user holds."""
    import csv
    with open(path, newline="", encoding="utf-8") as f:
        rows = [[c.strip() for c in row] for row in csv.reader(f) if row]
    return rows[0], np.array(rows[1:], dtype=object), None
