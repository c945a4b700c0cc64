"""Model files: one .npz of plain arrays plus a JSON metadata entry; no pickle, atomic writes.

The format and its limits are in backprop.model_file (the schema); this module reads and writes it.
"""

import io
import json
import math
import os
import signal
import stat
import tempfile
import zipfile
from contextlib import contextmanager

import numpy as np

from . import model_file as schema
from .errors import BackpropError, ModelFileError
from .model_file import FORMAT, MAX_ARRAY_BYTES, VERSION
from .network import Network
from .data.files import MAX_RATIO, RATIO_FROM
from .training.history import History
from .training.interrupts import SIGNALS
from .training.optimizers import get_optimizer
from .training.state import TrainingState, attach_state, state_of


def save(path, net, overwrite=True, **metadata):
    """Write net (weights, biases, optimizer state) and metadata to path, atomically.

    The file appears complete or not at all: written to a temporary file in the same folder,
    flushed to disk, then renamed over path; SIGINT, SIGTERM and SIGHUP wait until that is done.
    Non-finite weights, and metadata that load would refuse, are refused, never saved.
    The file gets the permissions the umask gives any new file (not mkstemp's 0600).
    overwrite=False: path must not exist, and is created exclusively (see write_atomically).
    """
    arrays = _arrays(path, net, metadata)
    write_atomically(path, lambda f: np.savez(f, **arrays), overwrite=overwrite, error=ModelFileError)
    return path


def to_bytes(net, **metadata):
    """The bytes of the model file save would write (checked the same way), never touching the disk."""
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays("the model", net, metadata))
    return buffer.getvalue()


def _arrays(path, net, metadata):
    """The file's arrays by name, metadata included as UTF-8 JSON; what load would refuse raises ModelFileError."""
    if not np.isfinite(net.parameters).all():
        raise ModelFileError(f"refusing to save {path}: the network has NaN or infinite weights")
    arrays = {f"W{l}": W for l, W in enumerate(net.weights)} | {f"b{l}": b for l, b in enumerate(net.biases)}
    state = state_of(net)
    training = None
    if state is not None:
        optimizer = state.optimizer
        training = {"options": state.options.as_dict(), "history": state.history.as_dict(),
                    "optimizer": {"name": optimizer.name, "t": optimizer.t, "settings": optimizer.settings(),
                                  "state": {key: 2 * len(net.weights) for key in optimizer.state}}}
        for key, buffer in optimizer.state.items():  # one array per weight and bias, as the file stores W and b
            weights, biases = net.views(buffer)
            arrays |= {f"opt_{key}_{i}": v for i, v in enumerate(weights + biases)}
    text = _metadata(path, net, training, metadata)
    arrays["metadata"] = np.frombuffer(text.encode(), dtype=np.uint8)
    return arrays


def _metadata(path, net, training, metadata):
    """The metadata entry's JSON text, checked as load checks it; ModelFileError for what load would refuse."""
    meta = {"format": FORMAT, "version": VERSION, "sizes": net.sizes,
            "activations": [a.name for a in net.activations], "cost": net.cost_function.name,
            "dtype": net.dtype.name, "seed": net.seed, "training": training, **metadata}
    try:
        text = json.dumps(meta, allow_nan=False)
        schema.check_metadata(json.loads(text))
    except (TypeError, ValueError) as exc:  # includes ModelFileError: what load would refuse is never written
        raise ModelFileError(f"refusing to save {path}: {exc}") from None
    return text


def check_savable(path, net, **metadata):
    """Raise the ModelFileError save would raise for this metadata (names, labels, paths), before any training."""
    try:
        _metadata(path, net, None, metadata)
    except ModelFileError as exc:
        reason = str(exc).removeprefix(f"refusing to save {path}: ")
        raise ModelFileError(f"refused before training, as the model file could not hold it: {reason}") from None


