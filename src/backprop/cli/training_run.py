"""One `backprop train` run as an object with named stages: prepare, fit, report, draw.

prepare checks everything a run needs before the first epoch (paths, data, split, model, the test
rows); fit trains and saves; report prints the test metrics; draw writes the PNG files. A run that
fails after its folder was made leaves no empty folder behind. A table streamed from disk is a
StreamedRun (cli/streamed_run.py): its own prepare and report, these stages for the rest.
"""

import os
import sys
import time
from dataclasses import asdict

import numpy as np

from .. import io as model_io
from .. import plots
from ..data.rows import fingerprints
from ..data.sources import check_task, infer_task, load_source, parse_columns
from ..errors import ConfigError
from ..metrics import evaluation
from ..training import Interrupted, ProgressBar, state_of, train
from .budget import check_before_training, check_resume_flags
from .common import check_output, say
from .outputs import Claim, check_writable
from .prepare import (check_targets, new_model, new_run_folder, output_paths, plottable, small_data, split_rows,
                      square_images)
from .progress import BoundaryFrames, Checkpoint, EpochLines, say_stopped

HELD_OUT_KEYS = 100_000  # most test rows whose fingerprints a model file keeps for evaluate --held-out


class TrainingRun:
    """A run from checked options to a saved model, its report and its plots; execute() runs the stages."""

    def __init__(self, args, setup, options, given, resumed=None):
        self.args, self.setup, self.options, self.given, self.resumed = args, setup, options, given, resumed
        self.started = time.perf_counter()
        self.model_path, self.folder = output_paths(setup.out)
        self.made = []  # folders this run created, removed again if it fails while they are empty
        self.report_, self.frames = None, None
        self.claim = Claim(args.force)  # the first save is exclusive unless --force; checkpoints then replace it

    def execute(self):
        """prepare, fit, report, draw; the exit status (128 + signal when interrupted)."""
        self.check_output()
        try:
            self.prepare()
            status = self.fit()
            if status:
                return status
            self.report()
            self.draw()
            self.say_where()
            return 0
        except BaseException:
            self.clean_up()
            raise

    # ---- prepare: everything checked before the first epoch ------------------------------------
    def check_output(self):
        """The plot flags agree, and the overwrite rule holds: before anything is read or trained."""
        args, setup = self.args, self.setup
        if args.plot and args.no_plots:
            raise ConfigError("--plot and --no-plots contradict each other; pass one")
        if self.resumed:
            check_resume_flags(self.resumed, setup, self.given)
        if setup.out:
            check_output(self.model_path or os.path.join(self.folder, "model.npz"),
                         [args.resume, setup.data, setup.test_data, args.config], args.force, "model")

    def prepare(self):
        """Read and split the data, build (or resume) the model, check every row, make the run folder."""
        self.dataset = self.load()
        self.setup, self.options = small_data(self.args, self.setup, self.options, self.given, self.dataset,
                                              self.resumed)
        self.task = self.resumed.task if self.resumed else infer_task(self.dataset.y, self.setup.task,
                                                                      self.dataset.task)
        check_task(self.dataset.y, self.setup.task)
        self.check_plot()
        self.X_train, self.X_test, self.y_train, self.y_test = split_rows(self.setup, self.options, self.dataset,
                                                                          self.task, self.resumed)
        self.dataset.X = None  # its rows live on in the split; the whole table is not kept through training
        self.model = self.resumed or new_model(self.setup, self.options, self.dataset, self.task, self.X_train,
                                               self.y_train, self.y_test)
        self.check_rows()
        check_before_training(self.model, self.options, len(self.inputs))  # what save would refuse, refused now
        self.place_output(self.dataset.name)

    def load(self):
        """The Dataset of --data; a resumed table model reads its own columns with its own encoder."""
        setup, resumed = self.setup, self.resumed
        own = {"columns": resumed.encoder.columns, "encoder": resumed.encoder} \
            if resumed and resumed.encoder.active else {}
        return load_source(setup.data, setup.target, self.options.seed, features=parse_columns(setup.features),
                           drop=parse_columns(setup.drop), impute=setup.impute, header=setup.header,
                           max_categories=setup.max_categories, **own)

    def check_plot(self):
        if self.args.plot and not plottable(self.dataset.X, self.task):
            raise ConfigError(f"--plot draws 2-D classification data only; {self.dataset.name} has "
                              f"{np.shape(self.dataset.X)[1]} features ({self.task}); leave --plot out (curves and "
                              "the confusion matrix are drawn anyway, first-layer weights for square images)")

    def check_rows(self):
        """The inputs and targets of the training rows, and of the test rows the report needs, all checked now."""
        model, X_test, y_test = self.model, self.X_test, self.y_test
        model.data = {**asdict(self.setup),
                      "held_out": fingerprints(X_test, y_test, model.encoder) if len(X_test) <= HELD_OUT_KEYS else None}
        self.inputs, self.targets = model.inputs(self.X_train), model.targets(self.y_train)
        check_targets(model, self.y_train, "the training data")
        if len(X_test):
            model.inputs(X_test)
            check_targets(model, y_test, self.setup.test_data or "the test data")

    def place_output(self, name):
        """The run folder (runs/NAME-NNN without --out) made, then a read-only --out refused: before the first epoch."""
        self.make_folder(name)
        check_writable(os.path.dirname(os.path.abspath(self.model_path)))

    def make_folder(self, name):
        """A run folder is made now, so that a clash shows before training; a model file's plots folder later."""
        if self.model_path is not None:
            return
        if not self.setup.out and not os.path.isdir("runs"):
            self.made.append("runs")
        existed = bool(self.folder) and os.path.isdir(self.folder)
        self.folder = new_run_folder(name, self.folder)
        if not existed:
            self.made.insert(0, self.folder)
        self.model_path = os.path.join(self.folder, "model.npz")

    def clean_up(self):
        """A failed run leaves no folder it made empty behind (innermost first)."""
        for folder in self.made:
            if os.path.isdir(folder) and not os.listdir(folder):
                os.rmdir(folder)

    # ---- fit ------------------------------------------------------------------------------------
    def save(self, path=None):
        model, path = self.model, path or self.model_path
        return self.claim.write(lambda overwrite: model_io.save(path, model.network, overwrite, **model.metadata()))

    def callbacks(self):
        """The progress bar and epoch lines, --checkpoint's saves, --plot's boundary frames."""
        args = self.args
        callbacks = [] if args.quiet else [ProgressBar(), EpochLines()]
        if args.checkpoint:
            callbacks.append(Checkpoint(self.save, self.model.network))
        if args.plot and not args.no_plots and plottable(self.X_train, self.task):
            self.frames = BoundaryFrames(self.model, self.X_train, self.options.epochs)
            callbacks.append(self.frames)
        return callbacks

    def fit(self):
        """Train on self.inputs (arrays or a StreamedData), save; Ctrl-C or a signal: save, return 128 + signal."""
        net, args = self.model.network, self.args
        callbacks = self.callbacks()
        self.announce()
        epochs_before = state_of(net).epochs_trained if state_of(net) else 0
        try:
            history = train(net, self.inputs, self.targets, callbacks=callbacks, options=self.options)
        except KeyboardInterrupt as exc:
            return self.interrupted(exc, epochs_before)
        say_stopped(args, history)
        self.save()
        return None

    def announce(self):
        """What is trained on what: the network, the data, its rows, the task."""
        args = self.args
        say(args, self.training_line())
        if self.task == "regression":
            say(args, "costs are on the standardized target (mean 0, std 1); the test metrics are in its own units")

    def training_line(self):
        return f"training {self.model.network} on {self.dataset.name}: {len(self.inputs)} samples, {self.task}"

    def interrupted(self, exc, epochs_before):
        net = self.model.network
        done = state_of(net).epochs_trained if state_of(net) else 0
        if done == epochs_before:
            print("interrupted before the first epoch ended; nothing saved", file=sys.stderr)
        else:
            self.save()
            print(f"interrupted: saved epoch {done} to {self.model_path}", file=sys.stderr)
        return 128 + exc.signal if isinstance(exc, Interrupted) else 130

    # ---- report and draw -------------------------------------------------------------------------
    def report(self):
        """The test metrics (or the training rows', said so, without a test set)."""
        model = self.model
        if len(self.X_test):
            self.report_ = evaluation(model, self.X_test, self.y_test)
            summary = self.report_["summary"]
        else:
            summary = evaluation(model, self.X_train, self.y_train)["summary"].replace("test ", "training ", 1)
            summary = summary.replace("\n", " (no test set)\n", 1) if "\n" in summary else summary + " (no test set)"
        print(summary.splitlines()[0] if self.args.quiet else summary)

    def draw(self):
        """The run's PNG files: the curves, the confusion matrix, and what draw_data draws of the inputs."""
        if self.args.no_plots:
            return
        model, folder = self.model, self.folder
        try:
            os.makedirs(folder, exist_ok=True)
            written = [plots.curves(state_of(model.network).history, os.path.join(folder, "curves.png"),
                                    standardized=model.task == "regression")]
            if self.report_ and "confusion" in self.report_:
                written.append(plots.confusion(self.report_["confusion"], model.classes,
                                               os.path.join(folder, "confusion.png")))
            written += self.draw_data()
        except ConfigError as exc:
            print(f"note: no plots ({exc})", file=sys.stderr)
            return
        say(self.args, "plots: " + ", ".join(os.path.basename(p) for p in written))

    def draw_data(self):
        """Pictures over the inputs: boundaries (2-D data), first-layer weights (square images)."""
        model, folder, written = self.model, self.folder, []
        if plottable(self.X_train, model.task):
            written += self.draw_plane()
        if square_images(self.X_train) and len(model.network.weights) > 1 and not model.encoder.categories:
            written.append(plots.first_layer_weights(model.network.weights[0], os.path.join(folder, "weights.png")))
        return written

    def draw_plane(self):
        """2-D data: the decision boundary, its frames over the epochs, and (--plot) the hidden units."""
        model, X, folder = self.model, self.X_train, self.folder
        labels, names = model.targets(self.y_train), model.feature_names or ["x1", "x2"]
        written = [plots.decision_boundary(model.predict_output, X, labels, os.path.join(folder, "boundary.png"),
                                           classes=model.classes, feature_names=names)]
        if self.frames is not None and self.frames.frames:
            written.append(plots.boundary_series(self.frames.frames, X, labels,
                                                 os.path.join(folder, "boundary_epochs.png"),
                                                 classes=model.classes, feature_names=names))
        if self.args.plot:
            def first(P):  # a_1 over the plane, one row per point
                return model.network.forward(model.inputs(P).T)[1][1].T
            written.append(plots.hidden_units(first, X, labels, os.path.join(folder, "hidden_units.png"),
                                              feature_names=names))
        return written

    def say_where(self):
        args, folder = self.args, self.folder
        seconds = f"({time.perf_counter() - self.started:.1f} s)"
        if self.model_path == os.path.join(folder, "model.npz"):
            print(f"model: {self.model_path}" if args.quiet else f"model and plots: {folder}/ {seconds}")
        else:
            plots_too = "" if args.quiet or args.no_plots else f", plots: {folder}/ {seconds}"
            print(f"model: {self.model_path}{plots_too}")
