"""`backprop train`: options, data, the training run, its folder, model and plots.

The flags and the TOML keys come from two dataclasses: SetupOptions below (the data and the
network) and backprop.training.TrainingOptions (how to train). Each option is declared once.
"""

import argparse
import os
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .. import io as model_io
from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..costs import COSTS
from ..data.datasets import NAMES as BUILT_IN
from ..data.preprocessing import SCALES
from ..data.sources import check_task
from ..errors import ConfigError, DataError
from ..metrics import evaluation
from ..tasks import TASKS, output_layer
from ..training import Callback, Interrupted, TrainingOptions, state_of, train
from ..training.options import Checked, option
from .common import check_output, parse_layers, say
from .options import add_arguments, cli_defaults


@dataclass(frozen=True)
class SetupOptions(Checked):
    """What to train on and what network to build: the options of `backprop train` beside TrainingOptions."""

    data: str = option("digits", str, "built-in data set name, a .csv or .npz file, or mnist:DIR")
    target: str | None = option(None, str, "target column of a CSV, by name or index", none="the last column")
    task: str = option("auto", str, "what to predict", choices=("auto", *TASKS))
    layers: str = option("128", str, "hidden layer sizes, comma-separated, e.g. 64,32 ('' for none)")
    activation: str = option("relu", str, "hidden layers' activation", choices=HIDDEN_ACTIVATIONS)
    output: str | None = option(None, str, "output activation", choices=OUTPUT_ACTIVATIONS,
                                none="softmax for 3 or more classes, one sigmoid unit for 2, identity for regression")
    cost: str | None = option(None, str, "cost", choices=tuple(COSTS),
                              none="cross_entropy with softmax, binary_cross_entropy with sigmoid (classes), else mse")
    test_split: float = option(0.2, float, "fraction held out for the final test", low=0, high=1, high_open=True)
    test_data: str | None = option(None, str, "a separate test file instead of --test-split", none="none")
    dtype: str = option("float64", str, "floating-point type of the network", choices=("float32", "float64"))
    scale: str = option("standard", str, "input scaling", choices=SCALES)
    out: str | None = option(None, str, "where to write: PATH.npz is the model file (its plots go in the folder "
                             "PATH-plots/); any other PATH is a run folder holding model.npz and the plots",
                             none="a new run folder runs/NAME-NNN")
    features: str | None = option(None, str, "CSV columns to use as features, comma-separated",
                                  none="every column but the target")
    drop: str | None = option(None, str, "CSV columns to leave out, comma-separated (an id column, say)", none="none")
    impute: str = option("none", str, "fill missing CSV cells: mean (numbers) or most frequent value; "
                         "none makes a missing cell an error naming its row and column",
                         choices=("none", "mean", "most_frequent"))
    header: bool = option(True, bool, "a CSV's first row names its columns; false (or --no-header): every row is "
                          "data and the columns are col1..colN")
    max_categories: int = option(1000, int, "most distinct values a text column (or text target) may hold; past "
                                 "it an error names the column", low=1)


def register(sub):
    p = sub.add_parser("train", help="train a network (default: on the bundled digits)")
    add_arguments(p, SetupOptions)
    add_arguments(p, TrainingOptions, skip=("class_weight", "shuffle", "max_weight_growth"))
    p.add_argument("--no-header", dest="header", action="store_const", const=False,
                   help="the CSV has no header row: same as --header false (default: off)")
    p.add_argument("--config", help="a TOML file of these options (flags override it) (default: none)")
    p.add_argument("--checkpoint", action="store_true", help="save the model after every epoch (default: off)")
    p.add_argument("--force", action="store_true", help="overwrite an existing model file at --out "
                   "(default: refuse)")
    p.add_argument("--resume", metavar="MODEL", help="continue training a saved model (file or run folder) for "
                                                     "--epochs more (default: none, a new model)")
    p.add_argument("--plot", action="store_true", help="also draw what the network learned: boundaries over time "
                   "and hidden units (2-D classification data only; refused otherwise) (default: off)")
    p.add_argument("--no-plots", action="store_true", help="write no PNG files (default: off)")
    p.add_argument("--quiet", action="store_true", help="print only the final result (default: off)")
    p.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="read a CSV or Parquet table from disk in batches every epoch instead of into memory; "
                        "peak memory does not grow with its rows (default: only when the data would not fit "
                        "in half the available memory; --no-stream: never)")
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


