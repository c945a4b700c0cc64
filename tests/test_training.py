"""The training loop: real-data accuracy, stopping, divergence, interruption, weights, warm start."""

import os
import signal
import threading

import numpy as np
import pytest

import backprop as bp
from backprop.training.history import Callback, History
from backprop.training.progress import ProgressBar
from backprop.training import TrainingOptions
from backprop.training import state_of

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split

    X, y = datasets.load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)


def accuracy(net, X, y):
    return float((net.predict(X).argmax(axis=1) == y).mean())


def test_digits_relu_softmax_adam_reaches_97_percent(digits):
    X_train, X_test, y_train, y_test = digits
    net = bp.Network([64, 64, 10], activation="relu", output="softmax", cost="cross_entropy", seed=0)
    history = bp.train(net, X_train, y_train, epochs=40, batch_size=64, optimizer="adam", learning_rate=0.002)
    assert history.stop_reason == "completed" and len(history) == 40
    assert accuracy(net, X_test, y_test) >= 0.97


def test_digits_reference_setup_reaches_96_percent(digits):
    """Sigmoid everywhere, MSE, plain SGD: the reference's network, on real data."""
    X_train, X_test, y_train, y_test = digits
    net = bp.Network([64, 64, 10], seed=0)
    bp.train(net, X_train, y_train, epochs=150, batch_size=16, optimizer="sgd", learning_rate=1.0)
    assert accuracy(net, X_test, y_test) >= 0.96


def test_huge_learning_rate_is_reported_as_divergence_in_the_first_epoch(digits):
    X_train, _, y_train, _ = digits
    net = bp.Network([64, 64, 10], activation="relu", output="softmax", cost="cross_entropy", seed=0)
    with pytest.raises(bp.DivergenceError, match="learning rate") as info:
        bp.train(net, X_train, y_train, epochs=5, batch_size=32, learning_rate=1e6, optimizer="sgd")
    assert info.value.epoch == 1 and info.value.batch is not None and info.value.learning_rate == 1e6
    assert "epoch 1" in str(info.value) and "batch" in str(info.value)
    assert all(np.isfinite(p).all() for p in net.weights + net.biases)
    assert state_of(net).history.stop_reason == "diverged"


def test_tol_stops_xor_early_and_history_says_so():
    net = bp.Network([2, 3, 1], seed=0)
    history = bp.train(net, XOR_X, XOR_Y, epochs=50000, batch_size=None, learning_rate=2.0, tol=1e-3, optimizer="sgd")
    assert history.stop_reason == "tol" and len(history) < 50000
    assert history.cost[-1] < 1e-3 <= history.cost[-2]
    assert "tol" in history.stop_message


def test_early_stopping_restores_the_best_epoch(digits):
    X_train, X_test, y_train, y_test = digits
    net = bp.Network([64, 64, 10], activation="relu", output="softmax", cost="cross_entropy", seed=0)
    # A high learning rate makes the validation cost bounce, so the best epoch is not the last.
    history = bp.train(
        net,
        X_train,
        y_train,
        epochs=60,
        batch_size=32,
        optimizer="adam",
        learning_rate=0.02,
        validation_data=(X_test, y_test),
        early_stopping=3,
    )
    assert history.stop_reason == "early_stopping"
    best = history.best_epoch
    assert history.val_cost[best - 1] == min(history.val_cost)
    assert len(history) == best + 3
    assert net.cost(X_test, y_test) == pytest.approx(history.val_cost[best - 1], rel=1e-12)


def test_validation_split_reports_validation_cost_and_accuracy(digits):
    X_train, _, y_train, _ = digits
    net = bp.Network([64, 10], output="softmax", cost="cross_entropy", seed=0)
    history = bp.train(net, X_train, y_train, epochs=3, optimizer="adam", learning_rate=0.01, validation_split=0.2)
    assert all(v is not None for v in history.val_cost + history.val_accuracy + history.accuracy)
    assert 0 <= history.val_accuracy[-1] <= 1
    assert "val_acc" in history.table()


