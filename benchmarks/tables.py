"""Tables at size: backprop's reader and `backprop train` on a 400,000 x 30 CSV against a process that only
reads it with pandas, reading alone against pandas and pyarrow, and `--stream` on Parquet at 1/4 and all
of the rows; with --big, a CSV of about 2 GB trained with --stream. Prints a table of the figures, their
ratios and the issue's targets.

    python3 benchmarks/tables.py                 # 400,000 x 30 (a few minutes)
    python3 benchmarks/tables.py --rows 3000 --cols 5   # a smoke run
    python3 benchmarks/tables.py --big           # also the 2 GB CSV (several more minutes, 2 GB of disk)

Every measurement runs in its own process: wall time from start to exit, peak memory as the child's
ru_maxrss (os.wait4), start-up included. Timings are the median of --repeat cold processes, interleaved
with those they are compared to.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

READERS = {
    # Every module a reader needs imported before the clock starts: reading, not importing, is timed.
    "backprop": "import pyarrow.csv, pyarrow.compute; from backprop.data import columns, tables; "
                "from backprop.data.sources import load_source; t = time.perf_counter(); load_source(PATH)",
    "backprop, parse only": "import pyarrow.csv, pyarrow.compute; from backprop.data import columns, tables; "
                            "t = time.perf_counter(); tables.read_arrow(PATH)",
    "pandas": "import pandas; t = time.perf_counter(); pandas.read_csv(PATH)",
    "pyarrow": "import pyarrow.csv; t = time.perf_counter(); pyarrow.csv.read_csv(PATH)",
}


def make_table(rows, cols, seed=0):
    """A pyarrow Table: cols float features and an integer label y from a boundary no linear model draws."""
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, cols)).round(6)
    y = (X[:, 0] * X[:, 1] + X[:, 2] - 0.5 * X[:, 3] > 0).astype(np.int64)
    return pa.table({**{f"x{j}": X[:, j] for j in range(cols)}, "y": y})


def write(table, stem):
    """stem.csv and stem.parquet (row groups of 50,000 rows); returns their paths."""
    import pyarrow.csv
    import pyarrow.parquet
    pyarrow.csv.write_csv(table, stem + ".csv")
    pyarrow.parquet.write_table(table, stem + ".parquet", row_group_size=50_000)
    return stem + ".csv", stem + ".parquet"


def write_big_csv(path, gigabytes, cols, rows_per_part=200_000):
    """A CSV of about gigabytes GB, written part by part (never whole in memory); returns its row count."""
    import pyarrow.csv
    rows, seed = 0, 1
    with pyarrow.csv.CSVWriter(path, make_table(1, cols).schema) as writer:
        while os.path.getsize(path) < gigabytes * 1e9 if os.path.exists(path) else True:
            writer.write_table(make_table(rows_per_part, cols, seed))
            rows, seed = rows + rows_per_part, seed + 1
    return rows


def measure(command, cwd):
    """(wall seconds, peak RSS bytes, stdout) of a child process: its own rusage, from os.wait4."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(f"failed: {' '.join(command)}\n{err.read()[-2000:]}")
        return wall, usage.ru_maxrss * 1024, out.read()


def train(data, folder, *flags):
    return [sys.executable, "-m", "backprop", "train", "--data", data, "--layers", "8", "--epochs", "1",
            "--out", os.path.join(folder, "run"), "--force", "--quiet", "--no-plots", *flags]


def test_accuracy(out):
    return float(re.search(r"test accuracy ([\d.]+)%", out).group(1))


