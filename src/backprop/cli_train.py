"""The `backprop train` command: options, data, the training run, its folder, model and plots."""

import argparse
import copy
import os
import sys
import time
import tomllib

import numpy as np

from . import io as model_io
from .cli import TRAIN_OPTIONS, parse_layers, say
from .cli_models import evaluation
from .errors import ConfigError
from .history import Callback


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
    flags = {k: v for k, v in vars(args).items() if k in values and v is not None}
    values.update(flags)
    if isinstance(values["layers"], list):
        values["layers"] = ",".join(map(str, values["layers"]))
    opts = argparse.Namespace(**values)
    opts.given = set(flags) | (set(table) if args.config else set())  # what the user chose, not a default
    return opts


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
    from .training import TrainingConfig, make_config
    opts = settings(args)
    started = time.perf_counter()
    resumed = None
    if args.resume:
        net, meta = model_io.load(args.resume)
        resumed = Model.from_metadata(net, meta)
        # Continue as the model was trained: its data, split and training settings, unless overridden.
        saved = {**(meta.get("training") or {}), **meta.get("data", {})}
        for key in ("data", "target", "test_split", "test_data", "seed", "validation_split", "optimizer",
                    "batch_size", "learning_rate", "weight_decay", "schedule", "early_stopping"):
            if key in saved and key not in opts.given:
                setattr(opts, key, saved[key])
    dataset = load_source(opts.data, opts.target, opts.seed)
    if len(dataset.X) < 20 and not resumed:  # too few to hold any out, unless the user insists
        for option in ("test_split", "validation_split"):
            if option not in opts.given and getattr(opts, option):
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
    model.data = {k: getattr(opts, k)
                  for k in ("data", "target", "test_split", "test_data", "seed", "validation_split")}
    config = make_config(TrainingConfig(), epochs=opts.epochs, batch_size=opts.batch_size,
                         learning_rate=opts.learning_rate, optimizer=opts.optimizer, weight_decay=opts.weight_decay,
                         schedule=opts.schedule, validation_split=opts.validation_split,
                         early_stopping=opts.early_stopping, seed=opts.seed)
    inputs, targets = model.inputs(X_train), model.targets(y_train)
    created = not (opts.out and os.path.isdir(opts.out))
    parent_created = not opts.out and not os.path.isdir("runs")
    folder = new_run_folder(dataset.name, opts.out)
    try:
        return _train_in(args, opts, net, model, config, inputs, targets, dataset, task, folder, started,
                         X_train, y_train, X_test, y_test)
    except BaseException:
        if created and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)  # a failed run leaves nothing behind
            if parent_created and not os.listdir("runs"):
                os.rmdir("runs")
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
            print("interrupted before the first epoch ended; nothing saved", file=sys.stderr)
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

