"""One page's state: its settings, its data, the Network the server trains, and what the page draws.

Numbers the page shows come from here: losses from the network's cost, maps from one forward pass
over a grid of points, weights as the network holds them.
"""

import base64
import math
from dataclasses import dataclass, field

import numpy as np

from . import datasets, engine

GRID = 50                      # each unit's map is GRID x GRID pixels
N_POINTS = 400                 # points in a generated data set
HIDDEN = ("tanh", "sigmoid", "relu", "leaky_relu", "identity")
PAGE_OPTIMIZERS = ("sgd", "momentum", "adam")  # the page's menu: a subset of training's OPTIMIZERS
MAX_HIDDEN_LAYERS, MAX_UNITS = 6, 8
EXAMPLE = "worked-example"     # the reference's 2-3-2 network (backprop explain's)
UPLOAD = "upload"
DATASETS = datasets.CLASSIFICATION + datasets.REGRESSION + (EXAMPLE, UPLOAD)
# What each setting may be: the training options' own specs where the page has one (narrowed to what a
# page trains in a moment), the page's own otherwise. check() applies them; the server sends them to the
# page as JSON (GET /api/options), which builds its controls from them.
SPECS = {
    "dataset": engine.Spec(str, "the data set", choices=DATASETS),
    "problem": engine.Spec(str, "what to predict", choices=engine.TASKS),
    "classes": engine.Spec(int, "classes of the spiral and gauss sets", low=2, high=5),
    "noise": engine.Spec(float, "noise added to the points", low=0, high=0.5),
    "train_ratio": engine.Spec(float, "fraction of the points used for training", low=0.1, high=0.9),
    "batch_size": engine.training_spec("batch_size", high=1000, none=""),
    "learning_rate": engine.training_spec("learning_rate", high=10, none=""),
    "optimizer": engine.training_spec("optimizer", choices=PAGE_OPTIMIZERS),
    "l2": engine.training_spec("weight_decay", high=1, none=""),
    "l1": engine.training_spec("l1", high=1),
    "seed": engine.training_spec("seed", high=2**32 - 1, none=""),  # numpy's seeds, and exact in JSON
    "weights_seed": engine.Spec(int, "the seed of the starting weights (Reset draws a new one)", low=0, high=2**32 - 1),
}


@dataclass
class Settings:
    """Everything the URL holds; check() turns any bad value into a ConfigError."""

    dataset: str = "circle"
    problem: str = "classification"
    classes: int = 2
    noise: float = 0.0          # 0..0.5
    train_ratio: float = 0.5    # fraction of the points used for training
    batch_size: int = 10
    features: list = field(default_factory=lambda: ["x1", "x2"])
    layers: list = field(default_factory=lambda: [4, 2])
    activations: list = field(default_factory=lambda: ["tanh", "tanh"])
    learning_rate: float = 0.03
    optimizer: str = "sgd"
    l2: float = 0.0
    l1: float = 0.0
    seed: int = 0               # the data: generated points and the train/test split
    weights_seed: int = 0       # the network's first weights; Reset draws new ones by counting it up

    @classmethod
    def from_dict(cls, d):
        """Settings from a JSON object: each field of its own type (no bool for a number, no null), else ConfigError."""
        if not isinstance(d, dict):
            raise engine.ConfigError(f"settings must be a JSON object, got {type(d).__name__}")
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise engine.ConfigError(f"unknown setting(s): {', '.join(str(k)[:40] for k in unknown)}")
        fields = {}
        for name, value in d.items():
            kind = KINDS[name]
            if isinstance(kind, list):
                if not isinstance(value, list) or len(value) > 16:
                    raise engine.ConfigError(f"{name} must be a list of at most 16 items, got {_shown(value)}")
                fields[name] = [_typed(f"{name}[{i}]", v, kind[0]) for i, v in enumerate(value)]
            else:
                fields[name] = _typed(name, value, kind)
        return cls(**fields).check()

    def check(self):
        def need(ok, message):
            if not ok:
                raise engine.ConfigError(message)
        for name, spec in SPECS.items():
            spec.check(name, getattr(self, name))
        need(self.features and all(f in datasets.FEATURES for f in self.features) and
             len(set(self.features)) == len(self.features),
             f"features must be distinct names from: {', '.join(datasets.FEATURES)}")
        need(len(self.layers) <= MAX_HIDDEN_LAYERS and all(1 <= n <= MAX_UNITS for n in self.layers),
             f"at most {MAX_HIDDEN_LAYERS} hidden layers of 1..{MAX_UNITS} units")
        need(len(self.activations) == len(self.layers) and all(a in HIDDEN for a in self.activations),
             f"one activation per hidden layer, each one of: {', '.join(HIDDEN)}")
        return self

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