def write_atomically(path, write, *, overwrite=True, error=ModelFileError):
    """Call write(binary file) on a temporary file beside path, then put it at path: all or nothing.

    The one writer of model files, exports, plots and the CLI's text outputs. Signals are held meanwhile;
    the file gets the umask's mode (mkstemp's 0600 would hide it from other users); the temporary file is
    removed on every exit path; what is at path and is not a regular file (a FIFO, a device such as
    /dev/null, a folder) is never replaced. overwrite=False refuses an existing path, and creates path
    exclusively: the finished file is hard-linked to it, which fails if path appeared meanwhile, so of
    two writers racing for one path the second is refused instead of replacing the first's file.
    error: the exception for a path refused.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise error(f"cannot write {path}: the folder {folder} does not exist")
    if not overwrite and os.path.exists(path):
        raise error(f"{path} already exists; pass --force (overwrite=True in Python) to replace it")
    refuse_special(path, error)
    with signals_held():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o666 & ~current_umask())
                write(f)
                f.flush()
                os.fsync(f.fileno())
            refuse_special(path, error)
            if overwrite:
                os.replace(tmp, path)
            else:
                _create(tmp, path, error)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        _fsync_folder(folder)
    return path


def refuse_special(path, error=ModelFileError):
    """Raise error if path exists and is not a regular file (or a link to one): outputs never replace those."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise error(f"{path} is a link to nothing; remove it or choose another name") from None
        return
    except OSError as exc:
        raise error(f"cannot write {path} ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise error(f"{path} exists and is not a regular file (a folder, FIFO or device); it is never replaced. "
                    "Choose another name")


def _create(tmp, path, error):
    """Put the finished file tmp at path, which must not exist: a hard link fails if another writer got there."""
    taken = error(f"{path} exists (written meanwhile by another run?); pass --force to replace it, or choose "
                  "another name")
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise taken from None
    except OSError:  # a file system without hard links: claim the name exclusively, then fill it
        pass
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise taken from None
    os.replace(tmp, path)


def current_umask():
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def signals_held():
    """Block SIGINT, SIGTERM and SIGHUP for the duration: they are delivered, in order, when it ends."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    except (AttributeError, ValueError, OSError):  # no pthread_sigmask on this platform
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path):
    """(network, metadata) from a model file; every defect raises ModelFileError saying which.

    In order, each step bounded before the next: the file is a regular file; the zip directory
    declares at most MAX_ARRAY_BYTES; the metadata (at most MAX_METADATA_BYTES) passes the schema
    (backprop.model_file); every array's .npy header has the shape and dtype the metadata implies;
    only then are the arrays read.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such model file")
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: not a regular file; a model file is an .npz written by backprop")
    try:
        with zipfile.ZipFile(path) as archive:
            return _read(path, archive)
    except ModelFileError as exc:
        message = str(exc)
        raise ModelFileError(message if message.startswith(path) else f"{path}: {message}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path}: not a backprop model file (not a readable .npz archive: {exc})") from None
    except RecursionError:
        raise ModelFileError(f"{path}: the metadata entry is nested too deeply; damaged or hostile file") from None
    except MemoryError:
        raise ModelFileError(f"{path}: too large to load") from None
    except BackpropError as exc:
        raise ModelFileError(f"{path}: inconsistent model file ({exc})") from None
    except Exception as exc:  # zlib and CRC errors, numpy's header parser, other damage
        raise ModelFileError(f"{path}: damaged model file ({type(exc).__name__}: {exc})") from None


