"""The model file's schema: every metadata field checked for type and range before any array is read.

A model file is an .npz archive: W0.., b0.. (the weights and biases), opt_KEY_I (the optimizer's
state, one array per parameter) and `metadata`, a uint8 array of UTF-8 JSON. check_metadata reads
that JSON against the schema below and returns the arrays the file must hold, name -> shape; io.load
then compares those with the archive members' .npy headers before it reads a single array. A hostile
file is refused after reading its central directory, a few header bytes and the metadata.
"""

import math
import re

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .checks import DTYPES
from .costs import COSTS
from .data.files import MAX_NAME
from .data.preprocessing import SCALES
from .errors import BackpropError, ModelFileError
from .training.history import PER_EPOCH, STOP_REASONS
from .training.optimizers import OPTIMIZERS
from .tasks import TASKS
from .training.options import TrainingOptions, spec_of

FORMAT, VERSION = "backprop-model", 1
MAX_ARRAY_BYTES = 512 << 20     # all arrays of a model file together, uncompressed: 512 MiB
MAX_METADATA_BYTES = 64 << 20   # the JSON metadata (a million epochs of history fit)
MAX_LAYERS = 1000


class Invalid(Exception):
    """A field breaks the schema; .where is its path, e.g. training.history.cost[3]."""

    def __init__(self, where, wanted, got):
        shown = repr(got)
        # The path holds the file's own keys, which may hold a newline or run long: the message stays one line.
        where = where if where.isprintable() else repr(where)[1:-1]
        where = where if len(where) <= 120 else where[:117] + "..."
        super().__init__(f"metadata field {where} must be {wanted}, got {shown[:60]}{'...' if len(shown) > 60 else ''}")


# ---- field checkers: each takes (value, where) and returns the value or raises Invalid ---------------
def integer(low, high):
    def check(value, where):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(where, f"an integer in {low}..{high}", value)
        return value
    return check