def test_sample_weight_of_two_equals_a_duplicated_sample(rng):
    X, Y = rng.normal(size=(6, 3)), rng.random((6, 2))
    weights = np.array([2.0, 1, 1, 1, 1, 1])
    a, b = bp.Network([3, 4, 2], seed=0), bp.Network([3, 4, 2], seed=0)
    assert a.cost(X, Y, sample_weight=weights) == pytest.approx(b.cost(np.vstack([X, X[:1]]), np.vstack([Y, Y[:1]])))
    ga, gb = a.gradients(X, Y, weights), b.gradients(np.vstack([X, X[:1]]), np.vstack([Y, Y[:1]]))
    for p, q in zip(ga[0] + ga[1], gb[0] + gb[1]):
        np.testing.assert_allclose(p, q, rtol=1e-12)
    bp.train(a, X, Y, sample_weight=weights, epochs=5, batch_size=None, learning_rate=0.5, optimizer="sgd")
    bp.train(
        b, np.vstack([X, X[:1]]), np.vstack([Y, Y[:1]]), epochs=5, batch_size=None, learning_rate=0.5, optimizer="sgd"
    )
    np.testing.assert_allclose(a.weights[0], b.weights[0], rtol=1e-12)


def test_balanced_class_weight_counts_the_rare_class_more(rng):
    X = rng.normal(size=(40, 2))
    y = np.array([0] * 36 + [1] * 4)
    plain = bp.Network([2, 2], output="softmax", cost="cross_entropy", seed=0)
    balanced = bp.Network([2, 2], output="softmax", cost="cross_entropy", seed=0)
    bp.train(plain, X, y, epochs=30, batch_size=None, learning_rate=0.5, optimizer="sgd")
    bp.train(balanced, X, y, epochs=30, batch_size=None, learning_rate=0.5, class_weight="balanced", optimizer="sgd")
    assert balanced.predict(X)[:, 1].mean() > plain.predict(X)[:, 1].mean()


def test_same_seed_same_weights_and_last_short_batch_used(rng):
    X, Y = rng.normal(size=(50, 3)), rng.random((50, 2))
    nets = [bp.Network([3, 4, 2], seed=1) for _ in range(2)]
    seen = []

    class Count(Callback):
        def on_batch_end(self, batch, logs):
            seen.append(batch)

    for net in nets:
        bp.train(net, X, Y, epochs=3, batch_size=16, optimizer="momentum", callbacks=[Count()])
    assert all(np.array_equal(p, q) for p, q in zip(nets[0].weights, nets[1].weights))
    assert seen[:4] == [0, 1, 2, 3]  # 16 + 16 + 16 + 2 samples
    other = bp.Network([3, 4, 2], seed=1)
    bp.train(other, X, Y, epochs=3, batch_size=16, optimizer="momentum", seed=99)
    assert not np.array_equal(other.weights[0], nets[0].weights[0])


def test_warm_start_continues_weights_optimizer_and_epochs(rng):
    X, Y = rng.normal(size=(30, 3)), rng.random((30, 2))
    straight, split = bp.Network([3, 5, 2], seed=2), bp.Network([3, 5, 2], seed=2)
    bp.train(straight, X, Y, epochs=6, batch_size=8, optimizer="adam")
    bp.train(split, X, Y, epochs=3, batch_size=8, optimizer="adam")
    history = bp.train(split, X, Y, epochs=3, batch_size=8, optimizer="adam")
    assert history.epoch == [4, 5, 6] and state_of(split).optimizer.t == state_of(straight).optimizer.t
    for p, q in zip(straight.weights + straight.biases, split.weights + split.biases):
        np.testing.assert_allclose(p, q, rtol=1e-12)
    assert len(state_of(split).history) == 6


def test_warm_start_takes_new_settings_and_keeps_the_state(rng):
    X, Y = rng.normal(size=(20, 3)), rng.random((20, 2))
    net = bp.Network([3, 4, 2], seed=0)
    bp.train(net, X, Y, epochs=2, optimizer="momentum", momentum=0.9)
    velocity = state_of(net).optimizer.state["velocity"].copy()
    bp.train(net, X, Y, epochs=1, optimizer="momentum", momentum=0.5)
    assert state_of(net).optimizer.momentum == 0.5 and state_of(net).optimizer.t > 2
    assert not np.array_equal(velocity, state_of(net).optimizer.state["velocity"])


