"""The Network's public API: shapes, targets, initialization, dtype, and the simplified output error a_L - y."""

import warnings

import numpy as np
import pytest

import backprop as bp
from conftest import random_targets


def test_shapes_follow_the_derivation():
    net = bp.Network([4, 5, 3])
    assert [W.shape for W in net.weights] == [(5, 4), (3, 5)]
    assert [b.shape for b in net.biases] == [(5,), (3,)]
    assert net.predict(np.zeros((7, 4))).shape == (7, 3)


def test_gradients_change_nothing_and_have_the_parameter_shapes(rng):
    net = bp.Network([3, 4, 2], seed=0)
    before = [p.copy() for p in net.weights + net.biases]
    grad_w, grad_b = net.gradients(rng.normal(size=(5, 3)), rng.random((5, 2)))
    assert [g.shape for g in grad_w] == [W.shape for W in net.weights]
    assert [g.shape for g in grad_b] == [b.shape for b in net.biases]
    assert all(np.array_equal(p, q) for p, q in zip(net.weights + net.biases, before))


def test_cost_is_a_float_matching_the_formula(rng):
    net = bp.Network([3, 4, 2], seed=0)
    X, Y = rng.normal(size=(5, 3)), rng.random((5, 2))
    c = net.cost(X, Y)
    assert isinstance(c, float)
    assert c == pytest.approx(((net.predict(X) - Y) ** 2).sum() / (2 * 5))


def test_integer_labels_are_one_hot_encoded(rng):
    net = bp.Network([3, 4], output="softmax", cost="cross_entropy", seed=0)
    X = rng.normal(size=(6, 3))
    labels = np.array([0, 1, 2, 3, 1, 0])
    assert net.cost(X, labels) == pytest.approx(net.cost(X, np.eye(4)[labels]))


def test_one_output_takes_a_1d_target_as_a_column_never_broadcast(rng):
    net = bp.Network([2, 3, 1], seed=0)
    X, y = rng.normal(size=(5, 2)), rng.random(5)
    assert net.cost(X, y) == pytest.approx(net.cost(X, y[:, None]))
    assert net.cost(X, y) == pytest.approx(((net.predict(X)[:, 0] - y) ** 2).sum() / 10)


@pytest.mark.parametrize(
    "X,Y,match",
    [
        (np.zeros((5, 3)), np.zeros((5, 3)), "3 columns but the network takes 2"),
        (np.zeros(5), np.zeros(5), "2-D"),
        (np.zeros((5, 2)), np.zeros((4, 2)), "5 samples but Y has 4"),
        (np.zeros((5, 2)), np.zeros((5, 3)), "2 outputs"),
        (np.zeros((5, 2)), np.zeros((5, 1)), "2 outputs"),
        (np.zeros((5, 2)), np.array([0, 1, 2, 0, 1]), "0..1"),
        (np.zeros((5, 2)), np.array([0.5, 1, 0, 0, 1]), "integer class labels"),
        (np.zeros((0, 2)), np.zeros((0, 2)), "no samples"),
    ],
)
def test_shape_errors(X, Y, match):
    net = bp.Network([2, 3, 2])
    with pytest.raises(bp.BackpropError, match=match):
        net.cost(X, Y)
    with pytest.raises(bp.BackpropError, match=match):
        net.gradients(X, Y)


def test_non_finite_inputs_are_refused():
    net = bp.Network([2, 2])
    with pytest.raises(bp.DataError, match="NaN"):
        net.predict([[np.nan, 1.0]])
    with pytest.raises(bp.DataError, match="NaN"):
        net.cost([[1.0, 1.0]], [[np.inf, 0.0]])


@pytest.mark.parametrize("sizes", [[3], [], [2, 0, 1], "abc", None])
def test_bad_sizes(sizes):
    with pytest.raises(bp.ConfigError):
        bp.Network(sizes)


def test_same_seed_same_network_and_never_symmetric():
    a, b, c = bp.Network([4, 6, 3], seed=3), bp.Network([4, 6, 3], seed=3), bp.Network([4, 6, 3], seed=4)
    assert all(np.array_equal(p, q) for p, q in zip(a.weights, b.weights))
    assert not np.array_equal(a.weights[0], c.weights[0])
    for W in a.weights:  # no two units start alike, or they would learn alike
        assert len({tuple(row) for row in W}) == W.shape[0]


def test_initialization_scale_follows_the_activation():
    relu = bp.Network([400, 300, 10], activation="relu", seed=0)
    sigmoid = bp.Network([400, 300, 10], activation="sigmoid", seed=0)
    assert relu.weights[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)  # He
    assert sigmoid.weights[0].std() == pytest.approx(np.sqrt(2 / (400 + 300)), rel=0.05)  # Glorot


