"""`backprop train`: options, data, the training run, its folder, model and plots.

The flags and the TOML keys come from two dataclasses: SetupOptions below (the data and the
network) and backprop.training.TrainingOptions (how to train). Each option is declared once.
"""

import os
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, fields

import numpy as np

from .. import io as model_io
from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..costs import COSTS
from ..data.datasets import NAMES as BUILT_IN
from ..data.preprocessing import SCALES
from ..data.sources import TASKS
from ..errors import ConfigError, DataError
from ..training import Callback, Interrupted, TrainingOptions, train
from ..training.options import Checked, add_arguments, cli_defaults, option
from .common import check_output, parse_layers, say
from .evaluate import evaluation


@dataclass(frozen=True)
class SetupOptions(Checked):
    """What to train on and what network to build: the options of `backprop train` beside TrainingOptions."""

    data: str = option("digits", str, "built-in data set name, a .csv or .npz file, or mnist:DIR")
    target: str | None = option(None, str, "target column of a CSV, by name or index", none="the last column")
    task: str = option("auto", str, "what to predict", choices=TASKS)
    layers: str = option("128", str, "hidden layer sizes, comma-separated, e.g. 64,32 ('' for none)")
    activation: str = option("relu", str, "hidden layers' activation", choices=HIDDEN_ACTIVATIONS)
    output: str | None = option(None, str, "output activation", choices=OUTPUT_ACTIVATIONS,
                                none="softmax for classification, identity for regression")
    cost: str | None = option(None, str, "cost", choices=tuple(COSTS),
                              none="cross_entropy with softmax, else mse")
    test_split: float = option(0.2, float, "fraction held out for the final test", low=0, high=1, high_open=True)
    test_data: str | None = option(None, str, "a separate test file instead of --test-split", none="none")
    dtype: str = option("float64", str, "floating-point type of the network", choices=("float32", "float64"))
    scale: str = option("standard", str, "input scaling", choices=SCALES)
    out: str | None = option(None, str, "run folder", none="a new runs/NAME-NNN")


def register(sub):
    p = sub.add_parser("train", help="train a network (default: on the bundled digits)")
    add_arguments(p, SetupOptions)
    add_arguments(p, TrainingOptions, skip=("class_weight", "shuffle", "max_weight_growth"))
    p.add_argument("--config", help="a TOML file of these options (flags override it)")
    p.add_argument("--checkpoint", action="store_true", help="save the model after every epoch")
    p.add_argument("--force", action="store_true", help="overwrite the model.npz of an existing --out folder")
    p.add_argument("--resume", metavar="MODEL", help="continue training a saved model for --epochs more")
    p.add_argument("--plot", action="store_true", help="also draw what the network learned (2-D data, images)")
    p.add_argument("--no-plots", action="store_true", help="write no PNG files")
    p.add_argument("--quiet", action="store_true", help="print only the final result")
    p.set_defaults(run=run)


# ---- options: defaults, then a saved model's (on --resume), then the config file, then the flags --------
def read_config(path):
    """{option: value} from a TOML file."""
    if os.path.exists(path) and not os.path.isfile(path):
        raise ConfigError(f"{path}: not a regular file; --config names a TOML file")
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    table = {k.replace("-", "_"): v for k, v in table.items()}
    if isinstance(table.get("layers"), list) and all(isinstance(n, int) for n in table["layers"]):
        table["layers"] = ",".join(map(str, table["layers"]))
    return table


def settings(args, saved=None):
    """(SetupOptions, TrainingOptions, given): each value checked; given holds what the user chose."""
    setup_names = [f.name for f in fields(SetupOptions)]
    values = {**cli_defaults(SetupOptions), **cli_defaults(TrainingOptions), **(saved or {})}
    table = read_config(args.config) if args.config else {}
    unknown = sorted(set(table) - set(values))
    if unknown:
        raise ConfigError(f"{args.config}: unknown option(s) {', '.join(unknown)}; valid: {', '.join(values)}")
    flags = {k: v for k, v in vars(args).items() if k in values and v is not None}
    values.update(table)
    values.update(flags)
    where = f"{args.config}: " if args.config else ""
    try:
        setup = SetupOptions(**{k: values[k] for k in setup_names})
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    if setup.test_data is not None:
        setup = SetupOptions(**{**asdict(setup), "test_split": 0.0})
    training = TrainingOptions.from_dict({k: v for k, v in values.items() if k not in setup_names}, where=where)
    return setup, training, set(flags) | set(table)


def _apply(options, **changes):
    return type(options)(**{**asdict(options), **changes})


