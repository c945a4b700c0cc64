"""The core stays light: importing backprop (and training with it) loads numpy and scipy, nothing heavier."""

import subprocess
import sys
import pytest

pytestmark = pytest.mark.slow

HEAVY = ("matplotlib", "sklearn", "tqdm", "torch", "pandas", "dask", "starlette", "onnx")

SCRIPT = """
import sys
import numpy as np
import backprop as bp
net = bp.Network([2, 3, 1], seed=0)
bp.train(net, np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, optimizer="sgd")
bp.gradcheck(net, np.zeros((2, 2)), np.zeros((2, 1)))
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_core_imports_no_optional_dependency():
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(heavy=HEAVY)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_version_and_public_names():
    import backprop

    assert backprop.__version__ and set(backprop.__all__) <= set(dir(backprop))


def test_the_command_line_starts_without_loading_the_table_reader():
    """Every command's start (its parser, --help) loads no pyarrow: a command loads it when it reads a table."""
    code = "import sys, backprop.cli; print(','.join(m for m in ('pyarrow', 'pyarrow.compute') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