@pytest.mark.parametrize(
    "schedule,expected",
    [
        ("constant", [0.1, 0.1, 0.1, 0.1]),
        ("step", [0.1, 0.1, 0.05, 0.05]),
        ("exponential", [0.1, 0.05, 0.025, 0.0125]),
        ("cosine", [0.1, 0.1 * (1 + np.cos(np.pi / 4)) / 2, 0.05, 0.1 * (1 + np.cos(3 * np.pi / 4)) / 2]),
    ],
)
def test_schedules(schedule, expected):
    net = bp.Network([2, 3, 1], seed=0)
    history = bp.train(
        net,
        XOR_X,
        XOR_Y,
        epochs=4,
        learning_rate=0.1,
        schedule=schedule,
        optimizer="sgd",
        **({"step_size": 2} if schedule == "step" else {}),
        **({"gamma": 0.5} if schedule in ("step", "exponential") else {}),
    )
    np.testing.assert_allclose(history.learning_rate, expected)


def test_weight_decay_shrinks_weights_not_biases(rng):
    X, Y = rng.normal(size=(20, 3)), rng.random((20, 2))
    plain, decayed = bp.Network([3, 4, 2], seed=0), bp.Network([3, 4, 2], seed=0)
    bp.train(plain, X, Y, epochs=20, batch_size=None, learning_rate=0.1, optimizer="sgd")
    bp.train(decayed, X, Y, epochs=20, batch_size=None, learning_rate=0.1, weight_decay=0.5, optimizer="sgd")
    assert np.linalg.norm(decayed.weights[0]) < np.linalg.norm(plain.weights[0])
    # The L2 term is part of the gradient: one step equals SGD on grad + wd W.
    net = bp.Network([3, 4, 2], seed=0)
    grad_w, grad_b = net.gradients(X, Y)
    expected_W, expected_b = net.weights[0] - 0.1 * (grad_w[0] + 0.5 * net.weights[0]), net.biases[0] - 0.1 * grad_b[0]
    bp.train(net, X, Y, epochs=1, batch_size=None, learning_rate=0.1, weight_decay=0.5, shuffle=False, optimizer="sgd")
    np.testing.assert_allclose(net.weights[0], expected_W, rtol=1e-12)
    np.testing.assert_allclose(net.biases[0], expected_b, rtol=1e-12)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_puts_back_the_last_completed_epoch_and_propagates(rng, signum):
    X, Y = rng.normal(size=(64, 3)), rng.random((64, 2))
    net = bp.Network([3, 8, 2], seed=0)
    batches, epochs = [], []

    class Watch(Callback):
        def on_batch_end(self, batch, logs):
            batches.append(batch)
            if len(batches) == 20:  # batch 4 of epoch 2 (16 batches an epoch)
                os.kill(os.getpid(), signum)  # arrives mid-run; must be held to a step boundary

        def on_epoch_end(self, epoch, logs):
            epochs.append(([p.copy() for p in net.weights + net.biases], state_of(net).optimizer.t))

    handler = signal.getsignal(signum)
    with pytest.raises(bp.training.Interrupted) as info:
        bp.train(net, X, Y, epochs=100, batch_size=4, callbacks=[Watch()], optimizer="momentum")
    assert info.value.signal == signum and isinstance(info.value, KeyboardInterrupt)
    assert state_of(net).history.stop_reason == "interrupted" and len(state_of(net).history) == 1
    assert len(batches) == 20 and len(epochs) == 1
    saved, steps = epochs[0]
    assert all(np.array_equal(p, q) for p, q in zip(net.weights + net.biases, saved))
    assert state_of(net).optimizer.t == steps == 16  # the optimizer's state is that of epoch 1 too
    assert signal.getsignal(signum) is handler


def test_fit_runs_outside_the_main_thread(rng):
    X, Y = rng.normal(size=(10, 3)), rng.random((10, 2))
    net, results = bp.Network([3, 2], seed=0), []
    thread = threading.Thread(target=lambda: results.append(bp.train(net, X, Y, epochs=2, optimizer="sgd")))
    thread.start()
    thread.join()
    assert isinstance(results[0], History)


@pytest.mark.parametrize(
    "settings,match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"optimizer": "rmsprop"}, "adam"),
        ({"schedule": "linear"}, "cosine"),
        ({"validation_split": 1.0}, "validation"),
        ({"early_stopping": 0}, "early_stopping must be an integer >= 1"),
        ({"epoch": 3}, "unknown training option"),
        ({"weight_decay": -1}, "weight_decay"),
        ({"learning_rate": "0.1"}, "learning_rate must be a number > 0"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"gamma": 2.0, "schedule": "step"}, "gamma must be a number > 0 and <= 1"),
        ({"momentum": 0.9}, "momentum is not an option of the sgd optimizer"),
        ({"epochs": 1e23}, "epochs must be an integer"),
    ],
)
def test_bad_settings(settings, match):
    with pytest.raises(bp.ConfigError, match=match):
        bp.train(bp.Network([2, 1]), XOR_X, XOR_Y, **{"optimizer": "sgd", **settings})


