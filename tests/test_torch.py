"""Cost and gradients against PyTorch autograd, in float64, on random networks."""

import numpy as np
import pytest

import backprop as bp
from conftest import random_targets

torch = pytest.importorskip("torch")

TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_cost(a, y, cost):
    if cost == "mse":
        return 0.5 * ((a - y) ** 2).sum(dim=1).mean()
    if cost == "cross_entropy":
        return -(y * torch.log(a)).sum(dim=1).mean()
    return -(y * torch.log(a) + (1 - y) * torch.log(1 - a)).sum(dim=1).mean()


CASES = [
    ([3, 5, 2], "sigmoid", None, "mse"),
    ([4, 6, 5, 3], "relu", "softmax", "cross_entropy"),
    ([2, 7, 4], "tanh", "sigmoid", "binary_cross_entropy"),
    ([5, 3, 3, 3, 2], "leaky_relu", "identity", "mse"),
    ([3, 4, 4], "tanh", "softmax", "mse"),
    ([6, 2], "sigmoid", None, "mse"),
]


@pytest.mark.parametrize("sizes,act,output,cost", CASES)
@pytest.mark.parametrize("batch", [1, 9])
def test_cost_and_gradients_match_autograd(sizes, act, output, cost, batch):
    rng = np.random.default_rng(len(sizes) * 100 + batch)
    net = bp.Network(sizes, activation=act, output=output, cost=cost, seed=batch)
    for b in net.biases:
        b[:] = rng.normal(scale=0.3, size=b.shape)
    X = rng.normal(size=(batch, sizes[0]))
    Y = random_targets(rng, batch, sizes[-1], output or act, cost)

    weights = [torch.tensor(W, requires_grad=True) for W in net.weights]
    biases = [torch.tensor(b, requires_grad=True) for b in net.biases]
    a = torch.tensor(X)
    for l, (W, b) in enumerate(zip(weights, biases)):
        a = TORCH_ACT[net.activations[l].name](a @ W.T + b)  # rows are samples in torch
    C = torch_cost(a, torch.tensor(Y), cost)
    C.backward()

    assert net.cost(X, Y) == pytest.approx(C.item(), rel=1e-12, abs=1e-14)
    grad_w, grad_b = net.gradients(X, Y)
    for ours, theirs in zip(grad_w + grad_b, weights + biases):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-13)
