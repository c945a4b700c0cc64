"""The playground's server without a browser: security, uploads, model files, and numbers from the engine."""

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import fields

import numpy as np
import pytest

import backprop
from backprop import io as model_io
from backprop.learn.playground import engine, server
from backprop.learn.playground.session import GRID, Session, Settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def new_session(running, **settings):
    status, r = running.request("/api/session", {"settings": settings})
    assert status == 200, r
    return r["id"], r


def test_refuses_foreign_host_headers(running):
    # Starlette's TrustedHostMiddleware compares the name; a rebinding page sends its own name, whatever the port
    for host in ("evil.example:%d" % running.port, "attacker.test", "127.0.0.1.evil.example", "www.localhost"):
        status, body = running.request("/", headers={"Host": host})
        assert status == 400, host
        assert body == b"Invalid host header"
    assert running.request("/", headers={"Host": f"localhost:{running.port}"})[0] == 200
    assert running.request("/", headers={"Host": f"127.0.0.1:{running.port}"})[0] == 200


def test_binds_loopback_only():
    sock = server.bind(0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1" and sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_no_request_reads_a_file_outside_static(running):
    for path in (
        "/static/../engine.py",
        "/static/%2e%2e/engine.py",
        "/static//etc/passwd",
        "/api/upload?name=/etc/passwd",
    ):
        status, body = running.request(path)
        assert status in (404, 405), path
        assert b"import" not in body and b"root:" not in body


def post_headers(running, length, kind="application/json"):
    """A raw POST's headers as the page sends them, with a declared body length."""
    return {"Content-Type": kind, "X-Backprop-Token": running.playground.token, "Content-Length": str(length)}


def test_upload_is_capped_and_checked_as_the_cli_checks(running):
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    conn.putrequest("POST", "/api/upload")
    for name, value in post_headers(running, 30 * 1024 * 1024).items():  # refused before a byte is read
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413 and "at most" in json.loads(response.read())["error"]
    conn.close()
    status, r = running.request("/api/upload", {"name": "big.csv", "text": "1,2,3\n" * (2 * 1024 * 1024)})
    assert status == 413 and "limited to 10 MB" in r["error"]
    status, r = running.request("/api/upload", {"name": "bad.csv", "text": "a,b,label\n1,x,0\n2,3,1\n"})
    assert status == 400
    assert r["error"] == ("bad.csv: row 2, column 'b': 'x' is not a number, in a column of numbers; fix the cell "
                          "(or drop the column with --drop b)")
    rows = "\n".join(f"{x:.3f},{y:.3f},{int(x * y > 0)}" for x, y in np.random.default_rng(1).uniform(-3, 3, (60, 2)))
    status, r = running.request("/api/upload", {"name": "mine.csv", "text": "u,v,label\n" + rows})
    assert (status, r["rows"], r["features"], r["target"], r["problem"]) == (
        200,
        60,
        ["u", "v"],
        "label",
        "classification",
    )
    sid, created = new_session(running, dataset="upload", features=["x1", "x2", "x1*x2"])
    assert created["data"]["plane"] and created["data"]["sizes"][0] == 3 and len(created["data"]["train"]) == 30


def test_bad_settings_are_one_clear_message(running):
    status, r = running.request("/api/session", {"settings": {"dataset": "moons"}})
    assert status == 400 and r["error"].startswith("dataset must be one of circle,") and "got 'moons'" in r["error"]
    status, r = running.request("/api/session", {"settings": {"layers": [9]}})
    assert status == 400 and "1..8 units" in r["error"]
    status, r = running.request("/api/step?id=nope", {})
    assert status == 400 and "unknown or expired session" in r["error"]


def test_maps_are_one_forward_pass_of_the_engine_over_the_grid(running):
    sid, r = new_session(running, layers=[3], activations=["tanh"], features=["x1", "x2", "sin x1"])
    status, frame = running.request(f"/api/step?id={sid}&epochs=3", {})
    assert status == 200 and frame["epoch"] == 3 and [row[0] for row in frame["curve"]] == [1, 2, 3]
    session = running.playground.sessions[sid]
    lo, hi = r["data"]["domain"][:2]
    x1, x2 = np.meshgrid(np.linspace(lo, hi, GRID), np.linspace(hi, lo, GRID))
    raw = np.column_stack([x1.ravel(), x2.ravel(), np.sin(x1.ravel())])
    z, a = session.net.forward(session.scaler.transform(raw).T)
    unit = frame["maps"]["units"][1][2]  # layer 1, unit 3
    shown = np.frombuffer(base64.b64decode(unit["data"]), np.uint8) / 127.5 - 1
    np.testing.assert_allclose(shown * unit["r"], a[1][2], atol=unit["r"] / 127)
    p = np.frombuffer(base64.b64decode(frame["maps"]["output"]["p"]), np.uint8) / 255
    np.testing.assert_allclose(p, a[2][0], atol=1 / 255)
    assert frame["train_loss"] == pytest.approx(session.net.cost(session.X_train, session.Y_train), rel=1e-12)
    assert frame["weights"] == [W.tolist() for W in session.net.weights]


def test_three_classes_give_a_softmax_and_a_class_map(running):
    sid, r = new_session(running, dataset="spiral", classes=3, layers=[8], activations=["relu"])
    assert r["data"]["classes"] == [0, 1, 2] and r["data"]["activations"][-1] == "softmax"
    assert r["frame"]["maps"]["output"]["kind"] == "classes"
    assert set(np.frombuffer(base64.b64decode(r["frame"]["maps"]["output"]["class"]), np.uint8)) <= {0, 1, 2}


def test_settings_change_without_a_reset_keeps_the_weights(running):
    sid, _ = new_session(running, optimizer="sgd")
    running.request(f"/api/step?id={sid}&epochs=2", {})
    before = [W.copy() for W in running.playground.sessions[sid].net.weights]
    status, r = running.request(f"/api/settings?id={sid}", {"learning_rate": 0.1, "optimizer": "adam"})
    assert status == 200 and r["settings"]["optimizer"] == "adam"
    np.testing.assert_array_equal(running.playground.sessions[sid].net.weights[0], before[0])
    status, r = running.request(f"/api/settings?id={sid}", {"layers": [2]})
    assert status == 400


@pytest.mark.slow
def test_explain_endpoint_is_explains_json(running):
    sid, _ = new_session(running, dataset="worked-example", problem="regression", learning_rate=0.5)
    status, shown = running.request(f"/api/explain?id={sid}", {"points": [0], "learning_rate": 0.5})
    cli = json.loads(
        subprocess.run(
            [sys.executable, "-m", "backprop", "explain", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for mine, theirs in zip(shown["layers"], cli["layers"]):
        for key in ("z", "a", "delta", "dC_dW", "dC_db", "dC_dW_numeric", "W_new"):
            np.testing.assert_allclose(mine[key], theirs[key], rtol=0, atol=1e-12)
    assert shown["cost"] == pytest.approx(cli["cost"], abs=1e-15)
    # the step-through never changes the network it explains
    net, _, _ = engine.worked_example()
    np.testing.assert_array_equal(running.playground.sessions[sid].net.weights[0], net.weights[0])


@pytest.mark.slow
def test_downloaded_model_is_what_backprop_predict_reads(running, tmp_path):
    sid, _ = new_session(
        running,
        dataset="xor",
        layers=[6],
        activations=["tanh"],
        optimizer="adam",
        learning_rate=0.03,
        features=["x1", "x2"],
    )
    running.request(f"/api/step?id={sid}&epochs=20", {})
    status, content = running.request(f"/api/model?id={sid}")
    assert status == 200 and content[:2] == b"PK"
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    net, meta = model_io.load(str(path))
    session = running.playground.sessions[sid]
    np.testing.assert_array_equal(net.weights[1], session.net.weights[1])
    assert (meta["task"], meta["classes"], meta["feature_names"]) == ("classification", [0, 1], ["x1", "x2"])
    points = session.raw_test[:10]
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2\n" + "\n".join(f"{a:.6f},{b:.6f}" for a, b in points))
    out = subprocess.run(
        [sys.executable, "-m", "backprop", "predict", str(path), "--data", str(csv)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    predicted = [int(line) for line in out.stdout.split()[1:]]
    expected = (session.net.predict(session.scaler.transform(np.round(points, 6)))[:, 0] > 0.5).astype(int)
    assert predicted == expected.tolist()


def test_vanishing_view_numbers_come_from_explain(running):
    sid, _ = new_session(running, dataset="circle")
    status, r = running.request(f"/api/vanishing?id={sid}")
    assert status == 200
    size = {name: [np.abs(layer["delta"]).mean() for layer in r[name]["layers"]] for name in ("sigmoid", "relu")}
    # the sigmoid network's delta shrinks on the way back far more than the relu network's
    assert size["sigmoid"][0] / size["sigmoid"][-2] < 0.05
    assert size["sigmoid"][0] / size["sigmoid"][-2] < size["relu"][0] / size["relu"][-2]
    slope = np.array(r["sigmoid"]["layers"][0]["sigma_prime"])
    a = np.array(r["sigmoid"]["layers"][0]["a"])
    np.testing.assert_allclose(slope, a * (1 - a), rtol=1e-12)


def test_sessions_share_nothing_and_are_seeded():
    one = Session(Settings.from_dict({"dataset": "gauss", "seed": 4}))
    two = Session(Settings.from_dict({"dataset": "gauss", "seed": 4}))
    one.step(2)
    two.step(2)
    np.testing.assert_array_equal(one.net.weights[0], two.net.weights[0])
    assert one.curve == two.curve


@pytest.mark.slow
def test_the_core_imports_no_server_library():
    code = (
        "import sys, backprop, backprop.learn.playground; "
        "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert backprop.Network  # the package still works


COMMAND = ["-m", "backprop"]  # the real command line, wired in backprop.cli


@pytest.mark.slow
def test_command_prints_its_url_serves_and_stops_cleanly_on_ctrl_c():
    proc = subprocess.Popen(
        [sys.executable, *COMMAND, "playground", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("backprop playground: http://127.0.0.1:"), line
        url = line.split()[2]
        import urllib.request

        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"<title>backprop playground</title>" in response.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err and err.strip().endswith("stopped")


@pytest.mark.slow
def test_command_errors_are_one_line():
    out = subprocess.run(
        [sys.executable, *COMMAND, "playground", "--port", "0", "--no-browser", "--data", "/nonexistent/file.csv"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    # the reader of backprop train
    assert out.stderr.strip().splitlines() == ["error: /nonexistent/file.csv: no such file"]


def test_static_files_ship_in_the_package():
    static = os.path.join(os.path.dirname(server.__file__), "static")
    assert sorted(os.listdir(static)) == ["app.js", "draw.js", "gradients.js", "index.html", "stepper.js", "style.css"]
    text = "".join(open(os.path.join(static, f)).read() for f in os.listdir(static))
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text  # no CDN
    _ = time  # noqa


def test_the_page_reads_the_ranges_of_its_settings_from_the_option_specs(running):
    """GET /api/options: the training options' own specs, narrowed; check() refuses what they refuse."""
    from backprop.training import TrainingOptions
    from backprop.training.options import spec_of

    status, options = running.request("/api/options")
    assert status == 200
    library = {f.name: spec_of(f) for f in fields(TrainingOptions)}
    served = options["settings"]
    assert served["learning_rate"]["low"] == library["learning_rate"].low and served["learning_rate"]["low_open"]
    assert served["batch_size"]["low"] == library["batch_size"].low == 1
    assert set(served["optimizer"]["choices"]) <= set(library["optimizer"].choices)
    assert options["defaults"] == Settings().as_dict() and options["max_units"] >= max(Settings().layers)
    for name, spec in served.items():  # every bound is enforced by the server, just outside it refused
        if spec["high"] is not None and spec["kind"] in ("int", "float"):
            over = spec["high"] + (1 if spec["kind"] == "int" else 1e-9 * max(1, spec["high"]))
            status, body = running.request("/api/session", {"settings": {name: over}})
            assert status == 400 and name in body["error"], (name, body)


def test_the_l1_rate_is_a_setting_that_reaches_training(running):
    from backprop.training import state_of

    status, options = running.request("/api/options")
    assert options["settings"]["l1"]["low"] == 0 and options["settings"]["l1"]["high"] == 1
    status, r = running.request("/api/session", {"settings": {"l1": -0.1}})
    assert status == 400 and r["error"].startswith("l1 must be a number >= 0")
    sid, _ = new_session(running, optimizer="sgd", l1=0.01)
    running.request(f"/api/step?id={sid}&epochs=1", {})
    assert state_of(running.playground.sessions[sid].net).optimizer.l1 == 0.01
    status, r = running.request(f"/api/settings?id={sid}", {"l1": 0.3})  # changes without a reset
    assert status == 200 and r["settings"]["l1"] == 0.3
    running.request(f"/api/step?id={sid}&epochs=1", {})
    assert state_of(running.playground.sessions[sid].net).optimizer.l1 == 0.3
