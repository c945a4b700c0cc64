"""ONNX and PyTorch export: the exported model predicts what backprop predicts, on raw rows.

ONNX runs in float32, backprop in the network's dtype (float64 by default), so outputs are compared
to 1e-5 relative to the size of the outputs (a regression value near 150 in float32 is only good to
about 1e-5 absolute). Labels must be equal wherever float32 can decide them: where the top two
outputs (or a single sigmoid and 0.5) differ by more than 1e-5, or tie exactly on both sides.
"""

import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import backprop as bp
from backprop.activations import Activation
from backprop.data import datasets
from backprop.data.preprocessing import Scaler, encode_labels
from backprop.model import Model
from backprop.tasks import probabilities
from conftest import assert_one_error_line, run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
from backprop.export import from_torch, rebuild_note, save_torch, to_onnx, to_torch  # noqa: E402

TOLERANCE = 1e-5
HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
OUTPUT_COSTS = [(output, "mse") for output in bp.ACTIVATIONS] + [
    ("softmax", "cross_entropy"),
    ("sigmoid", "binary_cross_entropy"),
]
ROWS = 200  # rows per data set to train on and compare: enough to cover every class


@functools.cache
def raw_data(name):
    X, y, names, _, task = datasets.load(name, seed=0)
    rows = np.random.default_rng(0).permutation(len(X))[:ROWS]
    return X[rows], y[rows], names, task


def trained_model(name, hidden, output, cost, scale, dtype):
    """A Model on ROWS raw rows of a built-in set, its scalers fitted and its network trained 2 epochs."""
    X, y, names, task = raw_data(name)
    if task == "classification":
        _, classes = encode_labels(y)
        n_out, target_scaler = len(classes), Scaler()
        classes = classes.tolist()
    else:
        classes, n_out = None, 1
        target_scaler = Scaler.fit(y.reshape(-1, 1).astype(float), "standard")
    net = bp.Network([X.shape[1], 6, 5, n_out], activation=hidden, output=output, cost=cost, seed=1, dtype=dtype)
    model = Model(net, task, classes, Scaler.fit(X, scale), target_scaler, names, "target")
    bp.train(net, model.inputs(X), model.targets(y), epochs=2, batch_size=32, learning_rate=0.01)
    return model, X


def onnx_outputs(proto, X):
    """{output name: array} from onnxruntime for raw rows X."""
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {"input": X.astype(np.float32)})))


def compare(model, X):
    """The largest difference between ONNX's outputs and backprop's on the raw rows X (rounded to float32)."""
    proto = to_onnx(model)
    onnx.checker.check_model(proto, full_check=True)
    X = X.astype(np.float32).astype(np.float64)  # both sides see the same rows
    got, expected = onnx_outputs(proto, X), model.predict_output(X)
    if model.task == "regression":
        return assert_close(got["value"], expected)
    if expected.shape[1] == 1:  # one sigmoid unit: probabilities [1 - p, p], label where p > 0.5
        p = expected[:, 0]
        expected, decided = np.hstack([1 - expected, expected]), np.abs(p - 0.5) > TOLERANCE
    else:
        decided = (margin(expected) > TOLERANCE) | (margin(expected) == 0) & (margin(got["probabilities"]) == 0)
    difference = assert_close(got["probabilities"], expected)
    labels = model.predict_labels(X)
    assert got["label"].shape == labels.shape
    assert (got["label"][decided] == labels[decided]).all()
    assert decided.mean() > 0.5  # the comparison of labels covers most rows
    return difference


def margin(outputs):
    """The top output minus the runner-up, per row; exact ties (saturated units) resolve alike: the first."""
    top_two = np.sort(outputs, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]


def assert_close(got, expected):
    """max |got - expected|, asserted within TOLERANCE times the outputs' size (at least 1)."""
    assert got.dtype == np.float32 and got.shape == expected.shape
    difference = float(np.abs(got - expected).max())
    assert difference <= TOLERANCE * max(1.0, float(np.abs(expected).max())), difference
    return difference


