"""Resource bombs: each refused in under a second and under 100 MB, measured on the subprocess."""

import gzip
import json
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import backprop as bp
from backprop import io as model_io

pytestmark = pytest.mark.slow

MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run([sys.executable, "-m", "backprop", *sys.argv[1:]], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
print(json.dumps({"rc": proc.returncode, "stderr": proc.stderr, "seconds": seconds, "peak_mb": peak_mb}))
"""


def measured(*args, cwd):
    """Run backprop ARGS in a fresh process whose only child it is: exit status, stderr, wall seconds, peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    return json.loads(out.stdout)


def assert_refused_fast(result, message, figures, name):
    figures[name] = (round(result["seconds"], 2), round(result["peak_mb"]))
    assert result["rc"] == 2 and message in result["stderr"] and "Traceback" not in result["stderr"], result
    assert result["seconds"] < 1.0, result
    assert result["peak_mb"] < 100, result


@pytest.fixture(scope="module")
def figures():
    found = {}
    yield found
    print("\nbombs refused (seconds, peak MB):", found)


def npy_header(shape, dtype="<f8"):
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    text = repr(header).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def test_5_kb_model_declaring_layers_10_to_the_5_wide(tmp_path, figures):
    model_io.save(tmp_path / "small.npz", bp.Network([3, 4, 2], seed=0))
    with np.load(tmp_path / "small.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(arrays["metadata"].tobytes())
    meta["sizes"] = [100000, 100000, 100000, 2]
    meta["activations"] = ["sigmoid"] * 3
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "wide.npz", **arrays)
    assert (tmp_path / "wide.npz").stat().st_size < 5000
    assert_refused_fast(measured("info", "wide.npz", cwd=tmp_path), "more than the 512 MiB", figures, "wide layers")


def test_npz_bomb(tmp_path, figures):
    """200 KB of deflated zeros that would expand to 200 MB (any size past 16 MiB at 100:1 is refused alike)."""
    model_io.save(tmp_path / "small.npz", bp.Network([3, 4, 2], seed=0))
    with (
        zipfile.ZipFile(tmp_path / "small.npz") as source,
        zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in source.infolist():
            if info.filename != "W0.npy":
                bomb.writestr(info.filename, source.read(info))
        with bomb.open("W0.npy", "w", force_zip64=True) as f:
            f.write(npy_header((125_000_000,)))
            zeros = bytes(1 << 24)
            for _ in range(12):
                f.write(zeros)
    assert (tmp_path / "bomb.npz").stat().st_size < 2_000_000
    assert_refused_fast(measured("info", "bomb.npz", cwd=tmp_path), "zip bomb", figures, "npz bomb")
    # the same bomb as a data file
    with zipfile.ZipFile(tmp_path / "data.npz", "w", zipfile.ZIP_DEFLATED) as data:
        data.writestr("y.npy", npy_header((2,), "<i8") + bytes(16))
        with data.open("X.npy", "w", force_zip64=True) as f:
            f.write(npy_header((1_000_000, 1000)))
            for _ in range(12):
                f.write(zeros)
    assert_refused_fast(
        measured("train", "--data", "data.npz", cwd=tmp_path), "decompression bomb", figures, "npz data bomb"
    )


def test_gz_bomb(tmp_path, figures):
    """MNIST images whose gzip stream expands 1000 times (200 MB), and one declaring 10^12 bytes in its header."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb", compresslevel=1) as f:
        f.write(b"\0\0\x08\x03" + struct.pack(">3I", 1_000_000, 28, 28))
        for _ in range(12):
            f.write(bytes(1 << 24))
    assert (folder / "train-images-idx3-ubyte.gz").stat().st_size < 2_000_000
    assert_refused_fast(
        measured("train", "--data", f"mnist:{folder}", cwd=tmp_path), "decompression bomb", figures, "gz bomb"
    )
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\0\0\x08\x03" + struct.pack(">3I", 1_000_000, 1000, 1000) + bytes(1000))
    assert_refused_fast(
        measured("train", "--data", f"mnist:{folder}", cwd=tmp_path), "more than the 4 GiB", figures, "gz header 10^12"
    )


def test_a_gz_longer_than_its_header_is_read_no_further(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\0\0\x08\x03" + struct.pack(">3I", 10, 2, 2) + bytes(40 + 10_000))
    from backprop.data.files import read_idx

    with pytest.raises(bp.DataError, match="holds more than 40 bytes"):
        read_idx(folder / "train-images-idx3-ubyte.gz")


# Issue 28: runs that would spend minutes or gigabytes before failing, refused before the first epoch.
SPENDERS = {
    "--layers 5000,5000 (573 MiB with adam's state)": (
        ["train", "--data", "d.csv", "--layers", "5000,5000", "--out", "r"], "573 MiB, more than the 512 MiB"),
    "--layers 100000000": (
        ["train", "--data", "d.csv", "--layers", "100000000", "--out", "r"], "more than the 512 MiB"),
    "1,200 layers": (["train", "--data", "d.csv", "--layers", ",".join(["2"] * 1200), "--out", "r"],
                     "at most 1000 layers"),
    "explain --samples 100000000": (["explain", "--samples", "100000000"], "--samples must lie in 1..10000"),
    "gradcheck --layers 300,300,300": (["gradcheck", "--layers", "300,300,300"], "finite differences"),
}


@pytest.mark.parametrize("name", SPENDERS)
def test_runs_that_would_spend_then_fail_are_refused_before_any_work(tmp_path, figures, name):
    rows = np.random.default_rng(0).random((50, 3))
    (tmp_path / "d.csv").write_text("a,b,t\n" + "".join(f"{a:.3f},{b:.3f},{int(c > .5)}\n" for a, b, c in rows))
    argv, message = SPENDERS[name]
    result = measured(*argv, cwd=tmp_path)
    figures[name] = (round(result["seconds"], 2), round(result["peak_mb"]))
    assert result["rc"] == 2 and message in result["stderr"] and "Traceback" not in result["stderr"], result
    assert result["peak_mb"] < 200, result  # pyarrow and numpy loaded, nothing allocated for the network
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]  # no run folder made
