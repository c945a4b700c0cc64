"""Each optimizer's first steps against its update rule written out by hand (and torch.optim)."""

import numpy as np
import pytest

from backprop.errors import ConfigError, ShapeError
from backprop.training import TrainingOptions
from backprop.training.optimizers import OPTIMIZERS, get_optimizer

STEPS = 4


def gradient_sequence(rng):
    return [[rng.normal(size=(3, 2)), rng.normal(size=3)] for _ in range(STEPS)]


def start(rng):
    return [rng.normal(size=(3, 2)), rng.normal(size=3)]


def flat(arrays):
    """The arrays in one 1-D buffer, in order, as a network lays out its parameters (weights first)."""
    return np.concatenate([p.ravel() for p in arrays])


def run(name, params, grads, learning_rate, **options):
    """params after one step for each gradient list in grads, each array back in its own shape."""
    opt = get_optimizer(name, **options)
    buffer = flat(params)
    n_weights = sum(p.size for p in params if p.ndim == 2)  # the weights come first, then the biases
    for g in grads:
        opt.step(buffer, flat(g), learning_rate, n_weights)
    ends = np.cumsum([p.size for p in params])
    return [buffer[end - p.size:end].reshape(p.shape) for end, p in zip(ends, params)]


def test_sgd(rng):
    p0, grads = start(rng), gradient_sequence(rng)
    expected = [p.copy() for p in p0]
    for g in grads:
        expected = [p - 0.1 * gi for p, gi in zip(expected, g)]  # p <- p - lr g
    np.testing.assert_allclose(run("sgd", p0, grads, 0.1)[0], expected[0], rtol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_and_nesterov(nesterov, rng):
    p0, grads = start(rng), gradient_sequence(rng)
    lr, mu = 0.05, 0.9
    p, v = [x.copy() for x in p0], [np.zeros_like(x) for x in p0]
    for g in grads:
        for i in range(2):
            v[i] = mu * v[i] + g[i]  # v <- mu v + g
            p[i] = p[i] - lr * ((g[i] + mu * v[i]) if nesterov else v[i])
    got = run("nesterov" if nesterov else "momentum", p0, grads, lr, momentum=mu)
    for a, b in zip(got, p):
        np.testing.assert_allclose(a, b, rtol=1e-13)


@pytest.mark.parametrize("name,decay", [("adam", 0.0), ("adamw", 0.1)])
def test_adam_and_adamw(name, decay, rng):
    p0, grads = start(rng), gradient_sequence(rng)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p, m, v = [x.copy() for x in p0], [np.zeros_like(x) for x in p0], [np.zeros_like(x) for x in p0]
    for t, g in enumerate(grads, start=1):
        for i in range(2):
            if p[i].ndim == 2:
                p[i] = p[i] - lr * decay * p[i]  # decoupled decay, weights only
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            m_hat, v_hat = m[i] / (1 - b1**t), v[i] / (1 - b2**t)
            p[i] = p[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    got = run(name, p0, grads, lr, weight_decay=decay)
    for a, b in zip(got, p):
        np.testing.assert_allclose(a, b, rtol=1e-12)


TORCH = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {"weight_decay": 0.01}),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_matches_torch_optim(name, rng):
    torch = pytest.importorskip("torch")
    p0, grads = start(rng), gradient_sequence(rng)
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in p0]
    cls, kwargs = TORCH[name]
    opt = getattr(torch.optim, cls)(tensors[:1], lr=0.01, **kwargs)
    opt.add_param_group({"params": tensors[1:], "weight_decay": 0.0})  # biases do not decay
    for g in grads:
        for t, gi in zip(tensors, g):
            t.grad = torch.tensor(gi)
        opt.step()
    got = run(name, p0, grads, 0.01)
    for a, t in zip(got, tensors):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_updates_are_in_place_and_the_state_is_one_buffer_like_the_parameters(rng):
    params = flat(start(rng))
    before = params.copy()
    opt = get_optimizer("adam")
    opt.step(params, flat(gradient_sequence(rng)[0]), 0.001)
    assert opt.t == 1 and not np.array_equal(params, before)
    assert all(buffer.shape == params.shape and buffer.dtype == params.dtype for buffer in opt.state.values())
    assert sorted(opt.state) == ["m", "v"]


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam"])
def test_l2_weight_decay_is_added_to_every_layers_weights_gradient_only(name, rng):
    # Two layers, laid out as a network's buffer: W_1, W_2, then b_1, b_2.
    p0 = [rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)]
    g = [rng.normal(size=p.shape) for p in p0]
    decayed = run(name, p0, [g], 0.01, weight_decay=0.1)
    by_hand = run(name, p0, [[g[0] + 0.1 * p0[0], g[1] + 0.1 * p0[1], g[2], g[3]]], 0.01)  # g + wd W; b untouched
    for a, b in zip(decayed, by_hand):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_bad_options():
    with pytest.raises(ConfigError, match="adam"):
        get_optimizer("rmsprop")
    with pytest.raises(ConfigError, match="learning_rate must be a number > 0"):
        TrainingOptions(optimizer="sgd", learning_rate=-1)
    with pytest.raises(ConfigError, match="momentum must be a number >= 0 and < 1"):
        TrainingOptions(optimizer="momentum", momentum=1.5)