def number(low=-math.inf, high=math.inf):
    def check(value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not low <= value <= high:
            raise Invalid(where, f"a finite number in [{low:g}, {high:g}]", value)
        return float(value)
    return check


def string(choices=None, max_length=MAX_NAME):
    def check(value, where):
        if not isinstance(value, str) or len(value) > max_length or (choices and value not in choices):
            wanted = f"one of {', '.join(choices)}" if choices else f"a string of at most {max_length} characters"
            raise Invalid(where, wanted, value)
        return value
    return check


def optional(inner):
    def check(value, where):
        return None if value is None else inner(value, where)
    return check


def list_of(inner, max_length):
    def check(value, where):
        if not isinstance(value, list) or len(value) > max_length:
            raise Invalid(where, f"a list of at most {max_length} entries", type(value).__name__)
        return [inner(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return check


def record(fields, where_name=""):
    """A JSON object with the named fields: {name: (checker, required)}; other keys are refused."""
    def check(value, where):
        if not isinstance(value, dict):
            raise Invalid(where, "an object", type(value).__name__)
        unknown = sorted(set(value) - set(fields), key=str)
        if unknown:
            raise Invalid(f"{where}.{unknown[0]}" if where else str(unknown[0]), "absent (not a field of this format)",
                          value[unknown[0]])
        out = {}
        for name, (checker, required) in fields.items():
            path = f"{where}.{name}" if where else name
            if name not in value:
                if required:
                    raise ModelFileError(f"the model file lacks the entry '{path}' (metadata); "
                                         "it is damaged or not a backprop model")
                continue
            out[name] = checker(value[name], path)
        return out
    return check


def label(value, where):
    """A class label: a string, an integer or a finite number."""
    if isinstance(value, str):
        return string()(value, where)
    if isinstance(value, int) and not isinstance(value, bool):
        return integer(-2**63, 2**63 - 1)(value, where)
    return number()(value, where)


def scalar(value, where):
    """A plain setting: None, a boolean, a string or a finite number."""
    if value is None or isinstance(value, bool):
        return value
    return label(value, where)


MAX_EPOCH_ROWS = 10_000_000
PER_EPOCH_CHECKS = {"epoch": integer(1, MAX_EPOCH_ROWS), "cost": number(), "accuracy": optional(number(0, 1)),
                    "val_cost": optional(number()), "val_accuracy": optional(number(0, 1)),
                    "learning_rate": number(0), "seconds": number(0)}
HISTORY = record({**{name: (list_of(PER_EPOCH_CHECKS[name], MAX_EPOCH_ROWS), True) for name in PER_EPOCH},
                  "stop_reason": (string(tuple(STOP_REASONS) + ("",)), False),
                  "best_epoch": (optional(integer(1, MAX_EPOCH_ROWS)), False)})
OPTIMIZER_SETTINGS = {f.name: (lambda spec, name: lambda v, where: _spec(spec, name, v, where))(spec_of(f), f.name)
                      for f in TrainingOptions.__dataclass_fields__.values()
                      if f.name in ("momentum", "beta1", "beta2", "eps", "weight_decay", "l1")}
OPTIMIZER = record({"name": (string(tuple(OPTIMIZERS)), True), "t": (integer(0, 2**53), True),
                    "settings": (record({k: (v, False) for k, v in OPTIMIZER_SETTINGS.items()}), False),
                    "state": (lambda v, where: _state(v, where), False)})
TRAINING = record({"options": (lambda v, where: _options(v, where), True), "history": (HISTORY, True),
                   "optimizer": (OPTIMIZER, True)})
SCALER = record({"kind": (string(SCALES), True), "center": (optional(list_of(number(), 10**8)), False),
                 "scale": (optional(list_of(number(1e-300), 10**8)), False)})
METADATA = record({
    "format": (string((FORMAT,)), True), "version": (integer(VERSION, VERSION), True),
    "sizes": (list_of(integer(1, 2**31), MAX_LAYERS + 1), True),
    "activations": (list_of(string(OUTPUT_ACTIVATIONS), MAX_LAYERS), True),
    "cost": (string(tuple(COSTS)), True), "dtype": (string(DTYPES), True),
    "seed": (optional(integer(0, 2**63 - 1)), False), "training": (optional(TRAINING), False),
    "task": (string(TASKS), False), "classes": (optional(list_of(label, 10**6)), False),
    "scaler": (SCALER, False), "target_scaler": (SCALER, False),
    "feature_names": (list_of(string(), 10**8), False), "target_name": (optional(string()), False),
    "data": (lambda v, where: _data(v, where), False),
    "encoder": (lambda v, where: _encoder(v, where), False),
    "playground": (lambda v, where: _settings(v, where), False),
})


def _spec(spec, name, value, where):
    try:
        return spec.check(name, value)
    except BackpropError:
        raise Invalid(where, spec.describe(), value) from None


def _state(value, where):
    if not isinstance(value, dict) or len(value) > 8:
        raise Invalid(where, "an object of at most 8 buffers", type(value).__name__)
    for key, count in value.items():
        if not re.fullmatch(r"[a-z_]{1,20}", key):
            raise Invalid(f"{where}.{key[:20]}", "a buffer name of lowercase letters", key)
        integer(0, 2 * MAX_LAYERS)(count, f"{where}.{key}")
    return value


def _options(value, where):
    try:
        return TrainingOptions.from_dict(value)
    except BackpropError as exc:
        raise ModelFileError(f"metadata field {where}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"metadata field {where}: {exc}") from None


def _settings(value, where):
    """An object of at most 100 plain settings: names to None, booleans, strings, numbers or short lists of them."""
    if not isinstance(value, dict) or len(value) > 100:
        raise Invalid(where, "an object of at most 100 settings", type(value).__name__)
    for key, v in value.items():
        string(max_length=100)(key, f"{where} key")
        if isinstance(v, list):
            list_of(scalar, 1000)(v, f"{where}.{key}")
        else:
            scalar(v, f"{where}.{key}")
    return value


def _encoder(value, where):
    """The table encoder: the raw columns read, each categorical column's categories, each column's fill value."""
    columns = list_of(string(max_length=1000), 10**6)
    if not isinstance(value, dict) or set(value) - {"columns", "categories", "fill"}:
        raise Invalid(where, "an object of columns, categories and fill", str(value)[:60])
    columns(value.get("columns", []), f"{where}.columns")
    for field_name, inner in (("categories", columns), ("fill", scalar)):
        table = value.get(field_name, {})
        if not isinstance(table, dict) or len(table) > 10**6:
            raise Invalid(f"{where}.{field_name}", "an object keyed by column", type(table).__name__)
        for key, v in table.items():
            inner(v, f"{where}.{field_name}.{str(key)[:40]}")
    return value


def _data(value, where):
    """Where the training data came from: plain settings only. A path here is never opened unless the user names it."""
    held_out = value.get("held_out") if isinstance(value, dict) else None
    if held_out is not None:  # fingerprints of the held-out rows (evaluate --held-out)
        list_of(string(max_length=64), 10**6)(held_out, f"{where}.held_out")
        value = {k: v for k, v in value.items() if k != "held_out"}
    _settings(value, where)
    if "test_split" in value:
        number(0, 1)(value["test_split"], f"{where}.test_split")
    if "seed" in value:
        integer(0, 2**63 - 1)(value["seed"], f"{where}.seed")
    for key in ("data", "test_data", "target"):
        if value.get(key) is not None and not isinstance(value[key], (str, int)):
            raise Invalid(f"{where}.{key}", "a string", value[key])
    return value if held_out is None else {**value, "held_out": held_out}


# ---- the whole file ------------------------------------------------------------------------------
def check_metadata(meta):
    """(metadata with every field checked, {array name: shape}); ModelFileError saying which field is wrong."""
    if not isinstance(meta, dict):
        raise ModelFileError(f"not a backprop model file (metadata is a {type(meta).__name__}, not an object)")
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"not a backprop model file (format {str(meta.get('format'))[:40]!r})")
    if meta.get("version") != VERSION:
        raise ModelFileError(f"model format version {str(meta.get('version'))[:20]} is not supported "
                             f"(this backprop reads version {VERSION}); upgrade backprop")
    try:
        checked = METADATA(meta, "")
        arrays = _expected_arrays(checked)
    except Invalid as exc:
        raise ModelFileError(str(exc)) from None
    return checked, arrays


def check_network(sizes, dtype, buffers=0):
    """Refuse, before anything is allocated, layers a model file could not hold (count, or bytes with the
    optimizer's buffers copies of the parameters): a ModelFileError saying how much and what to change."""
    if len(sizes) - 1 > MAX_LAYERS:
        raise ModelFileError(f"{len(sizes) - 2} hidden layers: a model file holds at most {MAX_LAYERS} layers; "
                             "use fewer")
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    total = n_params * (4 if dtype == "float32" else 8) * (1 + buffers)
    if total > MAX_ARRAY_BYTES:
        state = f" and the optimizer's {buffers} state cop{'y' if buffers == 1 else 'ies'}" if buffers else ""
        raise ModelFileError(f"layers {sizes[:6]}{'...' if len(sizes) > 6 else ''}: the weights{state} would take "
                             f"{total / 2**20:.0f} MiB, more than the {MAX_ARRAY_BYTES >> 20} MiB a model file "
                             "holds; refused before training. Use fewer or smaller layers")


def _check_layers_and_scaling(meta, sizes, L):
    """The activations fit the layer sizes, and the scaler is the one data.scale says the inputs had."""
    if L < 1:
        raise Invalid("sizes", "at least an input and an output size", sizes)
    if len(meta["activations"]) != L:
        raise Invalid("activations", f"a list of {L} names, one per layer of sizes {sizes}", meta["activations"])
    for l, name in enumerate(meta["activations"][:-1]):
        string(HIDDEN_ACTIVATIONS)(name, f"activations[{l}]")
    scale = (meta.get("data") or {}).get("scale")
    kind = (meta.get("scaler") or {"kind": "none"})["kind"]
    if scale is not None and scale != kind:  # a scaler removed or swapped: predictions would be silently unscaled
        raise Invalid("scaler", f"a {scale} scaler, as data.scale says the inputs were scaled", meta.get("scaler"))


def _expected_arrays(meta):
    """{array name: shape} the file must hold, after checking the fields whose lengths follow the layer sizes."""
    sizes, L = meta["sizes"], len(meta["sizes"]) - 1
    _check_layers_and_scaling(meta, sizes, L)
    itemsize = 4 if meta["dtype"] == "float32" else 8
    shapes = {}
    for l in range(L):
        shapes[f"W{l}"], shapes[f"b{l}"] = (sizes[l + 1], sizes[l]), (sizes[l + 1],)
    n_params = sum(math.prod(s) for s in shapes.values())
    training = meta.get("training")
    buffers = {} if not training else training["optimizer"].get("state", {})
    total = n_params * itemsize * (1 + len(buffers))
    if total > MAX_ARRAY_BYTES:
        raise ModelFileError(f"the metadata declares layers {sizes[:6]}{'...' if len(sizes) > 6 else ''}: "
                             f"{total / 2**20:.0f} MiB of arrays, more than the {MAX_ARRAY_BYTES >> 20} MiB "
                             "a model file may hold; refused")
    for key, count in buffers.items():
        if count != 2 * L:
            raise Invalid(f"training.optimizer.state.{key}", f"{2 * L} (one buffer per weight and bias array)", count)
        order = [f"W{l}" for l in range(L)] + [f"b{l}" for l in range(L)]
        for i, name in enumerate(order):
            shapes[f"opt_{key}_{i}"] = shapes[name]
    if training:
        history = training["history"]
        lengths = {len(history[name]) for name in PER_EPOCH}
        if len(lengths) != 1:
            raise Invalid("training.history", "lists of one length (one entry per epoch)",
                          {name: len(history[name]) for name in PER_EPOCH})
        settings = training["optimizer"].get("settings", {})
        takes = OPTIMIZERS[training["optimizer"]["name"]].options
        for name in settings:
            if name not in takes:
                raise Invalid(f"training.optimizer.settings.{name}",
                              f"absent (the {training['optimizer']['name']} optimizer takes {', '.join(takes)})",
                              settings[name])
    n_in, n_out = sizes[0], sizes[-1]
    for name in ("scaler", "target_scaler"):
        scaler = meta.get(name)
        if scaler and scaler["kind"] != "none":
            width = n_in if name == "scaler" else None
            center, scale = scaler.get("center"), scaler.get("scale")
            if center is None or scale is None or len(center) != len(scale) or (width and len(center) != width):
                raise Invalid(f"{name}.center", f"a list of {width or 'as many'} numbers as scale", center)
    if meta.get("classes") is not None:
        classes = meta["classes"]
        if len(classes) != max(n_out, 2) or len(set(map(repr, classes))) != len(classes):
            raise Invalid("classes", f"{max(n_out, 2)} distinct labels (the network has {n_out} outputs)", classes)
    elif meta.get("task") == "classification":
        raise Invalid("classes", "a list of labels for a classification model", None)
    names = meta.get("feature_names")
    if names and len(names) != n_in:
        raise Invalid("feature_names", f"{n_in} names, one per input", f"{len(names)} names")
    return shapes