def _read(path, archive):
    members = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise ModelFileError(f"unexpected entry {info.filename[:60]!r}; not a backprop model file")
        members[info.filename[:-4]] = info
    declared = sum(info.file_size for info in members.values())
    if declared > MAX_ARRAY_BYTES + schema.MAX_METADATA_BYTES:
        raise ModelFileError(f"the archive declares {declared / 2**20:.0f} MiB uncompressed, more than a model "
                             f"file may hold ({MAX_ARRAY_BYTES >> 20} MiB of arrays); refused as a likely zip bomb")
    for name, info in members.items():
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ModelFileError(f"entry {name} would expand from {info.compress_size} bytes to "
                                 f"{info.file_size / 2**20:.0f} MiB (more than {MAX_RATIO}:1); refused as a "
                                 "likely zip bomb")
    if "metadata" not in members:
        raise ModelFileError("no metadata entry; not a backprop model file")
    shape, dtype = _header(archive, members["metadata"], "metadata")
    if dtype != np.uint8 or len(shape) != 1 or shape[0] > schema.MAX_METADATA_BYTES:
        raise ModelFileError(f"the metadata entry must be at most {schema.MAX_METADATA_BYTES >> 20} MiB of "
                             f"UTF-8 bytes, found shape {shape} of {dtype}")
    raw = _array(archive, members["metadata"])
    try:
        meta = json.loads(raw.tobytes().decode(), parse_constant=_no_constant, parse_float=_finite)
    except ModelFileError:
        raise
    except (UnicodeDecodeError, ValueError):
        raise ModelFileError("the metadata entry is not valid JSON") from None
    meta, shapes = schema.check_metadata(meta)
    extra = sorted(set(members) - set(shapes) - {"metadata"})
    if extra:
        raise ModelFileError(f"unexpected array {extra[0][:40]!r}; the metadata declares no such array")
    for name, want in shapes.items():
        if name not in members:
            raise ModelFileError(f"missing array {name}")
        shape, found = _header(archive, members[name], name)
        if shape != want or found.kind != "f" or found.itemsize not in (4, 8):
            raise ModelFileError(f"array {name} has shape {shape} and dtype {found}, expected {want} floats")
    arrays = {name: _array(archive, members[name]) for name in shapes}
    for name, value in arrays.items():
        if not np.isfinite(value).all():
            raise ModelFileError(f"array {name} holds NaN or infinite values")
    return _build(arrays, meta), meta


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ModelFileError(f"the metadata holds the number {text[:30]}, beyond a float's range")
    return value


def _no_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _header(archive, info, name):
    """(shape, dtype) from a member's .npy header, reading a few hundred bytes; checks the member's size."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ModelFileError(f"array {name}: unsupported .npy version {version}")
        read = {(1, 0): np.lib.format.read_array_header_1_0}.get(version, np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read(f, max_header_size=10000)
        offset = f.tell()
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "fu":
        raise ModelFileError(f"array {name} has dtype {dtype}, which would need pickle (never used) or is not "
                             "a float; a model file holds only float arrays")
    if any(not isinstance(n, int) or n < 0 for n in shape) or \
            offset + math.prod(shape) * dtype.itemsize != info.file_size:
        raise ModelFileError(f"array {name}: its header declares shape {shape} but the entry holds "
                             f"{info.file_size - offset} bytes of data")
    return shape, dtype


def _array(archive, info):
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _build(arrays, meta):
    """The Network from checked metadata and arrays."""
    sizes, activations = meta["sizes"], meta["activations"]
    net = Network(sizes, activation=activations[:-1], output=activations[-1], cost=meta["cost"],
                  seed=meta.get("seed"), dtype=meta["dtype"])
    L = len(sizes) - 1
    net.set_parameters([arrays[f"W{l}"] for l in range(L)], [arrays[f"b{l}"] for l in range(L)])
    training = meta.get("training")
    if training:
        opt = training["optimizer"]
        optimizer = get_optimizer(opt["name"], **opt.get("settings", {}))
        optimizer.t = opt["t"]
        for key, count in opt.get("state", {}).items():  # count: 2L arrays, laid out again as one buffer
            buffer = np.empty_like(net.parameters)
            np.concatenate([arrays[f"opt_{key}_{i}"].ravel() for i in range(count)], out=buffer, casting="same_kind")
            optimizer.state[key] = buffer
        attach_state(net, TrainingState(optimizer, training["options"], History.from_dict(training["history"])))
    return net
