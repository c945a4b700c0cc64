"""SIGTERM and SIGHUP during `backprop train`: the last completed epoch is saved, with its whole history."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from backprop import io as model_io
from backprop.training import state_of

pytestmark = pytest.mark.slow


def data_file(folder):
    rng = np.random.default_rng(0)
    X = rng.random((64, 4))
    y = (X.sum(axis=1) > 2).astype(int)
    path = folder / "d.csv"
    path.write_text("a,b,c,d,t\n" + "".join(",".join(map(str, r)) + f",{t}\n" for r, t in zip(X, y)))
    return path


def start(folder, *extra, quiet=True):
    """A long `backprop train` run in folder; quiet=False prints a line per epoch on its stdout."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backprop",
            "train",
            "--data",
            "d.csv",
            "--layers",
            "8",
            "--epochs",
            "100000",
            "--batch-size",
            "8",
            "--no-plots",
            *(["--quiet"] if quiet else []),
            "--out",
            "run",
            *extra,
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path, timeout=30):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)


def wait_for_handler(proc, signum, timeout=30):
    """Wait until proc has installed its own handler for signum (Linux: the SigCgt mask in /proc/PID/status).

    A fixed sleep races the child's start-up (imports, the parser): on a loaded machine the signal
    could arrive before the handler and kill the process the default way.
    """
    status = f"/proc/{proc.pid}/status"
    if not os.path.exists(status):
        pytest.skip("needs /proc to see when the child handles the signal")
    deadline = time.monotonic() + timeout
    while True:
        with open(status) as f:
            caught = int(next(line.split()[1] for line in f if line.startswith("SigCgt:")), 16)
        if caught >> (signum - 1) & 1:
            return
        assert proc.poll() is None and time.monotonic() < deadline, "the child never handled the signal"
        time.sleep(0.005)


def assert_complete(path):
    """A loadable model whose history has one row per epoch trained, numbered 1..N."""
    net, meta = model_io.load(path)
    history = state_of(net).history
    n = len(history)
    assert n >= 1 and history.epoch == list(range(1, n + 1))
    assert all(len(getattr(history, name)) == n for name in ("cost", "accuracy", "val_cost", "learning_rate"))
    assert history.stop_reason in ("interrupted", "checkpoint", "completed")
    return n


def test_sigterm_at_20_random_moments_of_a_checkpointed_run(tmp_path):
    data_file(tmp_path)
    rng = np.random.default_rng(1)
    survived = 0
    for trial in range(20):
        run = tmp_path / "run"
        for p in run.glob("*"):
            p.unlink()
        proc = start(tmp_path, "--checkpoint", "--force")
        wait_for(run / "model.npz")
        time.sleep(rng.random() * 0.3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert "Traceback" not in err and "interrupted" in err
        assert_complete(run / "model.npz")
        assert sorted(p.name for p in run.iterdir()) == ["model.npz"]  # no .tmp-* left behind
        survived += 1
    assert survived == 20


def test_sighup_without_checkpoints_saves_the_last_completed_epoch(tmp_path):
    data_file(tmp_path)
    proc = start(tmp_path, quiet=False)
    while not proc.stdout.readline().startswith("epoch"):  # the first epoch has ended: training is under way
        assert proc.poll() is None, proc.stderr.read()
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGHUP, err
    assert "saved epoch" in err and "Traceback" not in err
    n = assert_complete(tmp_path / "run" / "model.npz")
    # --resume continues the same history
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "backprop",
            "train",
            "--resume",
            "run/model.npz",
            "--data",
            "d.csv",
            "--epochs",
            "2",
            "--no-plots",
            "--quiet",
            "--out",
            "run2",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert assert_complete(tmp_path / "run2" / "model.npz") == n + 2


def test_sigterm_during_data_loading_leaves_no_run_folder(tmp_path):
    big = tmp_path / "d.csv"
    rows = np.random.default_rng(0).random((100_000, 5))
    big.write_text("a,b,c,d,t\n" + "\n".join(",".join(f"{v:.3f}" for v in r) for r in rows) + "\n")
    proc = start(tmp_path)
    wait_for_handler(proc, signal.SIGTERM)  # then the 100,000 rows take about a second to read
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
    assert not (tmp_path / "run" / "model.npz").exists()


def test_a_signal_whose_exception_python_swallows_still_ends_in_128_plus_n(monkeypatch, capsys):
    """A handler that runs inside a __del__ has its exception ignored by Python; the command still ends 128 + n."""
    from backprop.cli import datasets, main

    class Dropped:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):  # bytecode after the kill: the handler runs here, inside __del__
                pass

    def run(args):
        Dropped()
        return 0
    monkeypatch.setattr(datasets, "run", run)
    assert main(["datasets"]) == 128 + signal.SIGTERM
    assert "interrupted" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("command, signum", [("predict", signal.SIGTERM), ("predict", signal.SIGHUP),
                                             ("evaluate", signal.SIGTERM), ("export", signal.SIGHUP)])
def test_sigterm_and_sighup_end_predict_evaluate_and_export_with_no_output(tmp_path, command, signum):
    data_file(tmp_path)
    trained = subprocess.run([sys.executable, "-m", "backprop", "train", "--data", "d.csv", "--epochs", "1",
                              "--no-plots", "--quiet", "--out", "m"], cwd=tmp_path, capture_output=True, text=True)
    assert trained.returncode == 0, trained.stderr
    rows = np.random.default_rng(0).random((200_000, 5))  # a second or more to read: the signal lands meanwhile
    lines = (",".join(f"{v:.3f}" for v in r[:4]) + f",{int(r[4] > .5)}" for r in rows)
    (tmp_path / "big.csv").write_text("a,b,c,d,t\n" + "\n".join(lines) + "\n")
    argv = {"predict": ["predict", "m", "--data", "big.csv", "--proba", "--out", "p.csv"],
            "evaluate": ["evaluate", "m", "--data", "big.csv"],
            "export": ["export", "m", "--format", "torch", "--out", "m.pt"]}[command]
    proc = subprocess.Popen([sys.executable, "-m", "backprop", *argv], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for_handler(proc, signum)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum and "Traceback" not in err and "interrupted" in err, (out, err)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["big.csv", "d.csv", "m"] and sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.npz"]
