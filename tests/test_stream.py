"""Training past memory: `backprop train --stream` reads a table from disk in batches each epoch; predict and
evaluate stream too. Its accuracy is the in-memory run's, its memory does not grow with the rows, its test
split is a stable hash of each row, and an interrupted predict leaves nothing behind."""

import os
import re
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from conftest import run_cli

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from backprop.cli import main  # noqa: E402
from backprop.data import rows, stream  # noqa: E402


def table(n, seed=0, d=6):
    """n rows: d numeric features, a text column, and a label no linear boundary separates."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(d)])
    frame["colour"] = np.where(X[:, 3] > 0.5, "red", np.where(X[:, 3] < -0.5, "blue", "green"))
    frame["y"] = (X[:, 0] * X[:, 1] + X[:, 2] + (frame["colour"] == "red") > 0).astype(int)
    return frame


def accuracy(text):
    """The first accuracy a command printed, in percent."""
    return float(re.search(r"accuracy ([\d.]+)%", text).group(1))


@pytest.mark.slow
def test_streamed_training_scores_within_a_point_of_in_memory_training(tmp_path):
    table(8000).to_parquet(tmp_path / "train.parquet", row_group_size=1000)
    table(4000, seed=1).to_csv(tmp_path / "test.csv", index=False)
    common = ["--layers", "16", "--epochs", "8", "--batch-size", "32", "--quiet", "--no-plots", "--test-split", "0.1"]
    for name, flag in (("memory", "--no-stream"), ("stream", "--stream")):
        result = run_cli("train", "--data", "train.parquet", flag, "--out", name, *common, cwd=tmp_path, timeout=600)
        assert result.returncode == 0, result.stderr
    scores = {}
    for name in ("memory", "stream"):
        result = run_cli("evaluate", name, "--data", "test.csv", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        scores[name] = accuracy(result.stdout)
    assert scores["memory"] > 90 and abs(scores["stream"] - scores["memory"]) <= 1.0, scores


def peak_of_streamed_training(path, monkeypatch, capsys):
    """tracemalloc's peak (bytes) over `backprop train --stream` on path, run in this process."""
    monkeypatch.setattr("backprop.cli.streaming.CHUNK_ROWS", 512)
    monkeypatch.setattr(stream, "BATCH_ROWS", 500)
    tracemalloc.start()
    try:
        status = main(["train", "--data", str(path), "--stream", "--layers", "8", "--epochs", "1", "--batch-size",
                       "32", "--validation-split", "0.1", "--out", str(path) + ".npz", "--force", "--quiet",
                       "--no-plots"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 0, capsys.readouterr()
    return peak


def test_streamed_training_memory_does_not_grow_with_the_rows(tmp_path, monkeypatch, capsys):
    """N and 4N rows: 3N more rows of 9 float64 inputs are 1.7 MB; the peaks differ by far less."""
    n = 8000
    for k in (1, 4):
        table(k * n).to_parquet(tmp_path / f"t{k}.parquet", row_group_size=500)
    peak_of_streamed_training(tmp_path / "t1.parquet", monkeypatch, capsys)  # imports and caches, once
    small = peak_of_streamed_training(tmp_path / "t1.parquet", monkeypatch, capsys)
    large = peak_of_streamed_training(tmp_path / "t4.parquet", monkeypatch, capsys)
    extra_rows = 3 * n * 9 * 8  # bytes of the 3N more rows' inputs, which a row-proportional leak would hold
    assert large - small < extra_rows / 4, (small, large)


def test_the_split_is_a_stable_hash_of_each_row_whatever_the_batches():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(1000, 4)), rng.integers(0, 3, 1000)
    part = rows.parts(rows.row_hash(X, y, 7), 0.2, 0.1)
    order = rng.permutation(1000)
    pieces = np.array_split(order, 7)  # other batches, in another order
    shuffled = np.concatenate([rows.parts(rows.row_hash(X[i], y[i], 7), 0.2, 0.1) for i in pieces])
    np.testing.assert_array_equal(shuffled, part[order])
    counts = np.bincount(part, minlength=3) / 1000
    assert abs(counts[rows.TEST] - 0.2) < 0.04 and abs(counts[rows.VALIDATION] - 0.08) < 0.03
    assert (rows.parts(rows.row_hash(X, y, 8), 0.2, 0.1) != part).any()  # another seed, another split
    labels = np.array(["a", "b", "c"])[y]  # text labels hash too, and not as their codes
    assert (rows.row_hash(X, labels, 7) != rows.row_hash(X, y, 7)).any()


@pytest.mark.slow
def test_the_row_hash_is_the_same_in_another_process():
    """Another process, another PYTHONHASHSEED: the same hashes (nothing of Python's salted hash())."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(1000, 4)), rng.integers(0, 3, 1000)
    labels = np.array(["a", "b", "c"])[y]
    code = ("import numpy as np; from backprop.data import rows; rng = np.random.default_rng(0); "
            "X, y = rng.normal(size=(1000, 4)), rng.integers(0, 3, 1000); "
            "print(rows.row_hash(X, np.array(['a', 'b', 'c'])[y], 7).sum())")
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    with np.errstate(over="ignore"):
        assert int(out) == int(rows.row_hash(X, labels, 7).sum())


@pytest.mark.slow
def test_evaluate_held_out_finds_the_rows_the_streamed_run_held_out(tmp_path):
    table(3000).to_parquet(tmp_path / "t.parquet", row_group_size=400)
    table(3000).to_csv(tmp_path / "t.csv", index=False)
    trained = run_cli("train", "--data", "t.parquet", "--stream", "--layers", "8", "--epochs", "3", "--out", "run",
                      "--quiet", "--no-plots", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    test_line = re.search(r"test accuracy .*\((\d+) of (\d+)\)", trained.stdout)
    for data in (["--data", "t.parquet"], ["--data", "t.csv"]):  # the training file, and the same rows as CSV
        held = run_cli("evaluate", "run", "--held-out", *data, cwd=tmp_path)
        assert held.returncode == 0, held.stderr
        found = re.search(r"held-out accuracy .*\((\d+) of (\d+)\)", held.stdout)
        assert found.groups() == test_line.groups()
        assert 450 < int(found.group(2)) < 750  # about 20% of 3000
    again = run_cli("train", "--data", "t.parquet", "--stream", "--layers", "8", "--epochs", "3", "--out", "run2",
                    "--quiet", "--no-plots", cwd=tmp_path)
    assert re.search(r"test accuracy .*", again.stdout).group() == test_line.group()  # the same run, the same rows


def test_an_interrupted_streamed_predict_leaves_nothing_at_the_target(tmp_path, monkeypatch, capsys):
    from backprop.cli import streaming
    from backprop.model import Model, load
    table(3000).to_parquet(tmp_path / "t.parquet", row_group_size=500)
    assert main(["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--layers", "4", "--epochs", "1",
                 "--out", str(tmp_path / "m.npz"), "--quiet", "--no-plots"]) == 0
    model = load(tmp_path / "m.npz")
    calls = []

    def interrupted(self, X):
        calls.append(len(X))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, X)
    original = Model.predict_labels
    monkeypatch.setattr(Model, "predict_labels", interrupted)
    monkeypatch.setattr(stream, "BATCH_ROWS", 500)
    with pytest.raises(KeyboardInterrupt):
        streaming.predict_streamed(model, str(tmp_path / "t.parquet"), str(tmp_path / "p.csv"), proba=False)
    assert len(calls) == 3 and sorted(os.listdir(tmp_path)) == ["m.npz", "t.parquet"]
    monkeypatch.setattr(Model, "predict_labels", original)
    assert streaming.predict_streamed(model, str(tmp_path / "t.parquet"), str(tmp_path / "p.csv"), False) == 3000
    written = pd.read_csv(tmp_path / "p.csv")
    expected = model.predict_labels(pd.read_parquet(tmp_path / "t.parquet").drop(columns="y"))
    np.testing.assert_array_equal(written["y"].to_numpy(), expected)


def test_a_table_streams_by_itself_when_six_times_its_float64_size_is_over_half_the_free_memory(tmp_path,
                                                                                                monkeypatch):
    from backprop.cli import streaming
    table(1000).to_parquet(tmp_path / "t.parquet")
    size = 1000 * 8 * 8  # rows x columns x 8 bytes
    monkeypatch.setattr(streaming, "available_memory", lambda: 2 * 6 * size + 2)
    assert not streaming.wants_stream(None, str(tmp_path / "t.parquet"))
    monkeypatch.setattr(streaming, "available_memory", lambda: 2 * 6 * size - 2)
    assert streaming.wants_stream(None, str(tmp_path / "t.parquet"))
    assert not streaming.wants_stream(False, str(tmp_path / "t.parquet"))  # --no-stream wins
    assert not streaming.wants_stream(None, "digits")  # built-in sets are small


@pytest.mark.parametrize("flag", [["--test-data", "t.parquet"], ["--plot"], ["--impute", "mean"]])
def test_options_streaming_cannot_honour_are_refused_before_reading(flag, tmp_path, capsys):
    table(100).to_parquet(tmp_path / "t.parquet")
    status = main(["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--out", str(tmp_path / "m.npz"), *flag])
    assert status == 2 and "with --stream" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["t.parquet"]


def test_streamed_training_validates_stops_early_and_keeps_its_best_epoch(tmp_path, capsys):
    from backprop.model import load
    from backprop.training import state_of
    table(2000).to_parquet(tmp_path / "t.parquet", row_group_size=300)
    assert main(["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--layers", "16", "--epochs", "200",
                 "--learning-rate", "0.05", "--early-stopping", "2", "--out", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out
    history = state_of(load(tmp_path / "m.npz").network).history
    assert history.stop_reason == "early_stopping" and len(history) < 200
    assert None not in history.val_cost and None not in history.val_accuracy
    assert history.best_epoch == history.epoch[int(np.argmin(history.val_cost))]
    assert f"best epoch {history.best_epoch} restored" in out
    assert (tmp_path / "m-plots" / "curves.png").is_file() and (tmp_path / "m-plots" / "confusion.png").is_file()


def test_a_header_longer_than_the_sample_is_read_whole(tmp_path):
    """The stream reads the delimiter and the names from the whole first line, as the in-memory reader does."""
    from backprop.data import tables
    from backprop.data.stream import TableStream

    names = [f"feature_number_{i}" for i in range(tables.SAMPLE // 10)] + ["label"]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join(["0.5"] * (len(names) - 1) + ["1"]) + "\n")
    assert len(",".join(names)) > tables.SAMPLE
    assert TableStream(str(path)).names == names


def write_format(frame, path, kind):
    """frame written as kind: csv, csv.gz, parquet, feather, or a folder of three files of one of those."""
    import gzip

    import pyarrow as pa
    import pyarrow.feather as feather
    if kind.startswith("folder-"):
        os.mkdir(path)
        for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
            write_format(frame.iloc[part], os.path.join(path, f"part{i}.{kind[7:]}"), kind[7:])
    elif kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "csv.gz":
        with gzip.open(path, "wt") as f:
            frame.to_csv(f, index=False)
    elif kind == "parquet":
        frame.to_parquet(path, row_group_size=300)
    else:
        feather.write_feather(pa.Table.from_pandas(frame, preserve_index=False), path, chunksize=300)
    return str(path)


FORMATS = ["csv", "csv.gz", "parquet", "feather", "folder-csv", "folder-parquet", "folder-feather"]


@pytest.mark.parametrize("kind", FORMATS)
def test_every_format_streams_to_the_same_rows_split_and_model(kind, tmp_path, monkeypatch, capsys):
    """Each format the in-memory reader takes also streams, in batches smaller than the table: the same rows,
    the same hash split, the same categories and scaler as the plain CSV; its held-out rows found again."""
    from backprop.data.sources import select
    from backprop.model import load
    monkeypatch.setattr(stream, "BATCH_ROWS", 250)
    frame = table(1500)
    reference = stream.TableStream(write_format(frame, tmp_path / "ref.csv", "csv"))
    source = stream.TableStream(write_format(frame, tmp_path / f"t.{kind}", kind))
    assert source.names == reference.names
    assert max(len(b) for b, _, _ in source.batches()) <= 250
    rows = pd.concat([b.to_pandas() for b, _, _ in source.batches(np.random.default_rng(0))])
    assert len(rows) == 1500 and not rows.duplicated().any()
    pd.testing.assert_frame_equal(rows.sort_values("x0", ignore_index=True), frame.sort_values("x0", ignore_index=True),
                                  check_dtype=False)
    features, target = select(source.path, source.names)
    fits = [stream.fit_stream(s, features, target, seed=3) for s in (reference, source)]
    assert fits[0].counts == fits[1].counts and fits[0].encoder.categories == fits[1].encoder.categories
    np.testing.assert_allclose(fits[0].scaler.center, fits[1].scaler.center, rtol=1e-12)
    model_path = str(tmp_path / "m.npz")
    assert main(["train", "--data", source.path, "--stream", "--layers", "4", "--epochs", "1", "--out", model_path,
                 "--quiet", "--no-plots", "--seed", "3"]) == 0
    tested = re.search(r"\((\d+) of (\d+)\)", capsys.readouterr().out).group(2)
    assert int(tested) == fits[1].counts["test"]
    assert load(model_path).encoder.categories == fits[0].encoder.categories
    assert main(["evaluate", model_path, "--held-out", "--data", source.path, "--stream"]) == 0
    assert re.search(r"\((\d+) of (\d+)\)", capsys.readouterr().out).group(2) == tested


def test_a_folder_whose_files_differ_in_their_columns_is_refused_naming_the_file(tmp_path, capsys):
    os.mkdir(tmp_path / "parts")
    table(100).to_csv(tmp_path / "parts" / "a.csv", index=False)
    table(100).drop(columns="x1").to_csv(tmp_path / "parts" / "b.csv", index=False)
    table(100).to_parquet(tmp_path / "mixed.parquet")
    status = main(["train", "--data", str(tmp_path / "parts"), "--stream", "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert status == 2 and "b.csv: its columns differ" in err and err.count("\n") == 1
    os.rename(tmp_path / "mixed.parquet", tmp_path / "parts" / "c.parquet")
    assert main(["train", "--data", str(tmp_path / "parts"), "--stream", "--out", str(tmp_path / "m.npz")]) == 2
    assert "mixes file formats (csv, parquet)" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


def test_a_broken_gzip_stream_is_one_line_naming_the_file(tmp_path, capsys):
    import gzip
    data = gzip.compress(table(3000).to_csv(index=False).encode())
    (tmp_path / "t.csv.gz").write_bytes(data[: len(data) // 2])
    status = main(["train", "--data", str(tmp_path / "t.csv.gz"), "--stream", "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("error: ") and "t.csv.gz" in err and err.count("\n") == 1, err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("scale", ["standard", "minmax"])
def test_one_pass_finds_the_categories_split_and_scaler_the_whole_table_gives(scale, tmp_path, monkeypatch):
    """fit_stream's one pass over small batches (a category first seen late, one never in a training row) against
    the whole table read into memory: the same categories, the same parts, Scaler.fit's statistics."""
    from backprop.data.preprocessing import Scaler
    from backprop.data.sources import read_table
    monkeypatch.setattr(stream, "BATCH_ROWS", 64)
    frame = table(900)
    frame.loc[850:, "colour"] = "violet"  # first seen in the last batches
    frame.loc[899, "colour"] = "white"  # one row only: in a training row, or not, by the hash
    frame.to_csv(tmp_path / "t.csv", index=False)
    source = stream.TableStream(tmp_path / "t.csv")
    fitted = stream.fit_stream(source, [c for c in frame.columns if c != "y"], "y", scale=scale, seed=5,
                               test_split=0.3, validation_split=0.2)
    X, y, encoder, _ = read_table(str(tmp_path / "t.csv"))
    assert fitted.encoder.categories == encoder.categories == {"colour": ["blue", "green", "red", "violet", "white"]}
    part = rows.parts(rows.row_hash(X, y, 5, encoder), 0.3, 0.2)
    assert fitted.counts == {"test": int((part == 0).sum()), "validation": int((part == 1).sum()),
                             "train": int((part == 2).sum())}
    expected = Scaler.fit(X[part == rows.TRAIN], scale)
    np.testing.assert_allclose(fitted.scaler.center, expected.center, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fitted.scaler.scale, expected.scale, rtol=1e-12)


def test_the_row_hash_of_a_category_is_its_name_not_its_position_among_the_categories():
    """Encoded with more categories known, a row keeps its hash: the one pass hashes before all are known."""
    from backprop.data.encoder import Encoder
    few = Encoder(["x", "c"], {"c": ["b", "c"]}, {})
    more = Encoder(["x", "c"], {"c": ["a", "b", "c", "d"]}, {})
    X_few = np.array([[0.5, 1.0, 0.0], [-2.0, 0.0, 1.0]])
    X_more = np.array([[0.5, 0.0, 1.0, 0.0, 0.0], [-2.0, 0.0, 0.0, 1.0, 0.0]])
    y = np.array([1, 0])
    np.testing.assert_array_equal(rows.row_hash(X_few, y, 3, few), rows.row_hash(X_more, y, 3, more))
    assert (rows.row_hash(X_more, y, 3) != rows.row_hash(X_more, y, 3, more)).all()


def test_held_out_rows_of_a_model_hashed_the_earlier_way_are_refused_where_categories_changed_the_hash(tmp_path,
                                                                                                     capsys):
    from backprop.model import load, save
    from backprop.data.rows import OLD_SPLIT
    table(600).to_parquet(tmp_path / "t.parquet")
    table(600).drop(columns="colour").to_parquet(tmp_path / "numbers.parquet")
    for data in ("t", "numbers"):
        assert main(["train", "--data", str(tmp_path / f"{data}.parquet"), "--stream", "--layers", "4", "--epochs",
                     "1", "--out", str(tmp_path / f"{data}.npz"), "--quiet", "--no-plots"]) == 0
        model = load(tmp_path / f"{data}.npz")
        model.data["split"] = OLD_SPLIT  # as saved before the hash took a category's name
        os.unlink(tmp_path / f"{data}.npz")
        save(model, tmp_path / f"{data}.npz")
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "t.npz"), "--held-out", "--data", str(tmp_path / "t.parquet")]) == 2
    assert "train it again" in capsys.readouterr().err
    # without categories the hash is what it was: the earlier model's held-out rows are found
    assert main(["evaluate", str(tmp_path / "numbers.npz"), "--held-out", "--data",
                 str(tmp_path / "numbers.parquet")]) == 0
    assert "held-out accuracy" in capsys.readouterr().out


