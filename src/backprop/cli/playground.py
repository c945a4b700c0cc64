"""`backprop playground [--port N] [--no-browser] [--data FILE.csv]`: start the page's server
(backprop.learn.playground serves it)."""

import sys
import webbrowser

from ..errors import ConfigError


def register(sub):
    p = sub.add_parser("playground", help="train and watch a network in the browser (needs backprop[playground])")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1, 0 for any free port (default: 8765)")
    p.add_argument("--no-browser", action="store_true", help="print the address but open no browser (default: open it)")
    p.add_argument("--data", metavar="FILE.csv", help="your own data: a CSV whose last column is the target "
                   "(default: only the built-in sets)")
    p.set_defaults(run=run)
    return p


def run(args):
    """Serve until Ctrl-C; returns the exit status."""
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must lie in 0..65535, got {args.port}")
    try:
        from ..learn.playground import server
    except ImportError as exc:
        raise ConfigError("the playground needs its extra: pip install 'backprop[playground]' "
                          f"({exc.name} is missing)")\
            from None
    from ..learn.playground import engine
    upload = engine.read_csv_file(args.data) if args.data else None
    sock = server.bind(args.port)
    uv, _ = server.make_server(sock, upload)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/" + ("#dataset=upload" if upload else "")
    try:  # from the moment the address is out, Ctrl-C is a clean stop, even before uvicorn takes over
        print(f"backprop playground: {url}  (Ctrl-C stops it)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        uv.run(sockets=[sock])  # uvicorn handles Ctrl-C: it stops accepting, finishes, and returns
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("stopped", file=sys.stderr)
    return 0
