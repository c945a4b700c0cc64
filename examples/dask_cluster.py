"""backprop on a Dask cluster: an MLPClassifier trained block by block over a folder of Parquet files
(dask-ml's Incremental), then an adaptive hyper-parameter search whose fits run on the workers.

    python3 examples/dask_cluster.py                          # a LocalCluster of 2 processes on this machine
    python3 examples/dask_cluster.py --address tcp://HOST:8786  # the same code on a real cluster

On a real cluster the Parquet folder must be readable by every worker (a shared disk, or an s3:// or
gs:// URL that dask.dataframe.read_parquet understands): pass it as --data. Needs the "cluster" extra:
python3 -m pip install -e ".[cluster]"
"""

import argparse
import os
import tempfile

import numpy as np


def write_parquet_folder(folder, files=8, rows=5000, seed=0):
    """files Parquet files of rows rows each: 6 features and a label y that no linear model separates."""
    import pandas as pd
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    for i in range(files):
        X = rng.normal(size=(rows, 6))
        y = (X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) > 0).astype(np.int64)
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(6)]).assign(y=y)
        frame.to_parquet(os.path.join(folder, f"part-{i:03d}.parquet"), index=False)
    return folder


def dask_arrays(folder, features, target):
    """(X, y) as dask arrays over the folder's Parquet files, one block per file (or group of small files)."""
    import dask.dataframe as dd
    table = dd.read_parquet(folder, columns=[*features, target])
    # One array, sliced: dask-expr may group small files differently for X's columns and for y's alone,
    # and to_dask_array(lengths=True) can count another grouping than it builds; compute_chunk_sizes
    # measures the array it built. (A label column of strings would make this array object-typed.)
    Xy = table.to_dask_array().compute_chunk_sizes()
    X, y = Xy[:, :len(features)], Xy[:, len(features)].astype(np.int64)
    return X, y


def train_incrementally(X, y, epochs=3, seed=0):
    """An MLPClassifier fitted by partial_fit on one block at a time, epochs passes over the blocks."""
    from dask_ml.wrappers import Incremental

    from backprop.sklearn import MLPClassifier
    model = Incremental(MLPClassifier(hidden_layer_sizes=(32, 16), learning_rate_init=0.01, random_state=seed),
                        scoring="accuracy", shuffle_blocks=True, random_state=seed)
    for _ in range(epochs):
        model.partial_fit(X, y, classes=[0, 1])  # each call: one partial_fit per block, on the workers
    return model


def adaptive_search(X, y, seed=0, backend="dask"):
    """Successive halving over MLPClassifier settings: every candidate gets a few epochs, the best third
    three times as many, and so on; each fit runs on a worker through joblib's Dask backend (backend="sequential":
    here, one after another)."""
    import joblib
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    from backprop.sklearn import MLPClassifier
    settings = {"hidden_layer_sizes": [(8,), (32,), (32, 16)], "learning_rate_init": [1e-3, 1e-2, 3e-2],
                "alpha": [1e-4, 1e-2]}
    search = HalvingRandomSearchCV(MLPClassifier(random_state=seed), settings, resource="max_iter", min_resources=2,
                                   max_resources=18, factor=3, cv=3, random_state=seed, n_jobs=-1)
    with joblib.parallel_backend(backend):
        return search.fit(X, y)


def main():
    import warnings

    from distributed import Client, LocalCluster
    from sklearn.exceptions import ConvergenceWarning
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="a running Dask scheduler, tcp://HOST:8786 (default: a LocalCluster)")
    parser.add_argument("--data", help="a folder of Parquet files with columns x0..x5 and y "
                                       "(default: 40,000 rows written to a temporary folder)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)  # the search's short fits stop at max_iter on purpose
    with tempfile.TemporaryDirectory() as scratch:
        train_folder = args.data or write_parquet_folder(os.path.join(scratch, "train"))
        test_folder = write_parquet_folder(os.path.join(scratch, "test"), files=2, seed=1)
        cluster = None if args.address else LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                         dashboard_address=None)
        with Client(args.address or cluster) as client:
            print(f"workers: {len(client.scheduler_info()['workers'])}")
            features = [f"x{j}" for j in range(6)]
            X, y = dask_arrays(train_folder, features, "y")
            X_test, y_test = dask_arrays(test_folder, features, "y")
            model = train_incrementally(X, y)
            print(f"Incremental: {X.shape[0]} rows in {X.numblocks[0]} blocks, "
                  f"test accuracy {model.score(X_test, y_test):.3f}")
            sample = np.arange(0, X.shape[0], 4)  # the search fits in memory: a quarter of the rows
            search = adaptive_search(X[sample].compute(), y[sample].compute())
            print(f"search: best {search.best_params_}, cross-validated accuracy {search.best_score_:.3f}, "
                  f"test accuracy {search.score(X_test.compute(), y_test.compute()):.3f}")
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