# ---- the command ---------------------------------------------------------------------------------
def run(args):
    from ..data.sources import infer_task, load_source, split
    started = time.perf_counter()
    resumed = None
    saved = None
    if args.resume:
        from .common import load_model
        resumed = load_model(args.resume)
        if resumed.network.training is None:
            raise ConfigError(f"{args.resume}: this model holds no training state to resume")
        saved = {**resumed.network.training.options.as_dict(), **_saved_setup(resumed, args)}
    setup, options, given = settings(args, saved)
    if setup.out:  # the overwrite rule, before anything is read or trained
        check_output(os.path.join(setup.out, "model.npz"), [args.resume, setup.data, setup.test_data, args.config],
                     args.force, "model")
    dataset = load_source(setup.data, setup.target, options.seed)
    if len(dataset.X) < 20 and not resumed:  # too few to hold any out, unless the user insists
        for name, where in (("test_split", "setup"), ("validation_split", "options")):
            value = getattr(setup if where == "setup" else options, name)
            if name not in given and value:
                if where == "setup":
                    setup = _apply(setup, test_split=0.0)
                else:
                    options = _apply(options, validation_split=0.0)
                say(args, f"note: only {len(dataset.X)} samples, so no {name.replace('_', ' ')} "
                          f"(pass --{name.replace('_', '-')} to insist)")
    task = resumed.task if resumed else infer_task(dataset.y, setup.task, dataset.task)
    X_train, X_test, y_train, y_test = split(dataset, task, setup.test_split, options.seed, setup.test_data,
                                             setup.target)
    model = resumed or new_model(setup, options, dataset, task, X_train, y_train, y_test)
    model.data = asdict(setup)
    inputs, targets = model.inputs(X_train), model.targets(y_train)
    check_targets(model, y_train, "the training data")
    if len(X_test):  # everything the report after training needs, checked before training
        model.inputs(X_test)
        check_targets(model, y_test, setup.test_data or "the test data")
    created = not (setup.out and os.path.isdir(setup.out))
    parent_created = not setup.out and not os.path.isdir("runs")
    folder = new_run_folder(dataset.name, setup.out)
    try:
        return train_in(args, options, model, inputs, targets, dataset, task, folder, started,
                        X_train, y_train, X_test, y_test)
    except BaseException:
        if created and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)  # a failed run leaves nothing behind
            if parent_created and not os.listdir("runs"):
                os.rmdir("runs")
        raise


def check_targets(model, y, where):
    """y fits the model: known class labels, or as many target columns as the network has outputs."""
    if model.task == "classification":
        model.targets(y)
        return
    k, n_out = (1 if np.ndim(y) == 1 else np.shape(y)[1]), model.network.sizes[-1]
    if k != n_out:
        raise DataError(f"{where}: {k} target column(s), but the model predicts {n_out}")


def _saved_setup(model, args):
    """The setup a model was trained with; a data file it names is used only if the user names it too."""
    setup = dict(model.data or {})
    setup.pop("out", None)
    data = setup.get("data")
    if data is not None and data not in BUILT_IN and not args.data:
        raise ConfigError(f"{args.resume} was trained on {data!r}; pass --data with that file to resume on it")
    if setup.get("test_data") is not None and not args.test_data:
        setup.pop("test_data")
    return {k: v for k, v in setup.items() if k in {f.name for f in fields(SetupOptions)}}


def new_model(setup, options, dataset, task, X_train, y_train, y_test):
    """A fresh Model: the network sized for the data, the scalers fitted on the training rows."""
    from ..data.files import warn_if_unscaled
    from ..data.preprocessing import Scaler, encode_labels
    from ..model import Model
    from ..network import Network
    classes = None
    if task == "classification":
        _, classes = encode_labels(y_train)
        if len(y_test):
            encode_labels(y_test, classes)  # a test label never seen in training: say so before training
        n_out = len(classes)
    else:
        n_out = 1 if y_train.ndim == 1 else y_train.shape[1]
    warn_if_unscaled(X_train, setup.scale)
    output = setup.output or ("softmax" if task == "classification" else "identity")
    cost = setup.cost or ("cross_entropy" if output == "softmax" else "mse")
    net = Network([X_train.shape[1], *parse_layers(setup.layers), n_out], activation=setup.activation,
                  output=output, cost=cost, seed=options.seed, dtype=setup.dtype)
    target_scaler = Scaler.fit(np.asarray(y_train, float).reshape(len(y_train), -1), "standard") \
        if task == "regression" else Scaler()
    return Model(net, task, None if classes is None else classes.tolist(), Scaler.fit(X_train, setup.scale),
                 target_scaler, dataset.feature_names, dataset.target_name)


