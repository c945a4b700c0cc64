"""The `backprop` command: train, evaluate, predict, gradcheck, explain, info, datasets, bench."""

import argparse
import copy
import os
import sys
import time
import tomllib
import warnings

import numpy as np

from . import io as model_io
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .costs import COSTS
from .errors import BackpropError, ConfigError
from .history import Callback
from .optimizers import OPTIMIZERS
from .preprocessing import SCALES


EXTRA_COMMANDS = ("explain", "bench")  # modules that add their own subcommand


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line 'error: ...' and exit status 2."""

    def error(self, message):
        print(f"error: {message} (see: {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


# Training options: flag -> (default, type, help). The config file uses the same names.
TRAIN_OPTIONS = {
    "data": ("digits", str, "built-in data set name, a .csv or .npz file, or mnist:DIR"),
    "target": (None, str, "target column of a CSV, by name or index (default: the last)"),
    "task": ("auto", str, "auto, classification or regression"),
    "layers": ("128", str, "hidden layer sizes, comma-separated, e.g. 64,32 ('' for none)"),
    "activation": (None, str, f"hidden activation: {', '.join(HIDDEN_ACTIVATIONS)} (default relu)"),
    "output": (None, str, f"output activation: {', '.join(OUTPUT_ACTIVATIONS)} (default: from the task)"),
    "cost": (None, str, f"cost: {', '.join(COSTS)} (default: from the task)"),
    "optimizer": ("adam", str, f"optimizer: {', '.join(OPTIMIZERS)}"),
    "epochs": (30, int, "epochs to train"),
    "batch_size": (32, int, "samples per mini-batch"),
    "learning_rate": (None, float, "learning rate (default: the optimizer's)"),
    "weight_decay": (0.0, float, "L2 weight decay"),
    "schedule": ("constant", str, "learning-rate schedule: constant, step, exponential, cosine"),
    "validation_split": (0.1, float, "fraction of the training data held out for validation"),
    "test_split": (0.2, float, "fraction held out for the final test"),
    "test_data": (None, str, "a separate test file instead of --test-split"),
    "early_stopping": (None, int, "patience in epochs on the validation cost"),
    "seed": (0, int, "seed for the weights, the splits and the shuffling"),
    "dtype": ("float64", str, "float32 or float64"),
    "scale": ("standard", str, f"input scaling: {', '.join(SCALES)}"),
    "out": (None, str, "run folder (default: a new runs/NAME-NNN)"),
}


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def build_parser():
    parser = Parser(prog="backprop", description="Feedforward networks trained by backpropagation, in numpy.")
    parser.add_argument("--version", action="version", version=f"backprop {__import__('backprop').__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, required=True)

    train = sub.add_parser("train", help="train a network (default: on the bundled digits)")
    for name, (default, kind, text) in TRAIN_OPTIONS.items():
        if kind in (int, float) and name in ("epochs", "batch_size", "learning_rate", "early_stopping"):
            kind = _positive(kind)
        train.add_argument("--" + name.replace("_", "-"), type=kind, default=None, help=f"{text} [{default}]")
    train.add_argument("--config", help="a TOML file of these options (flags override it)")
    train.add_argument("--checkpoint", action="store_true", help="save the model after every epoch")
    train.add_argument("--resume", metavar="MODEL", help="continue training a saved model for --epochs more")
    train.add_argument("--plot", action="store_true", help="also draw what the network learned (2-D data, images)")
    train.add_argument("--no-plots", action="store_true", help="write no PNG files")
    train.add_argument("--quiet", action="store_true", help="print only the final result")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="accuracy and confusion matrix, or MSE, MAE and R^2")
    evaluate.add_argument("model")
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--target")
    evaluate.set_defaults(func=cmd_evaluate)

    predict = sub.add_parser("predict", help="predict labels (or values) for new data")
    predict.add_argument("model")
    predict.add_argument("--data", required=True, help="CSV or NPZ of features (a target column is dropped)")
    predict.add_argument("--target", help="name or index of a target column to drop")
    predict.add_argument("--out", help="write predictions to this CSV instead of standard output")
    predict.add_argument("--proba", action="store_true", help="add one probability column per class")
    predict.set_defaults(func=cmd_predict)

    check = sub.add_parser("gradcheck", help="compare backprop with finite differences on a random network")
    check.add_argument("--layers", default="2,3,2", help="all layer sizes, inputs to outputs [2,3,2]")
    check.add_argument("--activation", default="sigmoid")
    check.add_argument("--output", default=None)
    check.add_argument("--cost", default="mse")
    check.add_argument("--samples", type=_positive(int), default=4)
    check.add_argument("--seed", type=int, default=0)
    check.set_defaults(func=cmd_gradcheck)

    info = sub.add_parser("info", help="describe a saved model")
    info.add_argument("model")
    info.set_defaults(func=cmd_info)

    ds = sub.add_parser("datasets", help="list the built-in data sets, or download MNIST")
    ds.add_argument("action", nargs="?", choices=["list", "download"], default="list")
    ds.add_argument("name", nargs="?", choices=["mnist"])
    ds.add_argument("--dir", default="data/mnist", help="where to put downloaded files [data/mnist]")
    ds.set_defaults(func=cmd_datasets)

    for module in EXTRA_COMMANDS:
        __import__(f"backprop.{module}", fromlist=["add_parser"]).add_parser(sub)
    return parser


def main(argv=None):
    """Entry point: returns the exit status (0 ok, 1 check failed, 2 bad input, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = lambda message, *a, **k: print(f"warning: {message}", file=sys.stderr)
            return args.func(args) or 0
    except BackpropError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def say(args, *lines):
    if not getattr(args, "quiet", False):
        print(*lines, sep="\n", flush=True)


# ---- train ------------------------------------------------------------------------------------
def settings(args):
    """The training options: defaults, then the config file, then the flags given."""
    values = {name: default for name, (default, _, _) in TRAIN_OPTIONS.items()}
    if args.config:
        try:
            with open(args.config, "rb") as f:
                table = tomllib.load(f)
        except OSError as exc:
            raise ConfigError(f"{args.config}: cannot read config file ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{args.config}: not valid TOML ({exc})") from None
        table = {k.replace("-", "_"): v for k, v in table.items()}
        unknown = sorted(set(table) - set(values))
        if unknown:
            raise ConfigError(f"{args.config}: unknown option(s) {', '.join(unknown)}; valid: {', '.join(values)}")
        values.update(table)
    values.update({k: v for k, v in vars(args).items() if k in values and v is not None})
    if isinstance(values["layers"], list):
        values["layers"] = ",".join(map(str, values["layers"]))
    return argparse.Namespace(**values)


def parse_layers(text):
    try:
        sizes = [int(s) for s in str(text).replace(" ", "").split(",") if s]
    except ValueError:
        raise ConfigError(f"--layers must be comma-separated integers such as 64,32, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise ConfigError(f"--layers sizes must be >= 1, got {text!r}")
    return sizes


class Snapshot(Callback):
    """Keeps the weights and optimizer state of the last completed epoch, and saves checkpoints."""

    def __init__(self, net, path=None, save=None):
        self.net, self.path, self.save, self.epoch = net, path, save, None
        self.params = None

    def on_epoch_end(self, epoch, logs):
        self.epoch = epoch
        self.params = [p.copy() for p in self.net.weights + self.net.biases]
        self.optimizer = copy.deepcopy(self.net.optimizer)
        if self.path:
            self.save(self.path)

    def restore(self):
        for p, s in zip(self.net.weights + self.net.biases, self.params):
            np.copyto(p, s)
        self.net.optimizer, self.net.epochs_trained = self.optimizer, self.epoch


class BoundaryFrames(Callback):
    """Records the network's class probabilities over the plane of 2-D data at a few epochs."""

    def __init__(self, model, X, epochs, steps=120):
        from .plots import grid
        self.model, self.points = model, grid(X, steps=steps)[2]
        self.wanted = sorted({1, max(1, epochs // 8), max(1, epochs // 4), max(1, epochs // 2), epochs})
        self.frames, self.count = [], 0

    def on_epoch_end(self, epoch, logs):
        self.count += 1
        if self.count in self.wanted:
            self.frames.append((epoch, self.model.predict_output(self.points)))


def new_run_folder(name, out):
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


def cmd_train(args):
    from .network import Network
    from .pipeline import Model, infer_task, load_source, split
    from .preprocessing import Scaler, encode_labels
    from .progress import ProgressBar
    from .training import TrainingConfig, make_config
    opts = settings(args)
    started = time.perf_counter()
    resumed = None
    if args.resume:
        net, meta = model_io.load(args.resume)
        resumed = Model.from_metadata(net, meta)
        source = meta.get("data", {})
        for key in ("data", "target", "test_split", "test_data", "seed", "validation_split"):
            if key in source and getattr(args, key, None) is None:
                setattr(opts, key, source[key])
    dataset = load_source(opts.data, opts.target, opts.seed)
    if len(dataset.X) < 20 and not resumed:  # too few to hold any out, unless the user insists
        for option in ("test_split", "validation_split"):
            if getattr(args, option) is None and getattr(opts, option):
                setattr(opts, option, 0.0)
                say(args, f"note: only {len(dataset.X)} samples, so no {option.replace('_', ' ')} "
                          f"(pass --{option.replace('_', '-')} to insist)")
    task = resumed.task if resumed else infer_task(dataset.y, opts.task, dataset.task)
    X_train, X_test, y_train, y_test = split(dataset, task, opts.test_split, opts.seed, opts.test_data, opts.target)
    if resumed:
        model = resumed
        net = model.network
    else:
        classes = None
        if task == "classification":
            _, classes = encode_labels(y_train)
            if len(y_test):
                encode_labels(y_test, classes)  # a test label never seen in training: say so before training
            n_out = len(classes)
        else:
            n_out = 1 if y_train.ndim == 1 else y_train.shape[1]
        from .data import warn_if_unscaled
        warn_if_unscaled(X_train, opts.scale)
        output = opts.output or ("softmax" if task == "classification" else "identity")
        cost = opts.cost or ("cross_entropy" if output == "softmax" else "mse")
        net = Network([X_train.shape[1], *parse_layers(opts.layers), n_out], activation=opts.activation or "relu",
                      output=output, cost=cost, seed=opts.seed, dtype=opts.dtype)
        target_scaler = Scaler.fit(np.asarray(y_train, float).reshape(len(y_train), -1), "standard") \
            if task == "regression" else Scaler()
        model = Model(net, task, None if classes is None else classes.tolist(), Scaler.fit(X_train, opts.scale),
                      target_scaler, dataset.feature_names, dataset.target_name)
    model.data = {k: getattr(opts, k) for k in ("data", "target", "test_split", "test_data", "seed", "validation_split")}
    config = make_config(TrainingConfig(), epochs=opts.epochs, batch_size=opts.batch_size,
                         learning_rate=opts.learning_rate, optimizer=opts.optimizer, weight_decay=opts.weight_decay,
                         schedule=opts.schedule, validation_split=opts.validation_split,
                         early_stopping=opts.early_stopping, seed=opts.seed)
    inputs, targets = model.inputs(X_train), model.targets(y_train)
    created = not (opts.out and os.path.isdir(opts.out))
    folder = new_run_folder(dataset.name, opts.out)
    try:
        return _train_in(args, opts, net, model, config, inputs, targets, dataset, task, folder, started,
                         X_train, y_train, X_test, y_test)
    except BaseException:
        if created and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)  # a failed run leaves nothing behind
        raise


def _train_in(args, opts, net, model, config, inputs, targets, dataset, task, folder, started,
              X_train, y_train, X_test, y_test):
    from .progress import ProgressBar
    model_path = os.path.join(folder, "model.npz")
    save = lambda path: model_io.save(path, net, **model.metadata(), training=vars(config))  # noqa: E731
    snapshot = Snapshot(net, model_path if args.checkpoint else None, save)
    callbacks = [snapshot] + ([] if args.quiet else [ProgressBar()])
    frames = None
    if args.plot and not args.no_plots and task == "classification" and X_train.shape[1] == 2:
        frames = BoundaryFrames(model, X_train, config.epochs)
        callbacks.append(frames)
    say(args, f"training {net} on {dataset.name}: {len(inputs)} samples, {task}")
    try:
        history = net.fit(inputs, targets, callbacks=callbacks, config=config)
    except KeyboardInterrupt:
        if snapshot.epoch is None:
            print(f"interrupted before the first epoch ended; nothing saved", file=sys.stderr)
            return 130
        snapshot.restore()
        save(model_path)
        print(f"interrupted: saved epoch {snapshot.epoch} to {model_path}", file=sys.stderr)
        return 130
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
        draw(args, model, history, X_train, y_train, X_test, y_test, folder, report, frames)
    print(f"model and plots: {folder}/ ({time.perf_counter() - started:.1f} s)")
    return 0


def draw(args, model, history, X_train, y_train, X_test, y_test, folder, report, frames=None):
    from . import plots
    try:
        written = [plots.curves(model.network.history, os.path.join(folder, "curves.png"))]
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
                first = lambda P: net.activations[0].value(net.weights[0] @ model.inputs(P).T + net.biases[0][:, None]).T  # noqa: E731
                written.append(plots.hidden_units(first, X_train, labels, os.path.join(folder, "hidden_units.png")))
        side = int(round(np.sqrt(X_train.shape[1])))
        if side * side == X_train.shape[1] and side >= 4 and len(model.network.weights) > 1:
            written.append(plots.first_layer_weights(model.network.weights[0], os.path.join(folder, "weights.png")))
    except ConfigError as exc:
        print(f"note: no plots ({exc})", file=sys.stderr)
        return
    say(args, "plots: " + ", ".join(os.path.basename(p) for p in written))


# ---- evaluate, predict --------------------------------------------------------------------------
def evaluation(model, X, y):
    """Metrics of model on raw X, y: a dict with a printable 'summary'."""
    if model.task == "regression":
        predicted = model.predict_output(X).reshape(len(X), -1)
        truth = np.asarray(y, float).reshape(len(X), -1)
        mse, mae = float(((predicted - truth) ** 2).mean()), float(np.abs(predicted - truth).mean())
        r2 = 1 - ((predicted - truth) ** 2).sum() / max(((truth - truth.mean(axis=0)) ** 2).sum(), 1e-300)
        return {"mse": mse, "mae": mae, "r2": float(r2),
                "summary": f"test MSE {mse:.4g}, MAE {mae:.4g}, R^2 {r2:.4f} ({len(X)} samples)"}
    truth = model.targets(y)
    output = model.predict_output(X)
    predicted = output.argmax(axis=1) if output.shape[1] > 1 else (output[:, 0] > 0.5).astype(int)
    k = len(model.classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    accuracy = float(np.trace(confusion) / len(X))
    lines = [f"test accuracy {accuracy:.2%} ({np.trace(confusion)} of {len(X)})", "",
             f"{'class':>12} {'precision':>9} {'recall':>7} {'support':>7}"]
    for i, c in enumerate(model.classes):
        precision = confusion[i, i] / max(confusion[:, i].sum(), 1)
        recall = confusion[i, i] / max(confusion[i].sum(), 1)
        lines.append(f"{str(c):>12} {precision:>9.3f} {recall:>7.3f} {confusion[i].sum():>7d}")
    lines += ["", "confusion matrix (rows: true, columns: predicted)"]
    lines += [" ".join(f"{v:>4d}" for v in row) for row in confusion]
    return {"accuracy": accuracy, "confusion": confusion, "summary": "\n".join(lines)}


def _load_model(path):
    from .pipeline import Model
    net, meta = model_io.load(path)
    return Model.from_metadata(net, meta)


def cmd_evaluate(args):
    from .pipeline import load_source, split
    model = _load_model(args.model)
    dataset = load_source(args.data, args.target, model.data.get("seed", 0))
    if dataset.y is None:
        raise ConfigError(f"{args.data}: evaluate needs a target column")
    X, y = dataset.X, dataset.y
    if args.data == model.data.get("data") and not model.data.get("test_data"):  # the held-out part only
        _, X, _, y = split(dataset, model.task, model.data.get("test_split", 0.2), model.data.get("seed", 0))
    print(evaluation(model, X, y)["summary"])
    return 0


def cmd_predict(args):
    from .pipeline import load_source
    model = _load_model(args.model)
    n = model.network.sizes[0]
    from .errors import DataError
    try:
        dataset = load_source(args.data, args.target, 0, has_target=args.target is not None)
        has_extra = dataset.X.shape[1] == n + 1
    except DataError:
        dataset, has_extra = None, True
    if has_extra and args.target is None and args.data.lower().endswith(".csv"):
        try:  # a file with a target column as well: leave it out (by the model's target name, else the last)
            dataset = load_source(args.data, model.target_name, 0)
        except DataError:
            dataset = load_source(args.data, None, 0) if dataset is None else dataset
    labels = model.predict_labels(dataset.X)
    header = [model.target_name or "prediction"]
    columns = [labels.reshape(len(labels), -1)]
    if args.proba and model.task == "classification":
        header += [f"p_{c}" for c in model.classes]
        columns.append(np.char.mod("%.6f", model.predict_output(dataset.X)))
    rows = np.hstack([c.astype(str) for c in columns])
    text = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    if args.out:
        folder = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(folder):
            raise ConfigError(f"cannot write {args.out}: the folder {folder} does not exist")
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)
        print(f"wrote {len(rows)} predictions to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


# ---- gradcheck, info, datasets ----------------------------------------------------------------
def cmd_gradcheck(args):
    from .gradcheck import gradcheck
    from .network import Network
    sizes = parse_layers(args.layers)
    if len(sizes) < 2:
        raise ConfigError("--layers needs at least the input and output sizes, e.g. 2,3,2")
    net = Network(sizes, activation=args.activation, output=args.output, cost=args.cost, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    for b in net.biases:
        b[:] = rng.normal(scale=0.5, size=b.shape)
    X = rng.normal(size=(args.samples, sizes[0]))
    Y = rng.random((args.samples, sizes[-1]))
    if net.cost_function.name == "cross_entropy":
        Y /= Y.sum(axis=1, keepdims=True)
    result = gradcheck(net, X, Y)
    print(f"{net}, {args.samples} samples\n{result}")
    print("ok: backprop agrees with finite differences" if result.passed() else "FAILED: gradients disagree")
    return 0 if result.passed() else 1


def cmd_info(args):
    net, meta = model_io.load(args.model)
    history = net.history
    lines = [f"model:        {args.model}", f"network:      {net}", f"task:         {meta.get('task')}"]
    if meta.get("classes"):
        lines.append(f"classes:      {', '.join(map(str, meta['classes']))}")
    lines.append(f"data:         {meta.get('data', {}).get('data')}  scale: {meta.get('scaler', {}).get('kind')}")
    training = meta.get("training") or {}
    lines.append("training:     " + ", ".join(f"{k}={training[k]}" for k in
                                             ("optimizer", "learning_rate", "batch_size", "epochs") if k in training))
    if history is not None and len(history):
        lines.append(f"epochs:       {net.epochs_trained}; stopped: {history.stop_message}")
        lines.append(f"final cost:   {history.cost[-1]:.5f}" + (f", validation {history.val_cost[-1]:.5f}"
                                                                 if history.val_cost[-1] is not None else ""))
        lines += ["", history.table(every=max(1, len(history) // 10))]
    print("\n".join(lines))
    return 0


def cmd_datasets(args):
    from . import datasets
    if args.action == "download":
        if args.name != "mnist":
            raise ConfigError("usage: backprop datasets download mnist [--dir DIR]")
        folder = datasets.download_mnist(args.dir)
        print(f"MNIST files in {folder}; train with: backprop train --data mnist:{folder}")
        return 0
    print(f"{'name':<14} {'samples':>7} {'features':>8}  {'task':<15} {'classes':>7}  source")
    for name, n, d, task, k, source in datasets.describe():
        print(f"{name:<14} {n:>7} {d:>8}  {task:<15} {k:>7}  {source}")
    print("\nalso: any .csv or .npz file (arrays X and y), and mnist:DIR for MNIST IDX files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
