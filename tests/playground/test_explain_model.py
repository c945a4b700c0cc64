"""`backprop explain MODEL --data FILE --rows ...` gives the page's step for the same network and points."""

import json
import subprocess
import sys

import pytest

from shown_arithmetic import check

pytestmark = pytest.mark.slow


def numbers_equal(page, cli, path=""):
    """Every number of the page's JSON equals the command's (to 1e-12); the same keys, the same lines."""
    if isinstance(page, dict):
        assert set(page) - {"epoch"} == set(cli), path  # epoch: the page says which of its weights it shows
        for key in page:
            if key not in ("rows", "epoch"):  # the page numbers its training points and says its epoch
                numbers_equal(page[key], cli[key], f"{path}.{key}")
    elif isinstance(page, list):
        assert len(page) == len(cli), path
        for i, (p, c) in enumerate(zip(page, cli)):
            numbers_equal(p, c, f"{path}[{i}]")
    elif isinstance(page, float):
        assert page == pytest.approx(cli, rel=1e-12, abs=1e-12), path
    else:
        assert page == cli, path


@pytest.mark.parametrize("settings", [
    {"dataset": "circle", "layers": [3], "activations": ["tanh"], "learning_rate": 0.03},
    {"dataset": "spiral", "classes": 3, "layers": [4, 2], "activations": ["relu", "sigmoid"], "learning_rate": 0.1},
    {"dataset": "plane", "problem": "regression", "layers": [2], "activations": ["sigmoid"], "learning_rate": 0.01},
])
def test_the_command_explains_the_pages_model_on_the_same_rows(running, tmp_path, settings):
    status, r = running.request("/api/session", {"settings": settings})
    assert status == 200, r
    sid = r["id"]
    running.request(f"/api/step?id={sid}&epochs=3", {})
    status, page = running.request(f"/api/explain?id={sid}", {"points": [0, 4, 8],
                                                                "learning_rate": settings["learning_rate"]})
    assert status == 200, page
    status, content = running.request(f"/api/model?id={sid}")
    (tmp_path / "model.npz").write_bytes(content)
    session = running.playground.sessions[sid]
    rows = [f"{float(p[0])!r},{float(p[1])!r},{y!r}" for p, y in zip(session.raw_train, session.y_train_raw.tolist())]
    (tmp_path / "points.csv").write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    out = subprocess.run([sys.executable, "-m", "backprop", "explain", str(tmp_path / "model.npz"),
                          "--data", str(tmp_path / "points.csv"), "--rows", "1,5,9",
                          "--learning-rate", str(settings["learning_rate"]), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    assert page["rows"] == cli["rows"] == [1, 5, 9]
    numbers_equal(page, cli)
    lines = [line for stage in cli["stages"] for item in stage["items"] for line in item]
    assert all(check(line)[0] >= 2 for line in lines)