@pytest.fixture
def passes(monkeypatch):
    """A list that grows by one each time a TableStream starts a pass over its file."""
    started = []
    original = stream.TableStream.batches

    def counted(self, *args, **kwargs):
        started.append(1)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(stream.TableStream, "batches", counted)
    return started


@pytest.mark.parametrize("validation,reads", [("0", 3), ("0.1", 4)])
def test_training_one_epoch_reads_the_file_once_to_fit_then_for_the_epoch_validation_and_test(
        validation, reads, tmp_path, passes, capsys):
    """One pass fits the categories and the scaling; then the epoch, its validation rows, the test rows."""
    table(500).to_csv(tmp_path / "t.csv", index=False)
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--stream", "--layers", "4", "--epochs", "1",
                 "--validation-split", validation, "--out", str(tmp_path / "m.npz"), "--quiet", "--no-plots"]) == 0
    assert len(passes) == reads


def test_a_streamed_run_never_replaces_a_model_file_it_did_not_write(tmp_path, monkeypatch, passes, capsys):
    """The overwrite rule as for in-memory runs (tests/test_outputs.py): a file already at --out is refused before a
    row is read; one another run writes there while this one trains is refused at the save, never replaced."""
    table(600).to_parquet(tmp_path / "t.parquet", row_group_size=200)
    (tmp_path / "m.npz").write_bytes(b"mine")
    train = ["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--layers", "4", "--epochs", "2",
             "--out", str(tmp_path / "m.npz"), "--quiet", "--no-plots"]
    assert main(train) == 2 and "pass --force" in capsys.readouterr().err and not passes
    os.unlink(tmp_path / "m.npz")
    original = stream.TableStream.batches

    def another_run_saves_meanwhile(self, *args, **kwargs):  # the file appears after the checks, before the save
        if not (tmp_path / "m.npz").exists():
            (tmp_path / "m.npz").write_bytes(b"the other run's")
        return original(self, *args, **kwargs)
    monkeypatch.setattr(stream.TableStream, "batches", another_run_saves_meanwhile)
    assert main(train) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {tmp_path / 'm.npz'} ") and "pass --force" in err, err
    assert (tmp_path / "m.npz").read_bytes() == b"the other run's"
    assert sorted(os.listdir(tmp_path)) == ["m.npz", "t.parquet"]  # no temporary file, no plots folder