KINDS = {**{name: spec.kind for name, spec in SPECS.items()}, "features": [str], "layers": [int], "activations": [str]}


def _typed(name, value, kind):
    """value as kind (str, int or float; a whole float is an int, a number a float), else a ConfigError naming it."""
    if kind is str and isinstance(value, str):
        return value[:100]
    if kind in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number) or abs(number) > 2**53:
            raise engine.ConfigError(f"{name} must be a finite number of at most 2^53, got {_shown(value)}")
        if kind is float:
            return number
        if number == int(number):
            return int(number)
    what = {str: "a string", int: "a whole number", float: "a number"}[kind]
    raise engine.ConfigError(f"{name} must be {what}, got {_shown(value)}")


def _shown(value):
    return "null" if value is None else f"{type(value).__name__} {str(value)[:40]}"


def check_points(points):
    """The step-through's training point indices: a list of 1 to 8 whole numbers, else a ConfigError."""
    if not isinstance(points, list) or not 1 <= len(points) <= 8:
        raise engine.ConfigError(f"points must be a list of 1 to 8 training point indices, got {_shown(points)}")
    return [_typed(f"points[{i}]", p, int) for i, p in enumerate(points)]


def options():
    """What the page may choose, JSON-ready: each setting's spec, the defaults, and the network's limits."""
    return {"settings": {name: spec.to_dict() for name, spec in SPECS.items()}, "defaults": Settings().as_dict(),
            "datasets": {"classification": list(datasets.CLASSIFICATION), "regression": list(datasets.REGRESSION)},
            "features": list(datasets.FEATURES), "activations": list(HIDDEN), "max_layers": MAX_HIDDEN_LAYERS,
            "max_units": MAX_UNITS}


