"""The example scripts run and print what the README says they print."""

import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run(name, tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_xor(tmp_path):
    out = run("xor.py", tmp_path)
    assert "training cost fell below tol" in out
    values = [float(v) for v in re.search(r"predictions: \[(.*)\]", out).group(1).split()]
    assert [v > 0.5 for v in values] == [False, True, True, False]


@pytest.mark.slow
def test_digits(tmp_path):
    pytest.importorskip("sklearn")
    out = run("digits.py", tmp_path)
    assert "val_acc" in out and float(re.search(r"test accuracy: ([\d.]+)%", out).group(1)) >= 96


@pytest.mark.slow
def test_regression(tmp_path):
    out = run("regression.py", tmp_path)
    rows = [line.split() for line in out.splitlines()[2:]]
    assert len(rows) == 7 and all(abs(float(s) - float(p)) < 0.1 for _, s, p in rows)


@pytest.mark.slow
def test_spiral(tmp_path):
    out = run("spiral.py", tmp_path)
    assert float(re.search(r"accuracy after \d+ epochs: ([\d.]+)%", out).group(1)) >= 95
    assert (tmp_path / "spiral.png").exists()
