"""The one table reader (backprop.data.tables, columns, sources.read_table) and DataFrames by column name.

Grouped by feature: formats; delimiters, decimal marks and headers; bounds (huge cells, categories,
names); IDX and NPZ labels; DataFrames (pandas, polars, Arrow) matched to a model by name.
"""

import gzip
import struct
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import backprop as bp
from backprop.data import columns as columns_module
from backprop.data import files, tables
from backprop.data.sources import read_table
from backprop.errors import ConfigError, DataError
from conftest import assert_one_error_line, run_cli


def sample_table(n=60, seed=0):
    """A table with two numeric columns, a text column and an integer target."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.integers(0, 5, n).astype(float)
    colour = rng.choice(["red", "green", "blue"], n)
    return pa.table({"x": x, "z": z, "colour": colour,
                     "label": (x > 0).astype(np.int64)})


# ---- formats ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The sample table as CSV, .csv.gz, Parquet, Feather, a folder of Parquet parts and a folder of CSV parts."""
    folder = tmp_path_factory.mktemp("formats")
    table = sample_table()
    pacsv.write_csv(table, folder / "t.csv")
    (folder / "t.csv.gz").write_bytes(gzip.compress((folder / "t.csv").read_bytes()))
    pq.write_table(table, folder / "t.parquet")
    feather.write_feather(table, folder / "t.feather")
    for kind, write in (("parquet", pq.write_table), ("csv", pacsv.write_csv)):
        (folder / f"parts_{kind}").mkdir()
        write(table.slice(0, 25), folder / f"parts_{kind}" / f"a.{kind}")
        write(table.slice(25), folder / f"parts_{kind}" / f"b.{kind}")
    return folder


@pytest.mark.parametrize("name", ["t.csv.gz", "t.parquet", "t.feather", "parts_parquet", "parts_csv"])
def test_each_format_reads_as_the_csv_does(written, name):
    X, y, encoder, target = read_table(written / "t.csv")
    X2, y2, encoder2, target2 = read_table(written / name)
    assert encoder2 == encoder and target2 == target == "label"
    assert encoder.categories == {"colour": ["blue", "green", "red"]} and X.shape == (60, 5)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_bytes_and_file_objects_read_as_the_file_does(written):
    X, y, _, _ = read_table(written / "t.csv")
    for name in ("t.csv", "t.csv.gz", "t.parquet", "t.feather"):
        data = (written / name).read_bytes()
        np.testing.assert_array_equal(read_table(data, name="upload")[0], X)
        with open(written / name, "rb") as f:
            np.testing.assert_array_equal(read_table(f)[1], y)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["t.csv.gz", "t.parquet", "t.feather", "parts_parquet"])
def test_the_cli_trains_and_predicts_on_each_format(written, name, tmp_path):
    out = tmp_path / "m"
    result = run_cli("train", "--data", written / name, "--epochs", "2", "--layers", "4", "--no-plots", "--quiet",
                     "--out", out)
    assert result.returncode == 0, result.stderr
    result = run_cli("predict", out / "model.npz", "--data", written / name)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 61


# ---- delimiters, decimal marks, headers -------------------------------------------------------------
def test_semicolons_with_decimal_commas_are_numbers(tmp_path):
    (tmp_path / "eu.csv").write_text("a;b;label\n1,5;-2,25;0\n3,0;4,75;1\n0,5;1;0\n")
    X, y, encoder, target = read_table(tmp_path / "eu.csv")
    assert encoder.categories == {} and target == "label"
    np.testing.assert_array_equal(X, [[1.5, -2.25], [3.0, 4.75], [0.5, 1.0]])
    assert y.tolist() == [0, 1, 0]


def test_a_comma_inside_numbers_of_a_comma_file_is_refused_naming_the_column(tmp_path):
    (tmp_path / "q.csv").write_text('a,b,label\n"1,5",2,0\n"3,25",4,1\n')
    with pytest.raises(DataError, match="column 'a' holds numbers written with a comma"):
        read_table(tmp_path / "q.csv")


def test_a_header_of_numbers_is_a_header(tmp_path):
    (tmp_path / "years.csv").write_text("1990,2000,2010\n1.5,2.5,0\n0.5,1.5,1\n2.5,0.5,1\n")
    X, y, encoder, target = read_table(tmp_path / "years.csv")
    assert encoder.columns == ["1990", "2000"] and target == "2010"
    assert y.tolist() == [0, 1, 1] and len(X) == 3


