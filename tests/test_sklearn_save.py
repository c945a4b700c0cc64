"""A fitted estimator is a backprop model: backprop.save writes the CLI's model file (class names, feature
names, dtype, history), backprop.load predicts as the estimator does, and ONNX and PyTorch export take it."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402
from backprop.training import state_of  # noqa: E402

NAMES = np.array(["setosa", "versicolor", "virginica"])


@pytest.fixture(scope="module")
def iris():
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(X, columns=["sepal length", "sepal width", "petal length", "petal width"])
    return frame, NAMES[y]


def fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.fixture(scope="module")
def classifier(iris):
    X, y = iris
    return fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=60, random_state=0, early_stopping=True,
                             learning_rate_init=0.03), X, y)  # 94% right: its mistakes must be kept too


def test_save_writes_class_names_feature_names_dtype_and_history(classifier, iris, tmp_path):
    X, y = iris
    path = bp.save(classifier, tmp_path / "iris.npz")
    model = bp.load(path)
    assert model.task == "classification" and model.classes == list(NAMES)
    assert model.feature_names == list(X.columns) and model.network.dtype == np.float64
    history = state_of(model.network).history
    assert history.cost == pytest.approx(classifier.loss_curve_, rel=1e-15)
    assert history.val_cost == pytest.approx(classifier.validation_loss_curve_, rel=1e-15)
    assert history.val_accuracy == pytest.approx(classifier.validation_scores_, rel=1e-15)
    assert len(history) == classifier.n_iter_ and history.best_epoch is not None
    np.testing.assert_array_equal(model.predict(X.to_numpy()), classifier.predict(X))
    np.testing.assert_allclose(model.predict_proba(X.to_numpy()), classifier.predict_proba(X), rtol=1e-15)


@pytest.mark.parametrize("settings", [
    dict(solver="lbfgs"), dict(solver="sgd", dtype="float32"), dict(output="softmax"),
])
def test_loaded_model_predicts_as_the_estimator_binary_float32_and_lbfgs(settings, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] - X[:, 1] > 0  # boolean labels: stored as 0 and 1
    clf = fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0, **settings), X, y)
    model = bp.load(bp.save(clf, tmp_path / "m.npz"))
    assert model.network.dtype == clf.network_.dtype and model.classes == [0, 1]
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))
    assert (state_of(model.network) is None) == (settings.get("solver") == "lbfgs")


def test_regressor_saves_and_predicts_the_same_values(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    Y = X[:, :2] * 3 + 1
    reg = fit(MLPRegressor(hidden_layer_sizes=(6,), max_iter=30, random_state=0), X, Y)
    model = bp.load(bp.save(reg, tmp_path / "r.npz"))
    assert model.task == "regression" and model.classes is None
    np.testing.assert_allclose(model.predict(X), reg.predict(X), rtol=1e-14)


def test_estimators_a_model_cannot_hold_are_refused_with_a_reason(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    multilabel = fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=5), X, (X[:, :2] > 0).astype(int))
    poisson = fit(MLPRegressor(loss="poisson", hidden_layer_sizes=(3,), max_iter=5), X, np.exp(X[:, 0]))
    for est, reason in ((multilabel, "multilabel"), (poisson, "exponential output")):
        with pytest.raises(ValueError, match=reason):
            bp.save(est, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
    with pytest.raises(Exception, match="not fitted"):
        bp.save(MLPClassifier(), tmp_path / "x.npz")


def test_the_model_is_a_copy(classifier, iris):
    X, _ = iris
    model = classifier.to_model()
    model.network.weights[0][...] = 0.0  # the estimator's network is untouched
    assert not np.allclose(classifier.coefs_[0], 0.0)


def test_onnx_export_of_the_estimator_gives_its_labels(classifier, iris, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    X, _ = iris
    import backprop

    backprop.export.to_onnx(classifier, tmp_path / "iris.onnx")
    session = ort.InferenceSession(str(tmp_path / "iris.onnx"))
    labels, proba = session.run(["label", "probabilities"], {"input": X.to_numpy(np.float32)})
    np.testing.assert_array_equal(labels, classifier.predict(X))
    np.testing.assert_allclose(proba, classifier.predict_proba(X), atol=1e-5)


def test_to_torch_of_the_estimator_gives_its_outputs(classifier, iris):
    torch = pytest.importorskip("torch")
    X, _ = iris
    module = bp.export.to_torch(classifier)
    out = module(torch.from_numpy(X.to_numpy(copy=True))).detach().numpy()
    np.testing.assert_allclose(out, classifier.predict_proba(X), rtol=1e-13, atol=1e-15)


@pytest.mark.slow
def test_import_backprop_reaches_export_lazily_without_importing_sklearn_onnx_or_torch():
    code = ("import sys, backprop; heavy = [m for m in ('sklearn', 'onnx', 'torch', 'backprop.export') "
            "if m in sys.modules]; backprop.export.to_onnx; print(heavy, 'backprop.export' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split("\n")[0] == "[] True", out.stderr


@pytest.mark.slow
def test_the_cli_reads_the_saved_estimator(classifier, iris, tmp_path):
    """backprop predict and evaluate (columns matched by the feature names), info, explain and export."""
    X, y = iris
    bp.save(classifier, tmp_path / "iris.npz")
    X[list(reversed(X.columns))].assign(species=y).to_csv(tmp_path / "iris.csv", index=False)  # columns reordered

    def cli(*args):
        result = subprocess.run([sys.executable, "-m", "backprop", *args], cwd=tmp_path, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    X[list(reversed(X.columns))].to_csv(tmp_path / "features.csv", index=False)
    predicted = cli("predict", "iris.npz", "--data", "features.csv").split()
    assert predicted[0] == "prediction"
    np.testing.assert_array_equal(predicted[1:], classifier.predict(X))
    right = int((classifier.predict(X) == y).sum())
    assert f"({right} of 150)" in cli("evaluate", "iris.npz", "--data", "iris.csv", "--target", "species")
    info = cli("info", "iris.npz")
    assert "classes:      setosa, versicolor, virginica" in info and "val_cost" in info
    X.assign(species=y).to_csv(tmp_path / "in_order.csv", index=False)
    assert "network 4-8-3 (relu, softmax)" in cli("explain", "iris.npz", "--data", "in_order.csv", "--rows", "1,2")
    cli("export", "iris.npz", "--format", "torch", "--out", "iris.pt")
    assert (tmp_path / "iris.pt").exists()