@pytest.mark.parametrize("where", [
    "/proc",  # no file can be created there, even by root
    pytest.param("read-only", marks=pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only "
                                                                                  "folder")),
])
def test_a_streamed_run_into_an_unwritable_out_folder_is_refused_before_the_first_epoch(where, tmp_path, monkeypatch,
                                                                                        capsys):
    from backprop.cli import progress
    table(600).to_parquet(tmp_path / "t.parquet", row_group_size=200)
    folder = tmp_path / "ro" if where == "read-only" else where
    if where == "read-only":
        os.mkdir(folder)
        os.chmod(folder, 0o555)
    epochs = []
    monkeypatch.setattr(progress.EpochLines, "on_epoch_end", lambda self, *a, **k: epochs.append(1))
    try:
        status = main(["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--layers", "4", "--epochs", "3",
                       "--out", os.path.join(folder, "stream-run.npz")])
    finally:
        if where == "read-only":
            os.chmod(folder, 0o755)
    out, err = capsys.readouterr()
    assert status == 2 and err.startswith(f"error: cannot write into {folder}") and err.count("\n") == 1, err
    assert not epochs and "epoch" not in out
    assert not os.path.exists(os.path.join(folder, "stream-run.npz"))
    assert sorted(os.listdir(tmp_path)) == ["t.parquet"] + (["ro"] if where == "read-only" else [])


