"""Writing an exported file: all of it or nothing, and never over an existing file unless asked."""

import os

from ..errors import ConfigError
from ..io import write_atomically as write_file


def write_atomically(path, data, overwrite=False):
    """Write the bytes data to path through a temporary file in the same folder, then a rename."""
    if os.path.exists(path) and not overwrite:
        raise ConfigError(f"{path} already exists; pass --force (overwrite=True in Python) to replace it")
    return write_file(path, lambda f: f.write(data), error=ConfigError, replace=overwrite)
