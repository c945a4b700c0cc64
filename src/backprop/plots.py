"""Figures as PNG files; matplotlib is imported only here, and only when a figure is drawn."""

import math

import numpy as np

from .errors import ConfigError


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only, never a window
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'backprop[plots]'") from None
    return plt


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _panels(plt, count, inches):
    """A figure with count small square panels in a near-square grid, axes off: (fig, [axes])."""
    cols = int(math.ceil(math.sqrt(count)))
    rows = int(math.ceil(count / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * inches, rows * inches), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    return fig, list(axes.ravel()[:count])


def _classes_over_plane(ax, xx, yy, proba, X, labels, size):
    """Colour the plane by predicted class and put the labelled samples on top."""
    k = max(proba.shape[1], 2)
    classes = proba.argmax(axis=1) if proba.shape[1] > 1 else (proba[:, 0] > 0.5).astype(int)
    ax.contourf(xx, yy, classes.reshape(xx.shape), alpha=0.3, cmap="tab10", vmin=0, vmax=9,
                levels=np.arange(-0.5, k))
    ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=size, edgecolors="none")


def curves(history, path):
    """Training and validation cost (and accuracy, when there is one) per epoch."""
    plt = _pyplot()
    has_acc = any(v is not None for v in history.accuracy + history.val_accuracy)
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5, 3.6), squeeze=False)
    ax = axes[0, 0]
    ax.plot(history.epoch, history.cost, label="training")
    if any(v is not None for v in history.val_cost):
        ax.plot(history.epoch, history.val_cost, label="validation")
    ax.set(xlabel="epoch", ylabel="cost", title="cost", yscale="log")
    ax.legend()
    if has_acc:
        ax = axes[0, 1]
        for values, label in ((history.accuracy, "training"), (history.val_accuracy, "validation")):
            if any(v is not None for v in values):
                ax.plot(history.epoch, values, label=label)
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        ax.legend()
    return _save(plt, fig, path)


def confusion(matrix, classes, path):
    """A confusion matrix: rows are true classes, columns predicted ones."""
    plt = _pyplot()
    k = len(classes)
    fig, ax = plt.subplots(figsize=(1 + 0.5 * k, 1 + 0.5 * k))
    ax.imshow(matrix, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set(xticks=range(k), yticks=range(k), xticklabels=classes, yticklabels=classes,
           xlabel="predicted", ylabel="true", title="confusion matrix")
    return _save(plt, fig, path)


def grid(X, steps=200, margin=0.5):
    """(xx, yy, points (steps^2, 2)) covering the 2-D data X with a margin."""
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def decision_boundary(predict_proba, X, labels, path, title="decision boundary"):
    """The predicted class over the plane of 2-D inputs X (n, 2), with the samples on top."""
    plt = _pyplot()
    xx, yy, points = grid(X)
    proba = predict_proba(points)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    _classes_over_plane(ax, xx, yy, proba, X, labels, size=8)
    ax.set(title=title, xlabel="x1", ylabel="x2")
    return _save(plt, fig, path)


def first_layer_weights(W, path, max_units=64):
    """Each hidden unit's incoming weights W_1[j] (n_0 = side^2) drawn as a side x side image."""
    plt = _pyplot()
    side = int(round(math.sqrt(W.shape[1])))
    if side * side != W.shape[1]:
        raise ConfigError(f"first-layer weights of {W.shape[1]} inputs are not a square image")
    units = W[:max_units]
    fig, axes = _panels(plt, len(units), 1.1)
    limit = np.abs(units).max()
    for ax, w in zip(axes, units):
        ax.imshow(w.reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.suptitle("first-layer weights")
    return _save(plt, fig, path)


def hidden_units(activations_fn, X, labels, path, max_units=16):
    """Each first-hidden-layer unit's activation over the input plane (as in TensorFlow Playground)."""
    plt = _pyplot()
    xx, yy, points = grid(X, steps=80)
    a = activations_fn(points)[:, :max_units]
    fig, axes = _panels(plt, a.shape[1], 1.6)
    for j, ax in enumerate(axes):
        ax.contourf(xx, yy, a[:, j].reshape(xx.shape), levels=20, cmap="RdBu_r")
        ax.set_title(f"unit {j + 1}", fontsize=8)
    fig.suptitle("hidden units over the input plane")
    return _save(plt, fig, path)


def boundary_series(frames, X, labels, path, steps=120):
    """The decision boundary at several epochs side by side; frames: [(epoch, predict_proba)]."""
    plt = _pyplot()
    xx, yy, _ = grid(X, steps=steps)
    fig, axes = plt.subplots(1, len(frames), figsize=(3 * len(frames), 3.2), squeeze=False)
    for ax, (epoch, proba) in zip(axes[0], frames):
        _classes_over_plane(ax, xx, yy, proba, X, labels, size=4)
        ax.set(title=f"epoch {epoch}", xticks=[], yticks=[])
    return _save(plt, fig, path)


def gradient_depth(norms, path):
    """||dC/dW_l|| against the layer l, one line per activation; norms: {activation: [values]}."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, values in norms.items():
        ax.semilogy(range(1, len(values) + 1), values, marker="o", label=name)
    ax.set(xlabel="layer l", ylabel="||dC/dW_l||", title="gradient size by depth")
    ax.legend()
    return _save(plt, fig, path)
