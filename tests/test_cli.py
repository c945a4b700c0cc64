"""The backprop command, end to end through a subprocess, and one test per kind of user error."""

import gzip
import os
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import backprop as bp
from conftest import assert_one_error_line, run_cli
from backprop import io as model_io
from backprop.training import state_of

FAST = ["--epochs", "3", "--no-plots", "--quiet"]


def run(*args, cwd, timeout=120):
    return run_cli(*args, cwd=cwd, timeout=timeout)


def write_csv(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def iris_csv(tmp_path):
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    lines = ["sepal_l,sepal_w,petal_l,petal_w,species"] + [
        ",".join(map(str, row)) + f",{n}" for row, n in zip(X, names)
    ]
    return write_csv(tmp_path / "iris.csv", "\n".join(lines) + "\n")


@pytest.mark.slow
def test_train_with_no_arguments_trains_digits_and_writes_a_run_folder(tmp_path):
    pytest.importorskip("sklearn")
    result = run("train", "--epochs", "5", cwd=tmp_path)  # the defaults, shortened
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout and "epoch" in result.stdout
    folder = tmp_path / "runs" / "digits-001"
    assert (folder / "model.npz").exists() and (folder / "curves.png").exists()
    assert (folder / "weights.png").exists() and (folder / "confusion.png").exists()
    accuracy = float(result.stdout.split("test accuracy ")[1].split("%")[0])
    assert accuracy > 85


@pytest.mark.slow
def test_csv_with_string_labels_train_evaluate_predict_info(tmp_path, iris_csv):
    out = tmp_path / "run"
    result = run(
        "train",
        "--data",
        iris_csv,
        "--epochs",
        "60",
        "--layers",
        "8",
        "--learning-rate",
        "0.02",
        "--out",
        out,
        "--quiet",
        "--no-plots",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    model = out / "model.npz"
    result = run("evaluate", model, "--data", iris_csv, cwd=tmp_path)
    assert result.returncode == 0 and "precision" in result.stdout and "virginica" in result.stdout
    assert "scoring all 150 rows" in result.stdout
    assert float(result.stdout.split("accuracy ")[1].split("%")[0]) > 80
    features = tmp_path / "features.csv"
    features.write_text("a,b,c,d\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    result = run("predict", model, "--data", features, "--proba", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert (
        lines[0].startswith("species,p_setosa") and lines[1].startswith("setosa") and lines[2].startswith("virginica")
    )
    preds = tmp_path / "preds.csv"
    assert run("predict", model, "--data", iris_csv, "--out", preds, cwd=tmp_path).returncode == 0
    assert len(preds.read_text().splitlines()) == 151
    result = run("info", model, cwd=tmp_path)
    assert result.returncode == 0 and "species" not in result.stderr and "setosa" in result.stdout


@pytest.mark.slow
def test_regression_on_diabetes(tmp_path):
    pytest.importorskip("sklearn")
    result = run(
        "train",
        "--data",
        "diabetes",
        "--epochs",
        "60",
        "--layers",
        "16",
        "--out",
        tmp_path / "r",
        "--quiet",
        "--no-plots",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "R^2" in result.stdout
    assert float(result.stdout.split("R^2 ")[1].split()[0]) > 0.3


@pytest.mark.slow
def test_generated_2d_data_draws_boundary_and_hidden_units(tmp_path):
    result = run(
        "train", "--data", "moons", "--epochs", "20", "--plot", "--out", tmp_path / "m", "--quiet", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m" / "boundary.png").exists() and (tmp_path / "m" / "hidden_units.png").exists()
    assert (tmp_path / "m" / "boundary_epochs.png").exists()


@pytest.mark.slow
def test_npz_and_config_file_and_flag_override(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    np.savez(tmp_path / "d.npz", X=X, y=(X[:, 0] > 0).astype(np.int64))
    (tmp_path / "c.toml").write_text('layers = "5"\nepochs = 2\noptimizer = "sgd"\n')
    result = run(
        "train",
        "--data",
        tmp_path / "d.npz",
        "--config",
        tmp_path / "c.toml",
        "--epochs",
        "4",
        "--out",
        tmp_path / "o",
        "--no-plots",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    net, meta = model_io.load(tmp_path / "o" / "model.npz")
    assert (
        net.sizes == [3, 5, 1]  # two classes: one logistic unit (backprop.tasks)
        and state_of(net).epochs_trained == 4
        and state_of(net).options.optimizer == "sgd"
    )


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.mark.slow
def test_mnist_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n in (("train", 60), ("t10k", 20)):
        labels = rng.integers(0, 3, size=n).astype(np.uint8)
        images = (rng.random((n, 4, 4)) * 50 + labels[:, None, None] * 60).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    result = run(
        "train", "--data", f"mnist:{folder}", "--epochs", "30", "--out", tmp_path / "o", "--quiet", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "of 20)" in result.stdout and (tmp_path / "o" / "weights.png").exists()


@pytest.mark.slow
def test_resume_equals_straight_training(tmp_path):
    # Not the default optimizer or batch size: resuming must take them from the model file.
    common = [
        "--data",
        "blobs",
        "--layers",
        "6",
        "--optimizer",
        "momentum",
        "--batch-size",
        "16",
        "--learning-rate",
        "0.05",
        "--no-plots",
        "--quiet",
    ]
    assert run("train", *common, "--epochs", "10", "--out", tmp_path / "a", cwd=tmp_path).returncode == 0
    assert run("train", *common, "--epochs", "5", "--out", tmp_path / "b", cwd=tmp_path).returncode == 0
    result = run(
        "train",
        "--resume",
        tmp_path / "b" / "model.npz",
        "--epochs",
        "5",
        "--out",
        tmp_path / "c",
        "--no-plots",
        "--quiet",
        cwd=tmp_path,
    )  # nothing else: the model file knows the rest
    assert result.returncode == 0, result.stderr
    straight, _ = model_io.load(tmp_path / "a" / "model.npz")
    resumed, _ = model_io.load(tmp_path / "c" / "model.npz")
    assert state_of(resumed).epochs_trained == 10
    for p, q in zip(straight.weights + straight.biases, resumed.weights + resumed.biases):
        np.testing.assert_array_equal(p, q)


@pytest.mark.slow
def test_ctrl_c_saves_the_last_completed_epoch_and_exits_130(tmp_path):
    pytest.importorskip("sklearn")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backprop",
            "train",
            "--epochs",
            "100000",
            "--layers",
            "32",
            "--out",
            str(tmp_path / "o"),
            "--no-plots",
            "--quiet",
            "--checkpoint",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    model = tmp_path / "o" / "model.npz"
    deadline = time.time() + 60
    while not model.exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "saved epoch" in err and "Traceback" not in err
    net, meta = model_io.load(model)
    assert state_of(net).epochs_trained >= 1 and str(state_of(net).epochs_trained) in err


@pytest.mark.slow
def test_gradcheck_command(tmp_path):
    result = run("gradcheck", "--layers", "3,4,2", "--activation", "tanh", cwd=tmp_path)
    assert result.returncode == 0 and "ok:" in result.stdout and "W_" in result.stdout


@pytest.mark.slow
def test_datasets_command(tmp_path):
    result = run("datasets", cwd=tmp_path)
    assert result.returncode == 0 and "spirals" in result.stdout and "digits" in result.stdout


# One test per kind of user error: one line on stderr, exit 2, no traceback, nothing written.
ERRORS = [
    (["train", "--data", "missing.csv"], "no such file"),
    (["train", "--data", "bad.csv"], "row 3 has 2 cells"),
    (["train", "--data", "text.csv"], "'abc' is not a number"),
    (["train", "--data", "nan.csv"], "row 3, column 'a': missing value"),
    (["train", "--data", "empty.csv"], "empty"),
    (["train", "--data", "one_class.csv"], "single class"),
    (["train", "--learning-rate", "-1"], "--learning-rate: must be a number > 0"),
    (["train", "--epochs", "0"], "--epochs: must be an integer >= 1"),
    (["train", "--activation", "swish", "--data", "xor"], "--activation: must be one of sigmoid"),
    (["train", "--layers", "4,0", "--data", "xor"], ">= 1"),
    (["train", "--data", "xor", "--out", "/proc/nope/run"], "/proc/nope: No such file or directory"),
    (["evaluate", "garbage.npz", "--data", "xor"], "not a backprop model file"),
    (["evaluate", "model.npz", "--data", "wide.csv"], "features but the model takes 2"),
    (
        [
            "train",
            "--data",
            "xor",
            "--learning-rate",
            "1e7",
            "--optimizer",
            "sgd",
            "--epochs",
            "50",
            "--activation",
            "relu",
        ],
        "diverged",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("args,message", ERRORS)
def test_user_errors(tmp_path, args, message):
    write_csv(tmp_path / "bad.csv", "a,b,c\n1,2,0\n3,4\n")
    write_csv(tmp_path / "text.csv", "a,b,c\n1,2,0\n3,abc,1\n")
    write_csv(tmp_path / "nan.csv", "a,b,c\n1,2,0\nnan,4,1\n")
    write_csv(tmp_path / "empty.csv", "")
    write_csv(tmp_path / "one_class.csv", "a,b,c\n1,2,0\n3,4,0\n5,6,0\n")
    write_csv(tmp_path / "wide.csv", "a,b,c,d\n1,2,3,0\n3,4,5,1\n")
    (tmp_path / "garbage.npz").write_bytes(os.urandom(300))
    net = bp.Network([2, 3, 2], seed=0)
    model_io.save(
        tmp_path / "model.npz",
        net,
        task="classification",
        classes=[0, 1],
        scaler={"kind": "none", "center": None, "scale": None},
    )
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert_one_error_line(run(*args, cwd=tmp_path), message)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert after == before  # nothing written, changed or left behind (not even an empty run folder)


@pytest.mark.slow
def test_huge_unscaled_inputs_warn_and_suggest_scale(tmp_path):
    rng = np.random.default_rng(0)
    rows = ["a,b,label"] + [f"{rng.normal() * 1e4:.1f},{rng.normal():.3f},{i % 2}" for i in range(40)]
    write_csv(tmp_path / "big.csv", "\n".join(rows) + "\n")
    result = run("train", "--data", "big.csv", "--scale", "none", *FAST, "--out", "o", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "--scale standard" in result.stderr


@pytest.mark.slow
def test_output_into_a_closed_pipe_is_not_an_error(tmp_path):
    """`backprop explain ... | head -1`: the reader leaves early; no error line, no traceback."""
    import subprocess
    import sys

    args = [
        "explain",
        "--format",
        "json",
        "--layers",
        "30,30,30",
        "--samples",
        "50",
    ]  # > 64 KiB: more than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop", *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away while backprop still writes
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and b"error" not in err and b"Traceback" not in err, err


@pytest.mark.slow
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
    (tmp_path / "real.csv").write_text("a,y\n" + "".join(f"{i},{i / 7}\n" for i in range(50)))
    result = run_cli(*args, cwd=tmp_path)
    assert_one_error_line(result, message)
    assert "output='" not in result.stderr
    assert not (tmp_path / "runs").exists()
