"""The playground server under attack: cross-site writes, stored XSS, hostile JSON, big bodies, a blocked
event loop, Ctrl-C during a step, client disconnects and temporary files (issue 28's second campaign)."""

import http.client
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request

import numpy as np
import pytest

from backprop.learn.playground import engine, server

pytestmark = pytest.mark.slow

CSV = "u,v,label\n" + "\n".join(f"{x:.3f},{y:.3f},{int(x * y > 0)}"
                                   for x, y in np.random.default_rng(2).uniform(-3, 3, (40, 2)))


def raw_post(running, path, body, headers):
    """(status, body bytes) of a POST with exactly these headers (nothing added)."""
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    out = response.status, response.read()
    conn.close()
    return out


def page_headers(running, **extra):
    return {"Content-Type": "application/json", "X-Backprop-Token": running.playground.token,
            "Host": f"127.0.0.1:{running.port}", **extra}


def test_cross_site_writes_are_refused_and_change_nothing(running):
    assert running.request("/api/upload", {"name": "mine.csv", "text": CSV})[0] == 200
    upload, sessions = running.playground.upload, dict(running.playground.sessions)
    evil = "u,v,label\n1,2,<img src=x onerror=alert(1)>\n3,4,b\n"
    body = json.dumps({"name": "evil.csv", "text": evil}).encode()
    own = page_headers(running)
    attacks = {
        "text/plain, as a no-cors fetch sends it": (own | {"Content-Type": "text/plain"}, 415),
        "a form's content type": (own | {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        "multipart": (own | {"Content-Type": "multipart/form-data; boundary=x"}, 415),
        "no token": ({k: v for k, v in own.items() if k != "X-Backprop-Token"}, 403),
        "a wrong token": (own | {"X-Backprop-Token": "guess"}, 403),
        "another localhost port": (own | {"Origin": "http://127.0.0.1:1"}, 403),
        "another site": (own | {"Origin": "https://evil.example"}, 403),
        "a null origin (sandboxed frame)": (own | {"Origin": "null"}, 403),
        "Sec-Fetch-Site cross-site": (own | {"Sec-Fetch-Site": "cross-site"}, 403),
        "Sec-Fetch-Site same-site": (own | {"Sec-Fetch-Site": "same-site"}, 403),
    }
    for name, (headers, expected) in attacks.items():
        for path, payload in (("/api/upload", body), ("/api/session", b'{"settings": {}}')):
            status, answer = raw_post(running, path, payload, headers)
            assert status == expected, (name, path, answer)
            assert "refused" in json.loads(answer)["error"], name
    assert running.playground.upload is upload and dict(running.playground.sessions) == sessions
    # the page itself (same origin, its token, JSON) is let through
    same = own | {"Origin": f"http://127.0.0.1:{running.port}", "Sec-Fetch-Site": "same-origin"}
    assert raw_post(running, "/api/session", b'{"settings": {}}', same)[0] == 200


def test_the_page_carries_its_token_and_every_response_a_csp(running):
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    page = response.read().decode()
    assert re.search(r'<meta name="backprop-token" content="([^"]+)">', page).group(1) == running.playground.token
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    conn.close()
    with urllib.request.urlopen(running.url + "static/app.js") as script:
        assert script.headers["content-security-policy"] == csp


def test_bodies_are_refused_while_read_not_after(running):
    """A chunked body (no Content-Length) past the limit gets its 413 before the client has sent it all."""
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    conn.putrequest("POST", "/api/session")
    for name, value in page_headers(running, **{"Transfer-Encoding": "chunked"}).items():
        if name != "Host":
            conn.putheader(name, value)
    conn.endheaders()
    chunk = b" " * (server.MAX_BODY + 1024)
    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))  # the body's end (a 0 chunk) is never sent
    response = conn.getresponse()
    assert response.status == 413 and "over" in json.loads(response.read())["error"]
    conn.close()


