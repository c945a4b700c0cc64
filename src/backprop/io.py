"""Model files: one .npz of plain arrays plus a JSON metadata entry; no pickle, atomic writes."""

import json
import os
import tempfile
import zipfile

import numpy as np

from .errors import BackpropError, ModelFileError
from .network import Network
from .training.history import History
from .training.optimizers import get_optimizer
from .training.options import TrainingOptions
from .training.state import TrainingState

FORMAT, VERSION = "backprop-model", 1
MAX_UNCOMPRESSED = 1 << 30  # refuse archives that claim more than 1 GiB: a zip bomb, not a small MLP


def save(path, net, **metadata):
    """Write net (weights, biases, optimizer state) and metadata to path, atomically.

    The file appears complete or not at all: written to a temporary file in the same folder,
    flushed to disk, then renamed over path. Non-finite weights are refused, never saved.
    """
    params = net.weights + net.biases
    if not all(np.isfinite(p).all() for p in params):
        raise ModelFileError(f"refusing to save {path}: the network has NaN or infinite weights")
    arrays = {f"W{l}": W for l, W in enumerate(net.weights)} | {f"b{l}": b for l, b in enumerate(net.biases)}
    state = net.training
    training = None
    if state is not None:
        optimizer = state.optimizer
        training = {"options": state.options.as_dict(), "history": state.history.as_dict(),
                    "optimizer": {"name": optimizer.name, "t": optimizer.t, "settings": optimizer.settings(),
                                  "state": {key: len(values) for key, values in optimizer.state.items()}}}
        for key, values in optimizer.state.items():
            arrays |= {f"opt_{key}_{i}": v for i, v in enumerate(values)}
    meta = {"format": FORMAT, "version": VERSION, "sizes": net.sizes,
            "activations": [a.name for a in net.activations], "cost": net.cost_function.name,
            "dtype": net.dtype.name, "seed": net.seed, "training": training, **metadata}
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ModelFileError(f"cannot write {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    return path


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
    """(network, metadata) from a model file; every defect raises ModelFileError saying which."""
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: no such model file")
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
                raise ModelFileError(f"{path}: the archive claims more than 1 GiB uncompressed; "
                                     "refused as a likely zip bomb")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path}: not a backprop model file (not a readable .npz archive: {exc})") from None
    except ValueError as exc:  # an object array: loading it would need pickle
        raise ModelFileError(f"{path}: holds an array that would need pickle to load; refused ({exc})") from None
    except Exception as exc:  # zlib errors and other damage
        raise ModelFileError(f"{path}: damaged model file ({type(exc).__name__}: {exc})") from None
    try:
        meta = json.loads(arrays["metadata"].tobytes().decode())
    except KeyError:
        raise ModelFileError(f"{path}: no metadata entry; not a backprop model file") from None
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, ValueError):
        raise ModelFileError(f"{path}: the metadata entry is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ModelFileError(f"{path}: not a backprop model file (format {found!r})")
    if meta.get("version") != VERSION:
        raise ModelFileError(f"{path}: model format version {meta.get('version')!r} is not supported "
                             f"(this backprop reads version {VERSION}); upgrade backprop")
    try:
        return _build(path, arrays, meta), meta
    except ModelFileError:
        raise
    except KeyError as exc:
        raise ModelFileError(f"{path}: the model file lacks the entry {exc}; it is damaged or not a backprop model")
    except (BackpropError, TypeError, ValueError, IndexError) as exc:
        raise ModelFileError(f"{path}: inconsistent model file ({type(exc).__name__}: {exc})") from None


def _build(path, arrays, meta):
    sizes, activations = meta["sizes"], meta["activations"]
    if not isinstance(sizes, list) or len(activations) != len(sizes) - 1:
        raise ModelFileError(f"{path}: metadata sizes and activations do not agree")
    net = Network(sizes, activation=activations[:-1], output=activations[-1], cost=meta["cost"],
                  seed=meta.get("seed"), dtype=meta["dtype"])
    for l in range(len(sizes) - 1):
        for name, target in ((f"W{l}", net.weights), (f"b{l}", net.biases)):
            if name not in arrays:
                raise ModelFileError(f"{path}: missing array {name}")
            value = arrays[name]
            if value.shape != target[l].shape or value.dtype.kind != "f":
                raise ModelFileError(f"{path}: array {name} has shape {value.shape} and dtype {value.dtype}, "
                                     f"expected {target[l].shape} floats")
            if not np.isfinite(value).all():
                raise ModelFileError(f"{path}: array {name} holds NaN or infinite values")
            target[l] = value.astype(net.dtype)
    training = meta.get("training")
    if training:
        options = TrainingOptions.from_dict(training["options"], where=f"{path}: ")
        opt = training["optimizer"]
        optimizer = get_optimizer(opt["name"], **opt.get("settings", {}))
        optimizer.t = int(opt["t"])
        for key, count in opt.get("state", {}).items():
            values = [arrays[f"opt_{key}_{i}"] for i in range(count)]
            if [v.shape for v in values] != [p.shape for p in net.weights + net.biases]:
                raise ModelFileError(f"{path}: optimizer state {key} does not match the weights' shapes")
            optimizer.state[key] = [v.astype(net.dtype) for v in values]
        net.training = TrainingState(optimizer, options, History.from_dict(training["history"]))
    return net