# ---- the command ---------------------------------------------------------------------------------
def run(args):
    from ..data.sources import infer_task, load_source
    started = time.perf_counter()
    resumed = None
    saved = None
    if args.resume:
        from .common import load_model
        resumed = load_model(args.resume)
        if state_of(resumed.network) is None:
            raise ConfigError(f"{args.resume}: this model holds no training state to resume")
        saved = {**state_of(resumed.network).options.as_dict(), **_saved_setup(resumed, args)}
    setup, options, given = settings(args, saved)
    if args.plot and args.no_plots:
        raise ConfigError("--plot and --no-plots contradict each other; pass one")
    model_path, folder = output_paths(setup.out)
    if setup.out:  # the overwrite rule, before anything is read or trained
        check_output(model_path or os.path.join(folder, "model.npz"),
                     [args.resume, setup.data, setup.test_data, args.config], args.force, "model")
    from .streaming import train_streamed, wants_stream
    if wants_stream(args.stream, setup.data):
        return train_streamed(args, setup, options)
    from ..data.sources import parse_columns
    dataset = load_source(setup.data, setup.target, options.seed, features=parse_columns(setup.features),
                          drop=parse_columns(setup.drop), impute=setup.impute, header=setup.header,
                          max_categories=setup.max_categories,
                          **({"columns": resumed.encoder.columns, "encoder": resumed.encoder}
                             if resumed and resumed.encoder.active else {}))
    setup, options = small_data(args, setup, options, given, dataset, resumed)
    task = resumed.task if resumed else infer_task(dataset.y, setup.task, dataset.task)
    check_task(dataset.y, setup.task)
    if args.plot and not plottable(dataset.X, task):
        raise ConfigError(f"--plot draws 2-D classification data only; {dataset.name} has "
                          f"{np.shape(dataset.X)[1]} features ({task}); leave --plot out (curves and the confusion "
                          "matrix are drawn anyway, first-layer weights for square images)")
    X_train, X_test, y_train, y_test = split_rows(setup, options, dataset, task, resumed)
    dataset.X = None  # its rows live on in the split; the whole table is not kept through training
    model = resumed or new_model(setup, options, dataset, task, X_train, y_train, y_test)
    model.data = {**asdict(setup), "held_out": row_keys(X_test, y_test) if len(X_test) <= 100_000 else None}
    inputs, targets = model.inputs(X_train), model.targets(y_train)
    check_targets(model, y_train, "the training data")
    if len(X_test):  # everything the report after training needs, checked before training
        model.inputs(X_test)
        check_targets(model, y_test, setup.test_data or "the test data")
    created = not (folder and os.path.isdir(folder))
    parent_created = not setup.out and not os.path.isdir("runs")
    if model_path is None:  # a run folder: made now, so a clash shows before training
        folder = new_run_folder(dataset.name, folder)
        model_path = os.path.join(folder, "model.npz")
    else:  # the plots' folder beside the model file is made when a plot is drawn
        created = False
    try:
        return train_in(args, options, model, inputs, targets, dataset, task, folder, started,
                        X_train, y_train, X_test, y_test, model_path)
    except BaseException:
        if created and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)  # a failed run leaves nothing behind
            if parent_created and not os.listdir("runs"):
                os.rmdir("runs")
        raise


