"""A corpus of bad inputs: each must give one clear error line, exit status 2, and change no file.

Text and NPZ files live in tests/corpus/; model files are made here from a valid model (truncated,
damaged, hostile). Run through the real command in a subprocess, as a user would.
"""

import json
import pathlib
import pickle
import shutil
import struct
import zipfile

import numpy as np
import pytest

import backprop as bp
from conftest import assert_one_error_line, run_cli
from backprop import io as model_io

pytestmark = pytest.mark.slow

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
TRAIN = ["train", "--epochs", "2", "--no-plots", "--quiet", "--out", "out"]

# (case, command line, what the error line must say)
CASES = [
    ("csv empty", TRAIN + ["--data", "empty.csv"], "empty"),
    ("csv header only", TRAIN + ["--data", "header_only.csv"], "a header but no data rows"),
    ("csv ragged", TRAIN + ["--data", "ragged.csv"], "row 3 has 2 cells but the file has 3 columns"),
    ("csv non-numeric cell", TRAIN + ["--data", "non_numeric.csv"], "row 3, column 'b': 'four' is not a number"),
    ("csv NaN", TRAIN + ["--data", "nan.csv"], "row 3, column 'a': missing value"),
    ("csv inf", TRAIN + ["--data", "inf.csv"], "row 3, column 'b': inf is not a finite number"),
    ("csv 1e308", TRAIN + ["--data", "huge_1e308.csv"], "too large to scale"),
    ("csv colon delimiter", TRAIN + ["--data", "colon_delimited.csv"], "only one column"),
    ("csv duplicated header", TRAIN + ["--data", "duplicate_header.csv"], "names column(s) 'a' more than once"),
    ("csv single class", TRAIN + ["--data", "single_class.csv"], "single class"),
    ("csv not UTF-8", TRAIN + ["--data", "latin1.csv"], "not UTF-8 text"),
    ("csv target not a column", TRAIN + ["--data", "two_classes.csv", "--target", "price"], "no column named 'price'"),
    (
        "csv more classes in test",
        TRAIN + ["--data", "two_classes.csv", "--test-data", "three_classes.csv"],
        "labels 2 were not among the training classes",
    ),
    ("npz missing X", TRAIN + ["--data", "missing_X.npz"], "no array named X"),
    ("npz missing y", TRAIN + ["--data", "missing_y.npz"], "no array named y"),
    ("npz object arrays", TRAIN + ["--data", "object_arrays.npz"], "cannot be read without pickle"),
    ("npz 3-D X", TRAIN + ["--data", "X_3d.npz"], "X must be 2-D"),
    ("npz mismatched lengths", TRAIN + ["--data", "mismatched.npz"], "X has 5 rows but y has 4"),
    ("npz NaN", TRAIN + ["--data", "nan_X.npz"], "NaN"),
    ("npz not a zip", TRAIN + ["--data", "not_an_npz.npz"], "not a valid .npz file"),
    ("missing data file", TRAIN + ["--data", "nowhere.csv"], "no such file"),
    ("model truncated", ["info", "truncated.npz"], "not a backprop model file"),
    ("model random bytes", ["info", "random.npz"], "not a backprop model file"),
    ("model unknown version", ["info", "version99.npz"], "version 99 is not supported"),
    ("model missing metadata entry", ["info", "no_sizes.npz"], "lacks the entry 'sizes'"),
    ("model with no cost named", ["info", "no_cost.npz"], "metadata field cost must be one of"),
    ("model NaN weights", ["info", "nan_weights.npz"], "array W0 holds NaN"),
    ("model inconsistent shapes", ["info", "bad_shape.npz"], "metadata field classes must be 2 distinct labels"),
    ("model pickled object", ["info", "pickled.npz"], "would need pickle"),
    ("model zip bomb", ["info", "zip_bomb.npz"], "likely zip bomb"),
    ("model missing", ["evaluate", "absent.npz", "--data", "xor"], "no such model file"),
    ("model feature count", ["evaluate", "good.npz", "--data", "three_classes.csv"], "features but the model takes 3"),
    (
        "negative learning rate",
        TRAIN + ["--data", "xor", "--learning-rate", "-0.1"],
        "--learning-rate: must be a number > 0",
    ),
    ("zero epochs", ["train", "--data", "xor", "--epochs", "0"], "--epochs: must be an integer >= 1"),
    ("layer of size 0", TRAIN + ["--data", "xor", "--layers", "8,0"], "sizes must be >= 1"),
    ("unknown activation", TRAIN + ["--data", "xor", "--activation", "swish"], "--activation: must be one of sigmoid"),
    ("unknown optimizer", TRAIN + ["--data", "xor", "--optimizer", "lion"], "--optimizer: must be one of sgd"),
    ("unknown data set", TRAIN + ["--data", "imagenet"], "not a built-in data set"),
    (
        "test split out of range",
        TRAIN + ["--data", "xor", "--test-split", "1.5"],
        "--test-split: must be a number >= 0 and < 1",
    ),
    ("unsupported dtype", TRAIN + ["--data", "xor", "--dtype", "float16"], "--dtype: must be one of float32, float64"),
    ("bad config file", TRAIN + ["--config", "bad.toml"], "not valid TOML"),
    ("unknown config key", TRAIN + ["--config", "unknown.toml"], "unknown option(s) learning_rat"),
    (
        "unwritable output",
        ["predict", "good.npz", "--data", "features.csv", "--out", "no/such/dir/p.csv"],
        "does not exist",
    ),
    (
        "divergence",
        TRAIN + ["--data", "xor", "--learning-rate", "1e7", "--optimizer", "sgd", "--epochs", "50", "--checkpoint"],
        "diverged",
    ),
]


