"""Every training option, declared once: type, default, help and allowed range.

The fields of TrainingOptions generate the command line's flags (backprop.cli.options builds them),
the keys of a TOML config, what a model file stores, the playground's ranges (as JSON), and the checks.
Options that belong to one optimizer or one schedule (momentum, beta1, step_size, ...) default to None,
"that optimizer's own value"; giving one to an optimizer or schedule that does not take it is an error,
never silently dropped.
"""

import inspect
import math
import numbers
from dataclasses import asdict, dataclass, field, fields, replace

from ..errors import ConfigError
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES

MAX_EPOCHS = 1_000_000
SAME = object()  # Spec.cli_default when the command line's default is the library's


@dataclass(frozen=True)
class Spec:
    """What an option's values may be: kind, inclusive or exclusive bounds, choices, None allowed."""

    kind: type
    help: str
    low: float | None = None        # value >= low (or > low when low_open)
    high: float | None = None       # value <= high (or < high when high_open)
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    none: str = ""                  # what None means; empty: None is not allowed
    cli_default: object = SAME      # the command line's default, where it differs (said in the help)

    def describe(self):
        """The allowed values in words, for messages and help."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        kind = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(self.kind, "")
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            bounds.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return kind + (" " + " and ".join(bounds) if bounds else "")

    def to_dict(self):
        """The spec as JSON-ready values: what a page needs to offer only allowed values."""
        return {"kind": self.kind.__name__, "help": self.help, "low": self.low, "high": self.high,
                "low_open": self.low_open, "high_open": self.high_open, "choices": list(self.choices),
                "none": self.none or None}

    def check(self, name, value):
        """value if it is allowed for the option called name; else ConfigError naming both."""
        if value is None:
            if self.none:
                return None
            raise ConfigError(f"{name} must be {self.describe()}, got None")
        wrong = ConfigError(f"{name} must be {self.describe()}"
                            f"{' (or None: ' + self.none + ')' if self.none else ''}, got {value!r}")
        if self.kind is bool:
            if not isinstance(value, bool):
                raise wrong
            return value
        if self.kind is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise wrong
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise wrong
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                raise wrong
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise wrong
        if self.low is not None and not (value > self.low if self.low_open else value >= self.low):
            raise wrong
        if self.high is not None and not (value < self.high if self.high_open else value <= self.high):
            raise wrong
        return value


def option(default, kind, help, **spec):
    """A dataclass field carrying its Spec."""
    return field(default=default, metadata={"spec": Spec(kind, help, **spec)})


def spec_of(f):
    return f.metadata["spec"]


def narrowed(options_class, name, **changes):
    """The Spec of options_class's option name with changes (a smaller range, fewer choices): a front end
    that allows less than the library states it from the library's own Spec."""
    spec = spec_of(next(f for f in fields(options_class) if f.name == name))
    extra = set(changes.get("choices", ())) - set(spec.choices)
    if extra:
        raise ValueError(f"{name}: {sorted(extra)} are not choices of the option")
    return replace(spec, **changes)


class Checked:
    """A frozen dataclass of option() fields whose values are checked against their Specs on creation."""

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, self._check_field(f, getattr(self, f.name)))

    def _check_field(self, f, value):
        return spec_of(f).check(f.name, value)


