"""`backprop train`: its options, then a TrainingRun (cli/training_run.py: prepare, fit, report, draw), or
for a table streamed from disk its variant StreamedRun (cli/streamed_run.py).

The flags and the TOML keys come from two dataclasses: SetupOptions below (the data and the
network) and backprop.training.TrainingOptions (how to train). Each option is declared once.
"""

import argparse
import os
import tomllib
from dataclasses import asdict, dataclass, fields

from ..activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from ..costs import COSTS
from ..data.datasets import NAMES as BUILT_IN
from ..data.preprocessing import SCALES
from ..errors import ConfigError
from ..tasks import TASKS
from ..training import TrainingOptions, state_of
from ..training.options import Checked, option
from .common import load_model
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
                   help="read a CSV, Parquet or Feather table from disk in batches every epoch instead of into memory; "
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
    """The options (defaults, a resumed model's, the config file's, the flags), then the run (streamed or not)."""
    resumed = None
    saved = None
    if args.resume:
        resumed = load_model(args.resume)
        if state_of(resumed.network) is None:
            raise ConfigError(f"{args.resume}: this model holds no training state to resume")
        saved = {**state_of(resumed.network).options.as_dict(), **_saved_setup(resumed, args)}
    setup, options, given = settings(args, saved)
    from .streamed_run import training_run  # here: pyarrow loads for a run, not for every command's start
    return training_run(args, setup, options, given, resumed).execute()


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
