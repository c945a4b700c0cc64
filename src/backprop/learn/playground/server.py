"""The playground's web server: Starlette on 127.0.0.1, JSON over plain HTTP, the page from static/.

Security, in the order a request meets it:
- the socket binds to loopback only; Starlette's TrustedHostMiddleware refuses a Host other than
  127.0.0.1 or localhost (a page that rebinds its own DNS name to 127.0.0.1 sends its own name);
- a request that changes state (POST) must come from this server's own page: its Origin (when sent)
  is this server, Sec-Fetch-Site (when sent) is same-origin, it carries the page's token (served in
  index.html, unknown to any other page) in X-Backprop-Token, and its body is application/json, which
  no other site can send without a preflight this server never answers;
- bodies are counted while they are read and refused past their limit (413), never buffered first;
- every JSON field is checked (types, ranges, finite numbers, nesting) before use: a 400 says which;
- every response carries a Content-Security-Policy that runs only this server's scripts, and the page
  inserts text from data as text, never as HTML;
- parsing and training run in worker threads, one job at a time per session, so the event loop keeps
  serving other clients; no request names a file on the machine, and no upload touches the disk.
"""

import asyncio
import json
import math
import os
import secrets
import socket
import threading
from collections import OrderedDict

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..json_output import dumps
from . import engine
from .session import UPLOAD, Session, Settings, check_points, options

STATIC = os.path.join(os.path.dirname(__file__), "static")
MAX_UPLOAD = 10 * 1024 * 1024
MAX_UPLOAD_BODY = 2 * MAX_UPLOAD + 4096  # the file as a JSON string: an escaped newline takes two bytes
MAX_SESSIONS = 16
MAX_UPLOAD_COLUMNS = 1000  # a column per input unit drawn; the reader's time grows with the column count
MAX_BODY = 64 * 1024  # JSON requests are small
TOKEN_HEADER = "x-backprop-token"
TOKEN_PLACEHOLDER = 'content="BACKPROP-TOKEN"'
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Scripts and connections from this server only; inline style attributes stay (the page sets sizes and colours).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
           "x-frame-options": "DENY"}


class FiniteJSONResponse(JSONResponse):
    """JSON with NaN and infinities as null (a diverged step's numbers), never a 500 from json's allow_nan=False."""

    def render(self, content):
        return dumps(content, separators=(",", ":")).encode("utf-8")


class RequestError(Exception):
    """A request refused with a status and a message (sent as {"error": message})."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class OwnPageOnly:
    """ASGI middleware: security headers on every response; state-changing requests only from this server's page."""

    def __init__(self, app, token):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        refusal = None if scope["method"] in SAFE_METHODS else self.refusal(Headers(scope=scope))
        if refusal is not None:
            status, message = refusal
            return await JSONResponse({"error": message}, status)(scope, receive, send_with_headers)
        await self.app(scope, receive, send_with_headers)

    def refusal(self, headers):
        """(status, message) when a state-changing request did not come from this server's own page, else None."""
        origin, site = headers.get("origin"), headers.get("sec-fetch-site")
        if origin is not None and origin != "http://" + headers.get("host", ""):
            return 403, f"refused: a request from {origin[:100]} (only this server's own page may change state)"
        if site is not None and site not in ("same-origin", "none"):
            return 403, f"refused: a {site[:20]} request (only this server's own page may change state)"
        if not secrets.compare_digest(headers.get(TOKEN_HEADER, "").encode(), self.token.encode()):
            return 403, "refused: missing or wrong page token; reload the page"
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return 415, "refused: the request body must be application/json"
        return None


