"""Writing an exported file: all of it or nothing, and never over an existing file unless asked."""

import os
import tempfile

from ..errors import ConfigError


def write_atomically(path, data, overwrite=False):
    """Write the bytes data to path through a temporary file in the same folder, then a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot write {path}: the folder {folder} does not exist")
    if os.path.exists(path) and not overwrite:
        raise ConfigError(f"{path} already exists; pass --force (overwrite=True in Python) to replace it")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_umask())  # mkstemp's 0600 would hide the file from a server's user
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