def test_a_failed_streamed_run_leaves_no_run_folder_behind(tmp_path, monkeypatch, capsys):
    """A bad cell found in the first pass, or training that diverges after the run folder was made: no runs/ left."""
    monkeypatch.chdir(tmp_path)
    frame = table(600).astype({"x2": object})
    frame.loc[17, "x2"] = "oops"  # a word among numbers: refused by the first pass over the rows
    frame.to_csv(tmp_path / "bad.csv", index=False)
    assert main(["train", "--data", "bad.csv", "--stream", "--layers", "4", "--epochs", "2"]) == 2
    assert "is not a number" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["bad.csv"]
    table(600).to_parquet(tmp_path / "t.parquet", row_group_size=200)
    assert main(["train", "--data", "t.parquet", "--stream", "--layers", "4", "--epochs", "5", "--optimizer", "sgd",
                 "--learning-rate", "1e7", "--task", "regression"]) == 2
    assert "diverged" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["bad.csv", "t.parquet"]


def test_a_streamed_network_the_model_file_could_not_hold_is_refused_before_the_first_epoch(tmp_path, monkeypatch,
                                                                                              capsys):
    """The budget checks of in-memory runs (cli/budget.py): 5000x5000 weights and Adam's two copies are 574 MiB."""
    from backprop.cli import progress
    table(600).to_parquet(tmp_path / "t.parquet", row_group_size=200)
    epochs = []
    monkeypatch.setattr(progress.EpochLines, "on_epoch_end", lambda self, *a, **k: epochs.append(1))
    status = main(["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--layers", "5000,5000", "--epochs", "1",
                   "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert status == 2 and "refused before training" in err and err.count("\n") == 1, err
    assert not epochs and sorted(os.listdir(tmp_path)) == ["t.parquet"]


def test_streamed_regression_scales_the_target_says_so_and_matches_the_in_memory_scaler(tmp_path, capsys):
    from backprop.model import load
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(1200, 3)), columns=["a", "b", "c"])
    frame["price"] = 50 + 20 * frame["a"] - 5 * frame["b"] ** 2 + rng.normal(scale=0.5, size=1200)
    frame.to_parquet(tmp_path / "r.parquet", row_group_size=200)
    for name, flag in (("s", "--stream"), ("m", "--no-stream")):
        assert main(["train", "--data", str(tmp_path / "r.parquet"), flag, "--layers", "8", "--epochs", "2",
                     "--out", str(tmp_path / f"{name}.npz"), "--no-plots"]) == 0
        out = capsys.readouterr().out
        assert "regression" in out and "costs are on the standardized target" in out
    streamed, in_memory = load(tmp_path / "s.npz"), load(tmp_path / "m.npz")
    assert streamed.task == "regression" and streamed.classes is None
    # the target's scaler: the training rows' mean and spread, in either split (a hash or a permutation)
    np.testing.assert_allclose(streamed.target_scaler.center, in_memory.target_scaler.center, rtol=0.05)
    np.testing.assert_allclose(streamed.target_scaler.scale, in_memory.target_scaler.scale, rtol=0.05)
    assert main(["evaluate", str(tmp_path / "s.npz"), "--held-out", "--data", str(tmp_path / "r.parquet")]) == 0
    assert "held-out" in capsys.readouterr().out


