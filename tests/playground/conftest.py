"""Fixtures: a playground server on a free port in a thread, and a headless Chromium page on it."""

import json
import shutil
import threading
import time
import urllib.request

import pytest

pytest.importorskip("starlette", reason="the playground needs its extra: pip install 'backprop[playground]'")
pytest.importorskip("uvicorn", reason="the playground needs its extra: pip install 'backprop[playground]'")

from backprop.learn.playground import server as playground_server  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class Running:
    """A server in a background thread: its base URL and its Playground (the sessions)."""

    def __init__(self, upload=None):
        self.sock = playground_server.bind(0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.server, self.playground = playground_server.make_server(self.sock, upload)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return
            time.sleep(0.02)
        raise RuntimeError("the playground server did not start")

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def request(self, path, body=None, headers=None, method=None, raw=False):
        """(status, parsed JSON or bytes) for one request to the server.

        A request with a body is sent as the page sends it (JSON, with the page's token) unless headers say otherwise.
        """
        data = body if raw or body is None else json.dumps(body).encode()
        if data is not None:
            headers = {"Content-Type": "application/json", "X-Backprop-Token": self.playground.token} | (headers or {})
        req = urllib.request.Request(self.url.rstrip("/") + path, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                content, status, kind = response.read(), response.status, response.headers.get("content-type", "")
        except urllib.error.HTTPError as exc:
            content, status, kind = exc.read(), exc.code, exc.headers.get("content-type", "")
        return status, json.loads(content) if "json" in kind else content


@pytest.fixture(scope="session")
def running():
    server = Running()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need playwright (pip install playwright)"
    )
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("the browser tests need Chromium on PATH (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, running):
    """A fresh page at 1280x800; fails the test on any console error or uncaught exception."""
    # bypass_csp: playwright's wait_for_function evaluates its predicate with eval, which the page's CSP forbids;
    # test_hostile_page.py loads the page under its CSP
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    pg = context.new_page()
    errors = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, f"console errors: {errors}"
