"""The newcomer's path (issue 12): save and load from Python, where the model is, which rows are scored,
progress and help, the best epoch, real tables, bench without PyTorch, and options honoured or refused."""

import argparse
import csv
import re

import numpy as np
import pytest
from conftest import assert_one_error_line, run_cli

import backprop as bp
from backprop.cli import build_parser
from backprop.data.datasets import load

NAMES = np.array(["barolo", "grignolino", "barbera"])


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    """The wine data as a CSV with the three cultivars named, plus an id column and a string column."""
    X, y, *_ = load("wine")
    path = tmp_path_factory.mktemp("wine") / "wine.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", *[f"f{i}" for i in range(13)], "cultivar"])
        w.writerows([i, *map(float, x), n] for i, (x, n) in enumerate(zip(X, NAMES[y])))
    return path


@pytest.fixture(scope="module")
def wine_run(wine_csv, tmp_path_factory):
    """One short CLI run on wine, its model written to a named .npz file."""
    folder = tmp_path_factory.mktemp("run")
    result = run_cli(
        "train",
        "--data",
        wine_csv,
        "--target",
        "cultivar",
        "--drop",
        "id",
        "--epochs",
        "20",
        "--early-stopping",
        "2",
        "--out",
        folder / "wine.npz",
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    return folder, result


# ---- 1. save and load from Python -----------------------------------------------------------
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
    for command in (("info", tmp_path / "n.npz"), ("predict", tmp_path / "n.npz", "--data", tmp_path / "x.csv")):
        result = run_cli(*command)
        assert result.returncode == 0 and "KeyError" not in result.stderr, result.stderr


# ---- 2. --out PATH.npz, run folders as MODEL ------------------------------------------------
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


# ---- 3. evaluate scores what the user names --------------------------------------------------
def test_evaluate_scores_all_rows_unless_held_out_is_asked_and_finds_them_by_content(wine_run, wine_csv, tmp_path):
    folder, _ = wine_run
    copy = tmp_path / "elsewhere.csv"
    copy.write_text(wine_csv.read_text())
    every = run_cli("evaluate", folder / "wine.npz", "--data", wine_csv)
    assert "scoring all 178 rows" in every.stdout and "(" in every.stdout
    held = [run_cli("evaluate", folder / "wine.npz", "--data", path, "--held-out").stdout for path in (wine_csv, copy)]
    assert "36 of 178 rows" in held[0] and "held-out accuracy" in held[0]
    assert held[0].split("\n", 1)[1] == held[1].split("\n", 1)[1]  # the path's spelling changes nothing


# ---- 5. progress like Keras; numbers; --quiet --------------------------------------------------
def test_per_epoch_lines_with_validation_and_quiet_prints_only_the_result(wine_run, tmp_path):
    _, result = wine_run
    lines = [l for l in result.stdout.splitlines() if l.startswith("epoch ")]
    assert lines and all("val_cost" in l and "val_acc" in l for l in lines)
    quiet = run_cli("train", "--data", "blobs", "--epochs", "2", "--out", "q", "--quiet", cwd=tmp_path)
    assert quiet.stdout.splitlines()[0].startswith("test accuracy") and len(quiet.stdout.splitlines()) == 2


@pytest.mark.parametrize("value", [1e-9, 3.2e-6, 0.000049, 0.5, 123.0, 0.0])
def test_numbers_never_show_zero_for_a_nonzero_value(value):
    from backprop.training.history import number

    text = number(value)
    assert (float(text) == 0) == (value == 0) and abs(float(text) - value) <= 1e-4 * max(abs(value), 1e-300) + 5e-6


# ---- 6. help ----------------------------------------------------------------------------------------
def _actions():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if action.option_strings and action.dest != "help":
                yield name, action


@pytest.mark.parametrize("command,action", list(_actions()), ids=lambda v: getattr(v, "dest", v))
def test_every_option_has_help_stating_its_default_once(command, action):
    text = action.help or ""
    assert text.count("(default") == 1 or "required" in text, (command, action.option_strings, text)
    assert "[None]" not in text and "%(default)" not in text


def test_help_text_defaults_are_the_real_ones():
    helps = {f"{c} {a.option_strings[0]}": (a.help, a.default) for c, a in _actions()}
    assert "(default: adam)" in helps["train --optimizer"][0]
    assert "(default: 30)" in helps["train --epochs"][0]
    for key, (text, default) in helps.items():
        stated = re.search(r"\(default: ([^)]*)\)", text or "")
        if stated and default not in (None, False) and isinstance(default, (int, float, str)):
            assert stated.group(1).startswith(f"{default:g}" if isinstance(default, float) else str(default)), key


# ---- 7. the best epoch; regression units -----------------------------------------------------------
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
    assert bp.load(tmp_path / "m").network.training.history.best_epoch == int(best.group(1))


def test_regression_says_which_figures_are_standardized(tmp_path):
    result = run_cli("train", "--data", "diabetes", "--epochs", "3", "--out", "r", "--no-plots", cwd=tmp_path)
    assert "costs are on the standardized target" in result.stdout
    assert "in the target's own units" in result.stdout
    assert "(on the standardized target)" in run_cli("info", "r", cwd=tmp_path).stdout


# ---- 9. real tables --------------------------------------------------------------------------------------
def _table(path, rows):
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def test_string_feature_columns_are_one_hot_encoded_and_kept_in_the_model(tmp_path):
    rng = np.random.default_rng(0)
    colours = rng.choice(["red", "green", "blue"], 120)
    size = rng.normal(size=120)
    label = np.where(colours == "red", "yes", "no")
    _table(
        tmp_path / "t.csv",
        [["id", "colour", "size", "label"]]
        + [[i, c, f"{s:.3f}", l] for i, (c, s, l) in enumerate(zip(colours, size, label))],
    )
    result = run_cli(
        "train",
        "--data",
        "t.csv",
        "--drop",
        "id",
        "--epochs",
        "60",
        "--out",
        "t.npz",
        "--no-plots",
        "--quiet",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    model = bp.load(tmp_path / "t.npz")
    assert model.encoder.categories == {"colour": ["blue", "green", "red"]} and model.encoder.columns == [
        "colour",
        "size",
    ]
    assert model.network.sizes[0] == 4
    _table(tmp_path / "new.csv", [["size", "colour"], [0.1, "red"], [0.2, "blue"]])  # columns by name, any order
    out = run_cli("predict", "t.npz", "--data", "new.csv", cwd=tmp_path)
    assert out.stdout.split()[1:] == ["yes", "no"], out.stderr
    _table(tmp_path / "odd.csv", [["size", "colour"], [0.1, "purple"]])
    assert_one_error_line(run_cli("predict", "t.npz", "--data", "odd.csv", cwd=tmp_path), "'purple' was not seen")


def test_features_choose_columns_and_an_unknown_column_is_named(wine_csv, tmp_path):
    result = run_cli(
        "train",
        "--data",
        wine_csv,
        "--features",
        "f0,f1",
        "--epochs",
        "2",
        "--out",
        "two.npz",
        "--quiet",
        "--no-plots",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert bp.load(tmp_path / "two.npz").network.sizes[0] == 2
    assert_one_error_line(run_cli("train", "--data", wine_csv, "--drop", "nope", cwd=tmp_path), "no column 'nope'")


def test_a_missing_value_names_its_row_and_column_or_is_imputed(tmp_path):
    rows = [["a", "b", "y"]] + [[i, (i * 7) % 5, i % 2] for i in range(40)]
    rows[6][1] = ""
    _table(tmp_path / "gap.csv", rows)
    assert_one_error_line(run_cli("train", "--data", "gap.csv", cwd=tmp_path), "row 7, column 'b': missing value")
    ok = run_cli(
        "train",
        "--data",
        "gap.csv",
        "--impute",
        "mean",
        "--epochs",
        "2",
        "--out",
        "g.npz",
        "--quiet",
        "--no-plots",
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert bp.load(tmp_path / "g.npz").encoder.fill == {
        "b": pytest.approx(np.mean([(i * 7) % 5 for i in range(40) if i != 5]))
    }


# ---- 10. bench without PyTorch or scikit-learn ------------------------------------------------------------
def test_bench_without_pytorch_or_sklearn_skips_them_with_a_note(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("torch", "sklearn"):
        (blocked / f"{name}.py").write_text("raise ImportError('not installed (test)')\n")
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "backprop", "bench", "--sizes", "8-4-2", "--samples", "128", "--rounds", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(blocked), "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "note: pytorch skipped" in result.stdout and "note: sklearn skipped" in result.stdout
    assert "| backprop |" in result.stdout and "| pytorch |" not in result.stdout


# ---- 11. every option honoured or refused; errors that say what is wrong --------------------------------
@pytest.mark.parametrize(
    "args,message",
    [
        (("train", "--data", "digits", "--plot"), "--plot draws 2-D classification data only"),
        (("train", "--data", "blobs", "--test-split", "0.99"), "use a smaller --test-split"),
        (("train", "--data", "diabetes", "--task", "classification"), "looks like a real-valued target"),
        (("train", "--data", "real.csv", "--task", "classification"), "needs class labels"),
        (("explain", "--plot", "x.png"), "add --depth"),
        (("explain", "--depth", "4", "--layers", "2,2"), "--layers would be ignored"),
        (("gradcheck", "--cost", "cross_entropy"), "pass --output softmax"),
    ],
)
def test_options_are_refused_with_a_message_that_says_what_is_wrong(tmp_path, args, message):
    _table(tmp_path / "real.csv", [["a", "y"]] + [[i, i / 7] for i in range(50)])
    result = run_cli(*args, cwd=tmp_path)
    assert_one_error_line(result, message)
    assert "output='" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_predict_proba_on_regression_is_refused(tmp_path):
    run_cli("train", "--data", "diabetes", "--epochs", "1", "--out", "r", "--quiet", "--no-plots", cwd=tmp_path)
    X, *_ = load("diabetes")
    np.savetxt(tmp_path / "x.csv", X[:3], delimiter=",")
    assert_one_error_line(run_cli("predict", "r", "--data", "x.csv", "--proba", cwd=tmp_path), "--proba")


def test_explain_depth_json_is_json(tmp_path):
    import json

    result = run_cli("explain", "--depth", "3", "--format", "json", "--plot", "d.png", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["depth"] == 3 and len(data["norms"]["sigmoid"]) == 3 and (tmp_path / "d.png").is_file()


@pytest.mark.parametrize("targets,kind", [(["1", "2"], "i"), (["a", "b"], "U"), (["0.5", "1.5"], "f"),
                                          ([str(2**70), str(2**70 + 1)], "U")])
def test_one_target_rule_for_every_table_format(tmp_path, targets, kind):
    """Integers are class labels, integers past int64 and words text labels, others reals: in a CSV or Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    path = tmp_path / "t.csv"
    path.write_text("x;y\n" + "".join(f"{i};{targets[i % 2]}\n" for i in range(6)))
    y_csv = bp.data.sources.read_table(str(path))[1]
    pq.write_table(pa.table({"x": list(range(6)), "y": [targets[i % 2] for i in range(6)]}), tmp_path / "t.parquet")
    y_parquet = bp.data.sources.read_table(str(tmp_path / "t.parquet"))[1]
    assert y_csv.dtype.kind == y_parquet.dtype.kind == kind and list(y_csv) == list(y_parquet)


def read_cells(path):
    """(header, cells (n, d) of stripped text) of a CSV, read with the csv module: the raw cells a user holds."""
    import csv
    with open(path, newline="", encoding="utf-8") as f:
        rows = [[c.strip() for c in row] for row in csv.reader(f) if row]
    return rows[0], np.array(rows[1:], dtype=object), None