HOSTILE = {
    "nested 30k deep": b'{"settings": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
    "Infinity seed": b'{"settings": {"seed": Infinity}}',
    "NaN noise": b'{"settings": {"noise": NaN}}',
    "1e999 batch size": b'{"settings": {"batch_size": 1e999}}',
    "1e999 in layers": b'{"settings": {"layers": [1e999]}}',
    "a huge integer seed": b'{"settings": {"seed": ' + b"9" * 400 + b"}}",
    "a 5000-digit integer": b'{"settings": {"seed": ' + b"9" * 5000 + b"}}",
    "settings as a list": b'{"settings": [1, 2]}',
    "settings as null": b'{"settings": null}',
    "layers as a number": b'{"settings": {"layers": 5}}',
    "layers of lists": b'{"settings": {"layers": [[0]]}}',
    "layers of bools": b'{"settings": {"layers": [true]}}',
    "learning_rate an object": b'{"settings": {"learning_rate": {}}}',
    "learning_rate a string": b'{"settings": {"learning_rate": "0.1"}}',
    "a negative seed": b'{"settings": {"seed": -1}}',
    "features a string": b'{"settings": {"features": "x1"}}',
    "the body a list": b"[]",
    "the body a string": b'"settings"',
    "not JSON": b"{settings",
    "not UTF-8": b'{"settings": "\xff"}',
}
EXPLAIN = {
    "points null": {"points": None},
    "points a number": {"points": 5},
    "points nested": {"points": [[0]]},
    "points bools": {"points": [True]},
    "points too many": {"points": list(range(9))},
    "point out of range": {"points": [10 ** 6]},
    "a negative learning rate": {"points": [0], "learning_rate": -0.5},
    "a zero learning rate": {"points": [0], "learning_rate": 0},
    "learning_rate an object": {"points": [0], "learning_rate": {}},
    "an unknown field": {"points": [0], "rate": 1},
}


def test_hostile_json_is_a_clear_400_never_a_500(running):
    for name, body in HOSTILE.items():
        status, answer = raw_post(running, "/api/session", body, page_headers(running))
        assert status == 400, (name, answer[:200])
        message = json.loads(answer)["error"]
        assert message and "Traceback" not in message and len(message) < 300, (name, message)
    nested = b'{"name": "a.csv", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # the upload route takes 20 MB
    assert raw_post(running, "/api/upload", nested, page_headers(running))[0] == 400
    sid = running.request("/api/session", {"settings": {}})[1]["id"]
    for name, body in EXPLAIN.items():
        status, answer = running.request(f"/api/explain?id={sid}", body)
        assert status == 400, (name, answer)
    for name, body in {"tune a list": [1], "tune null lr": {"learning_rate": None},
                       "tune inf": {"batch_size": 1e300}}.items():
        status, answer = running.request(f"/api/settings?id={sid}", body)
        assert status == 400, (name, answer)
    for epochs in ("1e999", "-1", "x", "10000000000000000000000"):
        assert running.request(f"/api/step?id={sid}&epochs={epochs}", {})[0] == 400, epochs


def test_a_long_job_leaves_other_clients_served(running, monkeypatch):
    """A step holds its session's worker; the page, and a second session, answer meanwhile."""
    sid = running.request("/api/session", {"settings": {}})[1]["id"]
    other = running.request("/api/session", {"settings": {}})[1]["id"]
    started, release = threading.Event(), threading.Event()
    session = running.playground.sessions[sid]

    def slow_step(epochs, stop=None):
        started.set()
        release.wait(30)
    monkeypatch.setattr(session, "step", slow_step)
    answers = []
    worker = threading.Thread(target=lambda: answers.append(running.request(f"/api/step?id={sid}", {})))
    worker.start()
    try:
        assert started.wait(30)
        assert running.request("/")[0] == 200
        assert running.request(f"/api/step?id={other}", {})[0] == 200
        assert running.request(f"/api/frame?id={other}")[0] == 200
        assert worker.is_alive() and not answers  # the slow step is still running
    finally:
        release.set()
        worker.join(30)
    assert answers[0][0] == 200