def run(rows, cols, folder, big, repeat=5):
    table = make_table(rows, cols)
    csv_path, parquet_path = write(table, os.path.join(folder, "t"))
    _, quarter_parquet = write(table.slice(0, rows // 4), os.path.join(folder, "quarter"))
    data_bytes = rows * cols * 8
    figures = []

    def add(what, value, unit, target=""):
        figures.append((what, value, unit, target))

    walls = {"pandas": [], "train": []}
    for _ in range(repeat):  # interleaved, so that a slow spell of a shared machine hits both alike
        walls["pandas"].append(measure([sys.executable, "-c", f"import pandas; pandas.read_csv({csv_path!r})"],
                                       folder)[0])
        wall, train_rss, _ = measure(train(csv_path, folder, "--no-stream"), folder)
        walls["train"].append(wall)
    pandas_wall, train_wall = np.median(walls["pandas"]), np.median(walls["train"])
    add("pandas.read_csv process, wall (median)", pandas_wall, "s")
    add("backprop train --layers 8 --epochs 1, wall (median)", train_wall, "s")
    add("  ratio to the pandas process", train_wall / pandas_wall, "x", "<= 3x")
    add("backprop train peak RSS", train_rss / 2**20, "MB")
    add("  ratio to the float64 data", train_rss / data_bytes, "x", "<= 6x")
    seconds = {name: [] for name in READERS}
    for _ in range(repeat):
        for name, code in READERS.items():
            script = f"import time; PATH = {csv_path!r}; {code}; print(time.perf_counter() - t)"
            seconds[name].append(float(measure([sys.executable, "-c", script], folder)[2]))
    seconds = {name: float(np.median(s)) for name, s in seconds.items()}
    for name in READERS:
        add(f"read the CSV: {name} (median)", seconds[name], "s")
    add("  backprop's reader / pandas.read_csv", seconds["backprop"] / seconds["pandas"], "x", "<= 1x")
    add("  backprop's parse / pandas.read_csv", seconds["backprop, parse only"] / seconds["pandas"], "x")
    add("  pyarrow.csv.read_csv / pandas.read_csv", seconds["pyarrow"] / seconds["pandas"], "x")
    add("  backprop's reader / pyarrow.csv.read_csv", seconds["backprop"] / seconds["pyarrow"], "x")
    _, rss_quarter, _ = measure(train(quarter_parquet, folder, "--stream"), folder)
    _, rss_all, streamed = measure(train(parquet_path, folder, "--stream"), folder)
    _, _, in_memory = measure(train(parquet_path, folder, "--no-stream"), folder)
    add(f"--stream on Parquet, peak RSS at {rows // 4} rows", rss_quarter / 2**20, "MB")
    add(f"--stream on Parquet, peak RSS at {rows} rows", rss_all / 2**20, "MB")
    add("  difference", (rss_all - rss_quarter) / 2**20, "MB", "<= 40 MB")
    add("--stream test accuracy", test_accuracy(streamed), "%")
    add("in-memory test accuracy", test_accuracy(in_memory), "%")
    add("  difference", test_accuracy(streamed) - test_accuracy(in_memory), "points", "within 1 point")
    if big:
        big_path = os.path.join(folder, "big.csv")
        big_rows = write_big_csv(big_path, 2.0, cols)
        wall, rss, _ = measure(train(big_path, folder, "--stream"), folder)
        add(f"--stream on a {os.path.getsize(big_path) / 1e9:.2f} GB CSV ({big_rows} rows), wall", wall, "s")
        add("  peak RSS", rss / 2**20, "MB", "< 1024 MB")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--cols", type=int, default=30)
    parser.add_argument("--dir", help="where to write the tables (default: a temporary folder, removed)")
    parser.add_argument("--big", action="store_true", help="also train with --stream on a 2 GB CSV")
    parser.add_argument("--repeat", type=int, default=5,
                        help="cold processes per timing, interleaved; the median is reported (default: 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or scratch
        os.makedirs(folder, exist_ok=True)
        figures = run(args.rows, args.cols, folder, args.big, args.repeat)
    if args.json:
        print(json.dumps([dict(zip(("what", "value", "unit", "target"), f)) for f in figures]))
        return
    print(f"{args.rows} x {args.cols} numeric CSV ({args.rows * args.cols * 8 / 2**20:.0f} MB as float64)\n")
    print("| measurement | value | target |\n|---|---:|---|")
    for what, value, unit, target in figures:
        print(f"| {what} | {value:.3g} {unit} | {target} |")


if __name__ == "__main__":
    main()
