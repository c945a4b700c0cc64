"""`backprop evaluate`: how well a saved model does on labelled data (the metrics are backprop.metrics')."""

import argparse

import numpy as np

from ..data.datasets import NAMES as BUILT_IN
from ..data.rows import FINGERPRINT_DIGITS, OLD_SPLIT, SPLIT, fingerprints
from ..data.sources import load_source
from ..errors import ConfigError
from ..metrics import evaluation
from .common import MODEL_HELP, load_model


def read_for(model, source, target=None, has_target=True, header=True):
    """The Dataset of source as the model reads it: a table's columns by name, encoded with the model's encoder."""
    if model.encoder.active:
        return load_source(source, target or model.target_name, 0, has_target=has_target, header=header,
                           columns=model.encoder.columns, encoder=model.encoder)
    return load_source(source, target, model.data.get("seed", 0), has_target=has_target, header=header)


def register(sub):
    p = sub.add_parser("evaluate", help="accuracy and confusion matrix, or MSE, MAE and R^2")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--data", help="a built-in data set, CSV or NPZ with a target column; every row is scored "
                                  "(default: the data the model was trained on, with --held-out)")
    p.add_argument("--target", help="the target column of a CSV, by name or index "
                                    "(default: the model's target column, else the last)")
    p.add_argument("--no-header", dest="header", action="store_const", const=False,
                   help="the CSV has no header row: every row is data (default: off)")
    p.add_argument("--held-out", action="store_true",
                   help="score only the rows the training run held out for its test, found by their content "
                        "(default: off, all rows)")
    p.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="read the table from disk in batches instead of into memory (default: when it would not fit "
                        "in half the available memory, and for --held-out of a model trained with --stream)")
    p.set_defaults(run=run)


def source_of(args, model):
    """--data, or with --held-out alone the data the training run recorded."""
    if args.data is not None:
        return args.data
    if not args.held_out:
        raise ConfigError("evaluate needs --data FILE (all of its rows), or --held-out for the training run's "
                          "held-out rows")
    source = model.data.get("test_data") or model.data.get("data")
    if source is None:
        raise ConfigError(f"{args.model} does not record its training data; pass --data FILE")
    if source not in BUILT_IN:  # a path stored in a model file is never opened unless the user names it
        raise ConfigError(f"{args.model} was trained on {str(source)[:200]!r}; pass --data with that file to "
                          "score its held-out rows (backprop opens no path a model file names by itself)")
    return source


def run(args):
    model = load_model(args.model)
    source = source_of(args, model)
    from .streaming import evaluate_streamed, wants_stream
    if wants_stream(args.stream, source) or (args.held_out and args.stream is not False
                                             and model.data.get("split") in (SPLIT, OLD_SPLIT)):
        metrics, scored, read = evaluate_streamed(model, source, args.target, args.held_out)
        if args.held_out:
            print(f"scoring the {scored} rows of {source} that the training run held out ({scored} of {read} rows, "
                  "found by the hash of each row)")
            print(metrics.report("held-out")["summary"])
        else:
            print(f"scoring all {read} rows of {source}")
            print(metrics.report("")["summary"].lstrip())
        return 0
    dataset = read_for(model, source, args.target, header=args.header is not False if args.data else
                       model.data.get("header", True))
    if dataset.y is None:
        raise ConfigError(f"{source}: evaluate needs a target column")
    X, y = dataset.X, dataset.y
    if args.held_out:
        keep, wanted = held_out_rows(args, model, source, X, y)
        X, y = X[keep], y[keep]
        print(f"scoring the {len(X)} rows of {source} that the training run held out "
              f"({len(X)} of {len(keep)} rows; the run held out {len(wanted)})")
        print(evaluation(model, X, y, "held-out")["summary"])
    else:
        print(f"scoring all {len(X)} rows of {source}")
        print(evaluation(model, X, y, "")["summary"].lstrip())
    return 0


def held_out_rows(args, model, source, X, y):
    """(mask (n,) of the rows of X whose fingerprints the model recorded as held out, those fingerprints)."""
    wanted = model.data.get("held_out")
    if not wanted:
        raise ConfigError(f"{args.model} records no held-out rows (trained without a test split); "
                          "leave out --held-out to score all rows")
    if len(wanted[0]) != FINGERPRINT_DIGITS:
        raise ConfigError(f"{args.model} records its held-out rows in the form of an earlier backprop; train it "
                          "again to score them, or leave out --held-out to score all rows")
    keep = np.isin(fingerprints(X, y, model.encoder), wanted)
    if not keep.any():
        raise ConfigError(f"{source}: none of its {len(X)} rows is among the {len(wanted)} rows the training "
                          "run held out (is it the data the model was trained on?); leave out --held-out to "
                          "score all rows")
    return keep, wanted