def assert_torch_round_trip(net, X):
    """to_torch then from_torch gives the same network; the torch module computes the same outputs."""
    module = to_torch(net)
    back = from_torch(module, cost=net.cost_function.name)
    assert back.sizes == net.sizes and [a.name for a in back.activations] == [a.name for a in net.activations]
    assert back.dtype == net.dtype
    np.testing.assert_allclose(back.predict(X), net.predict(X), rtol=0, atol=1e-6)
    with torch.no_grad():
        torch_out = module(torch.from_numpy(X.astype(net.dtype))).numpy()
    tolerance = 1e-6 if net.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(torch_out, net.predict(X), rtol=tolerance, atol=tolerance)


# ---- every built-in data set x every hidden activation x every output/cost pairing -----------------
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("name", datasets.NAMES)
def test_onnx_and_torch_match_backprop(name, hidden):
    task = raw_data(name)[3]
    # Unscaled raw features only where they are small (the generated sets); cross-entropy costs need
    # class targets, so a regression set meets every output with mse.
    scales = ("standard", "minmax", "none") if name in datasets.GENERATED else ("standard", "minmax")
    pairs = OUTPUT_COSTS if task == "classification" else [(o, c) for o, c in OUTPUT_COSTS if c == "mse"]
    for i, (output, cost) in enumerate(pairs):
        model, X = trained_model(name, hidden, output, cost, scales[i % len(scales)], ("float64", "float32")[i % 2])
        compare(model, X)
        assert_torch_round_trip(model.network, model.inputs(X))


