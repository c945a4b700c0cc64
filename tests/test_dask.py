"""The cluster route (README "On a cluster (Dask)", examples/dask_cluster.py) on a 2-process LocalCluster:
dask-ml's Incremental trains backprop's MLPClassifier over a folder of Parquet files, block by block, and an
adaptive search (successive halving) runs its fits on the workers."""

import importlib.util
import pathlib
import warnings

import numpy as np
import pytest

pytest.importorskip("dask_ml")
distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "dask_cluster.py"
FEATURES = [f"x{j}" for j in range(6)]


def example():
    spec = importlib.util.spec_from_file_location("dask_cluster", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        yield client


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """(train folder: 6 Parquet files of 2,000 rows, test folder: 2 files), written by the example."""
    ex, root = example(), tmp_path_factory.mktemp("parquet")
    return (ex.write_parquet_folder(str(root / "train"), files=6, rows=2000),
            ex.write_parquet_folder(str(root / "test"), files=2, rows=2000, seed=1))


def test_incremental_over_parquet_learns_what_no_linear_model_can(cluster, folders):
    from sklearn.linear_model import LogisticRegression

    ex = example()
    X, y = ex.dask_arrays(folders[0], FEATURES, "y")
    X_test, y_test = ex.dask_arrays(folders[1], FEATURES, "y")
    assert X.shape == (12000, 6) and X.numblocks[0] >= 2 and X.chunks[0] == y.chunks[0]
    model = ex.train_incrementally(X, y, epochs=3)
    accuracy = model.score(X_test, y_test)
    linear = LogisticRegression().fit(X.compute(), y.compute()).score(X_test.compute(), y_test.compute())
    assert linear < 0.75  # the threshold below is not within reach of a linear boundary
    assert accuracy > 0.9, accuracy
    assert set(np.unique(model.predict(X_test).compute())) == {0, 1}


def test_incremental_takes_the_same_steps_as_partial_fit_block_by_block(cluster, folders):
    """Without block shuffling, Incremental on the workers is partial_fit on each block in order: equal weights."""
    from dask_ml.wrappers import Incremental

    from backprop.sklearn import MLPClassifier

    X, y = example().dask_arrays(folders[0], FEATURES, "y")
    settings = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=3)
    remote = Incremental(MLPClassifier(**settings), shuffle_blocks=False).fit(X, y, classes=[0, 1])
    local = MLPClassifier(**settings)
    for Xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel()):
        local.partial_fit(Xb.compute(), yb.compute(), classes=[0, 1])
    assert remote.estimator_.t_ == local.t_ == X.shape[0]  # every row seen once
    for a, b in zip(remote.estimator_.coefs_ + remote.estimator_.intercepts_, local.coefs_ + local.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_adaptive_search_runs_on_the_workers_and_matches_a_local_search(cluster, folders):
    from sklearn.exceptions import ConvergenceWarning

    ex = example()
    X, y = ex.dask_arrays(folders[0], FEATURES, "y")
    X, y = X[::3].compute(), y[::3].compute()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with distributed.get_task_stream(cluster) as tasks:
            remote = ex.adaptive_search(X, y)
        local = ex.adaptive_search(X, y, backend="sequential")
    workers = {task["worker"] for task in tasks.data}
    assert len(workers) == 2 and len(tasks.data) >= len(local.cv_results_["params"])  # the fits ran on both workers
    assert remote.n_iterations_ >= 2 and remote.n_resources_[-1] > remote.n_resources_[0]  # halving happened
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
    assert remote.best_score_ > 0.85, remote.best_score_
