"""Training on MNIST-sized float32 data must not copy the data set (peak memory, not time)."""

import subprocess
import sys
import pytest

pytestmark = pytest.mark.slow

SCRIPT = """
import resource, numpy as np, backprop as bp
X = np.empty((60000, 784), dtype=np.float32)
rng = np.random.default_rng(0)
for start in range(0, 60000, 5000):  # filled in blocks, so that making the data has no big temporary
    X[start:start + 5000] = rng.random((5000, 784), dtype=np.float32)
y = rng.integers(0, 10, size=60000)
net = bp.Network([784, 32, 10], activation="relu", output="softmax", cost="cross_entropy", seed=0, dtype="float32")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
bp.train(net, X, y, epochs=1, batch_size=256, learning_rate=0.05, optimizer="sgd")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024, X.nbytes)
"""


def test_training_peak_memory_is_within_the_data_size_plus_50_mb():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    raised, data = map(int, result.stdout.split())
    assert raised <= 1.2 * data + 50e6, f"peak memory rose by {raised / 1e6:.0f} MB for {data / 1e6:.0f} MB of data"