def new_run_folder(name, out):
    """out (created if needed), or the next free runs/NAME-NNN."""
    if out:
        os.makedirs(out, exist_ok=True)
        return out
    base = os.path.join("runs", os.path.basename(name.replace("mnist:", "mnist-")).split(".")[0] or "run")
    for i in range(1, 10000):
        folder = f"{base}-{i:03d}"
        try:
            os.makedirs(folder)
            return folder
        except FileExistsError:
            continue
    raise ConfigError("no free run folder name under runs/; pass --out")


class Checkpoint(Callback):
    """Saves the model after every epoch, with the history so far."""

    def __init__(self, save, path, net):
        self.save, self.path, self.net = save, path, net

    def on_epoch_end(self, epoch, logs):
        self.net.training.history.stop_reason = "checkpoint"
        self.save(self.path)


class BoundaryFrames(Callback):
    """Records the network's class probabilities over the plane of 2-D data at a few epochs."""

    def __init__(self, model, X, epochs, steps=120):
        from ..plots import grid
        self.model, self.points = model, grid(X, steps=steps)[2]
        self.wanted = sorted({1, max(1, epochs // 8), max(1, epochs // 4), max(1, epochs // 2), epochs})
        self.frames, self.count = [], 0

    def on_epoch_end(self, epoch, logs):
        self.count += 1
        if self.count in self.wanted:
            self.frames.append((epoch, self.model.predict_output(self.points)))


def train_in(args, options, model, inputs, targets, dataset, task, folder, started, X_train, y_train, X_test, y_test):
    """Train, save the model to folder/model.npz, report on the test rows and draw the plots."""
    from ..training import ProgressBar
    net = model.network
    model_path = os.path.join(folder, "model.npz")
    save = lambda path: model_io.save(path, net, **model.metadata())  # noqa: E731
    callbacks = [] if args.quiet else [ProgressBar()]
    if args.checkpoint:
        callbacks.append(Checkpoint(save, model_path, net))
    frames = None
    if args.plot and not args.no_plots and task == "classification" and X_train.shape[1] == 2:
        frames = BoundaryFrames(model, X_train, options.epochs)
        callbacks.append(frames)
    say(args, f"training {net} on {dataset.name}: {len(inputs)} samples, {task}")
    epochs_before = net.training.epochs_trained if net.training else 0
    try:
        history = train(net, inputs, targets, callbacks=callbacks, options=options)
    except KeyboardInterrupt as exc:
        done = net.training.epochs_trained if net.training else 0
        if done == epochs_before:
            print("interrupted before the first epoch ended; nothing saved", file=sys.stderr)
        else:
            save(model_path)
            print(f"interrupted: saved epoch {done} to {model_path}", file=sys.stderr)
        return 128 + exc.signal if isinstance(exc, Interrupted) else 130
    every = max(1, len(history) // 10)
    say(args, history.table(every=every), f"stopped: {history.stop_message} after {len(history)} epoch(s)")
    save(model_path)
    report = None
    if len(X_test):
        report = evaluation(model, X_test, y_test)
        print(report["summary"])
    else:
        print(evaluation(model, X_train, y_train)["summary"].replace("test ", "training ", 1) + " (no test set)")
    if not args.no_plots:
        draw(args, model, X_train, y_train, folder, report, frames)
    print(f"model and plots: {folder}/ ({time.perf_counter() - started:.1f} s)")
    return 0


def draw(args, model, X_train, y_train, folder, report, frames=None):
    """The run's PNG files: curves, confusion matrix, boundaries (2-D data), first-layer weights (images)."""
    from .. import plots
    try:
        written = [plots.curves(model.network.training.history, os.path.join(folder, "curves.png"))]
        if report and "confusion" in report:
            written.append(plots.confusion(report["confusion"], model.classes, os.path.join(folder, "confusion.png")))
        if model.task == "classification" and X_train.shape[1] == 2:
            labels = model.targets(y_train)
            written.append(plots.decision_boundary(model.predict_output, X_train, labels,
                                                   os.path.join(folder, "boundary.png")))
            if frames is not None and frames.frames:
                written.append(plots.boundary_series(frames.frames, X_train, labels,
                                                     os.path.join(folder, "boundary_epochs.png")))
            if args.plot:
                net = model.network

                def first(P):  # a_1 over the plane, one row per point
                    return net.forward(model.inputs(P).T)[1][1].T
                written.append(plots.hidden_units(first, X_train, labels, os.path.join(folder, "hidden_units.png")))
        side = int(round(np.sqrt(X_train.shape[1])))
        if side * side == X_train.shape[1] and side >= 4 and len(model.network.weights) > 1:
            written.append(plots.first_layer_weights(model.network.weights[0], os.path.join(folder, "weights.png")))
    except ConfigError as exc:
        print(f"note: no plots ({exc})", file=sys.stderr)
        return
    say(args, "plots: " + ", ".join(os.path.basename(p) for p in written))
