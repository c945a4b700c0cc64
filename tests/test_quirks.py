"""The library's arguments, data quirks that must read correctly, predictions as CSV, the umask."""

import csv
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import io as model_io
from backprop.data.files import read_npz
from backprop.data.sources import read_table

X = np.random.default_rng(0).random((12, 2))
Y = (X[:, :1] > 0.5).astype(float)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: bp.Network([2, 3, 1], activation=None), "activation must be a name"),
        (lambda: bp.Network([2, 3, 1], activation=3), "activation must be a name"),
        (lambda: bp.Network([2, 3, 1], seed=-1), "seed must be"),
        (lambda: bp.Network([2, 3, 1], seed=1.5), "seed must be"),
        (lambda: bp.Network([2, 3, 1], seed="a"), "seed must be"),
        (lambda: bp.Network([2, 3, 1], dtype=5), "unsupported dtype"),
        (lambda: bp.Network([2, 3.5, 1]), "integer layer widths"),
        (lambda: bp.Network("23"), "integer layer widths"),
        (lambda: bp.Network([2, 10**6, 10**6, 1]), "parameters"),
        (lambda: bp.train(bp.Network([2, 3, 1]), X, Y, epochs=1, learning_rate="0.1"), "learning_rate"),
        (lambda: bp.train(bp.Network([2, 3, 1]), X, Y, epochs="3"), "epochs"),
        (lambda: bp.train(bp.Network([2, 3, 1]), X, Y, epochs=1, schedule="step", step_size=0), "step_size"),
        (lambda: bp.train(bp.Network([2, 3, 1]), X, Y, epochs=1, validation_data=(X,)), "validation_data"),
        (lambda: bp.train(bp.Network([2, 3, 1]), X, Y, epochs=1, validation_data=X), "validation_data"),
        (lambda: bp.train(bp.Network([2, 3, 1]), X, Y, epochs=1, class_weight={"a": 1}), "class_weight"),
        (lambda: bp.train(bp.Network([2, 3, 1]), "abc", Y, epochs=1), "X must be numeric"),
        (lambda: model_io.save("/tmp/never.npz", bp.Network([2, 3, 1]), classes=[b"x", b"y"]), "refusing to save"),
    ],
)
def test_wrong_arguments_raise_backprops_own_errors(call, words):
    with pytest.raises(bp.BackpropError, match=words):
        call()


def test_read_only_weights_are_copied_not_written():
    net = bp.Network([2, 3, 1], seed=0)
    before = [W.copy() for W in net.weights]
    for W in net.weights:
        W.flags.writeable = False
    bp.train(net, X, Y, epochs=2, optimizer="sgd")
    assert not np.allclose(net.weights[0], before[0])


def test_cr_only_huge_integer_and_bytes_labels_are_read(tmp_path):
    (tmp_path / "cr.csv").write_bytes(b"a,b,t\r1,2,0\r3,4,1\r")
    assert read_table(tmp_path / "cr.csv")[0].tolist() == [[1, 2], [3, 4]]
    (tmp_path / "big.csv").write_text("a,b,t\n1,2,99999999999999999999\n3,4,1\n")
    assert read_table(tmp_path / "big.csv")[1].tolist() == ["99999999999999999999", "1"]
    np.savez(tmp_path / "b.npz", X=np.eye(2), y=np.array([b"cat", b"dog"]))
    assert read_npz(tmp_path / "b.npz")[1].tolist() == ["cat", "dog"]


def test_a_header_of_column_numbers_is_a_header(tmp_path):
    (tmp_path / "n.csv").write_text("1,2,3\n0.5,0.7,1\n0.1,0.2,0\n")
    X, y, encoder, target = read_table(tmp_path / "n.csv")  # a CSV's first row is its header, always
    assert encoder.columns == ["1", "2"] and target == "3" and len(X) == 2


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], cwd=cwd, capture_output=True, text=True)


@pytest.mark.slow
def test_predict_quotes_labels_and_matches_columns_by_name(tmp_path):
    rng = np.random.default_rng(0)
    rows = rng.random((30, 2))
    labels = ["yes, sir" if r[0] > 0.5 else 'no "way"' for r in rows]
    with open(tmp_path / "d.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "y", "label"])
        w.writerows([[r[0], r[1], t] for r, t in zip(rows, labels)])
        f.flush()
    assert (
        run(
            "train",
            "--data",
            "d.csv",
            "--epochs",
            "30",
            "--learning-rate",
            "0.05",
            "--no-plots",
            "--quiet",
            "--out",
            "m",
            "--test-split",
            "0",
            cwd=tmp_path,
        ).returncode
        == 0
    )
    with open(tmp_path / "swapped.csv", "w", newline="") as f:
        csv.writer(f).writerows([["label", "y", "x"]] + [[t, r[1], r[0]] for r, t in zip(rows, labels)])
    os.umask(0o027)
    a = run("predict", "m/model.npz", "--data", "d.csv", "--out", "a.csv", cwd=tmp_path)
    b = run("predict", "m/model.npz", "--data", "swapped.csv", "--out", "b.csv", cwd=tmp_path)
    os.umask(0o022)
    assert a.returncode == b.returncode == 0, (a.stderr, b.stderr)
    with open(tmp_path / "a.csv", newline="") as f:
        read = list(csv.reader(f))
    assert read[0] == ["label"] and all(len(r) == 1 and r[0] in ("yes, sir", 'no "way"') for r in read[1:])
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_model_files_honour_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        model_io.save(tmp_path / "m.npz", bp.Network([2, 2], seed=0))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.npz").stat().st_mode) == 0o600
    model_io.save(tmp_path / "n.npz", bp.Network([2, 2], seed=0))
    assert stat.S_IMODE((tmp_path / "n.npz").stat().st_mode) == 0o666 & ~old