@pytest.mark.parametrize("optimizer,option", [("adam", "momentum"), ("sgd", "beta1"), ("momentum", "eps")])
def test_an_option_the_optimizer_does_not_take_is_an_error(optimizer, option):
    with pytest.raises(ConfigError, match=f"{option} is not an option of the {optimizer} optimizer"):
        TrainingOptions(optimizer=optimizer, **{option: 0.5})


def test_an_option_the_schedule_does_not_take_is_an_error():
    with pytest.raises(ConfigError, match="gamma is not an option of the cosine schedule"):
        TrainingOptions(schedule="cosine", gamma=0.5)
    assert TrainingOptions(schedule="step", gamma=0.5, step_size=3).schedule_settings() == {
        "gamma": 0.5,
        "step_size": 3,
    }


def test_state_from_another_network_is_refused(rng):
    opt = get_optimizer("momentum")
    opt.step(flat(start(rng)), flat(gradient_sequence(rng)[0]), 0.1)
    bigger = np.zeros(12)
    with pytest.raises(ShapeError, match="state from another network"):
        opt.step(bigger, np.zeros(12), 0.1)


def test_l1_sgd_steps_by_hand_weights_only(rng):
    # W <- W - lr (g + l1 sign(W)) on every layer's weights; b <- b - lr g, the biases untouched by l1.
    p0 = [rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)]
    grads = [[rng.normal(size=p.shape) for p in p0] for _ in range(STEPS)]
    lr, l1 = 0.05, 0.3
    p = [x.copy() for x in p0]
    for g in grads:
        p = [x - lr * (gi + l1 * np.sign(x)) if x.ndim == 2 else x - lr * gi for x, gi in zip(p, g)]
    for a, b in zip(run("sgd", p0, grads, lr, l1=l1), p):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_l1_adam_steps_by_hand_weights_only(rng):
    p0 = [rng.normal(size=(3, 2)), rng.normal(size=3)]
    grads = gradient_sequence(rng)
    lr, b1, b2, eps, l1 = 0.01, 0.9, 0.999, 1e-8, 0.5
    p, m, v = [x.copy() for x in p0], [np.zeros_like(x) for x in p0], [np.zeros_like(x) for x in p0]
    for t, g in enumerate(grads, start=1):
        for i in range(2):
            gi = g[i] + l1 * np.sign(p[i]) if p[i].ndim == 2 else g[i]  # the L1 subgradient, weights only
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi**2
            m_hat, v_hat = m[i] / (1 - b1**t), v[i] / (1 - b2**t)
            p[i] = p[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    for a, b in zip(run("adam", p0, grads, lr, l1=l1), p):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_negative_l1_is_refused_naming_it():
    with pytest.raises(ConfigError, match="l1 must be a number >= 0"):
        TrainingOptions(l1=-0.1)
    assert TrainingOptions(optimizer="momentum", l1=0.2).optimizer_settings()["l1"] == 0.2
