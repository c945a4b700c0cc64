"""What every command shares: the argument parser's error contract, layer lists, quiet output."""

import argparse
import sys

from ..errors import ConfigError
from .outputs import check_output, write_text  # noqa: F401  (the output rule lives in outputs)
from ..model import load


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line 'error: ...' and exit status 2."""

    def error(self, message):
        print(f"error: {message} (see: {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def parse_layers(text, option="--layers"):
    """[64, 32] from '64,32'; an empty string is no layers."""
    parts = [s.strip() for s in str(text).split(",")]
    if parts == [""]:
        return []
    try:
        sizes = [int(s) for s in parts]
    except ValueError:
        raise ConfigError(f"{option} must be comma-separated integers such as 64,32, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise ConfigError(f"{option} sizes must be >= 1, got {text!r}")
    return sizes


def say(args, *lines):
    """Print unless --quiet."""
    if not getattr(args, "quiet", False):
        print(*lines, sep="\n", flush=True)


def load_model(path):
    """The Model saved at path: a model file or a run folder holding model.npz."""
    return load(path)


MODEL_HELP = "a model file (.npz) written by backprop, or a run folder holding model.npz"
