"""The output rule (backprop.cli.outputs) where it needs real processes: a broken pipe, two runs racing for one
--out, a folder no file can be created in, and the one writer's exclusive create and special-file refusal."""

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from backprop import io as model_io
from backprop.errors import ConfigError, ModelFileError
from backprop.network import Network
from backprop.training.state import state_of


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outputs")
    X = np.random.default_rng(0).random((400, 2))
    rows = "".join(f"{a:.5f},{b:.5f},{int(a > b)}\n" for a, b in X)
    (folder / "d.csv").write_text("a,b,t\n" + rows)
    return folder


def backprop(*args, cwd, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "backprop", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.slow
def test_a_reader_leaving_the_pipe_never_costs_the_model(data, tmp_path):
    """`backprop train ... | head -1`: the reader goes after one line; the model is still saved, quietly."""
    proc = backprop("train", "--data", data / "d.csv", "--epochs", 30, "--no-plots", "--out", tmp_path / "piped",
                    cwd=tmp_path)
    proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 0 and "Traceback" not in err and "Broken pipe" not in err, err
    net, _ = model_io.load(tmp_path / "piped" / "model.npz")
    assert state_of(net).epochs_trained == 30


@pytest.mark.slow
def test_two_runs_racing_for_one_out_never_replace_each_other(data, tmp_path):
    runs = [backprop("train", "--data", data / "d.csv", "--epochs", 20, "--no-plots", "--quiet", "--out", "same",
                     "--seed", seed, cwd=tmp_path) for seed in (1, 2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runs]
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 2], results
    loser = next(err for rc, err in results if rc == 2)
    lines = loser.strip().splitlines()  # refused when it saves: the name was taken before or while it wrote
    assert len(lines) == 1 and lines[0].startswith("error: same/model.npz ") and "pass --force" in lines[0], lines
    winner_seed = 1 if results[0][0] == 0 else 2
    assert model_io.load(tmp_path / "same" / "model.npz")[0].seed == winner_seed


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_out_folder_is_refused_before_the_first_epoch(data, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        proc = backprop("train", "--data", data / "d.csv", "--epochs", 100000, "--out", folder / "m.npz",
                        cwd=tmp_path)
        out, err = proc.communicate(timeout=60)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 2 and err.startswith(f"error: cannot write into {folder}") and "epoch" not in out


@pytest.mark.slow
def test_a_folder_no_file_can_be_made_in_is_refused_before_the_first_epoch(data, tmp_path):
    proc = backprop("train", "--data", data / "d.csv", "--epochs", 100000, "--out", "/proc/backprop-run.npz",
                    cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.startswith("error: cannot write into /proc"), err


def test_the_writer_creates_exclusively_and_never_replaces_a_special_file(tmp_path):
    net = Network([2, 3, 1], seed=0)
    path = tmp_path / "m.npz"
    model_io.save(path, net, overwrite=False)
    with pytest.raises(ModelFileError, match="exists"):
        model_io.save(path, net, overwrite=False)
    model_io.save(path, net)  # overwrite=True, the library's default, replaces a regular file
    os.mkfifo(tmp_path / "fifo.npz")
    for special in (tmp_path / "fifo.npz", "/dev/null", tmp_path):
        with pytest.raises(ModelFileError, match="not a regular file"):
            model_io.save(special if special != tmp_path else str(tmp_path), net)
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    assert sorted(os.listdir(tmp_path)) == ["fifo.npz", "m.npz"]  # no temporary file left


def test_of_writers_racing_one_wins_and_the_others_are_refused(tmp_path):
    """Many threads, one path, overwrite=False: exactly one file is written and every other writer is told so."""
    from backprop.io import write_atomically
    path, outcomes, start = tmp_path / "out.txt", [], threading.Barrier(8)

    def writer(i):
        start.wait()
        try:
            write_atomically(str(path), lambda f: f.write(b"writer %d" % i), overwrite=False, error=ConfigError)
            outcomes.append(("ok", i))
        except ConfigError as exc:
            outcomes.append(("refused", str(exc)))
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for kind, i in outcomes if kind == "ok"]
    assert len(winners) == 1 and path.read_bytes() == b"writer %d" % winners[0]
    assert all("exists" in message for kind, message in outcomes if kind == "refused")


def strict_json(text):
    """json.loads that refuses NaN and Infinity, which Python's json accepts but JSON does not."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("scale", ["1e300", "inf", "nan"])
def test_explain_json_is_valid_json_when_numbers_are_not_finite(scale, capsys):
    from backprop.cli import main
    assert main(["explain", "--layers", "2,3,2", "--init-scale", scale, "--format", "json"]) == 0
    result = strict_json(capsys.readouterr().out)
    values = [v for layer in result["layers"] for v in np.ravel(np.array(layer["z"], dtype=object))]
    if scale != "1e300":
        assert None in values  # the non-finite numbers are there, as null


def test_non_finite_numbers_become_null_everywhere():
    from backprop.learn.json_output import dumps, finite
    value = {"a": [1.5, float("nan"), np.float32("inf")], "b": np.array([[-np.inf, 2.0]]), "c": (np.float64(3),),
             "d": "NaN", "e": None, "f": 7}
    assert strict_json(dumps(value)) == {"a": [1.5, None, None], "b": [[None, 2.0]], "c": [3.0], "d": "NaN",
                                         "e": None, "f": 7}
    assert finite(float("inf")) is None and finite(np.nan) is None
