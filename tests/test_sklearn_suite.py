"""scikit-learn's own test_mlp.py, from the installed scikit-learn, run against backprop's estimators.

The plugin tests/sklearn_mlp_plugin.py changes only the estimator import; this test runs that
module in a subprocess (the import must be changed before the module is collected) and requires
every test to pass except the listed skips of scikit-learn's private functions.
"""

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

pytest.importorskip("sklearn")
from sklearn_mlp_plugin import SKIPPED  # noqa: E402

TESTS = os.path.dirname(os.path.abspath(__file__))


def test_scikit_learns_mlp_tests_pass_against_ours():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "sklearn_mlp_plugin",
            "--pyargs",
            "sklearn.neural_network.tests.test_mlp",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-q",
            "-rs",
            "-W",
            "ignore",
        ],
        cwd=TESTS,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    out = result.stdout + result.stderr
    summary = out.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", summary)}
    assert result.returncode == 0 and "failed" not in counts and "error" not in counts, out[-5000:]
    assert counts.get("skipped", 0) == len(SKIPPED), out[-5000:]
    assert counts["passed"] >= 50, summary  # the module holds 59 tests; it must really have run ours
    for reason in SKIPPED.values():
        assert reason in out


def test_the_plugin_points_the_import_at_ours():
    code = (
        "import sklearn_mlp_plugin as p; p.pytest_configure(None); "
        "from sklearn.neural_network import MLPClassifier, MLPRegressor; "
        "print(MLPClassifier.__module__, MLPRegressor.__module__)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["backprop.sklearn.estimators"] * 2, out.stderr
