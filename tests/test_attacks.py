"""The corpus of attacks beyond tests/corpus: data loss, options and TOML types, data quirks, special
files, bombs' smaller cousins. Each is refused with exit 2, one line naming the problem, no traceback,
and no file under the working folder changed (SHA-256 before and after)."""

import gzip
import json
import os
import struct

import numpy as np
import pytest

from attack import assert_refused, run_attacks

TRAIN = ("train", "--epochs", "1", "--no-plots", "--quiet", "--out", "run")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    y = (X[:, 0] > 0.5).astype(int)
    rows = "".join(f"{r[0]},{r[1]},{r[2]},{t}\n" for r, t in zip(X, y))
    (folder / "d.csv").write_text("a,b,c,t\n" + rows)
    (folder / "halves.csv").write_text("a,b,c,t\n" + "".join(f"{r[0]},{r[1]},{r[2]},{t + 0.5}\n" for r, t in zip(X, y)))
    (folder / "three.csv").write_text("a,b,c,t\n" + "".join(f"{r[0]},{r[1]},{r[2]},{i % 3}\n" for i, r in enumerate(X)))
    (folder / "nob.csv").write_text("a,c,t\n" + "".join(f"{r[0]},{r[2]},{t}\n" for r, t in zip(X, y)))
    np.savez(folder / "reg.npz", X=X, y=X[:, :1] * 2)
    np.savez(folder / "reg2.npz", X=X, y=X[:, :2] * 2)
    np.savez(folder / "badbytes.npz", X=X, y=np.array([b"\xff\xfe"] * 40))
    np.savez(folder / "complex.npz", X=X, y=y.astype(complex))
    np.savez(folder / "dates.npz", X=X, y=np.array(["2020-01-01"] * 40, dtype="datetime64[D]"))
    os.mkfifo(folder / "fifo.csv")
    os.mkfifo(folder / "fifo.npz")
    os.mkfifo(folder / "fifo.toml")
    os.mkfifo(folder / "fifo.parquet")
    os.mkfifo(folder / "fifo.csv.gz")
    (folder / "adir.csv").mkdir()
    mnist = folder / "mnist"
    mnist.mkdir()
    with gzip.open(mnist / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\0\0\x08\x03" + struct.pack(">3I", 10, 2, 2) + bytes(40 + 5000))  # longer than declared
    with gzip.open(mnist / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\0\0\x08\x01" + struct.pack(">I", 10) + bytes(10))
    (folder / "preds.csv").write_text("existing predictions\n")
    made = run_attacks(
        [
            [*TRAIN[:-1], "model", "--data", "d.csv"],  # model/model.npz, the model attacked
            ["train", "--data", "d.csv", "--epochs", "1", "--no-plots", "--quiet", "--out", "dev"],
        ],
        folder,
    )
    assert [r["rc"] for r in made] == [0, 0], made
    long = "c" * 1001
    (folder / "longcol.csv").write_text(f"a,{long},t\n" + "".join(f"{i % 7},{i % 3},{i % 2}\n" for i in range(40)))
    (folder / "longclass.csv").write_text("a,b,t\n" + "".join(f"{i % 7},{i % 3},{long if i % 2 else 'x'}\n"
                                                                for i in range(40)))
    (folder / "longcat.csv").write_text("a,b,t\n" + "".join(f"{i % 7},{long if i % 3 else 'q'},{i % 2}\n"
                                                              for i in range(40)))
    np.savez(folder / "bools.npz", X=X, y=y == 1)
    edited(folder / "model" / "model.npz", folder / "steps.npz", lambda meta: meta["training"]["optimizer"]
           .update(t=2**53))
    edited(folder / "model" / "model.npz", folder / "noscaler.npz", lambda meta: meta.pop("scaler"))
    return folder


def edited(source, path, change):
    """A copy of the model file source with change(metadata) applied, as a hand-edited file would be."""
    arrays = dict(np.load(source))
    meta = json.loads(arrays["metadata"].tobytes())
    change(meta)
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **arrays)


def toml(folder, name, text):
    (folder / name).write_text(text + "\n")
    return name


# (argv, words the one error line must hold)
def cases(w):
    c = []
    # data loss
    c += [
        (["predict", "model/model.npz", "--data", "d.csv", "--out", "d.csv"], "is also an input"),
        (["predict", "model/model.npz", "--data", "d.csv", "--out", "d.csv", "--force"], "is also an input"),
        (["predict", "model/model.npz", "--data", "d.csv", "--out", "model/model.npz", "--force"], "is also an input"),
        (["predict", "model/model.npz", "--data", "d.csv", "--out", "./model/../model/model.npz"], "is also an input"),
        (["predict", "model/model.npz", "--data", "d.csv", "--out", "preds.csv"], "pass --force"),
        (["predict", "model/model.npz", "--data", "d.csv", "--out", "adir.csv", "--force"], "not a regular file"),
        ([*TRAIN[:-1], "model", "--data", "d.csv"], "model/model.npz exists; pass --force"),
        ([*TRAIN[:-1], "model", "--data", "d.csv", "--resume", "model/model.npz", "--force"], "is also an input"),
        ([*TRAIN, "--data", "d.csv", "--test-data", "nob.csv"], "nob.csv: no column 'b'"),  # matched by name
        ([*TRAIN, "--data", "reg.npz", "--test-data", "reg2.npz"], "2 target column(s), but the model predicts 1"),
        ([*TRAIN, "--data", "d.csv", "--test-data", "halves.csv"], "not whole numbers"),
        ([*TRAIN, "--data", "d.csv", "--test-data", "three.csv"], "not among the training classes"),
        (
            ["train", "--resume", "model/model.npz", "--data", "three.csv", "--epochs", "1", "--out", "r2"],
            "not among the training classes",
        ),
        (["evaluate", "model/model.npz", "--data", "halves.csv"], "not whole numbers"),
        (["predict", "model/model.npz", "--data", "nob.csv"], "no column 'b'"),
    ]
    # data loss, second campaign (issue 28): a MODEL named as its run folder is the file it reads; special files
    c += [
        (["export", "model/model.npz", "--out", "model/model.npz", "--force"], "is also an input"),
        (["export", "model", "--out", "model/model.npz", "--force"], "is also an input"),
        (["export", "model", "--format", "torch", "--out", "./model/model.npz", "--force"], "is also an input"),
        (["predict", "model", "--data", "d.csv", "--out", "model/model.npz", "--force"], "is also an input"),
        (["train", "--resume", "model", "--data", "d.csv", "--epochs", "1", "--out", "model", "--force"],
         "is also an input"),
        (["export", "model", "--out", "fifo.csv", "--force"], "not a regular file"),
        (["export", "model", "--out", "adir.csv", "--force"], "not a regular file"),
        (["export", "model", "--out", "preds.csv"], "pass --force"),
        (["export", "model", "--out", "/dev/null", "--force"], "not a regular file"),
        (["predict", "model", "--data", "d.csv", "--out", "fifo.csv", "--force"], "not a regular file"),
        ([*TRAIN[:-1], "fifo.npz", "--data", "d.csv", "--force"], "not a regular file"),
    ]
    # spent, then refused (issue 28): what the model file or the memory would refuse, refused before the first epoch
    c += [
        ([*TRAIN, "--data", "d.csv", "--layers", "5000,5000"], "573 MiB, more than the 512 MiB"),
        ([*TRAIN, "--data", "d.csv", "--layers", "100000000"], "more than the 512 MiB"),
        ([*TRAIN, "--data", "d.csv", "--layers", ",".join(["2"] * 1200)], "at most 1000 layers"),
        ([*TRAIN, "--data", "longcol.csv"], "has 1001 characters; a model file holds names of at most 1000"),
        ([*TRAIN, "--data", "longclass.csv"], "of 1001 characters ('ccc"),
        ([*TRAIN, "--data", "longcat.csv"], "column 'b' holds a value of 1001 characters"),
        ([*TRAIN, "--data", "bools.npz"], "classes[0]"),
        ([*TRAIN, "--data", "./" * 500 + "d.csv"], "refused before training, as the model file could not hold it"),
        (["train", "--resume", "steps.npz", "--data", "d.csv", "--epochs", "1", "--out", "r4"], "2^53"),
        (["train", "--resume", "model", "--data", "d.csv", "--layers", "64", "--dtype", "float32", "--out", "r5"],
         "--layers 64 (the model's: 128), --dtype float32 (the model's: float64) cannot apply"),
        (["train", "--resume", "model", "--data", "d.csv", "--scale", "minmax", "--out", "r6"], "--scale minmax"),
        (["explain", "--samples", "100000000"], "--samples must lie in 1..10000"),
        (["explain", "--layers", "300,300,300"], "finite differences"),
        (["gradcheck", "--layers", "300,300,300"], "finite differences"),
        (["predict", "model", "--data", "d.csv", "--target", "nope"], "no column named 'nope'"),
        (["predict", "noscaler.npz", "--data", "d.csv"], "must be a standard scaler"),
        (["evaluate", "model", "--held-out"], "pass --data with that file"),  # the path inside is not opened
    ]
    # special files, bombs' cousins, the model's own paths
    c += [
        ([*TRAIN, "--data", "fifo.csv"], "not a regular file"),
        ([*TRAIN, "--data", "fifo.npz"], "not a regular file"),
        ([*TRAIN, "--data", "fifo.parquet"], "not a regular file"),
        ([*TRAIN, "--data", "fifo.csv.gz"], "not a regular file"),
        ([*TRAIN, "--data", "fifo.csv.gz", "--stream"], "not a regular file"),
        (["evaluate", "model/model.npz", "--data", "fifo.parquet"], "not a regular file"),
        ([*TRAIN, "--data", "adir.csv"], "not a regular file"),
        ([*TRAIN, "--data", "d.csv", "--config", "fifo.toml"], "not a regular file"),
        (["predict", "model/model.npz", "--data", "fifo.csv"], "not a regular file"),
        (["evaluate", "model/model.npz", "--data", "fifo.csv"], "not a regular file"),
        ([*TRAIN, "--data", "mnist:mnist"], "holds more than 40 bytes"),
        (["train", "--resume", "dev/model.npz", "--epochs", "1", "--out", "r3"], "pass --data"),
        ([*TRAIN, "--data", "badbytes.npz"], "not UTF-8"),
        ([*TRAIN, "--data", "complex.npz"], "y must hold numbers or text labels"),
        ([*TRAIN, "--data", "dates.npz"], "y must hold numbers or text labels"),
    ]
    # options on the command line
    c += [
        ([*TRAIN, "--data", "d.csv", "--seed", "-1"], "--seed"),
        ([*TRAIN, "--data", "d.csv", "--layers", "64,,32"], "--layers"),
        ([*TRAIN, "--data", "d.csv", "--layers", "0"], "--layers"),
        ([*TRAIN, "--data", "d.csv", "--epochs", "1e23"], "--epochs"),
        ([*TRAIN, "--data", "d.csv", "--weight-decay", "inf"], "--weight-decay"),
        ([*TRAIN, "--data", "d.csv", "--schedule", "step", "--gamma", "-1"], "--gamma"),
        ([*TRAIN, "--data", "d.csv", "--learning-rate", "nan"], "--learning-rate"),
        ([*TRAIN, "--data", "d.csv", "--validation-split", "1"], "--validation-split"),
        ([*TRAIN, "--data", "d.csv", "--batch-size", "0"], "--batch-size"),
        ([*TRAIN, "--data", "d.csv", "--momentum", "0.9"], "momentum is not an option of the adam optimizer"),
        ([*TRAIN, "--data", "d.csv", "--step-size", "3"], "step_size is not an option of the constant schedule"),
    ]
    # options in a TOML file, each of the wrong type or range
    for i, (text, words) in enumerate(
        [
            ('seed = "abc"', "seed must be"),
            ('learning_rate = "fast"', "learning_rate"),
            ('validation_split = "0.1"', "validation_split"),
            ("tol = 1e400", "tol must be"),
            ("shuffle = 1", "shuffle must be true or false"),
            ("batch_size = 0", "batch_size"),
            ('layers = [64, "a"]', "layers"),
            ("layers = 5", "layers"),
            ("schedule = 'step'\ngamma = 2", "gamma"),
            ('dtype = "int8"', "dtype"),
            ("rm_rf = 1", "unknown option(s) rm_rf"),
            ("seed = 1.5", "seed"),
            ("test_split = -0.5", "test_split"),
            ('activation = ["relu"]', "activation"),
            ("momentum = 0.9", "momentum is not an option"),
            ("x = ", "not valid TOML"),
        ]
    ):
        c.append(([*TRAIN, "--data", "d.csv", "--config", toml(w, f"c{i}.toml", text)], words))
    return c


@pytest.mark.slow
def test_every_attack_is_refused_and_changes_no_file(work):
    attacks = cases(work)
    results = run_attacks([argv for argv, _ in attacks], work)
    failures = []
    for result, (_, words) in zip(results, attacks):
        try:
            assert_refused(result, words)
        except AssertionError as exc:
            failures.append(f"{result['argv']}: {exc}")
    assert not failures, "\n".join(failures)
    assert len(attacks) >= 50  # with tests/test_hostile_models.py: 136 cases
    assert (work / "d.csv").read_text().startswith("a,b,c,t\n")