def test_options_object_and_keywords_combine():
    options = TrainingOptions.build(TrainingOptions(epochs=3, optimizer="adam"), learning_rate=0.01)
    assert (options.epochs, options.optimizer, options.learning_rate) == (3, "adam", 0.01)
    history = bp.train(bp.Network([2, 3, 1], seed=0), XOR_X, XOR_Y, options=options)
    assert len(history) == 3 and history.learning_rate == [0.01] * 3


def test_progress_bar_shows_the_cost(tmp_path):
    pytest.importorskip("tqdm")
    path = tmp_path / "bar.txt"
    with open(path, "w") as stream:
        bp.train(
            bp.Network([2, 3, 1], seed=0),
            XOR_X,
            XOR_Y,
            epochs=5,
            batch_size=2,
            callbacks=[ProgressBar(stream, enabled=True, min_interval=0)],
        )
    text = path.read_text()
    assert "cost=" in text and "10/10" in text
    with open(path, "w") as stream:  # not a terminal: off by default
        bp.train(
            bp.Network([2, 3, 1], seed=0), XOR_X, XOR_Y, epochs=2, callbacks=[ProgressBar(stream)], optimizer="sgd"
        )
    assert path.read_text() == ""


def test_history_round_trips_and_prints():
    net = bp.Network([2, 3, 1], seed=0)
    history = bp.train(net, XOR_X, XOR_Y, epochs=3, optimizer="sgd")
    assert History.from_dict(history.as_dict()) == history
    assert history.table().splitlines()[0].split()[:2] == ["epoch", "cost"]


def test_the_parameters_stay_in_the_networks_one_buffer(rng):
    """W_l and b_l are views of Network.parameters from the start; training and set_parameters keep them there."""
    net = bp.Network([4, 5, 3], activation="relu", output="softmax", cost="cross_entropy", seed=0)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    buffer, arrays = net.parameters, net.weights + net.biases
    assert sum(p.size for p in arrays) == buffer.size and all(p.base is buffer for p in arrays)
    bp.train(net, X, y, epochs=1, optimizer="adam", seed=0)
    assert net.parameters is buffer and all(a is b for a, b in zip(net.weights + net.biases, arrays))
    mine = np.asfortranarray(net.weights[0] * 0.5)  # a user's own array: copied in, not taken
    net.set_parameters([mine, net.weights[1]], net.biases)
    assert net.weights[0] is arrays[0] and np.array_equal(net.weights[0], mine)
    bp.train(net, X, y, epochs=1, optimizer="adam", seed=0)
    assert net.parameters is buffer and np.isfinite(buffer).all() and not np.array_equal(net.weights[0], mine)
    with pytest.raises(TypeError):
        net.weights[0] = mine  # the views cannot be swapped for other arrays ...
    with pytest.raises(AttributeError):
        net.biases = [np.zeros(5), np.zeros(3)]  # ... nor the lists replaced


@pytest.mark.parametrize("outputs", [3, 1])
def test_an_epochs_accuracy_counts_every_sample_once_in_its_shuffled_batch(rng, outputs):
    # With a step too small to move a weight, the epoch's accuracy must be the network's accuracy on
    # the training set, whatever the order and the short last batch (50 samples in batches of 16).
    X = rng.normal(size=(50, 4))
    labels = rng.integers(0, max(outputs, 2), size=50)
    Y = np.eye(3)[labels] if outputs == 3 else labels[:, None].astype(float)
    net = bp.Network([4, 5, outputs], activation="tanh", output="softmax" if outputs == 3 else "sigmoid",
                     cost="cross_entropy" if outputs == 3 else "binary_cross_entropy", seed=1)
    predicted = net.predict(X)
    expected = np.mean(predicted.argmax(axis=1) == labels if outputs == 3 else (predicted[:, 0] > 0.5) == labels)
    assert 0.2 < expected < 0.8  # some right and some wrong, so a miscount shows
    before = [W.copy() for W in net.weights]
    history = bp.train(net, X, Y, epochs=2, batch_size=16, learning_rate=1e-300, seed=3)
    assert all(np.array_equal(W, W0) for W, W0 in zip(net.weights, before))
    assert history.accuracy == [expected, expected]


