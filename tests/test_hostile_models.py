"""Hostile and damaged model files: every one refused by info, predict, evaluate and train --resume
with one line `error: ...`, exit 2, no traceback and no file changed; the metadata fuzzed with hypothesis."""

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import backprop as bp
from attack import assert_refused, run_attacks
from backprop import io as model_io
from backprop.model import Model
from backprop.data.preprocessing import Scaler
from backprop.training import state_of


def base_model(folder):
    """A small trained classifier saved as folder/good.npz, and data.csv it was trained on."""
    rng = np.random.default_rng(0)
    X = rng.random((30, 3))
    y = (X[:, 0] > 0.5).astype(int)
    with open(folder / "data.csv", "w") as f:
        f.write("a,b,c,t\n" + "".join(f"{r[0]},{r[1]},{r[2]},{t}\n" for r, t in zip(X, y)))
    net = bp.Network([3, 4, 2], activation="tanh", output="softmax", cost="cross_entropy", seed=0)
    bp.train(net, X, y, epochs=3, optimizer="adam", learning_rate=0.01)
    model = Model(
        net,
        "classification",
        [0, 1],
        Scaler.fit(X, "standard"),
        Scaler(),
        ["a", "b", "c"],
        "t",
        {"data": "data.csv", "test_split": 0.2},
    )
    model_io.save(folder / "good.npz", net, **model.metadata())
    return folder / "good.npz"


def rewrite(source, target, meta_change=None, raw_meta=None, **arrays_change):
    """Copy the model at source to target with its metadata changed (a function of the dict, or raw text)."""
    with np.load(source) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(arrays["metadata"].tobytes())
    if meta_change:
        meta_change(meta)
    text = raw_meta if raw_meta is not None else json.dumps(meta).replace("3e+38", "1e400")
    arrays["metadata"] = np.frombuffer(text.encode(), dtype=np.uint8)
    for name, value in arrays_change.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    np.savez(target, **arrays)


def setter(path, value):
    """A metadata change: set the field at path (a tuple of keys and indices) to value."""

    def change(meta):
        node = meta
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def deleter(path):
    def change(meta):
        node = meta
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


