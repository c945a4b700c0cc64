"""A row's identity (backprop.data.rows): the fingerprints an in-memory run keeps of its held-out rows are the
row hash the streamed runs split by, found again by `evaluate --held-out` in the same data, in any row order."""

import re

import numpy as np
import pytest

from backprop.cli import main
from backprop.data import rows

pd = pytest.importorskip("pandas")


def frame(n, seed=0):
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    data["kind"] = np.where(data["a"] > 0.3, "x", np.where(data["a"] < -0.3, "y", "z"))
    data["label"] = np.where(data["b"] + (data["kind"] == "x") > 0, "yes", "no")
    return data


def test_fingerprints_are_the_row_hash_in_hex_and_tell_every_cell_and_label_apart():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(500, 4)), rng.integers(0, 3, 500)
    printed = rows.fingerprints(X, y)
    assert printed == [f"{h:016x}" for h in rows.row_hash(X, y, 0).tolist()]
    assert len(set(printed)) == 500 and all(len(p) == rows.FINGERPRINT_DIGITS for p in printed)
    moved = X.copy()
    moved[7, 2] = np.nextafter(moved[7, 2], 1)  # one cell, one ulp
    assert [i for i, (p, q) in enumerate(zip(printed, rows.fingerprints(moved, y))) if p != q] == [7]
    relabelled = y.copy()
    relabelled[3] = (y[3] + 1) % 3
    assert [i for i, (p, q) in enumerate(zip(printed, rows.fingerprints(X, relabelled))) if p != q] == [3]
    negative_zero = np.zeros((1, 4))
    assert rows.fingerprints(-negative_zero, y[:1]) == rows.fingerprints(negative_zero, y[:1])
    targets = rng.normal(size=(500, 2))  # several target columns: each one counts
    other = targets.copy()
    other[9, 1] += 1
    assert [i for i, (p, q) in enumerate(zip(rows.fingerprints(X, targets), rows.fingerprints(X, other)))
            if p != q] == [9]
    assert rows.fingerprints(X[:0], y[:0]) == []


def test_evaluate_held_out_finds_the_in_memory_run_s_test_rows_in_the_data_shuffled(tmp_path, capsys):
    data = frame(600)
    data.to_csv(tmp_path / "t.csv", index=False)
    data.sample(frac=1, random_state=3).to_csv(tmp_path / "shuffled.csv", index=False)
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--no-stream", "--layers", "4", "--epochs", "2",
                 "--out", str(tmp_path / "m.npz"), "--quiet", "--no-plots"]) == 0
    tested = re.search(r"\((\d+) of (\d+)\)", capsys.readouterr().out).groups()
    assert main(["evaluate", str(tmp_path / "m.npz"), "--held-out", "--data", str(tmp_path / "shuffled.csv")]) == 0
    held = re.search(r"held-out accuracy .*\((\d+) of (\d+)\)", capsys.readouterr().out).groups()
    assert held == tested and int(held[1]) == 120  # 20% of 600


def test_a_model_with_fingerprints_of_an_earlier_form_is_told_to_train_again(tmp_path, capsys):
    from backprop.model import load, save
    frame(200).to_csv(tmp_path / "t.csv", index=False)
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--no-stream", "--layers", "4", "--epochs", "1",
                 "--out", str(tmp_path / "m.npz"), "--quiet", "--no-plots"]) == 0
    model = load(tmp_path / "m.npz")
    model.data["held_out"] = [p[:12] for p in model.data["held_out"]]  # 12 hex digits: the earlier form
    (tmp_path / "m.npz").unlink()
    save(model, tmp_path / "m.npz")
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "m.npz"), "--held-out", "--data", str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert "earlier backprop" in err and "train it" in err and err.count("\n") == 1


@pytest.mark.parametrize("classes,y", [
    (["a", "b", "c"], ["c", "a", "b", "a"]),
    (["c", "a", "b"], ["c", "a", "b", "a"]),  # a model file's classes need not be sorted
    ([0, 1, 2], [2, 0, 1, 1]),
    ([0, 1, 2], [2.0, 0.0, 1.0, 1.0]),  # whole numbers read as reals
    (np.array(["b", "a"], dtype=object), np.array(["a", "b", "b", "a"], dtype=object)),
])
def test_labels_map_to_their_class_index_vectorised_as_one_by_one(classes, y):
    from backprop.data.preprocessing import encode_labels
    index, _ = encode_labels(np.asarray(y), classes)
    expected = [list(np.asarray(classes).tolist()).index(v) for v in np.asarray(y).tolist()]
    assert index.dtype == np.int64 and index.tolist() == expected


@pytest.mark.parametrize("classes,y,unknown", [
    ([0, 1], ["x", "0"], "'0', 'x'"), (["a", "b"], [5, 6], "5, 6"), ([0, 1, 2], [3, 1], "3"),
    (np.array(["a", "b"], dtype=object), np.array([1, "a"], dtype=object), "1"),
])
def test_labels_outside_the_classes_are_named_and_no_others(classes, y, unknown):
    from backprop.data.preprocessing import encode_labels
    from backprop.errors import DataError
    with pytest.raises(DataError, match=rf"labels {re.escape(unknown)} were not among"):
        encode_labels(np.asarray(y), classes)
