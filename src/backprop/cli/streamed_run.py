"""`backprop train` on a table read from disk batch by batch every epoch (--stream, or cli/streaming.py's memory
rule): a TrainingRun whose prepare reads the stream and whose report scores the test rows found by the row hash.

The output rule, the exclusive first save, the checks before the first epoch, fit, the interrupt handling,
the clean-up and the curves are TrainingRun's.
"""

from dataclasses import asdict

from ..data.sources import parse_columns, select
from ..data.rows import SPLIT, TEST
from ..data.stream import fit_stream
from ..errors import ConfigError
from ..model import Model
from ..network import Network
from ..tasks import output_layer
from .budget import check_before_training, check_layers
from .common import parse_layers
from .streaming import RowSource, open_stream, wants_stream
from .training_run import TrainingRun


def training_run(args, setup, options, given, resumed=None):
    """A StreamedRun when setup.data streams (wants_stream), otherwise a TrainingRun; run it with execute()."""
    run = StreamedRun if wants_stream(args.stream, setup.data) else TrainingRun
    return run(args, setup, options, given, resumed)


def refuse_options(args, setup):
    """Options --stream does not support, refused before anything is read."""
    unsupported = [("--resume", args.resume), ("--plot", args.plot), ("--test-data", setup.test_data),
                   ("--impute", setup.impute != "none")]
    for flag, given in unsupported:
        if given:
            raise ConfigError(f"{flag} is not supported with --stream; leave it out (or pass --no-stream)")


class StreamedRun(TrainingRun):
    """A TrainingRun over a StreamedData: the rows are read from disk in each pass, never held whole."""

    def check_output(self):
        refuse_options(self.args, self.setup)
        super().check_output()

    def prepare(self):
        """Open the stream, place the output, fit the encoder and scalers in one pass, build the model."""
        setup, options = self.setup, self.options
        stream = open_stream(setup.data, setup.header)
        features, target = select(setup.data, stream.names, parse_columns(setup.features), parse_columns(setup.drop),
                                  setup.target)
        self.place_output(setup.data)  # a clash or a read-only --out shows before the passes over the table
        # The smallest network these features could need (one input each, one output): a network the model file
        # could not hold is refused before the pass over the table, not after it.
        check_layers([len(features), *parse_layers(setup.layers), 1], setup.dtype, options.optimizer)
        validation_split = options.validation_split or (0.1 if options.early_stopping else 0.0)
        self.fitted = fit_stream(stream, features, target, task=setup.task, scale=setup.scale, seed=options.seed,
                                 test_split=setup.test_split, validation_split=validation_split,
                                 max_categories=setup.max_categories)
        self.task, self.model = self.fitted.task, self.new_model(target)
        check_before_training(self.model, options, self.fitted.counts["train"])  # what save would refuse, now
        self.rows = RowSource(stream, self.model, target, options.seed, setup.test_split, validation_split)
        self.inputs = self.rows.training_data(self.model.network, options, self.fitted.counts["train"])
        self.targets = None  # each chunk of the StreamedData carries its own

    def new_model(self, target):
        """A Model with the network sized for the fitted encoder and task (backprop.tasks' rule)."""
        setup, fitted = self.setup, self.fitted
        n_out, output, cost = output_layer(fitted.task, len(fitted.classes or []) or 1, setup.output, setup.cost)
        sizes = [fitted.encoder.width, *parse_layers(setup.layers), n_out]
        check_layers(sizes, setup.dtype, self.options.optimizer)  # before a byte is allocated
        net = Network(sizes, activation=setup.activation, output=output, cost=cost, seed=self.options.seed,
                      dtype=setup.dtype)
        model = Model(net, fitted.task, fitted.classes, fitted.scaler, fitted.target_scaler,
                      fitted.encoder.input_names(), target, encoder=fitted.encoder)
        # No list of held-out rows: evaluate --held-out finds them again by the same hash of each row.
        model.data = {**asdict(setup), "held_out": None, "split": SPLIT, "seed": self.options.seed}
        return model

    def training_line(self):
        counts = self.fitted.counts
        return (f"training {self.model.network} on {self.setup.data}, streamed from disk: {counts['train']} "
                f"training rows, {counts['validation']} validation, {counts['test']} test; {self.task}")

    def report(self):
        """The metrics of the test rows (those the row hash holds out), read in one more pass; none without them."""
        if self.fitted.counts["test"]:
            self.report_ = self.rows.metrics(lambda part: part == TEST).report("test")
            summary = self.report_["summary"]
            print(summary.splitlines()[0] if self.args.quiet else summary)

    def draw_data(self):
        """No pictures over the inputs: a stream's rows are not held (the curves and the confusion matrix are)."""
        return []
