"""Figures as PNG files; matplotlib is imported only here, and only when a figure is drawn."""

import math

import numpy as np

from .errors import ConfigError
from .io import write_atomically
from .tasks import class_indices


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only, never a window
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("plots need matplotlib: pip install 'backprop[plots]'") from None
    return plt


def _save(plt, fig, path, tight=True):
    if tight:
        fig.tight_layout()
    try:  # through the one writer: all or nothing, never over a FIFO or a device
        write_atomically(path, lambda f: fig.savefig(f, dpi=100, format="png"), error=ConfigError)
    finally:
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
    classes = class_indices(proba)
    ax.contourf(xx, yy, classes.reshape(xx.shape), alpha=0.3, cmap="tab10", vmin=0, vmax=9,
                levels=np.arange(-0.5, k))
    ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=size, edgecolors="none")
    return k


def _class_legend(plt, ax_or_fig, classes, k, **where):
    """A legend from colour to class name (tab10, as the plane and the points use)."""
    from matplotlib.patches import Patch
    cmap = plt.get_cmap("tab10")
    names = [str(c) for c in classes] if classes is not None else [str(i) for i in range(k)]
    handles = [Patch(color=cmap(i / 9), label=name) for i, name in enumerate(names[:10])]
    return ax_or_fig.legend(handles=handles, title="class", fontsize=8, title_fontsize=8, **where)


def curves(history, path, standardized=False):
    """Training and validation cost (and accuracy in %, when there is one) per epoch; the best epoch marked."""
    plt = _pyplot()
    has_acc = any(v is not None for v in history.accuracy + history.val_accuracy)
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5.5, 4), squeeze=False)
    ax = axes[0, 0]
    ax.plot(history.epoch, history.cost, label="training")
    if any(v is not None for v in history.val_cost):
        ax.plot(history.epoch, history.val_cost, label="validation")
    ylabel = "cost (on the standardized target)" if standardized else "cost"
    ax.set(xlabel="epoch", ylabel=ylabel, title="cost", yscale="log")
    panels = [ax]
    if has_acc:
        ax = axes[0, 1]
        for values, label in ((history.accuracy, "training"), (history.val_accuracy, "validation")):
            if any(v is not None for v in values):
                ax.plot(history.epoch, [None if v is None else 100 * v for v in values], label=label)
        ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
        panels.append(ax)
    for ax in panels:
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="gray", linestyle="--", linewidth=1,
                       label=f"best epoch {history.best_epoch} (restored)")
        ax.legend(fontsize=8)
    return _save(plt, fig, path)


def confusion(matrix, classes, path):
    """A confusion matrix: rows are true classes, columns predicted ones; sized by the number of classes."""
    plt = _pyplot()
    k = len(classes)
    names = [str(c) for c in classes]
    longest = max(len(n) for n in names)
    side = max(4.0, 1.8 + 0.45 * k + 0.06 * longest)
    fig, ax = plt.subplots(figsize=(side + 1.0, side))
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    fontsize = 11 if k <= 5 else 9 if k <= 12 else 7
    for i in range(k):
        for j in range(k):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=fontsize,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    rotate = 45 if longest > 3 and k > 2 or longest > 8 else 0
    ax.set_xticks(range(k), labels=names, rotation=rotate, ha="right" if rotate else "center", fontsize=fontsize)
    ax.set_yticks(range(k), labels=names, fontsize=fontsize)
    total = int(matrix.sum())
    accuracy = np.trace(matrix) / max(total, 1)
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.set_title(f"confusion matrix: {accuracy:.1%} of {total} right", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="samples")
    return _save(plt, fig, path)