def test_an_upload_leaves_no_named_file(running, monkeypatch, tmp_path):
    """While the upload is parsed (where kill -9 could strike) no file of it has a name in TMPDIR."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = []
    read = engine.read_table  # the reader of `backprop train`, given the bytes

    def watching(source, *args, **kwargs):
        seen.append(os.listdir(tmp_path))
        return read(source, *args, **kwargs)
    monkeypatch.setattr(engine, "read_table", watching)
    assert running.request("/api/upload", {"name": "mine.csv", "text": CSV})[0] == 200
    sid = running.request("/api/session", {"settings": {"dataset": "upload"}})[1]["id"]
    assert running.request(f"/api/model?id={sid}")[0] == 200
    assert seen == [[]] and os.listdir(tmp_path) == []


def test_a_client_that_leaves_mid_body_logs_no_traceback(running):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", running.port))
            headers = page_headers(running, **{"Content-Length": "5000"})
            sock.sendall(b"POST /api/upload HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                         .encode() + b"\r\n" + b'{"name": "a.csv", "text": "')
            sock.close()
        assert running.request("/")[0] == 200
        threading.Event().wait(0.5)  # let the server notice the disconnects
        assert running.request("/")[0] == 200
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if r.exc_info or "Exception" in r.getMessage()], records


def test_ctrl_c_during_a_long_step_stops_the_server_at_once(tmp_path):
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.4f},{b:.4f},{int(a > b)}" for a, b in rng.uniform(-1, 1, (5000, 2)))
    (tmp_path / "d.csv").write_text("x1,x2,y\n" + rows)
    proc = subprocess.Popen([sys.executable, "-m", "backprop", "playground", "--port", "0", "--no-browser",
                             "--data", str(tmp_path / "d.csv")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        url = proc.stdout.readline().split()[2].split("#")[0]
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        token = re.search(r'name="backprop-token" content="([^"]+)"', page).group(1)
        headers = {"Content-Type": "application/json", "X-Backprop-Token": token}

        def post(path, body):
            req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers=headers)
            return json.loads(urllib.request.urlopen(req, timeout=120).read())
        settings = {"dataset": "upload", "layers": [8] * 6, "activations": ["tanh"] * 6, "batch_size": 1}
        sid = post("api/session", {"settings": settings})["id"]
        step = threading.Thread(target=lambda: post(f"api/step?id={sid}&epochs=100", {}), daemon=True)
        step.start()  # 100 epochs of 2500 one-sample batches on a 6-layer network: minutes of work
        step.join(1.0)
        assert step.is_alive()
        proc.send_signal(signal.SIGINT)  # once
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err and err.strip().endswith("stopped"), err


def test_answers_are_valid_json_when_numbers_are_not_finite(running, monkeypatch):
    """A diverged step's inf or NaN reaches the page as null, never as a 500 (json refuses them by default)."""
    sid = running.request("/api/session", {"settings": {}})[1]["id"]
    session = running.playground.sessions[sid]
    monkeypatch.setattr(session, "frame", lambda since=0: {"train_loss": float("inf"), "curve": [[1, np.nan, None]]})
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    conn.request("GET", f"/api/frame?id={sid}")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b'{"train_loss":null,"curve":[[1,null,null]]}'
    conn.close()


def test_an_upload_wider_than_the_page_draws_is_refused_before_parsing(running, monkeypatch):
    monkeypatch.setattr(engine, "read_table", lambda *a, **k: pytest.fail("parsed a 30,000-column upload"))
    text = ",".join(f"c{i}" for i in range(30000)) + ",t\n" + ",".join("1" * 30001) + "\n"
    status, r = running.request("/api/upload", {"name": "wide.csv", "text": text})
    assert status == 400 and r["error"].startswith("wide.csv: 30001 columns; the playground draws at most 1000")
