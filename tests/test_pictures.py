"""The pictures are fit for a report: sized by class count, legends and column names, colour scales, unit counts,
percentages, the best epoch marked. Each figure is caught before it is closed and its parts are checked."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from backprop import plots  # noqa: E402
from backprop.training import History  # noqa: E402


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions draw, kept open, in order."""
    caught = []

    def keep(plt, fig, path, tight=True):
        fig.savefig(path)
        caught.append(fig)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return caught


def texts(fig):
    from matplotlib.text import Text

    found = [t.get_text() for t in fig.findobj(Text)]
    return " | ".join(found)


def test_confusion_grows_with_the_classes_and_keeps_long_names_readable(figures, tmp_path):
    plots.confusion(np.diag([10, 12, 14]), ["barbera", "barolo", "grignolino"], tmp_path / "c3.png")
    plots.confusion(np.eye(10, dtype=int) * 30, list(range(10)), tmp_path / "c10.png")
    small, large = (f.get_size_inches() * f.dpi for f in figures)
    assert small.min() >= 400 and large[0] > small[0]
    ax = figures[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["barbera", "barolo", "grignolino"]
    assert ax.get_xticklabels()[0].get_rotation() > 0  # long names are turned, not overlapping
    assert "97" not in ax.get_title() and "100.0% of 36 right" in ax.get_title()
    assert len(figures[0].axes) == 2  # the colour scale


def test_boundary_has_a_class_legend_and_the_column_names(figures, tmp_path):
    X = np.random.default_rng(0).normal(size=(30, 2))
    labels = (X[:, 0] > 0).astype(int)
    proba = lambda P: np.column_stack([P[:, 0] <= 0, P[:, 0] > 0]).astype(float)  # noqa: E731
    plots.decision_boundary(
        proba, X, labels, tmp_path / "b.png", classes=["low", "high"], feature_names=["alcohol", "ash"]
    )
    ax = figures[0].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("alcohol", "ash")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["low", "high"]


def test_weights_say_how_many_units_are_shown_and_have_a_scale(figures, tmp_path):
    plots.first_layer_weights(np.random.default_rng(0).normal(size=(128, 64)), tmp_path / "w.png")
    assert "64 of 128 units shown" in texts(figures[0])
    assert any(ax.get_ylabel() == "weight" for ax in figures[0].axes)


def test_hidden_units_show_the_samples_a_scale_and_the_count(figures, tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 2))
    plots.hidden_units(lambda P: np.tanh(P @ np.ones((2, 20))), X, (X[:, 0] > 0).astype(int), tmp_path / "h.png")
    fig = figures[0]
    assert "16 of 20 units shown" in texts(fig)
    assert any("activation" in ax.get_ylabel() for ax in fig.axes)
    assert all(ax.collections[-1].get_offsets().shape == (20, 2) for ax in fig.axes[:16])  # the samples on top


def test_curves_show_accuracy_in_percent_and_mark_the_best_epoch(figures, tmp_path):
    h = History(
        epoch=[1, 2, 3],
        cost=[1.0, 0.5, 0.4],
        accuracy=[0.5, 0.8, 0.9],
        val_cost=[1.1, 0.6, 0.7],
        val_accuracy=[0.4, 0.7, 0.6],
        learning_rate=[0.1] * 3,
        seconds=[0.0] * 3,
        best_epoch=2,
    )
    plots.curves(h, tmp_path / "c.png")
    cost, accuracy = figures[0].axes
    assert accuracy.get_ylabel() == "accuracy (%)" and max(accuracy.lines[0].get_ydata()) == pytest.approx(90)
    assert any("best epoch 2" in line.get_label() and list(line.get_xdata()) == [2, 2] for line in cost.lines)
    plots.curves(h, tmp_path / "r.png", standardized=True)
    assert "standardized" in figures[1].axes[0].get_ylabel()