def grid(X, steps=200, margin=0.5):
    """(xx, yy, points (steps^2, 2)) covering the 2-D data X with a margin."""
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def decision_boundary(predict_proba, X, labels, path, title="decision boundary", classes=None,
                      feature_names=("x1", "x2")):
    """The predicted class over the plane of 2-D inputs X (n, 2), with the samples on top and a class legend."""
    plt = _pyplot()
    xx, yy, points = grid(X)
    proba = predict_proba(points)
    fig, ax = plt.subplots(figsize=(6, 4.8))
    k = _classes_over_plane(ax, xx, yy, proba, X, labels, size=8)
    ax.set(title=title, xlabel=feature_names[0], ylabel=feature_names[1])
    _class_legend(plt, ax, classes, k, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    return _save(plt, fig, path)


def first_layer_weights(W, path, max_units=64):
    """Each hidden unit's incoming weights W_1[j] (n_0 = side^2) drawn as a side x side image, with a colour scale."""
    plt = _pyplot()
    side = int(round(math.sqrt(W.shape[1])))
    if side * side != W.shape[1]:
        raise ConfigError(f"first-layer weights of {W.shape[1]} inputs are not a square image")
    units = W[:max_units]
    fig, axes = _panels(plt, len(units), 1.1)
    limit = np.abs(units).max()
    for ax, w in zip(axes, units):
        image = ax.imshow(w.reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit)
    shown = f"all {len(W)} units" if len(units) == len(W) else f"{len(units)} of {len(W)} units shown"
    fig.suptitle(f"first-layer weights, one {side}x{side} image per hidden unit ({shown})")
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    fig.colorbar(image, cax=fig.add_axes([0.87, 0.15, 0.02, 0.7]), label="weight")
    return _save(plt, fig, path, tight=False)


def hidden_units(activations_fn, X, labels, path, max_units=16, feature_names=("x1", "x2")):
    """Each first-hidden-layer unit's activation over the input plane, with the samples (as in TF Playground)."""
    plt = _pyplot()
    xx, yy, points = grid(X, steps=80)
    every = activations_fn(points)
    a = every[:, :max_units]
    fig, axes = _panels(plt, a.shape[1], 1.8)
    low, high = float(a.min()), float(a.max())
    cmap = "viridis" if low >= 0 else "RdBu_r"  # relu's a >= 0: one-sided; tanh's: centred on 0
    if low < 0:
        low, high = -max(-low, high), max(-low, high)
    for j, ax in enumerate(axes):
        filled = ax.contourf(xx, yy, a[:, j].reshape(xx.shape), levels=np.linspace(low, high + 1e-12, 21),
                             cmap=cmap)
        ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=2, edgecolors="none")
        ax.set_title(f"unit {j + 1}", fontsize=8)
    shown = f"all {every.shape[1]} units" if a.shape[1] == every.shape[1] else \
        f"{a.shape[1]} of {every.shape[1]} units shown"
    fig.suptitle(f"hidden layer 1 over the ({feature_names[0]}, {feature_names[1]}) plane ({shown})", fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    bar = fig.colorbar(filled, cax=fig.add_axes([0.86, 0.15, 0.02, 0.7]), label="activation a_1", format="%.2g")
    from matplotlib.ticker import MaxNLocator  # matplotlib is there: _pyplot() imported it
    bar.locator = MaxNLocator(6)
    bar.update_ticks()
    return _save(plt, fig, path, tight=False)


def boundary_series(frames, X, labels, path, steps=120, classes=None, feature_names=("x1", "x2")):
    """The decision boundary at several epochs side by side; frames: [(epoch, predict_proba)]."""
    plt = _pyplot()
    xx, yy, _ = grid(X, steps=steps)
    fig, axes = plt.subplots(1, len(frames), figsize=(3 * len(frames) + 1.2, 3.4), squeeze=False)
    for ax, (epoch, proba) in zip(axes[0], frames):
        k = _classes_over_plane(ax, xx, yy, proba, X, labels, size=4)
        ax.set(title=f"epoch {epoch}", xticks=[], yticks=[], xlabel=feature_names[0])
    axes[0, 0].set_ylabel(feature_names[1])
    fig.suptitle("decision boundary during training")
    fig.tight_layout(rect=(0, 0, 1 - 1.1 / (3 * len(frames) + 1.2), 1))
    _class_legend(plt, fig, classes, k, loc="center right")
    return _save(plt, fig, path, tight=False)


def gradient_depth(norms, path):
    """||dC/dW_l|| against the layer l, one line per activation; norms: {activation: [values]}."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, values in norms.items():
        ax.semilogy(range(1, len(values) + 1), values, marker="o", label=name)
    ax.set(xlabel="layer l", ylabel="||dC/dW_l||", title="gradient size by depth")
    ax.legend()
    return _save(plt, fig, path)
