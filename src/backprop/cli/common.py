"""What every command shares: the argument parser's error contract, layer lists, quiet output."""

import argparse
import os
import sys

from ..errors import ConfigError
from ..io import write_atomically
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


def check_output(path, inputs, force, what="file"):
    """The overwrite rule: an output is never one of the command's inputs (same path or same inode, even
    with --force), and an existing file is replaced only with --force."""
    real = os.path.realpath(path)
    try:
        out_stat = os.stat(path)
    except OSError:
        out_stat = None
    for source in inputs:
        if not source or not isinstance(source, str):
            continue
        source = source[len("mnist:"):] if source.startswith("mnist:") else source
        same = os.path.realpath(source) == real
        if not same and out_stat is not None:
            try:
                same = os.path.samestat(os.stat(source), out_stat)
            except OSError:
                pass
        if same:
            raise ConfigError(f"{path} is also an input of this command ({source}); writing it would destroy "
                                  "that input. Choose another output name")
    if out_stat is not None and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite that {what}, or choose another name")
    if out_stat is not None and not os.path.isfile(path):
        raise ConfigError(f"{path} exists and is not a regular file; choose another name")


def write_text(path, text):
    """Write text to path atomically (a temporary file in the same folder, renamed), with the umask's mode."""
    write_atomically(path, lambda f: f.write(text.encode()), error=ConfigError)
