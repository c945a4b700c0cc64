"""The benchmark command runs end to end (tiny shapes; it measures speed, so nothing here is timed)."""

import os
import subprocess
import sys

import pytest
from conftest import run_cli

pytestmark = pytest.mark.slow


def test_bench_prints_a_table_with_ratios(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    result = run_cli(
        "bench",
        "--sizes",
        "16-8-4",
        "--samples",
        "300",
        "--rounds",
        "2",
        "--activations",
        "sigmoid",
        "--profile",
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "openblas" in out.lower() or "blas" in out.lower()
    for system in ("backprop", "pytorch", "sklearn", "loop", "gemm"):
        assert out.count(f"| {system} |") == 1
    row = next(line for line in out.splitlines() if line.startswith("| pytorch |"))
    cells = [cell.strip() for cell in row.split("|")]
    assert cells[6] == cells[7] == "1.00"  # PyTorch against itself: paired median, fastest epochs
    gemm = [cell.strip() for cell in next(line for line in out.splitlines() if line.startswith("| gemm |")).split("|")]
    assert gemm[8] == gemm[9] == "1.00"
    assert "stolen by the hypervisor" in out  # Linux reports steal time, even as 0
    assert "all matrix products alone (GEMM bound)" in out


def test_mnist_download_without_a_network_fails_clearly(tmp_path, monkeypatch):
    import urllib.request

    import backprop as bp
    from backprop.data import datasets

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(bp.DataError, match="could not download .* by hand"):
        datasets.download_mnist(str(tmp_path / "mnist"))
    assert not any(p.suffix == ".part" for p in (tmp_path / "mnist").iterdir())


def test_bench_without_pytorch_or_sklearn_skips_them_with_a_note(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("torch", "sklearn"):
        (blocked / f"{name}.py").write_text("raise ImportError('not installed (test)')\n")
    result = subprocess.run(
        [sys.executable, "-m", "backprop", "bench", "--sizes", "8-4-2", "--samples", "128", "--rounds", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(blocked), "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "note: pytorch skipped" in result.stdout and "note: sklearn skipped" in result.stdout
    assert "| backprop |" in result.stdout and "| pytorch |" not in result.stdout
