import csv
import multiprocessing.process
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import settings

from backprop.data.datasets import load

# The fuzz tests: under CI (HYPOTHESIS_PROFILE=ci, set by .ci/run) they replay the same examples every
# run, so a submission lands or not on its own merits; anywhere else each run draws new ones, and a
# failure found that way is kept in .hypothesis/ and replayed until fixed (then pinned with @example).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def random_targets(rng, n, k, output, cost):
    """Targets that suit the output layer and cost: a simplex for softmax, [0, 1] for sigmoid."""
    if cost == "cross_entropy":
        y = rng.random((n, k)) + 0.1
        return y / y.sum(axis=1, keepdims=True)
    if output in ("sigmoid", "softmax") or cost == "binary_cross_entropy":
        return rng.random((n, k))
    return rng.normal(size=(n, k))


@pytest.fixture(autouse=True)
def _slow_work_is_marked(request, monkeypatch):
    """The fast tier (-m "not slow") stays fast: a test that starts a process must carry @pytest.mark.slow."""
    if request.node.get_closest_marker("slow") is None:

        def refuse(*args, **kwargs):
            raise AssertionError(f"{request.node.nodeid} starts a subprocess: mark it @pytest.mark.slow")

        monkeypatch.setattr(subprocess, "Popen", refuse)
        monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def run_cli(*args, cwd=None, timeout=120, **options):
    """Run `python -m backprop ARGS` in a subprocess, as a user would; returns the CompletedProcess."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "backprop", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        **options,
    )


def assert_one_error_line(result, message=""):
    """The CLI's contract for user mistakes: exit status 2, one line 'error: ...', no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.stderr


NAMES = np.array(["barolo", "grignolino", "barbera"])


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory):
    """The wine data as a CSV with the three cultivars named, plus an id column and a string column."""
    X, y, *_ = load("wine")
    path = tmp_path_factory.mktemp("wine") / "wine.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", *[f"f{i}" for i in range(13)], "cultivar"])
        w.writerows([i, *map(float, x), n] for i, (x, n) in enumerate(zip(X, NAMES[y])))
    return path


@pytest.fixture(scope="module")
def wine_run(wine_csv, tmp_path_factory):
    """One short CLI run on wine, its model written to a named .npz file."""
    folder = tmp_path_factory.mktemp("run")
    result = run_cli(
        "train",
        "--data",
        wine_csv,
        "--target",
        "cultivar",
        "--drop",
        "id",
        "--epochs",
        "20",
        "--early-stopping",
        "2",
        "--out",
        folder / "wine.npz",
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    return folder, result
