"""Faults while saving and training: kill -9, a full disk, Ctrl-C; the model file always survives."""

import os
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import backprop as bp
from conftest import assert_one_error_line, run_cli
from backprop import io as model_io

pytestmark = pytest.mark.slow

SAVER = """
import sys, backprop as bp, backprop.io as io
net = bp.Network([30, 300, 10], seed=int(sys.argv[2]))
print("ready", flush=True)
while True:
    io.save(sys.argv[1], net)
"""


def test_kill_9_during_save_at_50_random_moments(tmp_path):
    """The file is always the old model or a complete new one, never a broken one."""
    path = tmp_path / "model.npz"
    model_io.save(path, bp.Network([30, 300, 10], seed=0))
    rng = np.random.default_rng(0)
    current, replaced = 0, 0  # the seed of the model in the file; how many kills left a new one
    for trial in range(1, 51):  # each trial saves a network with its own seed over the last one
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(trial)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.random() * 0.05)  # somewhere inside one of the saves
        proc.kill()
        proc.wait()
        proc.stdout.close()
        net, _ = model_io.load(path)  # raises if the file is broken
        assert net.seed in (current, trial) and net.sizes == [30, 300, 10]
        replaced += net.seed == trial
        current = net.seed
    assert replaced > 0  # the kills did strike a process that was saving
    assert not [p for p in tmp_path.iterdir() if p.name == "model.npz" and p.stat().st_size == 0]


def limit_file_size(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_full_disk_during_save_keeps_the_old_model(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "run"
    out.mkdir()
    old = bp.Network([64, 4, 10], seed=0)
    model_io.save(out / "model.npz", old)
    before = (out / "model.npz").read_bytes()
    result = run_cli(
        "train", "--epochs", "1", "--no-plots", "--quiet", "--out", out, "--force", preexec_fn=limit_file_size(30000)
    )
    assert_one_error_line(result, "File too large")
    assert (out / "model.npz").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["model.npz"]  # no temporary file left behind


def test_save_failure_in_process_leaves_no_trace(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model_io.save(path, bp.Network([2, 2], seed=0))
    before = path.read_bytes()

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        model_io.save(path, bp.Network([2, 2], seed=1))
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_nan_weights_are_never_saved(tmp_path):
    net = bp.Network([2, 2], seed=0)
    net.weights[0][0, 0] = np.nan
    with pytest.raises(bp.ModelFileError, match="NaN"):
        model_io.save(tmp_path / "m.npz", net)
    assert not list(tmp_path.iterdir())


def test_divergence_saves_no_nan_anywhere(tmp_path):
    pytest.importorskip("sklearn")
    result = run_cli(
        "train",
        "--learning-rate",
        "1e6",
        "--optimizer",
        "sgd",
        "--epochs",
        "3",
        "--checkpoint",
        "--no-plots",
        "--quiet",
        "--out",
        tmp_path / "o",
    )
    assert_one_error_line(result, "diverged at epoch 1")
    for path in tmp_path.rglob("*.npz"):
        model_io.load(path)  # loading refuses non-finite weights
    assert not (tmp_path / "o").exists()
