"""Built-in data sets: generated ones (numpy, seeded) and scikit-learn's bundled real ones."""

import os
import urllib.request

import numpy as np

from ..errors import ConfigError, DataError, unknown_name


def xor(n=200, seed=0, noise=0.1):
    """The four corners of the unit square with XOR labels, jittered: (X (n, 2), labels (n,))."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    return corners + rng.normal(scale=noise, size=(n, 2)), (corners[:, 0] ^ corners[:, 1]).astype(np.int64)


def circles(n=400, seed=0, noise=0.08, factor=0.5):
    """A circle inside a ring: (X (n, 2), labels (n,))."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    angle = rng.uniform(0, 2 * np.pi, size=n)
    radius = np.where(labels == 1, factor, 1.0)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X + rng.normal(scale=noise, size=X.shape), labels


def moons(n=400, seed=0, noise=0.1):
    """Two interleaving half circles: (X (n, 2), labels (n,))."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    t = rng.uniform(0, np.pi, size=n)
    X = np.where(labels[:, None] == 0, np.column_stack([np.cos(t), np.sin(t)]),
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    return X + rng.normal(scale=noise, size=X.shape), labels


def spirals(n=600, seed=0, noise=0.2, classes=3):
    """Interleaved spiral arms, one per class: (X (n, 2), labels (n,))."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=n)
    r = rng.uniform(0.05, 1.0, size=n)
    angle = labels * 2 * np.pi / classes + 4 * r + rng.normal(scale=noise, size=n) * 0.5
    return np.column_stack([r * np.sin(angle), r * np.cos(angle)]), labels


def blobs(n=400, seed=0, classes=4, spread=0.8):
    """Gaussian clusters around random centres: (X (n, 2), labels (n,))."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, size=(classes, 2))
    labels = rng.integers(0, classes, size=n)
    return centres[labels] + rng.normal(scale=spread, size=(n, 2)), labels


GENERATED = {f.__name__: f for f in (xor, circles, moons, spirals, blobs)}
# scikit-learn ships these files; nothing is downloaded.
BUNDLED = {"digits": ("load_digits", "classification"), "iris": ("load_iris", "classification"),
           "wine": ("load_wine", "classification"), "breast_cancer": ("load_breast_cancer", "classification"),
           "diabetes": ("load_diabetes", "regression")}
NAMES = tuple(GENERATED) + tuple(BUNDLED)


def load(name, seed=0):
    """(X, y, feature_names, target_names or None, task) for a built-in data set."""
    if name in GENERATED:
        X, y = GENERATED[name](seed=seed)
        return X, y, ["x1", "x2"], None, "classification"
    if name not in BUNDLED:
        raise unknown_name("data set", name, NAMES)
    try:
        import sklearn.datasets
    except ImportError:
        raise ConfigError(f"the {name!r} data set comes from scikit-learn: pip install 'backprop[datasets]'") from None
    loader, task = BUNDLED[name]
    bunch = getattr(sklearn.datasets, loader)()
    names = list(getattr(bunch, "feature_names", [])) or [f"x{i + 1}" for i in range(bunch.data.shape[1])]
    targets = list(bunch.target_names) if task == "classification" and "target_names" in bunch else None
    return np.asarray(bunch.data, dtype=float), bunch.target, [str(n) for n in names], targets, task


def describe():
    """Rows (name, n_samples, n_features, task, classes, source) for every built-in data set."""
    rows = []
    for name in NAMES:
        try:
            X, y, _, _, task = load(name)
            classes = len(np.unique(y)) if task == "classification" else "-"
            rows.append((name, X.shape[0], X.shape[1], task, classes,
                         "generated" if name in GENERATED else "scikit-learn"))
        except ConfigError:
            rows.append((name, "?", "?", BUNDLED[name][1], "?", "needs scikit-learn"))
    return rows


MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")


def download_mnist(folder, timeout=30):
    """Fetch the four standard MNIST IDX files into folder (needs a network); returns the folder."""
    os.makedirs(folder, exist_ok=True)
    for filename in MNIST_FILES:
        target = os.path.join(folder, filename)
        if os.path.exists(target):
            continue
        errors = []
        for mirror in MNIST_MIRRORS:
            try:
                with urllib.request.urlopen(mirror + filename, timeout=timeout) as response:
                    data = response.read()
                tmp = target + ".part"
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, target)
                break
            except OSError as exc:
                errors.append(f"{mirror}: {exc}")
        else:
            raise DataError(f"could not download {filename} ({'; '.join(errors)}); copy the MNIST IDX files "
                            f"into {folder} by hand and use --data mnist:{folder}")
    return folder