def small_data(args, setup, options, given, dataset, resumed):
    """(setup, options) with no test or validation split for fewer than 20 samples, unless the user asked."""
    if len(dataset.X) >= 20 or resumed:
        return setup, options
    for name, where in (("test_split", "setup"), ("validation_split", "options")):
        value = getattr(setup if where == "setup" else options, name)
        if name not in given and value:
            if where == "setup":
                setup = replace(setup, test_split=0.0)
            else:
                options = replace(options, validation_split=0.0)
            say(args, f"note: only {len(dataset.X)} samples, so no {name.replace('_', ' ')} "
                      f"(pass --{name.replace('_', '-')} to insist)")
    return setup, options


def split_rows(setup, options, dataset, task, resumed):
    """(X_train, X_test, y_train, y_test), refusing a split that leaves too little to train on."""
    from ..data.sources import split
    X_train, X_test, y_train, y_test = split(dataset, task, setup.test_split, options.seed, setup.test_data,
                                             setup.target)
    if task == "classification" and not resumed:
        missing = sorted(set(np.unique(dataset.y).tolist()) - set(np.unique(y_train).tolist()), key=str)
        if missing and setup.test_data is None:
            raise ConfigError(f"--test-split {setup.test_split:g} leaves {len(y_train)} training rows, and no "
                              f"training row of class {', '.join(map(repr, missing[:3]))}; use a smaller --test-split")
    if not resumed and setup.test_data is None and setup.test_split > 0 and len(y_train) < 10:
        raise ConfigError(f"--test-split {setup.test_split:g} leaves only {len(y_train)} of {len(dataset.y)} rows "
                          "for training; use a smaller --test-split")
    return X_train, X_test, y_train, y_test


def output_paths(out):
    """(model file or None, folder): --out PATH.npz is the model file, its plots in PATH-plots/."""
    if out and out.lower().endswith(".npz"):
        if os.path.isdir(out):
            raise ConfigError(f"--out {out}: a folder of that name exists; name a new .npz file or a run folder")
        parent = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(parent):
            raise ConfigError(f"--out {out}: the folder {parent} does not exist")
        return out, out[:-4] + "-plots"
    return None, out


def row_keys(X, y):
    """A short fingerprint of each (features, label) row: evaluate --held-out finds the rows by content."""
    from ..data.preprocessing import row_fingerprints
    return row_fingerprints(X, y)


def plottable(X, task):
    """--plot draws 2-D classification data (boundaries over time and hidden units)."""
    return task == "classification" and np.asarray(X).dtype.kind == "f" and np.shape(X)[1] == 2


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
    setup.pop("held_out", None)
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
    from ..data.encoder import Encoder
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
    encoder = dataset.encoder or Encoder()  # a table's X_train holds its encoded inputs already
    warn_if_unscaled(X_train, setup.scale)
    n_out, output, cost = output_layer(task, n_out, setup.output, setup.cost)
    net = Network([X_train.shape[1], *parse_layers(setup.layers), n_out], activation=setup.activation,
                  output=output, cost=cost, seed=options.seed, dtype=setup.dtype)
    target_scaler = Scaler.fit(np.asarray(y_train, float).reshape(len(y_train), -1), "standard") \
        if task == "regression" else Scaler()
    return Model(net, task, None if classes is None else classes.tolist(), Scaler.fit(X_train, setup.scale),
                 target_scaler, encoder.input_names() if encoder.active else dataset.feature_names,
                 dataset.target_name, encoder=encoder)


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
        state_of(self.net).history.stop_reason = "checkpoint"
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