@dataclass(frozen=True)
class TrainingOptions(Checked):
    """How to train: each field is one option (see its Spec for the allowed values)."""

    epochs: int = option(30, int, "passes over the training data", low=1, high=MAX_EPOCHS)
    batch_size: int | None = option(32, int, "samples per mini-batch", low=1, none="the whole data set in one batch")
    optimizer: str = option("adam", str, "how gradients become steps", choices=tuple(OPTIMIZERS))
    learning_rate: float | None = option(None, float, "step size", low=0, low_open=True,
                                         none="the optimizer's own: sgd 0.1, momentum and nesterov 0.01, adam 0.001")
    momentum: float | None = option(None, float, "momentum and nesterov: velocity kept per step", low=0, high=1,
                                    high_open=True, none="0.9")
    beta1: float | None = option(None, float, "adam, adamw: decay of the first moment", low=0, high=1,
                                 high_open=True, none="0.9")
    beta2: float | None = option(None, float, "adam, adamw: decay of the second moment", low=0, high=1,
                                 high_open=True, none="0.999")
    eps: float | None = option(None, float, "adam, adamw: added to the denominator", low=0, low_open=True,
                               high=1, none="1e-8")
    weight_decay: float | None = option(None, float, "L2 penalty on the weights (decoupled in adamw)", low=0,
                                        high=1e6, none="0, or 0.01 for adamw")
    l1: float = option(0.0, float, "L1 penalty on the weights: l1 sign(W) added to their gradient", low=0,
                       high=1e6)
    schedule: str = option("constant", str, "learning rate over the epochs", choices=tuple(SCHEDULES))
    step_size: int | None = option(None, int, "step schedule: epochs between drops", low=1, none="10")
    gamma: float | None = option(None, float, "step and exponential schedules: factor per drop or epoch", low=0,
                                 high=1, low_open=True, none="0.5 for step, 0.95 for exponential")
    validation_split: float = option(0.0, float, "fraction of the training data held out for validation", low=0,
                                     high=1, high_open=True, cli_default=0.1)
    early_stopping: int | None = option(None, int, "patience: stop after this many epochs without a better "
                                        "validation cost, and restore the best epoch", low=1, none="off")
    tol: float | None = option(None, float, "stop once the training cost is below this", low=0, none="off")
    max_weight_growth: float | None = option(1e3, float, "diverged once the weights' norm grows past this many "
                                             "times its start", low=1, low_open=True, none="off")
    class_weight: str | dict | None = option(None, str, "weigh classes by inverse frequency", choices=("balanced",),
                                      none="equal weights")
    shuffle: bool = option(True, bool, "shuffle the samples every epoch")
    seed: int | None = option(None, int, "seed for shuffling and the validation split", low=0, high=2**63 - 1,
                              none="the network's seed", cli_default=0)

    def _check_field(self, f, value):
        if f.name == "class_weight" and isinstance(value, dict):  # from Python: {class index: weight}
            if not all(isinstance(k, int) or (isinstance(k, str) and k.isdigit()) for k in value):
                raise ConfigError(f"class_weight keys must be class indices 0, 1, ..., got {list(value)[:5]!r}")
            return {int(k): Spec(float, "", low=0).check(f"class_weight[{k}]", v) for k, v in value.items()}
        return super()._check_field(f, value)

    def __post_init__(self):
        super().__post_init__()
        self._check_belongs("optimizer", self.optimizer, OPTIMIZERS[self.optimizer].options,
                            ("momentum", "beta1", "beta2", "eps"))
        schedule_takes = tuple(inspect.signature(SCHEDULES[self.schedule]).parameters)
        self._check_belongs("schedule", self.schedule, schedule_takes, ("step_size", "gamma"))

    def _check_belongs(self, what, chosen, takes, names):
        for name in names:
            if getattr(self, name) is not None and name not in takes:
                raise ConfigError(f"{name} is not an option of the {chosen} {what}; "
                                  f"leave it out or choose a {what} that takes it")

    @classmethod
    def build(cls, base=None, **changes):
        """Options from a base (TrainingOptions, a dict, or None for the defaults) and keyword changes."""
        if isinstance(base, dict):
            return cls.from_dict(base, **changes)
        unknown = sorted(set(changes) - set(cls.names()))
        if unknown:
            raise ConfigError(f"unknown training option(s) {', '.join(unknown)}; valid: {', '.join(cls.names())}")
        return replace(base or cls(), **changes)

    @classmethod
    def from_dict(cls, values, where="", **changes):
        """Options from a mapping (a TOML table, a model file's metadata), every value checked."""
        if not isinstance(values, dict):
            raise ConfigError(f"{where}training options must be a table of names and values, "
                              f"got {type(values).__name__}")
        unknown = sorted(set(values) - set(cls.names()))
        if unknown:
            raise ConfigError(f"{where}unknown training option(s) {', '.join(unknown)}; "
                              f"valid: {', '.join(cls.names())}")
        try:
            return cls(**{**values, **changes})
        except ConfigError as exc:
            raise ConfigError(f"{where}{exc}") from None

    @classmethod
    def names(cls):
        return [f.name for f in fields(cls)]

    def optimizer_settings(self):
        """The options the chosen optimizer takes, those left at None omitted (its own defaults)."""
        takes = OPTIMIZERS[self.optimizer].options
        return {name: getattr(self, name) for name in takes if getattr(self, name) is not None}

    def schedule_settings(self):
        """The options the chosen schedule takes, those left at None omitted (its own defaults)."""
        return {name: getattr(self, name) for name in ("step_size", "gamma") if getattr(self, name) is not None}

    def as_dict(self):
        """The options as plain values (JSON-ready)."""
        return asdict(self)