class Playground:
    """The sessions (one per open page) and the routes that act on them."""

    def __init__(self, upload=None):
        self.sessions = OrderedDict()
        self.locks = {}  # session id -> asyncio.Lock: one job at a time per session
        self.upload = upload  # engine.Upload (X, y, feature_names, target_name, encoder) from --data, or None
        self.upload_lock = asyncio.Lock()
        self.token = secrets.token_urlsafe(24)  # the page's token: in index.html, sent back on every POST
        self.stopping = threading.Event()  # set on shutdown: a running step ends after its current epoch

    def add_session(self, session):
        sid = secrets.token_hex(8)
        self.sessions[sid], self.locks[sid] = session, asyncio.Lock()
        while len(self.sessions) > MAX_SESSIONS:
            old, _ = self.sessions.popitem(last=False)
            self.locks.pop(old, None)
        return sid

    def session(self, request):
        """(session, its lock) named by the request's id."""
        sid = request.query_params.get("id", "")
        if sid not in self.sessions:
            raise engine.ConfigError("unknown or expired session; reload the page")
        self.sessions.move_to_end(sid)
        return self.sessions[sid], self.locks[sid]

    async def run(self, request, job):
        """job(session) in a worker thread, after the session's earlier jobs."""
        session, lock = self.session(request)
        async with lock:
            return await run_in_threadpool(job, session)

    def routes(self):
        return [Route("/", self.index), Route("/api/session", self.create, methods=["POST"]),
                Route("/api/step", self.step, methods=["POST"]), Route("/api/settings", self.tune, methods=["POST"]),
                Route("/api/frame", self.frame),
                Route("/api/explain", self.explain, methods=["POST"]), Route("/api/vanishing", self.vanishing),
                Route("/api/upload", self.upload_csv, methods=["POST"]), Route("/api/model", self.model),
                Route("/api/options", self.options),
                Mount("/static", StaticFiles(directory=STATIC), name="static")]

    async def index(self, request):
        with open(os.path.join(STATIC, "index.html"), encoding="utf-8") as f:
            page = f.read().replace(TOKEN_PLACEHOLDER, f'content="{self.token}"')
        return HTMLResponse(page, headers={"cache-control": "no-store"})

    async def options(self, request):
        """GET: what each setting may be (the option specs as JSON), for the page's controls."""
        return JSONResponse(options())

    async def create(self, request):
        """POST {"settings": {...}}: a new session; answers its id, data and first frame."""
        body = await _json(request)
        settings = Settings.from_dict(_object(body.get("settings", {}), "settings"))
        upload = self.upload if settings.dataset == UPLOAD else None
        if settings.dataset == UPLOAD and upload is None:
            raise engine.ConfigError("no data file: start with --data FILE.csv or upload one")

        def start():
            session = Session(settings, upload)
            return session, session.data(), session.frame()
        session, data, frame = await run_in_threadpool(start)
        sid = self.add_session(session)
        return FiniteJSONResponse({"id": sid, "data": data, "frame": frame, "has_upload": self.upload is not None})

    async def step(self, request):
        await _json(request)
        epochs = _query_int(request, "epochs", 1)
        if not 1 <= epochs <= 100:
            raise engine.ConfigError("epochs per step must lie in 1..100")

        def job(session):
            since = session.epoch + 1
            session.step(epochs, stop=self.stopping)
            return session.frame(since)
        return FiniteJSONResponse(await self.run(request, job))

    async def tune(self, request):
        """POST learning_rate, optimizer, l2, l1, batch_size: change them without a reset (the training goes on)."""
        body = await _json(request)
        allowed = {"learning_rate", "optimizer", "l2", "l1", "batch_size"}
        if set(body) - allowed:
            raise engine.ConfigError(f"only {', '.join(sorted(allowed))} change without a reset")

        def job(session):
            session.settings = Settings.from_dict(session.settings.as_dict() | body)
            return {"settings": session.settings.as_dict()}
        return FiniteJSONResponse(await self.run(request, job))

    async def frame(self, request):
        return FiniteJSONResponse(await self.run(request, lambda session: session.frame()))

    async def explain(self, request):
        """POST {"points": [indices], "learning_rate": r}: explain's JSON for one step on those training points."""
        body = await _json(request)
        unknown = sorted(set(body) - {"points", "learning_rate"})
        if unknown:
            raise engine.ConfigError(f"unknown field(s): {', '.join(unknown)}; send points and learning_rate")
        indices = check_points(body.get("points", [0]))
        learning_rate = Settings.from_dict({"learning_rate": body.get("learning_rate", 0.5)}).learning_rate
        return FiniteJSONResponse(await self.run(request, lambda session: session.explain(indices, learning_rate)))

    async def vanishing(self, request):
        return FiniteJSONResponse(await self.run(request, lambda session: session.vanishing()))

    async def upload_csv(self, request):
        """POST {"name": "file.csv", "text": "the file"} (at most MAX_UPLOAD bytes): the data of every new session."""
        body = await _json(request, MAX_UPLOAD_BODY)
        unknown = sorted(set(body) - {"name", "text"})
        if unknown:
            raise engine.ConfigError(f"unknown field(s): {', '.join(unknown)}; send name and text")
        name, text = body.get("name", "upload.csv"), body.get("text")
        if not isinstance(name, str) or not isinstance(text, str):
            raise engine.ConfigError("an upload is {\"name\": the file's name, \"text\": its contents}, both strings")
        content = text.encode("utf-8", "replace")
        if len(content) > MAX_UPLOAD:
            raise RequestError(f"the file is {len(content)} bytes; uploads are limited to {MAX_UPLOAD >> 20} MB", 413)
        name = os.path.basename(name)[:100] or "upload.csv"
        header = text[:text.find("\n") if "\n" in text else MAX_UPLOAD]
        columns = 1 + max(header.count(d) for d in ",;\t|")  # any delimiter the reader detects
        if columns > MAX_UPLOAD_COLUMNS:
            raise engine.ConfigError(f"{name}: {columns} columns; the playground draws at most {MAX_UPLOAD_COLUMNS} "
                                     "(train wider tables with backprop train)")
        async with self.upload_lock:  # one file parsed at a time
            upload = await run_in_threadpool(engine.read_csv_bytes, content, name)
        self.upload = upload
        X, y, names, target = upload[:4]
        task = "classification" if y.dtype.kind in "iuUSOb" else "regression"
        return FiniteJSONResponse({"rows": len(X), "features": names, "target": target, "problem": task})

    async def model(self, request):
        def job(session):
            return engine.save_model_bytes(session.model(), session.settings.as_dict()), session.settings.dataset
        content, dataset = await self.run(request, job)
        return Response(content, media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="playground-{dataset}.npz"'})


async def _json(request, limit=MAX_BODY):
    """The request body as a JSON object: read up to limit bytes, finite numbers only, nesting bounded."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(f"the request body is {declared} bytes; this route takes at most {limit} bytes", 413)
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise RequestError(f"the request body is over {limit} bytes, the most this route takes", 413)
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        value = json.loads(body or b"{}", parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise engine.ConfigError("the request body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:  # json's errors say where; a too-long integer too
        raise engine.ConfigError(f"the request body is not valid JSON ({str(exc)[:100]})") from None
    return _object(value, "the request body")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is beyond a float's range")
    return value


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _object(value, what):
    if not isinstance(value, dict):
        raise engine.ConfigError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _query_int(request, name, default):
    text = request.query_params.get(name, str(default))
    if not text.isdigit() or len(text) > 6:
        raise engine.ConfigError(f"{name} must be a whole number, got {text[:20]!r}")
    return int(text)


def _error(message, status=400):
    return FiniteJSONResponse({"error": message}, status_code=status)


async def _backprop_error(request, exc):
    return _error(str(exc))


async def _request_error(request, exc):
    return _error(str(exc), exc.status)


async def _value_error(request, exc):
    return _error(f"bad request: {exc}")


async def _disconnected(request, exc):
    """The client left mid-request: nothing to answer and nothing to log."""
    return Response(status_code=400)


def create_app(port, upload=None):
    """The ASGI app for a server on 127.0.0.1:port; app.state.playground holds the sessions."""
    playground = Playground(upload)
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"], www_redirect=False),
                  Middleware(OwnPageOnly, token=playground.token)]
    app = Starlette(routes=playground.routes(), middleware=middleware,
                    exception_handlers={engine.BackpropError: _backprop_error, ValueError: _value_error,
                                        RequestError: _request_error,
                                        ClientDisconnect: _disconnected})
    app.state.playground = playground
    return app, playground


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
    """(uvicorn.Server, Playground) serving on the bound socket sock; Ctrl-C ends a running step too."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            playground.stopping.set()
            super().handle_exit(sig, frame)

    port = sock.getsockname()[1]
    app, playground = create_app(port, upload)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none",
                            timeout_graceful_shutdown=5)
    return Server(config), playground