@pytest.mark.parametrize("weighted", [False, True])
def test_an_epochs_cost_is_the_size_weighted_mean_of_the_costs_its_batches_reported(rng, weighted):
    # The loop computes the epoch's cost once at its end, from every batch's kept outputs; a callback
    # watching batches gets each batch's cost as it comes. The two must agree.
    X, Y = rng.normal(size=(50, 3)), rng.random((50, 2))
    sample_weight = rng.uniform(0.5, 2.0, size=50) if weighted else None
    seen = []

    class Watch(Callback):
        def on_batch_end(self, batch, logs):
            seen.append(logs["cost"])

    net = bp.Network([3, 4, 2], seed=1)
    history = bp.train(net, X, Y, sample_weight=sample_weight, epochs=2, batch_size=16, optimizer="adam",
                       learning_rate=0.05, callbacks=[Watch()])
    sizes = [16, 16, 16, 2]
    for epoch, costs in enumerate((seen[:4], seen[4:])):
        assert history.cost[epoch] == pytest.approx(np.dot(costs, sizes) / 50, rel=1e-12)
    assert history.cost[1] < history.cost[0]


def test_divergence_names_the_batch_whose_cost_first_became_infinite(rng):
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    X[9] = 1e200  # the third batch of four rows: its squared error overflows
    net = bp.Network([3, 4, 2], activation="identity", output="identity", seed=0)
    before = [p.copy() for p in net.weights + net.biases]
    with pytest.raises(bp.DivergenceError, match="epoch 1, batch 3: the cost became inf") as info:
        bp.train(net, X, Y, epochs=2, batch_size=4, shuffle=False, learning_rate=0.01)
    assert (info.value.epoch, info.value.batch) == (1, 3)
    assert all(np.array_equal(p, q) for p, q in zip(net.weights + net.biases, before))


def useless_inputs_problem():
    """y = 2 x1 - x2 + noise, and eight more inputs the target does not use."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10))
    return X, (2 * X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=200))[:, None]


@pytest.mark.parametrize("optimizer,learning_rate", [("sgd", 0.05), ("adam", 0.01)])
def test_l1_drives_the_weights_of_useless_inputs_toward_zero(optimizer, learning_rate):
    X, y = useless_inputs_problem()
    fits = {}
    for l1 in (0.0, 0.02):
        net = bp.Network([10, 1], output="identity", cost="mse", seed=0)
        history = bp.train(net, X, y, epochs=60, batch_size=20, optimizer=optimizer, learning_rate=learning_rate,
                           l1=l1, seed=0)
        fits[l1] = net.weights[0][0], history.cost[-1], net.cost(X, y)
    (plain, _, _), (sparse, reported, data_cost) = fits[0.0], fits[0.02]
    assert np.linalg.norm(sparse[2:]) <= 0.25 * np.linalg.norm(plain[2:])  # the useless inputs' weights shrink
    np.testing.assert_allclose(sparse[:2], [2, -1], atol=0.05)             # the useful ones stay
    # The reported cost is the data cost, as with weight_decay: the penalty 0.02 ||W||_1 (about 0.06) is not in it.
    assert reported == pytest.approx(data_cost, rel=0.3) and reported < 0.02 * np.abs(sparse).sum() / 4


def test_l1_is_saved_in_the_model_file_and_files_without_it_still_load(tmp_path):
    import json

    from backprop import io

    X, y = useless_inputs_problem()
    net = bp.Network([10, 1], output="identity", cost="mse", seed=0)
    bp.train(net, X, y, epochs=2, optimizer="momentum", l1=0.03)
    io.save(tmp_path / "l1.npz", net)
    again, _ = io.load(tmp_path / "l1.npz")
    assert state_of(again).options.l1 == 0.03 and state_of(again).optimizer.l1 == 0.03
    with np.load(tmp_path / "l1.npz") as f:  # a file from before l1: neither the option nor the setting
        arrays = dict(f)
    meta = json.loads(arrays["metadata"].tobytes())
    del meta["training"]["options"]["l1"], meta["training"]["optimizer"]["settings"]["l1"]
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    old, _ = io.load(tmp_path / "old.npz")
    assert state_of(old).options.l1 == 0.0 and state_of(old).optimizer.l1 == 0.0
