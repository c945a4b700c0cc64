"""Tables from the command line: string columns one-hot encoded, chosen columns, missing values, one target rule."""

import numpy as np
import pytest
from conftest import assert_one_error_line, run_cli

import backprop as bp


def _table(path, rows):
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.parametrize("targets,kind", [(["1", "2"], "i"), (["a", "b"], "U"), (["0.5", "1.5"], "f"),
                                          ([str(2**70), str(2**70 + 1)], "U")])
def test_one_target_rule_for_every_table_format(tmp_path, targets, kind):
    """Integers are class labels, integers past int64 and words text labels, others reals: in a CSV or Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from backprop.data.sources import read_table
    path = tmp_path / "t.csv"
    path.write_text("x;y\n" + "".join(f"{i};{targets[i % 2]}\n" for i in range(6)))
    y_csv = read_table(str(path))[1]
    pq.write_table(pa.table({"x": list(range(6)), "y": [targets[i % 2] for i in range(6)]}), tmp_path / "t.parquet")
    y_parquet = read_table(str(tmp_path / "t.parquet"))[1]
    assert y_csv.dtype.kind == y_parquet.dtype.kind == kind and list(y_csv) == list(y_parquet)