def test_single_sigmoid_unit_mirrors_the_threshold():
    """One output unit for two classes: label classes[1] only where p > 0.5, so p = 0.5 exactly gives classes[0]."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(60, 3)), rng.integers(0, 2, 60)
    net = bp.Network([3, 4, 1], activation="tanh", output="sigmoid", cost="binary_cross_entropy", seed=0)
    model = Model(net, "classification", ["no", "yes"], Scaler.fit(X, "standard"))
    bp.train(net, model.inputs(X), y.reshape(-1, 1).astype(float), epochs=3)
    compare(model, X)
    net.weights[-1][:] = 0
    net.biases[-1][:] = 0  # z = 0, a = sigmoid(0) = 0.5 exactly, in float32 and float64
    got = onnx_outputs(to_onnx(model), X)
    assert (got["label"] == "no").all() and (model.predict_labels(X) == "no").all()
    assert (got["probabilities"] == 0.5).all()


def test_a_bare_network_exports_its_outputs_as_value():
    net = bp.Network([4, 3, 2], activation="relu", output="identity", seed=0)
    X = np.random.default_rng(0).normal(size=(10, 4))
    got = onnx_outputs(to_onnx(net), X)
    np.testing.assert_allclose(got["value"], net.predict(X.astype(np.float32)), rtol=0, atol=1e-6)


# ---- through the CLI, as a user would -------------------------------------------------------------
def read_predictions(text):
    lines = text.strip().splitlines()
    rows = [line.split(",") for line in lines[1:]]
    return np.array([r[0] for r in rows]), np.array([[float(v) for v in r[1:]] for r in rows])


@pytest.mark.slow
def test_cli_export_matches_cli_predict_with_string_labels(tmp_path):
    X, y, names, _ = raw_data("iris")
    species = np.array(["setosa", "versicolor", "virginica"])[y]
    lines = [",".join(["sl", "sw", "pl", "pw", "species"])]
    lines += [",".join([*map(repr, row), label]) for row, label in zip(X.tolist(), species)]
    (tmp_path / "iris.csv").write_text("\n".join(lines) + "\n")
    trained = run_cli(
        "train",
        "--data",
        "iris.csv",
        "--epochs",
        "3",
        "--layers",
        "8",
        "--out",
        "run",
        "--quiet",
        "--no-plots",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    exported = run_cli("export", "run/model.npz", "--out", "iris.onnx", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "opset 17" in exported.stdout
    predicted = run_cli("predict", "run/model.npz", "--data", "iris.csv", "--proba", cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    labels, probabilities = read_predictions(predicted.stdout)
    proto = onnx.load(tmp_path / "iris.onnx")
    onnx.checker.check_model(proto, full_check=True)
    got = onnx_outputs(proto, X)
    assert got["label"].dtype == object and set(got["label"]) <= set(species)
    np.testing.assert_allclose(got["probabilities"], probabilities, rtol=0, atol=TOLERANCE + 5e-7)  # %.6f printed
    decided = margin(probabilities) > TOLERANCE + 1e-6
    assert (got["label"][decided] == labels[decided]).all() and decided.mean() > 0.9


@pytest.mark.slow
def test_cli_torch_state_dict_rebuilds_from_the_printed_note(tmp_path):
    trained = run_cli(
        "train",
        "--data",
        "wine",
        "--epochs",
        "2",
        "--layers",
        "7,5",
        "--activation",
        "tanh",
        "--out",
        "run",
        "--quiet",
        "--no-plots",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    exported = run_cli("export", "run/model.npz", "--format", "torch", "--out", "wine.pt", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    note = exported.stdout[exported.stdout.index("import torch") :].split("\nits inputs")[0]
    state = torch.load(tmp_path / "wine.pt", weights_only=True)  # plain tensors: loads with pickle disabled
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    namespace = {}
    exec(note.replace("'wine.pt'", repr(str(tmp_path / "wine.pt"))), namespace)  # the note, run as printed
    net, meta = bp_load(tmp_path / "run/model.npz")
    X = np.random.default_rng(0).normal(size=(20, 13))
    with torch.no_grad():
        out = namespace["module"](torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(out, net.predict(X), rtol=0, atol=1e-12)


def bp_load(path):
    from backprop import io

    return io.load(str(path))


def test_readme_snippet_runs_on_an_exported_model(tmp_path, monkeypatch):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("## Export") : readme.index("## Examples and benchmarks")]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(snippet.strip().splitlines()) == 3
    model, X = trained_model("digits", "relu", "softmax", "cross_entropy", "standard", "float64")
    monkeypatch.chdir(tmp_path)
    to_onnx(model, "model.onnx")
    namespace = {"X": X}
    exec(snippet, namespace)
    assert (namespace["labels"] == model.predict_labels(X)).mean() > 0.99
    assert namespace["probabilities"].shape == (len(X), 10)


# ---- what the formats cannot hold, and the files ---------------------------------------------------
class Swish(Activation):
    name = "swish"

    def value(self, z, out=None):
        return z / (1 + np.exp(-z))


def test_an_activation_without_an_onnx_operator_is_refused_by_name():
    net = bp.Network([2, 3, 1], seed=0)
    net.activations[0] = Swish()
    with pytest.raises(bp.ConfigError, match="layer 1's activation 'swish' has no ONNX operator"):
        to_onnx(net)


def _table_model(folder, impute):
    """A model trained by the CLI on a table with two string columns and a numeric one with gaps."""
    rng = np.random.default_rng(0)
    lines = ["id,colour,size,shape,label"]
    for i in range(240):
        colour, size, shape = rng.choice(["red", "green", "blue"]), rng.random(), rng.choice(["round", "square"])
        label = "yes" if (colour == "red") != (size > 0.5) else "no"
        lines.append(f"{i},{colour},{'' if impute and i % 17 == 0 else f'{size:.3f}'},"
                     f"{'NA' if impute and i % 23 == 0 else shape},{label}")
    (folder / "t.csv").write_text("\n".join(lines) + "\n")
    extra = ["--impute", "most_frequent"] if impute else []
    result = run_cli("train", "--data", "t.csv", "--drop", "id", *extra, "--epochs", "40", "--out", "t.npz",
                     "--no-plots", "--quiet", cwd=folder)
    assert result.returncode == 0, result.stderr
    return bp.load(folder / "t.npz")


def _onnx_feeds(model, cells, names):
    """The two ONNX inputs for raw table cells: numeric columns as float32 (a gap as NaN), string columns."""
    numeric = [c for c in model.encoder.columns if c not in model.encoder.categories]
    categorical = [c for c in model.encoder.columns if c in model.encoder.categories]
    column = lambda c: cells[:, names.index(c)]  # noqa: E731
    X = np.array([[float(v) if str(v).strip() else np.nan for v in column(c)] for c in numeric], np.float32).T
    return {"input": X, "categories": np.array([[str(v) for v in column(c)] for c in categorical], object).T}


@pytest.mark.slow
@pytest.mark.parametrize("impute", [False, True])
def test_one_hot_categorical_columns_are_exported_and_predict_what_backprop_predicts(tmp_path, impute):
    model = _table_model(tmp_path, impute)
    result = run_cli("export", "t.npz", "--out", "t.onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "'input' (float32 rows of 1 raw feature) and 'categories' (strings, 2 categorical columns)" \
        in result.stdout
    proto = onnx.load(tmp_path / "t.onnx")
    onnx.checker.check_model(proto, full_check=True)
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["numeric_columns"] == '["size"]' and props["categorical_columns"] == '["colour", "shape"]'
    names, cells, _ = read_cells(str(tmp_path / "t.csv"))
    raw = cells[:, [names.index(c) for c in model.encoder.columns]]
    session = ort.InferenceSession(str(tmp_path / "t.onnx"))
    label, probabilities = session.run(["label", "probabilities"], _onnx_feeds(model, cells, names))
    np.testing.assert_allclose(probabilities, model.predict_proba(raw), atol=TOLERANCE)
    assert list(label) == list(model.predict(raw))
    assert to_onnx(model).SerializeToString() == proto.SerializeToString()  # Python and the CLI agree


@pytest.mark.slow
def test_an_unseen_category_gives_all_zero_indicators(tmp_path):
    model = _table_model(tmp_path, impute=False)
    session = ort.InferenceSession(to_onnx(model).SerializeToString())
    size = np.array([[0.3]], np.float32)
    unseen = session.run(["probabilities"], {"input": size, "categories": np.array([["purple", "round"]], object)})
    # backprop predict refuses the row; its one-hot block would be all zeros, which is what ONNX computes
    encoded = model.scaler.transform(np.array([[0.0, 0.0, 0.0, 0.3, 1.0, 0.0]]))
    expected = probabilities(model.network.predict(encoded))  # two classes: one unit p, as [1 - p, p]
    np.testing.assert_allclose(unseen[0], expected, atol=TOLERANCE)


@pytest.mark.parametrize(
    "modules,message",
    [
        (lambda nn: [nn.Linear(2, 3), nn.Dropout(0.1), nn.Linear(3, 1)], "module 1 \\(Dropout\\) has no backprop"),
        (lambda nn: [nn.ReLU(), nn.Linear(2, 3)], "module 0 \\(ReLU\\) does not follow a Linear"),
        (lambda nn: [nn.Linear(2, 3), nn.ReLU(), nn.Tanh(), nn.Linear(3, 1)], "module 2 \\(Tanh\\) does not follow"),
        (lambda nn: [nn.Linear(2, 3), nn.LeakyReLU(0.2), nn.Linear(3, 1)], "slope 0.2"),
        (lambda nn: [nn.Linear(2, 3), nn.Softmax(dim=0)], "dim 0"),
        (lambda nn: [nn.Linear(2, 3), nn.Linear(4, 1)], "takes 4 inputs but the layer before gives 3"),
        (lambda nn: [nn.Linear(2, 3, dtype=torch.float16)], "float16"),
        (lambda nn: [], "no Linear layer"),
    ],
)
def test_from_torch_refuses_what_a_network_cannot_hold(modules, message):
    with pytest.raises(bp.ConfigError, match=message):
        from_torch(torch.nn.Sequential(*modules(torch.nn)))


def test_from_torch_reads_a_linear_without_bias_or_activation_as_identity():
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 4, bias=False, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(4, 2, dtype=torch.float64),
    )
    net = from_torch(module)
    assert [a.name for a in net.activations] == ["tanh", "identity"] and net.cost_function.name == "mse"
    X = np.random.default_rng(0).normal(size=(5, 3))
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(X), module(torch.from_numpy(X)).numpy(), rtol=0, atol=1e-12)


def test_library_writes_refuse_to_overwrite_unless_asked(tmp_path):
    net = bp.Network([2, 3, 2], output="softmax", cost="cross_entropy", seed=0)
    for write, path in ((to_onnx, tmp_path / "m.onnx"), (save_torch, tmp_path / "m.pt")):
        write(net, str(path))
        before = path.read_bytes()
        with pytest.raises(bp.ConfigError, match="already exists; pass --force"):
            write(net, str(path))
        write(net, str(path), overwrite=True)
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.pt"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "m.onnx").stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would make it, not 0600
    with pytest.raises(bp.ConfigError, match="does not exist"):
        to_onnx(net, str(tmp_path / "missing" / "m.onnx"))
    assert "Linear(2, 3, dtype=torch.float64), torch.nn.Sigmoid()" in rebuild_note(net, "m.pt")


def test_cli_errors_are_one_line(tmp_path, monkeypatch, capsys):
    from backprop import io
    from backprop.cli import main

    def export(*args):  # in this process: the same contract, without a second interpreter's start-up
        try:
            code = main(["export", *args])
        except SystemExit as exc:  # argparse's usage errors leave this way
            code = exc.code
        return SimpleNamespace(returncode=code, **dict(zip(("stdout", "stderr"), capsys.readouterr())))

    net = bp.Network([2, 3, 2], output="softmax", cost="cross_entropy", seed=0)
    io.save(str(tmp_path / "m.npz"), net, **Model(net, "classification", ["a", "b"]).metadata())
    (tmp_path / "taken.onnx").write_text("keep me")
    monkeypatch.chdir(tmp_path)
    assert_one_error_line(export("m.npz", "--out", "taken.onnx"), "pass --force")
    assert (tmp_path / "taken.onnx").read_text() == "keep me"
    assert export("m.npz", "--out", "taken.onnx", "--force").returncode == 0
    assert_one_error_line(export("m.npz", "--out", "no/m.onnx"), "does not exist")
    assert_one_error_line(export("absent.npz", "--out", "x.onnx"), "no such model file")
    assert_one_error_line(export("m.npz", "--format", "tflite", "--out", "x"), "tflite")


@pytest.mark.slow
def test_importing_the_exporters_loads_neither_onnx_nor_torch():
    script = "import sys, backprop.export; print([m for m in ('onnx', 'torch') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["strings only", "numbers with gaps"])
def test_tables_of_only_strings_or_only_imputed_numbers_export_with_one_input(tmp_path, kind):
    rng = np.random.default_rng(1)
    if kind == "strings only":
        pairs = zip(rng.choice(["red", "blue", "green"], 120), rng.choice(["round", "square"], 120))
        text = "colour,shape,label\n" + "".join(f"{c},{s},{int(c == 'red' or s == 'round')}\n" for c, s in pairs)
        extra, inputs = [], ["categories"]
    else:
        pairs = enumerate(zip(rng.random(120), rng.random(120)))
        text = "a,b,label\n" + "".join(f"{'' if i % 11 == 0 else round(x, 3)},{round(z, 3)},{int(x + z > 1)}\n"
                                        for i, (x, z) in pairs)
        extra, inputs = ["--impute", "mean"], ["input"]
    (tmp_path / "t.csv").write_text(text)
    trained = run_cli("train", "--data", "t.csv", *extra, "--epochs", "30", "--out", "t.npz", "--no-plots", "--quiet",
                      cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    model = bp.load(tmp_path / "t.npz")
    session = ort.InferenceSession(to_onnx(model).SerializeToString())
    assert [i.name for i in session.get_inputs()] == inputs
    names, cells, _ = read_cells(str(tmp_path / "t.csv"))
    feeds = {key: value for key, value in _onnx_feeds(model, cells, names).items() if key in inputs}
    raw = cells[:, [names.index(c) for c in model.encoder.columns]]
    np.testing.assert_allclose(session.run(["probabilities"], feeds)[0], model.predict_proba(raw), atol=TOLERANCE)


def read_cells(path):
    """(header, cells (n, d) of stripped text) of a CSV, read with the csv module: the raw cells a user holds."""
    import csv
    with open(path, newline="", encoding="utf-8") as f:
        rows = [[c.strip() for c in row] for row in csv.reader(f) if row]
    return rows[0], np.array(rows[1:], dtype=object), None