@pytest.mark.slow
def test_no_header_names_the_columns_col1_to_coln(tmp_path):
    rng = np.random.default_rng(1)
    rows = rng.random((30, 2))
    (tmp_path / "bare.csv").write_text("".join(f"{a},{b},{int(a > b)}\n" for a, b in rows))
    result = run_cli("train", "--data", "bare.csv", "--no-header", "--epochs", "1", "--no-plots", "--quiet",
                     "--out", "m", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    model = bp.load(tmp_path / "m")
    assert model.encoder.columns == ["col1", "col2"] and model.target_name == "col3"
    X, y, _, _ = read_table(tmp_path / "bare.csv", header=False)
    assert len(X) == 30  # the first row is data


# ---- bounds -----------------------------------------------------------------------------------------
def test_a_cell_longer_than_a_block_is_read(tmp_path):
    huge = "w" * (2 * tables.BLOCK)  # past the block that holds the rows before it: pyarrow cannot cut it
    (tmp_path / "h.csv").write_text("a,b,label\n" + "3,x,1\n" * 10 + f"1,{huge},0\n2,short,1\n")
    table = tables.read_arrow(tmp_path / "h.csv").table
    assert table["b"][10].as_py() == huge and table.num_rows == 12


@pytest.mark.slow
def test_a_cell_longer_than_a_block_gives_one_error_line_in_the_cli(tmp_path):
    (tmp_path / "h.csv").write_text("a,b,label\n" + "3,x,1\n" * 10 + f"1,{'w' * (2 * tables.BLOCK)},0\n2,short,1\n")
    result = run_cli("train", "--data", "h.csv", "--epochs", "1", "--no-plots", "--quiet", "--out", "m", cwd=tmp_path)
    assert_one_error_line(result, f"column 'b' holds a value of {2 * tables.BLOCK} characters")
    assert not (tmp_path / "m").exists()


def test_too_many_categories_are_refused_before_any_encoding(tmp_path, monkeypatch):
    n = 5000
    (tmp_path / "ids.csv").write_text("a,id,label\n" + "".join(f"{i},u{i},{i % 2}\n" for i in range(n)))

    def no_encoding(*args, **kwargs):
        raise AssertionError("encoded (a one-hot allocated) before the category count was checked")
    monkeypatch.setattr(columns_module, "encode", no_encoding)
    with pytest.raises(ConfigError, match=f"column 'id' holds {n} distinct values, more than --max-categories 1000"):
        read_table(tmp_path / "ids.csv")
    with pytest.raises(ConfigError, match="the target column 'label' holds 5000 distinct values"):
        (tmp_path / "classes.csv").write_text("a,label\n" + "".join(f"{i},c{i}\n" for i in range(n)))
        read_table(tmp_path / "classes.csv")


def test_max_categories_can_be_raised(tmp_path):
    (tmp_path / "c.csv").write_text("a,k,label\n" + "".join(f"{i},k{i % 20},{i % 2}\n" for i in range(100)))
    with pytest.raises(ConfigError, match="holds 20 distinct values, more than --max-categories 10"):
        read_table(tmp_path / "c.csv", max_categories=10)
    assert len(read_table(tmp_path / "c.csv", max_categories=20)[2].categories["k"]) == 20


def test_names_the_model_file_would_refuse_are_refused_at_read_time(tmp_path):
    long = "n" * 1001
    (tmp_path / "long.csv").write_text(f"a,{long},label\n1,2,0\n3,4,1\n")
    with pytest.raises(DataError, match="has 1001 characters"):
        read_table(tmp_path / "long.csv")
    (tmp_path / "label.csv").write_text(f"a,label\n1,{long}\n3,short\n")
    with pytest.raises(DataError, match="holds a value of 1001 characters"):
        read_table(tmp_path / "label.csv")


def test_a_header_longer_than_the_sample_is_read_whole(tmp_path):
    names = [f"column_{j}" for j in range(tables.SAMPLE // 8)]  # a first line of about 7 samples
    (tmp_path / "wide.csv").write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    for source in (tmp_path / "wide.csv", (tmp_path / "wide.csv").read_bytes()):
        assert tables.read_arrow(source).table.column_names == names


def test_fifty_thousand_columns_with_one_duplicate_name_say_which(tmp_path):
    names = [f"c{j}" for j in range(50_000)] + ["c7"]
    with pytest.raises(DataError, match="names column\\(s\\) 'c7' more than once"):
        tables.check_names(names, "wide.csv")


# ---- IDX and NPZ labels -----------------------------------------------------------------------------
def write_mnist(folder, images, labels, label_type=0x08):
    """The four MNIST files of images (n, 2, 2) uint8 and labels (n,) of IDX type label_type."""
    folder.mkdir()
    dtype = files.IDX_TYPES[label_type]
    for prefix in ("train", "t10k"):
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(
            b"\0\0\x08\x03" + struct.pack(">3I", *images.shape) + images.astype(np.uint8).tobytes())
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(
            b"\0\0" + bytes([label_type, 1]) + struct.pack(">I", len(labels)) + np.asarray(labels, dtype).tobytes())


def test_idx_fractional_labels_are_refused(tmp_path):
    write_mnist(tmp_path / "m", np.zeros((2, 2, 2)), [0.5, 1.5], label_type=0x0D)
    with pytest.raises(DataError, match="labels hold 0.5, 1.5; MNIST labels are whole class numbers"):
        files.read_mnist(tmp_path / "m")
    write_mnist(tmp_path / "whole", np.zeros((2, 2, 2)), [0.0, 1.0], label_type=0x0D)
    assert files.read_mnist(tmp_path / "whole")[0][1].tolist() == [0, 1]


def test_idx_with_no_images_is_a_clear_error(tmp_path):
    write_mnist(tmp_path / "m", np.zeros((0, 2, 2)), [])
    with pytest.raises(DataError, match="hold 0 images"):
        files.read_mnist(tmp_path / "m")


def test_npz_uint64_labels_are_read(tmp_path):
    np.savez(tmp_path / "u.npz", X=np.eye(2), y=np.array([0, 1], dtype=np.uint64))
    y = files.read_npz(tmp_path / "u.npz")[1]
    assert y.dtype == np.int64 and y.tolist() == [0, 1]
    np.savez(tmp_path / "big.npz", X=np.eye(2), y=np.array([2**64 - 1, 1], dtype=np.uint64))
    assert files.read_npz(tmp_path / "big.npz")[1].tolist() == [str(2**64 - 1), "1"]  # text, as a CSV's


# ---- DataFrames by column name ----------------------------------------------------------------------
def frame(kind, table):
    if kind == "pandas":
        return pytest.importorskip("pandas").DataFrame(table.to_pydict())
    if kind == "polars":
        return pytest.importorskip("polars").from_arrow(table)
    return table


@pytest.fixture(scope="module")
def fitted():
    """A model fitted through its Model on a table whose class depends on a text column and on x."""
    table = sample_table(200, seed=3)
    y = np.where(table["colour"].to_numpy(zero_copy_only=False) == "red", 2, table["label"].to_numpy())
    features = table.drop_columns(["label"])
    net = bp.Network([5, 8, 3], seed=0)
    model = bp.Model.for_data(net, features, y)
    model.fit(features, y, epochs=30, learning_rate=0.05, batch_size=16)
    return model, features, y


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_a_frame_with_text_columns_trains_and_predicts(fitted, kind):
    model, features, y = fitted
    assert model.encoder.columns == ["x", "z", "colour"]
    assert model.encoder.categories == {"colour": ["blue", "green", "red"]}
    df = frame(kind, features)
    assert (model.predict(df) == y).mean() > 0.9
    np.testing.assert_array_equal(model.predict_proba(df), model.predict_proba(features))


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_reordered_columns_give_the_same_answers(fitted, kind):
    model, features, _ = fitted
    reordered = frame(kind, features.select(["colour", "z", "x"]))
    np.testing.assert_array_equal(model.predict_proba(reordered), model.predict_proba(features))


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_a_missing_column_is_an_error_naming_it(fitted, kind):
    model, features, _ = fitted
    with pytest.raises(DataError, match="no column 'z'; the model takes the columns x, z, colour"):
        model.predict(frame(kind, features.drop_columns(["z"])))


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_an_extra_column_is_ignored_with_a_warning(fitted, kind):
    model, features, _ = fitted
    extra = features.append_column("notes", pa.array(["n"] * len(features)))
    with pytest.warns(UserWarning, match="'notes' are not among the model's columns and are ignored"):
        proba = model.predict_proba(frame(kind, extra))
    np.testing.assert_array_equal(proba, model.predict_proba(features))


def test_arrays_keep_working_by_position(fitted):
    model, features, _ = fitted
    encoded = model.encoder.transform(features)  # the network's inputs, in the order of input_names
    np.testing.assert_array_equal(model.predict_proba(encoded), model.predict_proba(features))
    cells = np.column_stack([features[c].to_numpy(zero_copy_only=False).astype(str) for c in features.column_names])
    np.testing.assert_array_equal(model.predict(cells), model.predict(features))


def test_column_names_survive_the_model_file(fitted, tmp_path):
    model, features, _ = fitted
    model.save(tmp_path / "m.npz")
    loaded = bp.load(tmp_path / "m.npz")
    assert loaded.encoder == model.encoder
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(loaded.predict_proba(frame("pandas", features.select(["z", "colour", "x"]))),
                                      model.predict_proba(features))


def test_a_pandas_frame_with_a_string_column_and_series_labels(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"region": rng.choice(["east", "west"], 80), "v": rng.normal(size=80)})
    y = pd.Series(np.where(df["region"] == "east", "yes", "no"))
    model = bp.Model.for_data(bp.Network([3, 4, 2], seed=0), df, y)
    model.fit(df, y, epochs=40, learning_rate=0.1, batch_size=8)
    assert model.classes == ["no", "yes"] and (model.predict(df) == y.to_numpy()).mean() > 0.9
