"""`backprop predict`: labels (or values) for new rows, from a saved model."""

import argparse
import csv
import io
import sys

import numpy as np

from ..data.datasets import NAMES as BUILT_IN
from ..data.sources import load_source
from ..errors import ConfigError
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
    p.add_argument("--no-header", dest="header", action="store_const", const=False,
                   help="the CSV has no header row: every row is data, read by position (default: off)")
    p.add_argument("--out", help="write predictions to this CSV (default: standard output)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists (default: refuse)")
    p.add_argument("--proba", action="store_true", help="add one probability column per class; classification "
                                                        "only, refused for regression (default: off)")
    p.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="read the table from disk in batches and write each batch's predictions as it goes; the "
                        "file appears only when complete (default: when the data would not fit in half the "
                        "available memory)")
    p.set_defaults(run=run)


def run(args):
    if args.out:
        check_output(args.out, [args.model, args.data], args.force, "prediction file")
    model = load_model(args.model)
    if args.proba and model.task != "classification":
        raise ConfigError(f"--proba gives class probabilities, but {args.model} does {model.task}; leave it out")
    from .streaming import predict_streamed, wants_stream
    if wants_stream(args.stream, args.data):
        count = predict_streamed(model, args.data, args.out, args.proba)
        if args.out:
            print(f"wrote {count} predictions to {args.out}")
        return 0
    X = features(model, args.data, args.target, args.header is not False)
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


def features(model, source, target, header=True):
    """The model's inputs from source: a table's columns by name (others, such as a target, left out);
    for a model trained without column names (an .npz, a built-in set), by position, a last extra
    column (or --target) being the target."""
    if model.encoder.active:  # a --target the user names must be a column of source (read, then left out)
        return read_for(model, source, target, has_target=target is not None, header=header).X
    if source.lower().endswith(".npz") or source in BUILT_IN or source.startswith("mnist:"):
        return load_source(source, target, 0).X
    dataset = load_source(source, None, 0, has_target=False, header=header)
    n = model.network.sizes[0]
    if target is not None or dataset.X.shape[1] == n + 1:  # the file holds a target column too: leave it out
        dataset = load_source(source, target if target is not None else model.target_name
                              if model.target_name in dataset.feature_names else None, 0, header=header)
    return dataset.X
