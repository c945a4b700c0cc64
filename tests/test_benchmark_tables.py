"""benchmarks/tables.py runs end to end at a tiny size (it measures speed and memory, so nothing here is timed)."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow
SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "tables.py"


def test_the_tables_benchmark_measures_every_row_of_the_issue(tmp_path):
    pytest.importorskip("pandas")
    result = subprocess.run([sys.executable, str(SCRIPT), "--rows", "2000", "--cols", "4", "--dir", str(tmp_path),
                             "--json"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = {f["what"].strip(): f for f in json.loads(result.stdout)}
    for what in ("ratio to the pandas process", "ratio to the float64 data", "backprop's reader / pandas.read_csv",
                 "--stream on Parquet, peak RSS at 2000 rows", "--stream test accuracy", "in-memory test accuracy"):
        assert what in figures, sorted(figures)
        assert np.isfinite(figures[what]["value"]) and figures[what]["value"] > 0
    assert figures["backprop train peak RSS"]["value"] > 10  # MB: a real measurement of a Python process
    assert (tmp_path / "t.csv").read_text().splitlines()[0].replace('"', "") == "x0,x1,x2,x3,y"