class Session:
    """A network, its data and its training, for one page."""

    def __init__(self, settings, upload=None):
        self.settings = settings
        self.upload = upload           # (X, y, feature_names, target_name) of the user's CSV, or None
        self.message = None
        self.reset()

    # ---- building ----------------------------------------------------------------------------
    def reset(self):
        """New data and a new network from the settings (seeded: the same settings give the same start)."""
        s = self.settings
        rng = np.random.default_rng(s.seed)
        self.epoch, self.curve = 0, []
        if s.dataset == EXAMPLE:
            return self._load_example()
        if s.dataset == UPLOAD:
            raw, y, self.feature_names, self.target_name = self.upload[:4]
            numeric = y.dtype.kind in "iuf"
            labels = y.dtype.kind in "iuUSOb"
            self.task = "regression" if numeric and (s.problem == "regression" or not labels) else "classification"
            one_hot = len(self.upload) > 4 and bool(self.upload[4].categories)
            self.plane = raw.shape[1] == 2 and not one_hot  # two numeric columns: a plane to draw
            self.raw_names = list(self.feature_names)
        else:
            self.task = "classification" if s.dataset in datasets.CLASSIFICATION else "regression"
            classes = s.classes if s.dataset in ("spiral", "gauss") else 2
            raw, y = datasets.generate(s.dataset, N_POINTS, s.noise, classes, rng)
            self.plane, self.raw_names, self.target_name = True, ["x1", "x2"], "label"
        order = rng.permutation(len(raw))
        n_train = max(1, min(len(raw) - 1, int(round(s.train_ratio * len(raw)))))
        self.raw_train, self.raw_test = raw[order[:n_train]], raw[order[n_train:]]
        self.y_train_raw, self.y_test_raw = y[order[:n_train]], y[order[n_train:]]
        self.feature_names = s.features if self.plane else self.raw_names
        self.classes = None
        if self.task == "classification":
            self.classes = [c.item() if isinstance(c, np.generic) else c for c in np.unique(y)]
            if len(self.classes) < 2:
                raise engine.DataError("classification needs at least two classes in the target")
            if len(self.classes) > 20:
                raise engine.DataError(f"{len(self.classes)} classes: choose the regression problem type")
        X_train = self._inputs_raw(self.raw_train)
        self.scaler = engine.Scaler.fit(X_train, "standard")
        self.X_train = self.scaler.transform(X_train)
        self.X_test = self.scaler.transform(self._inputs_raw(self.raw_test))
        self.Y_train, self.Y_test = self._targets(self.y_train_raw), self._targets(self.y_test_raw)
        k = len(self.classes) if self.classes else self.Y_train.shape[1]
        n_out, output, cost = engine.output_layer(self.task, k)
        self.net = engine.Network([self.X_train.shape[1], *s.layers, n_out], activation=list(s.activations),
                                  output=output, cost=cost, seed=s.weights_seed)
        self._prepare_grid()
        self._record()

    def _load_example(self):
        self.net, X, Y = engine.worked_example()
        self.settings.layers, self.settings.activations, self.settings.features = [3], ["sigmoid"], ["x1", "x2"]
        self.task, self.classes, self.plane = "regression", None, True
        self.feature_names, self.raw_names, self.target_name = ["x1", "x2"], ["x1", "x2"], "y"
        self.scaler = engine.Scaler()
        self.raw_train, self.raw_test = X, X[:0]
        self.X_train, self.X_test, self.Y_train, self.Y_test = X, X[:0], Y, Y[:0]
        self.y_train_raw, self.y_test_raw = Y, Y[:0]
        self._prepare_grid()
        self._record()

    def _inputs_raw(self, raw):
        """The network's raw inputs: the chosen features of points on the plane, else the file's columns."""
        return datasets.features(raw, self.settings.features) if self.plane else raw

    def _targets(self, y):
        if self.task == "classification":
            kind = object if isinstance(self.classes[0], str) else None
            index = np.searchsorted(np.array(self.classes, dtype=kind), y)
            units = engine.output_layer(self.task, len(self.classes))[0]
            return index.reshape(-1, 1).astype(float) if units == 1 else np.eye(units)[index]
        y = np.asarray(y, dtype=float)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _prepare_grid(self):
        self.grid_inputs, self.domain = None, None
        if not self.plane:
            return
        points = np.concatenate([self.raw_train, self.raw_test])
        if self.settings.dataset in datasets.CLASSIFICATION + datasets.REGRESSION:
            lo, hi = datasets.DOMAIN
            self.domain = [lo, hi, lo, hi]
        else:
            lo, hi = points.min(axis=0), points.max(axis=0)
            pad = np.maximum((hi - lo) * 0.1, 0.5)
            self.domain = [float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])]
        x1 = np.linspace(self.domain[0], self.domain[1], GRID)
        x2 = np.linspace(self.domain[3], self.domain[2], GRID)  # top row first: x2 grows upwards
        g1, g2 = np.meshgrid(x1, x2)
        self.grid_inputs = self.scaler.transform(self._inputs_raw(np.column_stack([g1.ravel(), g2.ravel()])))

    # ---- training ----------------------------------------------------------------------------
    def step(self, epochs=1, stop=None):
        """Train for epochs more epochs with the settings' optimizer; a divergence pauses with a message.

        stop: a threading.Event; once set (the server is shutting down) no further epoch starts.
        """
        s = self.settings
        self.message = None
        for _ in range(epochs):
            if stop is not None and stop.is_set():
                return False
            try:
                engine.train_epochs(self.net, self.X_train, self.Y_train, 1, batch_size=s.batch_size,
                                    learning_rate=s.learning_rate, optimizer=s.optimizer, weight_decay=s.l2,
                                    l1=s.l1, seed=s.seed)
            except engine.DivergenceError as exc:
                self.message = str(exc)
                return False
            self.epoch += 1
            self._record()
        return True

    def _record(self):
        test = self.net.cost(self.X_test, self.Y_test) if len(self.X_test) else None
        self.curve.append([self.epoch, self.net.cost(self.X_train, self.Y_train), test])

    # ---- what the page draws -----------------------------------------------------------------
    def data(self):
        """The points (raw coordinates and labels), sent once per reset."""
        def rows(P, y):
            if not self.plane:
                return []
            labels = self._targets(y)
            values = engine.class_indices(labels)
            return [[round(float(p[0]), 4), round(float(p[1]), 4), round(float(v), 4)] for p, v in zip(P, values)]
        return {"task": self.task, "classes": self.classes, "plane": self.plane, "domain": self.domain,
                "features": self.feature_names, "sizes": self.net.sizes,
                "activations": [act.name for act in self.net.activations], "cost": self.net.cost_function.name,
                "train": rows(self.raw_train, self.y_train_raw), "test": rows(self.raw_test, self.y_test_raw),
                "grid": GRID, "target_range": self._target_range(), "settings": self.settings.as_dict(),
                "n_train": len(self.X_train), "target": self.target_name}

    def _target_range(self):
        if self.task == "classification":
            return [0.0, 1.0]
        return [float(self.Y_train.min()), float(self.Y_train.max())]

    def frame(self, since=0):
        """Weights, losses (the curve from epoch since on) and every unit's map, for one redraw."""
        last = self.curve[-1]
        out = {"epoch": self.epoch, "train_loss": last[1], "test_loss": last[2], "message": self.message,
               "curve": [row for row in self.curve if row[0] >= since],
               "weights": [W.tolist() for W in self.net.weights], "biases": [b.tolist() for b in self.net.biases],
               "maps": None}
        # dC/dW_l and dC/db_l (the mean of each sample's delta_l) of the cost over every training point,
        # at these weights: what "Show gradients" draws on the network
        grad_w, grad_b = self.net.gradients(self.X_train, self.Y_train)
        out["grad_w"], out["grad_b"] = [g.tolist() for g in grad_w], [g.tolist() for g in grad_b]
        if self.grid_inputs is not None:
            out["maps"] = self._maps()
        return out

    def _maps(self):
        """Each unit's a_l (l = 0: the inputs) over the grid, as base64 bytes (0..255 for -r..r, r its max |a|)."""
        z, a = engine.forward(self.net, self.grid_inputs)
        units = []
        for l in range(len(a)):  # a[0]: the inputs themselves
            layer = []
            for values in a[l]:
                r = float(np.abs(values).max()) or 1.0
                layer.append({"r": r, "data": _bytes((values / r + 1) * 127.5)})
            units.append(layer)
        out = a[-1]
        if self.task == "classification" and out.shape[0] > 1:
            output = {"kind": "classes", "class": _bytes(engine.class_indices(out, axis=0)),
                      "confidence": _bytes(out.max(axis=0) * 255)}
        elif self.task == "classification":
            output = {"kind": "binary", "p": _bytes(out[0] * 255)}
        else:
            lo, hi = self._target_range()
            span = max(hi - lo, 1e-12)
            output = {"kind": "regression", "lo": lo, "hi": hi, "v": _bytes((out[0] - lo) / span * 255)}
        return {"units": units, "output": output}

    # ---- step-through ------------------------------------------------------------------------
    def explain(self, indices, learning_rate):
        """explain's JSON for one SGD step on the training points at indices (the network is not changed)."""
        if not indices or len(indices) > 8:
            raise engine.ConfigError("select 1 to 8 training points")
        if any(not 0 <= i < len(self.X_train) for i in indices):
            raise engine.ConfigError(f"training points are numbered 1..{len(self.X_train)}")
        step = engine.explain_step(self.net, self.X_train[indices], self.Y_train[indices], learning_rate)
        step["rows"] = [i + 1 for i in indices]  # 1-based, as the page numbers the training points
        step["epoch"] = self.epoch  # the weights it explains: the page refreshes it when training moves on
        s = self.settings
        if s.optimizer != "sgd" or s.l2 or s.l1:  # the update shown is the derivation's; say how training's differs
            rates = " and".join(f" {name} rate {rate}" for name, rate in (("L2", s.l2), ("L1", s.l1)) if rate)
            rates = f" with{rates}" if rates else ""
            step["stages"][-1]["general"].append(f"training itself steps with {s.optimizer}{rates}; the step shown "
                                                 "is plain gradient descent on C, as the equations above")
        return step

    def vanishing(self, depth=6, width=6, samples=16):
        """explain's JSON for a deep sigmoid and a deep relu network on the first training points."""
        X, Y = self.X_train[:samples], self.Y_train[:samples]
        out = {}
        for name in ("sigmoid", "relu"):
            sizes = [X.shape[1]] + [width] * depth + [self.net.sizes[-1]]
            net = engine.Network(sizes, activation=[name] * depth, output=self.net.activations[-1].name,
                                 cost=self.net.cost_function.name, seed=self.settings.seed)
            out[name] = engine.explain_step(net, X, Y, self.settings.learning_rate)
        return out

    def model(self):
        """A backprop Model of the network (scaler, classes, feature names) for `backprop predict`."""
        encoder = self.upload[4] if self.settings.dataset == UPLOAD and len(self.upload) > 4 else None
        extra = {"encoder": encoder} if encoder is not None and not self.plane else {}
        return engine.Model(self.net, self.task, self.classes, self.scaler, engine.Scaler(),
                            list(self.feature_names), self.target_name, {"data": f"playground:{self.settings.dataset}"},
                            **extra)


def _bytes(values):
    return base64.b64encode(np.clip(np.rint(values), 0, 255).astype(np.uint8).tobytes()).decode("ascii")