@pytest.mark.parametrize(
    "act,output,cost", [("relu", "softmax", "cross_entropy"), ("tanh", "sigmoid", "binary_cross_entropy")]
)
def test_simplified_output_error_equals_the_general_path(act, output, cost, rng):
    net = bp.Network([3, 4, 3], activation=act, output=output, cost=cost, seed=0)
    assert net.simple_output_error
    y = random_targets(rng, 6, 3, output, cost).T
    z, a = net.forward(rng.normal(size=(3, 6)))
    simplified = net.output_error(z[-1], a[-1], y, simplified=True)
    general = net.output_error(z[-1], a[-1], y, simplified=False)
    np.testing.assert_allclose(simplified, general, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "act,output,cost",
    [
        ("sigmoid", None, "mse"),
        ("relu", "softmax", "cross_entropy"),
        ("tanh", "sigmoid", "binary_cross_entropy"),
        ("leaky_relu", "identity", "mse"),
        ("relu", "softmax", "mse"),
    ],
)
def test_one_dtype_end_to_end(dtype, act, output, cost, rng):
    net = bp.Network([3, 4, 2], activation=act, output=output, cost=cost, dtype=dtype, seed=0)
    X, Y = rng.normal(size=(5, 3)), random_targets(rng, 5, 2, output or act, cost)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z, a = net.forward(X.T.astype(dtype))
        grad_w, grad_b = net.gradients(X, Y)
    assert all(arr.dtype == np.dtype(dtype) for arr in z[1:] + a[1:] + grad_w + grad_b)
    assert net.predict(X).dtype == np.dtype(dtype)
    bp.train(net, X, Y, epochs=2, batch_size=2, optimizer="adam")
    assert all(p.dtype == np.dtype(dtype) for p in net.weights + net.biases)


def test_xor_is_learned_by_the_reference_setup():
    """Sigmoid, MSE, plain full-batch gradient descent, fixed seed: cost below 1e-3."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    net = bp.Network([2, 3, 1], seed=0)
    history = bp.train(net, X, Y, epochs=20000, batch_size=None, learning_rate=2.0, tol=1e-3, optimizer="sgd")
    assert history.stop_reason == "tol"
    assert net.cost(X, Y) < 1e-3 + 1e-5
    np.testing.assert_array_equal(net.predict(X)[:, 0] > 0.5, [False, True, True, False])


def test_repr_names_the_architecture():
    assert "relu" in repr(bp.Network([2, 3, 2], activation="relu"))


def test_one_activation_per_hidden_layer(rng):
    net = bp.Network([3, 4, 5, 2], activation=["tanh", "relu"], output="identity", seed=0)
    assert [a.name for a in net.activations] == ["tanh", "relu", "identity"]
    X, Y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert bp.gradcheck(net, X, Y).max_error < 1e-6
    with pytest.raises(bp.ConfigError, match="2 hidden layers"):
        bp.Network([3, 4, 5, 2], activation=["tanh"], output="identity")
    with pytest.raises(bp.ConfigError, match="output"):
        bp.Network([3, 4, 5, 2], activation=["tanh", "relu"])


def test_the_parameters_are_one_buffer_weights_first_then_biases():
    net = bp.Network([4, 5, 3], seed=0)
    expected = np.concatenate([W.ravel() for W in net.weights] + [b.ravel() for b in net.biases])
    assert net.parameters.shape == (5 * 4 + 3 * 5 + 5 + 3,) and net.n_weights == 5 * 4 + 3 * 5
    np.testing.assert_array_equal(net.parameters, expected)
    net.parameters[:net.n_weights] = 0.0  # one write through the buffer reaches every W_l
    assert all(not W.any() for W in net.weights)
    grads = np.arange(net.parameters.size, dtype=float)
    grad_w, grad_b = net.views(grads)
    assert [g.shape for g in grad_w + grad_b] == [p.shape for p in net.weights + net.biases]
    assert grad_b[0][0] == net.n_weights and all(g.base is grads for g in grad_w + grad_b)


def test_set_parameters_copies_in_and_checks_everything_first(rng):
    net = bp.Network([3, 4, 2], seed=0, dtype="float32")
    weights, biases = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))], [[1, 2, 3, 4], np.zeros(2)]
    net.set_parameters(weights, biases)
    np.testing.assert_allclose(net.weights[1], weights[1].astype(np.float32))
    assert net.biases[0].tolist() == [1, 2, 3, 4] and net.weights[0].dtype == np.float32
    weights[1][...] = 0  # copied in: the caller's arrays stay the caller's
    assert net.weights[1].any()
    before = net.parameters.copy()
    with pytest.raises(bp.ShapeError, match="W_2 has shape \\(4, 2\\).*transpose"):
        net.set_parameters([weights[0], weights[1].T], biases)
    with pytest.raises(bp.ShapeError, match="2 layers; got 1 weight"):
        net.set_parameters(weights[:1], biases)
    with pytest.raises(bp.DataError, match="b_2 must hold real numbers"):
        net.set_parameters(weights, [biases[0], np.zeros(2, complex)])
    np.testing.assert_array_equal(net.parameters, before)  # nothing half set


def test_set_parameters_takes_views_of_its_own_buffer(rng):
    net = bp.Network([2, 2, 2], seed=0)
    W1, W2 = net.weights[0].copy(), net.weights[1].copy()
    net.set_parameters([net.weights[1], net.weights[0]], net.biases)  # a swap, read before either is written
    np.testing.assert_array_equal(net.weights[0], W2)
    np.testing.assert_array_equal(net.weights[1], W1)


def test_a_copy_or_an_unpickled_network_has_its_own_buffer_and_no_training_state(rng):
    import pickle
    net = bp.Network([3, 4, 2], seed=0)
    bp.train(net, rng.normal(size=(8, 3)), rng.random((8, 2)), epochs=1, optimizer="adam")
    assert bp.training.state_of(net) is not None
    for other in (net.copy(), net.copy("float32"), pickle.loads(pickle.dumps(net))):
        assert other.parameters is not net.parameters and bp.training.state_of(other) is None
        assert all(p.base is other.parameters for p in other.weights + other.biases)
        np.testing.assert_allclose(other.parameters, net.parameters, rtol=1e-6)
        other.parameters[:] = 0
        assert net.parameters.any()