class Payload:
    """Unpickling this would create a file: the test checks that it never does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def make_models(folder, marker):
    """Valid and broken model files in folder."""
    net = bp.Network([3, 3, 3], seed=0)
    good = folder / "good.npz"
    model_io.save(
        good, net, task="classification", classes=[0, 1, 2], scaler={"kind": "none", "center": None, "scale": None}
    )
    data = good.read_bytes()
    (folder / "truncated.npz").write_bytes(data[: len(data) // 2])
    (folder / "random.npz").write_bytes(np.random.default_rng(0).bytes(2000))
    with np.load(good) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(arrays["metadata"].tobytes())

    def variant(name, meta_changes=None, **array_changes):
        m = {**meta, **(meta_changes or {})}
        a = {**arrays, **array_changes, "metadata": np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)}
        np.savez(folder / name, **a)

    variant("version99.npz", {"version": 99})
    variant("no_cost.npz", {k: v for k, v in meta.items() if k != "cost"} | {"cost": None})
    m = dict(meta)
    del m["sizes"]
    a = {**arrays, "metadata": np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)}
    np.savez(folder / "no_sizes.npz", **a)
    variant("nan_weights.npz", W0=np.full((3, 3), np.nan))
    variant("bad_shape.npz", W1=np.zeros((3, 3)), b1=np.zeros(3), meta_changes={"sizes": [3, 3, 2]})
    variant("pickled.npz", W0=np.array([Payload(str(marker))], dtype=object))
    bomb = folder / "zip_bomb.npz"
    shutil.copy(good, bomb)
    raw = bytearray(bomb.read_bytes())
    at = raw.find(b"PK\x01\x02")  # first central-directory entry: claim 3.9 GB uncompressed
    raw[at + 24 : at + 28] = struct.pack("<I", 0xF0000000)
    bomb.write_bytes(bytes(raw))
    with zipfile.ZipFile(bomb) as z:
        assert z.infolist()[0].file_size == 0xF0000000


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, folder / f.name)
    make_models(folder, folder / "PWNED")
    (folder / "bad.toml").write_text("epochs = = 3\n")
    (folder / "unknown.toml").write_text("learning_rat = 0.1\n")
    (folder / "features.csv").write_text("a,b,c\n1,2,3\n")
    return folder


def snapshot(folder):
    return {p.relative_to(folder): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


@pytest.mark.parametrize("case,args,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_error_and_writes_nothing(workdir, case, args, message):
    before = snapshot(workdir)
    assert_one_error_line(run_cli(*args, cwd=workdir), message)
    assert snapshot(workdir) == before  # no file written, changed or left behind
    assert not (workdir / "PWNED").exists()


def test_corpus_size():
    assert len(CASES) >= 30 and len(list(CORPUS.iterdir())) >= 20


@pytest.mark.parametrize("name", ["bom.csv", "semicolon.csv"])
def test_bom_and_semicolons_are_read(workdir, name, tmp_path):
    result = run_cli(
        "train", "--data", workdir / name, "--epochs", "2", "--no-plots", "--quiet", "--out", tmp_path / "o"
    )
    assert result.returncode == 0, result.stderr
    _, meta = model_io.load(tmp_path / "o" / "model.npz")
    assert meta["feature_names"] == ["a", "b"] and meta["target_name"] == "label"


def test_hostile_pickle_never_runs(workdir):
    with pytest.raises(bp.ModelFileError, match="pickle"):
        model_io.load(workdir / "pickled.npz")
    assert not (workdir / "PWNED").exists()
    with pytest.raises(bp.ModelFileError):  # and the raw payload, pickled on its own
        path = workdir / "raw.npz"
        path.write_bytes(pickle.dumps(Payload(str(workdir / "PWNED"))))
        model_io.load(path)
    assert not (workdir / "PWNED").exists()
