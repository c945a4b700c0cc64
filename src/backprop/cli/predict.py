"""`backprop predict`: labels (or values) for new rows, from a saved model."""

import csv
import io
import re
import sys
import warnings

import numpy as np

from ..data import files
from ..data.sources import load_source
from ..errors import ConfigError, DataError
from .common import MODEL_HELP, load_model
from .outputs import check_output, write_text
from .evaluate import read_for


def register(sub):
    p = sub.add_parser("predict", help="predict labels (or values) for new data")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--data", required=True, help="CSV or NPZ of features (a target column is dropped); a CSV's "
                                                 "columns are matched by name when the model knows the names; "
                                                 "required")
    p.add_argument("--target", help="name or index of a target column to drop (default: the model's, if present)")
    p.add_argument("--out", help="write predictions to this CSV (default: standard output)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists (default: refuse)")
    p.add_argument("--proba", action="store_true", help="add one probability column per class; classification "
                                                        "only, refused for regression (default: off)")
    p.set_defaults(run=run)


def run(args):
    if args.out:
        check_output(args.out, [args.model, args.data], args.force, "prediction file")
    model = load_model(args.model)
    if args.proba and model.task != "classification":
        raise ConfigError(f"--proba gives class probabilities, but {args.model} does {model.task}; leave it out")
    if model.encoder.active:  # a table: the model's columns by name, any others (the target) left out
        X = read_for(model, args.data, has_target=False).X
    else:
        X = features(model, args.data, args.target)
    labels = model.predict_labels(X)
    header = [model.target_name or "prediction"]
    columns = [labels.reshape(len(labels), -1)]
    if args.proba:
        header += [f"p_{c}" for c in model.classes]
        columns.append(np.char.mod("%.6f", model.predict_output(X)))
    rows = np.hstack([c.astype(str) for c in columns])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # quotes a label holding a comma, a quote or a newline
    writer.writerow(header)
    writer.writerows(rows.tolist())
    if args.out:
        write_text(args.out, buffer.getvalue(), args.force)
        print(f"wrote {len(rows)} predictions to {args.out}")
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def features(model, source, target):
    """The model's input columns from source: by header name when the model has names, else by position."""
    n = model.network.sizes[0]
    names = model.feature_names or []
    named = len(names) == n and not all(re.fullmatch(r"(column |x)\d+", f) for f in names)
    if source.lower().endswith(".csv") and named and target is None:
        files.check_regular(source)
        try:
            X, _, found, _ = files.read_csv(source, has_target=False, columns=names)
            if found == names:
                return X
        except files.MissingColumns as exc:
            if set(exc.header) & set(names):
                raise  # some of the model's names, not all: a column is missing
            warnings.warn(f"{source}: none of the model's column names ({', '.join(names[:6])}) is in the header; "
                          "the columns are read by position", RuntimeWarning, stacklevel=2)
        except DataError:
            pass  # no header, or a text column: by position below
    try:
        dataset = load_source(source, target, 0, has_target=target is not None)
        has_extra = dataset.X.shape[1] == n + 1
    except DataError:
        if target is not None:  # the column the user named is not there: say so
            raise
        dataset, has_extra = None, True
    if has_extra and target is None and source.lower().endswith(".csv"):
        try:  # a file with a target column as well: leave it out (by the model's target name, else the last)
            dataset = load_source(source, model.target_name, 0)
        except DataError:
            dataset = load_source(source, None, 0) if dataset is None else dataset
    return dataset.X
