"""`backprop predict`: labels (or values) for new rows, from a saved model."""

import os
import sys

import numpy as np

from ..data.sources import load_source
from ..errors import ConfigError, DataError
from .common import MODEL_HELP, load_model
from .evaluate import read_for


def register(sub):
    p = sub.add_parser("predict", help="predict labels (or values) for new data")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--data", required=True, help="CSV or NPZ of features (a target column is dropped); required")
    p.add_argument("--target", help="name or index of a target column to drop (default: the model's, if present)")
    p.add_argument("--out", help="write predictions to this CSV (default: standard output)")
    p.add_argument("--proba", action="store_true", help="add one probability column per class; classification "
                                                        "only, refused for regression (default: off)")
    p.set_defaults(run=run)


def run(args):
    model = load_model(args.model)
    if args.proba and model.task != "classification":
        raise ConfigError(f"--proba gives class probabilities, but {args.model} does {model.task}; leave it out")
    n = model.network.sizes[0]
    if model.encoder.active:  # a table: the model's columns by name, any others (the target) left out
        dataset = read_for(model, args.data, has_target=False)
        labels = model.predict_labels(dataset.X)
        return write(args, model, dataset, labels)
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
    return write(args, model, dataset, labels)


def write(args, model, dataset, labels):
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
