"""The `backprop` command: one module per subcommand, each with register(subparsers) and run(args)."""

import os
import sys
import warnings

from ..errors import BackpropError
from ..training.interrupts import Interrupted, raising_signals
from . import bench, datasets, evaluate, explain, export, gradcheck, info, playground, predict, train
from .common import Parser
from .outputs import quiet_broken_pipe

COMMANDS = (train, evaluate, predict, export, gradcheck, explain, playground, info, datasets, bench)


def build_parser():
    from .. import __version__
    parser = Parser(prog="backprop", description="Feedforward networks trained by backpropagation, in numpy.")
    parser.add_argument("--version", action="version", version=f"backprop {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv=None):
    """Entry point: returns the exit status (0 ok, 1 check failed, 2 bad input, 128 + signal interrupted)."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    if argv[:1] == ["bench"]:  # every option after it belongs to the harness
        argv = ["bench", "--", *argv[1:]]
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(), raising_signals() as received, quiet_broken_pipe():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *a, **k: print(f"warning: {message}", file=sys.stderr)
            status = args.run(args) or 0
            if received and not status:  # a signal whose exception Python swallowed (its handler ran in a __del__)
                raise Interrupted(received[0])
            return status
    except BackpropError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `backprop ... | head`: the reader left; nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print("interrupted", file=sys.stderr)
        return 128 + exc.signal
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
