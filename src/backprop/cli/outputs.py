"""The output rule of every command: never over an input, never over a non-regular file, never a lost result.

1. A MODEL argument (a model file or a run folder) is resolved to the file it reads before outputs are
   compared with inputs; an output that is an input (same path, same file through a link) is refused,
   even with --force.
2. An existing output is replaced only with --force; one that is not a regular file never is.
3. Outputs are created exclusively (io.write_atomically with overwrite=False): of two runs racing for one
   path, the second is refused rather than replacing the first's file.
4. A reader that leaves the pipe (`backprop ... | head -1`) never costs the result: output to stdout is
   dropped from then on, and the command finishes (the model is saved) and exits quietly.
"""

import os
import sys
import tempfile
from contextlib import contextmanager

from ..errors import ConfigError, ModelFileError
from ..io import refuse_special, write_atomically
from ..model import model_file


def read_paths(source):
    """The file(s) a command reads for the argument source: a run folder's model.npz as well as the folder."""
    if not source or not isinstance(source, str):
        return []
    source = source[len("mnist:"):] if source.startswith("mnist:") else source
    if os.path.isdir(source):
        try:
            return [source, model_file(source)]
        except ModelFileError:  # a folder without a model: nothing in it is read
            return [source]
    return [source]


def check_output(path, inputs, force, what="file"):
    """Refuse path as an output when it is one of inputs (resolved), exists without force, or is not a regular file."""
    real = os.path.realpath(path)
    try:
        out_stat = os.stat(path)
    except OSError:
        out_stat = None
    for source in (p for argument in inputs for p in read_paths(argument)):
        same = os.path.realpath(source) == real
        if not same and out_stat is not None:
            try:
                same = os.path.samestat(os.stat(source), out_stat)
            except OSError:
                pass
        if same:
            raise ConfigError(f"{path} is also an input of this command ({source}); writing it would destroy "
                              "that input, even with --force. Choose another output name")
    refuse_special(path, ConfigError)
    if out_stat is not None and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite that {what}, or choose another name")


def check_writable(folder):
    """Refuse, before any work, a folder where no file can be created (read-only, full, not ours)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write into {folder} ({exc.strerror}); choose another --out") from None


def write_text(path, text, force=False):
    """Write text to path atomically; without force, path is created exclusively (never replaced)."""
    write_atomically(path, lambda f: f.write(text.encode()), overwrite=force, error=ConfigError)


class Claim:
    """An output a run writes more than once (checkpoints, then the final save): its first write is exclusive
    unless --force, later ones replace the run's own earlier file."""

    def __init__(self, force):
        self.overwrite = force

    def write(self, save):
        """Call save(overwrite), then let every later write replace what this one wrote."""
        result = save(self.overwrite)
        self.overwrite = True
        return result


class _QuietStdout:
    """sys.stdout that, once its reader has gone (a broken pipe), drops what follows instead of raising."""

    def __init__(self, stream):
        self.stream, self.broken = stream, False

    def write(self, text):
        if not self.broken:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._broke()
        return len(text)

    def flush(self):
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self):
        self.broken = True
        try:  # the interpreter's own flush at exit must not complain either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name):
        return getattr(self.stream, name)


@contextmanager
def quiet_broken_pipe():
    """Within: a closed pipe on stdout silences further output instead of ending the command."""
    previous = sys.stdout
    sys.stdout = _QuietStdout(previous)
    try:
        yield
    finally:
        sys.stdout = previous