H = ("training", "history")
# name: (metadata change or raw metadata text, arrays changed, words the error must hold)
CASES = {
    "epoch_1e400": (setter(H + ("epoch",), [1, 2, 3e38]), {}, "1e400, beyond a float's range"),  # 3e38 -> 1e400
    "history_not_object": (setter(H, 5), {}, "training.history must be an object"),
    "history_cost_text": (setter(H + ("cost",), [1.0, "x", 2.0]), {}, "training.history.cost[1]"),
    "history_lengths_differ": (setter(H + ("cost",), [1.0]), {}, "lists of one length"),
    "history_stop_reason_number": (setter(H + ("stop_reason",), 5), {}, "stop_reason"),
    "history_best_epoch_text": (setter(H + ("best_epoch",), "x"), {}, "best_epoch"),
    "history_missing_epoch": (deleter(H + ("epoch",)), {}, "training.history.epoch"),
    "scaler_text": (setter(("scaler",), "abc"), {}, "scaler must be an object"),
    "scaler_kind": (setter(("scaler", "kind"), "log"), {}, "scaler.kind"),
    "scaler_center_short": (setter(("scaler", "center"), [0.0]), {}, "scaler.center"),
    "scaler_scale_zero": (setter(("scaler", "scale"), [0.0, 1.0, 1.0]), {}, "scaler.scale[0]"),
    "classes_number": (setter(("classes",), 5), {}, "classes must be a list"),
    "classes_count": (setter(("classes",), [0, 1, 2]), {}, "classes must be 2 distinct labels"),
    "classes_duplicate": (setter(("classes",), [1, 1]), {}, "distinct"),
    "classes_nested": (setter(("classes",), [[0], [1]]), {}, "classes[0]"),
    "classes_huge_int": (setter(("classes",), [0, 10**30]), {}, "classes[1]"),
    "data_list": (setter(("data",), [1, 2]), {}, "data must be an object"),
    "data_nested": (setter(("data", "data"), {"x": 1}), {}, "data.data"),
    "data_test_split": (setter(("data", "test_split"), 7), {}, "data.test_split"),
    "training_text": (setter(("training",), "yes"), {}, "training must be an object"),
    "options_learning_rate": (setter(("training", "options", "learning_rate"), "fast"), {}, "learning_rate"),
    "options_unknown": (setter(("training", "options", "rm_rf"), 1), {}, "rm_rf"),
    "optimizer_name": (setter(("training", "optimizer", "name"), "evil"), {}, "training.optimizer.name"),
    "optimizer_t_negative": (setter(("training", "optimizer", "t"), -1), {}, "training.optimizer.t"),
    "optimizer_t_huge": (setter(("training", "optimizer", "t"), 10**400), {}, "training.optimizer.t"),
    "optimizer_state_count": (setter(("training", "optimizer", "state", "m"), 3), {}, "state.m"),
    "optimizer_setting_foreign": (setter(("training", "optimizer", "settings", "momentum"), 0.9), {}, "momentum"),
    "optimizer_setting_range": (setter(("training", "optimizer", "settings", "beta1"), 2.0), {}, "beta1"),
    "task_unknown": (setter(("task",), "poetry"), {}, "task must be one of"),
    "sizes_text": (setter(("sizes",), [3, "a", 2]), {}, "sizes[1]"),
    "sizes_zero": (setter(("sizes",), [3, 0, 2]), {}, "sizes[1]"),
    "sizes_float": (setter(("sizes",), [3, 4.0, 2]), {}, "sizes[1]"),
    "sizes_huge": (
        lambda m: m.update(sizes=[3, 100000, 100000, 2], activations=["tanh", "tanh", "softmax"]),
        {},
        "more than the 512 MiB",
    ),
    "activations_count": (setter(("activations",), ["tanh"]), {}, "activations must be a list of 2"),
    "activations_softmax_hidden": (setter(("activations",), ["softmax", "softmax"]), {}, "activations[0]"),
    "activation_unknown": (setter(("activations",), ["tanh", "evil"]), {}, "activations[1]"),
    "cost_unknown": (setter(("cost",), "hinge"), {}, "cost must be one of"),
    "dtype_int8": (setter(("dtype",), "int8"), {}, "dtype must be one of"),
    "seed_negative": (setter(("seed",), -5), {}, "seed must be"),
    "feature_names_count": (setter(("feature_names",), ["a"]), {}, "feature_names"),
    "target_name_number": (setter(("target_name",), 7), {}, "target_name"),
    "unknown_field": (setter(("payload",), "x"), {}, "payload"),
    "format_other": (setter(("format",), "keras"), {}, "not a backprop model file"),
    "version_99": (setter(("version",), 99), {}, "version 99 is not supported"),
    "missing_sizes": (deleter(("sizes",)), {}, "lacks the entry 'sizes'"),
    "json_broken": ('{"format": ', {}, "not valid JSON"),
    "json_nan": ('{"format": NaN}', {}, "not valid JSON"),
    "json_list": ("[1, 2]", {}, "metadata is a list"),
    "json_deep": (
        '{"format": "backprop-model", "version": 1, "data": ' + "[" * 100000 + "]" * 100000 + "}",
        {},
        "nested too deeply",
    ),
    "W0_shape": (None, {"W0": np.zeros((5, 5))}, "array W0 has shape (5, 5)"),
    "W0_integers": (None, {"W0": np.zeros((4, 3), dtype=np.int64)}, "array W0 has dtype int64"),
    "W0_nan": (None, {"W0": np.full((4, 3), np.nan)}, "array W0 holds NaN"),
    "b0_missing": (None, {"b0": None}, "missing array b0"),
    "extra_array": (None, {"extra": np.zeros(3)}, "unexpected array 'extra'"),
    "metadata_floats": (None, {"metadata": np.zeros(3)}, "the metadata entry must be"),
    "metadata_missing": (None, {"metadata": None}, "no metadata entry"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    good = base_model(folder)
    for name, (change, arrays, _) in CASES.items():
        if isinstance(change, str):
            rewrite(good, folder / f"{name}.npz", raw_meta=change, **arrays)
        else:
            rewrite(good, folder / f"{name}.npz", change, **arrays)
    (folder / "folder.npz").mkdir()
    os.mkfifo(folder / "fifo.npz")
    (folder / "random.npz").write_bytes(np.random.default_rng(0).bytes(2000))
    return folder


@pytest.mark.slow
def test_every_hostile_model_file_is_refused_by_info(hostile):
    argvs = [["info", f"{name}.npz"] for name in CASES] + [
        ["info", "folder.npz"],
        ["info", "fifo.npz"],
        ["info", "random.npz"],
    ]
    messages = (
        [message for _, _, message in CASES.values()]
        + ["a folder without a model.npz", "not a regular file"]
        + ["not a backprop model"]
    )
    results = run_attacks(argvs, hostile)
    failures = []
    for result, message in zip(results, messages):
        try:
            assert_refused(result, message)
        except AssertionError as exc:
            failures.append(f"{result['argv']}: {exc}")
    assert not failures, "\n".join(failures)
    assert len(results) == len(CASES) + 3 >= 59


@pytest.mark.slow
def test_hostile_models_are_refused_by_every_command_that_reads_models(hostile):
    names = [
        "epoch_1e400",
        "json_deep",
        "scaler_center_short",
        "classes_nested",
        "optimizer_t_huge",
        "sizes_huge",
        "W0_shape",
        "data_nested",
    ]
    argvs = []
    for name in names:
        argvs += [
            ["predict", f"{name}.npz", "--data", "data.csv"],
            ["evaluate", f"{name}.npz", "--data", "data.csv"],
            ["train", "--resume", f"{name}.npz", "--data", "data.csv", "--epochs", "1", "--out", "r"],
        ]
    for result, argv in zip(run_attacks(argvs, hostile), argvs):
        assert_refused(result, argv[1] if argv[0] != "train" else argv[2])


def test_the_good_model_loads(hostile):
    net, meta = model_io.load(hostile / "good.npz")
    assert state_of(net).epochs_trained == 3 and meta["classes"] == [0, 1]


def json_values(depth=3):
    leaves = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
        max_leaves=12,
    )


FIELDS = [
    ("sizes",),
    ("activations",),
    ("cost",),
    ("dtype",),
    ("seed",),
    ("training",),
    ("task",),
    ("classes",),
    ("scaler",),
    ("target_scaler",),
    ("feature_names",),
    ("target_name",),
    ("data",),
    H,
    H + ("cost",),
    H + ("epoch",),
    ("training", "options"),
    ("training", "optimizer"),
    ("training", "optimizer", "state"),
    ("training", "optimizer", "t"),
    ("scaler", "center"),
    ("data", "data"),
]


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=json_values())
@example(field=("scaler",), value={"\n": None})  # found by the fuzzer: an unknown key holding a newline
def test_fuzzed_metadata_is_loaded_or_refused_with_a_model_file_error(hostile, tmp_path_factory, field, value):
    """Any JSON value in any field: load returns a model or raises ModelFileError, nothing else."""
    path = hostile / "fuzzed.npz"
    rewrite(hostile / "good.npz", path, setter(field, value))
    try:
        net, meta = model_io.load(path)
    except bp.ModelFileError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    Model.from_metadata(net, meta)  # whatever loads must also make a model
