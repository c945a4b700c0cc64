"""Every example in README.md runs: each ```python block (its printed output compared where the README shows it),
each shell command of the Quickstart, the `backprop train` output shown under Usage, and every command in the
tables (placeholders such as FILE.csv and MODEL filled in), so the README cannot drift from the code."""

import pathlib
import re
import shlex
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from conftest import run_cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = [(m.group(1), m.group(2), m.start()) for m in re.finditer(r"```(\w*)\n(.*?)```", README, re.S)]


def shown_after(position):
    """The plain ``` block that follows a code block when the text between says 'prints'."""
    for language, body, start in BLOCKS:
        if start > position:
            between = README[position:start]
            return body if language == "" and "prints" in between.split("```")[-1] else None
    return None


PYTHON = [(body, shown_after(start + 3)) for language, body, start in BLOCKS if language == "python"]


def mask(text):
    """Output with the seconds taken (machine-dependent) replaced by S."""
    return re.sub(r"\d+\.\d+s\b|\(\d+\.\d+ s\)", "S", text).strip()


@pytest.mark.slow
@pytest.mark.parametrize("code,expected", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_blocks_run_and_print_what_the_readme_shows(code, expected, tmp_path):
    if "onnxruntime" in code:  # the Export section: the model.onnx its command writes, X "your raw feature rows"
        pytest.importorskip("onnxruntime")
        assert run_cli("train", "--epochs", "2", "--out", "run", "--quiet", "--no-plots", cwd=tmp_path).returncode == 0
        assert run_cli("export", "run", "--out", "model.onnx", cwd=tmp_path).returncode == 0
        code = "from backprop.data.datasets import load\nX = load('digits')[0]\n" + code
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    if expected is not None:
        assert result.stdout.strip() == expected.strip()


def test_every_python_block_is_collected():
    assert len(PYTHON) == README.count("```python") >= 3


SHELL = [
    cmd.strip()
    for language, body, _ in BLOCKS
    if language == "bash"
    for line in body.splitlines()
    for cmd in line.split("&&")
    if cmd.strip() and not cmd.strip().startswith("#")
]


@pytest.mark.slow
def test_quickstart_commands(tmp_path):
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert SHELL, "no shell commands found"
    for cmd in SHELL:
        words = shlex.split(cmd)
        if words[:4] == ["python3", "-m", "pip", "install"]:  # installing is the CI's job: the extras must exist
            extra = re.fullmatch(r'\.\[(\w+)\]', words[-1])  # shlex took the quotes off
            assert extra and extra.group(1) in extras, cmd
        elif words[0] == "backprop":
            result = run_cli(*words[1:], cwd=tmp_path, timeout=600)
            assert result.returncode == 0, (cmd, result.stderr)
            if words == ["backprop", "train"]:
                usage = next(
                    body for language, body, start in BLOCKS if language == "" and body.startswith("training Network")
                )
                assert mask(result.stdout) == mask(usage)
        elif words[:3] == ["python3", "-m", "pytest"]:  # the whole suite would recurse: it must collect cleanly
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "--collect-only", "-q", *words[3:]],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, result.stdout[-2000:]
        else:
            pytest.fail(f"a README shell command this test does not know how to run: {cmd}")


INLINE = sorted({m.group(1) for m in re.finditer(r"`((?:backprop|python3) [^`]*)`", README)} - set(SHELL))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with FILE.csv (wine, a named target COL) and a trained MODEL run folder."""
    from backprop.data.datasets import load

    folder = tmp_path_factory.mktemp("readme")
    X, y, *_ = load("wine")
    np.savetxt(
        folder / "FILE.csv",
        np.column_stack([X, y]),
        delimiter=",",
        comments="",
        fmt="%.6g",
        header=",".join([f"f{i}" for i in range(13)] + ["COL"]),
    )
    assert (
        run_cli("train", "--data", "FILE.csv", "--epochs", "3", "--out", "MODEL", "--quiet", cwd=folder).returncode == 0
    )
    return folder


def fill(cmd):
    """A table's command with its placeholders filled: [optional] parts kept, FILE -> FILE.csv, small sizes."""
    cmd = re.sub(r"\[([^\]]*)\]", r"\1", cmd).replace("FILE.toml", "cfg.toml")
    cmd = re.sub(r"--data FILE(?!\.)", "--data FILE.csv", cmd)
    words = cmd.split()
    if words[1:2] in (["info"], ["evaluate"], ["predict"]) and "MODEL" not in words:  # named in prose
        words.insert(2, "MODEL")
        if words[1] != "info" and len(words) == 3:
            words += ["--data", "FILE.csv"]
    if words[:2] == ["backprop", "bench"] or words[1:2] == ["benchmarks/bench.py"]:
        words += ["--sizes", "8-4-2", "--samples", "128", "--rounds", "1", "--systems", "backprop,gemm"]
    if words[:2] == ["backprop", "train"] and "--epochs" not in words:
        words += ["--epochs", "3", "--no-plots"]
    return words


def serves(words, cwd):
    """Start a long-running command (the playground), wait for its address, stop it with Ctrl-C: exit 0."""
    import os
    import signal

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    args = [sys.executable, "-m", "backprop", *words[1:], "--no-browser", "--port", "0"]
    with subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        first = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert "http://127.0.0.1:" in first and proc.returncode == 0, (first, out, err)


@pytest.mark.slow
@pytest.mark.parametrize("cmd", INLINE)
def test_every_command_in_the_readme_runs(cmd, workdir):
    if "&&" in cmd:  # install, then run: installing is the CI's job, so the extra must exist
        install, cmd = (part.strip() for part in cmd.split("&&"))
        extra = re.search(r'"\.\[(\w+)\]"', install)
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
        assert extra and extra.group(1) in extras, install
    words = fill(cmd)
    if words[:2] == ["backprop", "playground"]:
        pytest.importorskip("starlette")
        return serves(words, workdir)
    if words[0] == "python3":
        result = subprocess.run(
            [sys.executable, *[str(ROOT / w) if w.endswith(".py") else w for w in words[1:]]],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=600,
        )
    else:
        result = run_cli(*words[1:], cwd=workdir, timeout=600)
    assert result.returncode == 0, (cmd, words, result.stderr[-2000:])
    assert "Traceback" not in result.stderr


def test_the_pictures_the_readme_links_exist():
    links = re.findall(r"\]\((docs/images/[^)]+\.png)\)", README)
    assert len(links) >= 8 and all((ROOT / link).is_file() for link in links)