def test_a_category_column_empty_in_one_row_group_is_a_missing_value_not_a_mixed_column(tmp_path, capsys):
    frame = table(600)
    frame["colour"] = frame["colour"].astype(object)
    frame.loc[400:499, "colour"] = None  # the whole fifth row group
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    assert main(["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--out", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert "row 400, column 'colour': missing value" in err and err.count("\n") == 1, err


def test_the_memory_rule_sizes_an_unreadable_parquet_file_by_its_bytes_and_the_reader_refuses_it(tmp_path, capsys):
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all\n" * 10)
    from backprop.cli import streaming
    assert streaming.decoded_bytes(str(tmp_path / "bad.parquet")) == 190
    assert main(["train", "--data", str(tmp_path / "bad.parquet"), "--out", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert "bad.parquet: not a readable Parquet file" in err and err.count("\n") == 1, err
    assert sorted(os.listdir(tmp_path)) == ["bad.parquet"]


def test_hidden_layers_no_model_file_could_hold_are_refused_before_any_pass_over_the_table(tmp_path, passes, capsys):
    table(600).to_parquet(tmp_path / "t.parquet", row_group_size=200)
    status = main(["train", "--data", str(tmp_path / "t.parquet"), "--stream", "--layers", "5000,5000", "--epochs", "1",
                   "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert status == 2 and "refused before training" in err and err.count("\n") == 1, err
    assert not passes and sorted(os.listdir(tmp_path)) == ["t.parquet"]
