import os

import numpy as np
import pytest
from hypothesis import settings

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


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def run_cli(*args, cwd=None, timeout=120, **options):
    """Run `python -m backprop ARGS` in a subprocess, as a user would; returns the CompletedProcess."""
    import subprocess
    import sys

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