def train_in(args, options, model, inputs, targets, dataset, task, folder, started, X_train, y_train, X_test, y_test,
             model_path):
    """Train, save the model to model_path, report on the test rows and draw the plots into folder."""
    from ..training import ProgressBar
    from .progress import EpochLines
    net = model.network
    save = lambda path: model_io.save(path, net, **model.metadata())  # noqa: E731
    callbacks = [] if args.quiet else [ProgressBar(), EpochLines()]
    if args.checkpoint:
        callbacks.append(Checkpoint(save, model_path, net))
    frames = None
    if args.plot and not args.no_plots and plottable(X_train, task):
        frames = BoundaryFrames(model, X_train, options.epochs)
        callbacks.append(frames)
    say(args, f"training {net} on {dataset.name}: {len(inputs)} samples, {task}")
    if task == "regression":
        say(args, "costs are on the standardized target (mean 0, std 1); the test metrics are in its own units")
    epochs_before = state_of(net).epochs_trained if state_of(net) else 0
    try:
        history = train(net, inputs, targets, callbacks=callbacks, options=options)
    except KeyboardInterrupt as exc:
        done = state_of(net).epochs_trained if state_of(net) else 0
        if done == epochs_before:
            print("interrupted before the first epoch ended; nothing saved", file=sys.stderr)
        else:
            save(model_path)
            print(f"interrupted: saved epoch {done} to {model_path}", file=sys.stderr)
        return 128 + exc.signal if isinstance(exc, Interrupted) else 130
    if history.best_epoch is not None:
        say(args, f"stopped after {len(history)} epoch(s): {history.stop_message.split(';')[0]}; "
                  f"best epoch {history.best_epoch} restored (its weights are the ones saved)")
    else:
        say(args, f"stopped: {history.stop_message} after {len(history)} epoch(s)")
    save(model_path)
    report = None
    if len(X_test):
        report = evaluation(model, X_test, y_test)
        summary = report["summary"]
    else:
        summary = evaluation(model, X_train, y_train)["summary"].replace("test ", "training ", 1)
        summary = summary.replace("\n", " (no test set)\n", 1) if "\n" in summary else summary + " (no test set)"
    if args.quiet:
        print(summary.splitlines()[0])
    else:
        print(summary)
    if not args.no_plots:
        draw(args, model, X_train, y_train, folder, report, frames)
    seconds = f"({time.perf_counter() - started:.1f} s)"
    if model_path == os.path.join(folder, "model.npz"):
        print(f"model: {model_path}" if args.quiet else f"model and plots: {folder}/ {seconds}")
    else:
        print(f"model: {model_path}" + ("" if args.quiet or args.no_plots else f", plots: {folder}/ {seconds}"))
    return 0


def draw(args, model, X_train, y_train, folder, report, frames=None):
    """The run's PNG files: curves, confusion matrix, boundaries (2-D data), first-layer weights (images)."""
    from .. import plots
    try:
        os.makedirs(folder, exist_ok=True)
        written = [plots.curves(state_of(model.network).history, os.path.join(folder, "curves.png"),
                                standardized=model.task == "regression")]
        if report and "confusion" in report:
            written.append(plots.confusion(report["confusion"], model.classes, os.path.join(folder, "confusion.png")))
        if plottable(X_train, model.task):
            labels = model.targets(y_train)
            names = model.feature_names or ["x1", "x2"]
            written.append(plots.decision_boundary(model.predict_output, X_train, labels,
                                                   os.path.join(folder, "boundary.png"), classes=model.classes,
                                                   feature_names=names))
            if frames is not None and frames.frames:
                written.append(plots.boundary_series(frames.frames, X_train, labels,
                                                     os.path.join(folder, "boundary_epochs.png"),
                                                     classes=model.classes, feature_names=names))
            if args.plot:
                net = model.network

                def first(P):  # a_1 over the plane, one row per point
                    return net.forward(model.inputs(P).T)[1][1].T
                written.append(plots.hidden_units(first, X_train, labels, os.path.join(folder, "hidden_units.png"),
                                                  feature_names=names))
        side = int(round(np.sqrt(X_train.shape[1])))
        if side * side == X_train.shape[1] and side >= 4 and len(model.network.weights) > 1 \
                and not model.encoder.categories:
            written.append(plots.first_layer_weights(model.network.weights[0], os.path.join(folder, "weights.png")))
    except ConfigError as exc:
        print(f"note: no plots ({exc})", file=sys.stderr)
        return
    say(args, "plots: " + ", ".join(os.path.basename(p) for p in written))
