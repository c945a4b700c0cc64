"""The playground's web server: Starlette on 127.0.0.1, JSON over plain HTTP, the page from static/.

Security: the socket binds to loopback only; every request must carry Host 127.0.0.1:PORT or
localhost:PORT (a page on another site that rebinds its DNS name to 127.0.0.1 sends its own name, and
is refused); uploads are read up to MAX_UPLOAD bytes and parsed in memory by the same CSV reader as
the command line; no request names a file on the machine (the static route serves one fixed folder).
"""

import json
import os
import secrets
import socket
from collections import OrderedDict

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import engine
from .session import UPLOAD, Session, Settings, options

STATIC = os.path.join(os.path.dirname(__file__), "static")
MAX_UPLOAD = 10 * 1024 * 1024
MAX_SESSIONS = 16
MAX_BODY = 64 * 1024  # JSON requests are small


class HostCheck:
    """ASGI middleware: refuse any request whose Host header is not one this server answers to."""

    def __init__(self, app, allowed):
        self.app, self.allowed = app, allowed

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.allowed:
                await PlainTextResponse("refused: unknown Host header", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Playground:
    """The sessions (one per open page) and the routes that act on them."""

    def __init__(self, upload=None):
        self.sessions = OrderedDict()
        self.upload = upload  # (X, y, feature_names, target_name) from --data, or None

    def new_session(self, settings):
        sid = secrets.token_hex(8)
        upload = self.upload if settings.dataset == UPLOAD else None
        if settings.dataset == UPLOAD and upload is None:
            raise engine.ConfigError("no data file: start with --data FILE.csv or upload one")
        self.sessions[sid] = Session(settings, upload)
        while len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)
        return sid

    def session(self, request):
        sid = request.query_params.get("id", "")
        if sid not in self.sessions:
            raise engine.ConfigError("unknown or expired session; reload the page")
        self.sessions.move_to_end(sid)
        return self.sessions[sid]

    def routes(self):
        return [Route("/", self.index), Route("/api/session", self.create, methods=["POST"]),
                Route("/api/step", self.step, methods=["POST"]), Route("/api/settings", self.tune, methods=["POST"]),
                Route("/api/frame", self.frame),
                Route("/api/explain", self.explain, methods=["POST"]), Route("/api/vanishing", self.vanishing),
                Route("/api/upload", self.upload_csv, methods=["POST"]), Route("/api/model", self.model),
                Route("/api/options", self.options),
                Mount("/static", StaticFiles(directory=STATIC), name="static")]

    async def index(self, request):
        return FileResponse(os.path.join(STATIC, "index.html"))

    async def options(self, request):
        """GET: what each setting may be (the option specs as JSON), for the page's controls."""
        return JSONResponse(options())

    async def create(self, request):
        """POST settings (JSON): a new session; answers its id, data and first frame."""
        body = await _json(request)
        settings = Settings.from_dict(body.get("settings", {}))
        sid = self.new_session(settings)
        session = self.sessions[sid]
        return JSONResponse({"id": sid, "data": session.data(), "frame": session.frame(),
                             "has_upload": self.upload is not None})

    async def step(self, request):
        session = self.session(request)
        epochs = int(request.query_params.get("epochs", "1"))
        if not 1 <= epochs <= 100:
            raise engine.ConfigError("epochs per step must lie in 1..100")
        since = session.epoch + 1
        session.step(epochs)
        return JSONResponse(session.frame(since))

    async def tune(self, request):
        """POST learning_rate, optimizer, l2, batch_size: change them without a reset (the training goes on)."""
        body = await _json(request)
        session = self.session(request)
        allowed = {"learning_rate", "optimizer", "l2", "batch_size"}
        if set(body) - allowed:
            raise engine.ConfigError(f"only {', '.join(sorted(allowed))} change without a reset")
        session.settings = Settings.from_dict(session.settings.as_dict() | body)
        return JSONResponse({"settings": session.settings.as_dict()})

    async def frame(self, request):
        return JSONResponse(self.session(request).frame())

    async def explain(self, request):
        body = await _json(request)
        session = self.session(request)
        indices = [int(i) for i in body.get("points", [0])]
        return JSONResponse(session.explain(indices, float(body.get("learning_rate", 0.5))))

    async def vanishing(self, request):
        return JSONResponse(self.session(request).vanishing())

    async def upload_csv(self, request):
        """POST a CSV file's bytes (at most MAX_UPLOAD): it becomes the data of every new session."""
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_UPLOAD:
            return _error(f"the file is {size} bytes; uploads are limited to {MAX_UPLOAD // (1024 * 1024)} MB", 413)
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > MAX_UPLOAD:
                return _error(f"uploads are limited to {MAX_UPLOAD // (1024 * 1024)} MB", 413)
            chunks.append(chunk)
        name = os.path.basename(request.query_params.get("name", "upload.csv"))[:100] or "upload.csv"
        self.upload = engine.read_csv_bytes(b"".join(chunks), name)
        X, y, names, target = self.upload
        task = "classification" if y.dtype.kind in "iuUSOb" else "regression"
        return JSONResponse({"rows": len(X), "features": names, "target": target, "problem": task})

    async def model(self, request):
        session = self.session(request)
        content = engine.save_model_bytes(session.model(), session.settings.as_dict())
        name = f"playground-{session.settings.dataset}.npz"
        return Response(content, media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _json(request):
    body = await request.body()
    if len(body) > MAX_BODY:
        raise engine.ConfigError("request too large")
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        raise engine.ConfigError("the request body is not JSON") from None
    if not isinstance(value, dict):
        raise engine.ConfigError("the request body must be a JSON object")
    return value


def _error(message, status=400):
    return JSONResponse({"error": message}, status_code=status)


async def _backprop_error(request, exc):
    return _error(str(exc))


async def _value_error(request, exc):
    return _error(f"bad request: {exc}")


def create_app(port, upload=None):
    """The ASGI app for a server on 127.0.0.1:port; app.state.playground holds the sessions."""
    playground = Playground(upload)
    app = Starlette(routes=playground.routes(),
                    exception_handlers={engine.BackpropError: _backprop_error, ValueError: _value_error})
    app.state.playground = playground
    allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
    return HostCheck(app, allowed), playground


def bind(port):
    """A listening TCP socket on 127.0.0.1:port (0: a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise engine.ConfigError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    sock.listen(64)
    return sock


def make_server(sock, upload=None):
    """(uvicorn.Server, Playground) serving on the bound socket sock."""
    import uvicorn
    port = sock.getsockname()[1]
    app, playground = create_app(port, upload)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none")
    return uvicorn.Server(config), playground
