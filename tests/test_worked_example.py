"""The 2-3-2 sigmoid network of the reference's diagram, one gradient step, worked by hand.

Every number below was computed with pencil-and-paper arithmetic (scalar Python, no numpy, no
engine) and is written out so that a learner can follow the step. Cost: C = 1/2 ||a_2 - y||^2.
"""

import numpy as np
import pytest

import backprop as bp

W1 = [[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4]]  # (3, 2): 2 inputs -> 3 hidden units
b1 = [0.1, -0.1, 0.05]
W2 = [[0.2, -0.3, 0.1], [0.4, 0.1, -0.2]]  # (2, 3): 3 hidden units -> 2 outputs
b2 = [0.0, 0.1]
x = [1.0, 0.5]
y = [1.0, 0.0]
learning_rate = 0.5

# Forward pass.
# z_1 = W_1 x + b_1:  z_11 = 0.1*1 + 0.2*0.5 + 0.1 = 0.3,  z_12 = 0.3 - 0.05 - 0.1 = 0.15,
#                     z_13 = -0.2 + 0.2 + 0.05 = 0.05
z1 = [0.3, 0.15, 0.05]
# a_1 = sigma(z_1) = 1 / (1 + exp(-z_1))
a1 = [0.5744425168, 0.5374298453, 0.5124973965]
# z_2 = W_2 a_1 + b_2:  0.2*0.5744 - 0.3*0.5374 + 0.1*0.5125 + 0 = 0.0049092894, and likewise
z2 = [0.0049092894, 0.2810205120]
a2 = [0.5012273199, 0.5697963983]
# C = 1/2 ((0.5012 - 1)^2 + (0.5698 - 0)^2)
cost = 0.2867210610

# Backward pass.
# (BP1) delta_2 = (a_2 - y) * a_2 (1 - a_2):  (-0.4988)(0.5012)(0.4988) = -0.1246924187
delta2 = [-0.1246924187, 0.1396733152]
# (BP2) delta_1 = (W_2^T delta_2) * a_1 (1 - a_1):  (0.2*-0.1247 + 0.4*0.1397) * 0.5744*0.4256 = 0.0075613015
delta1 = [0.0075613015, 0.0127717882, -0.0100946657]
# (BP3) dC/dW_2 = delta_2 a_1^T,  (BP4) dC/db_2 = delta_2
grad_W2 = [[-0.0716286268, -0.0670134273, -0.0639045400], [0.0802342907, 0.0750646082, 0.0715822104]]
grad_b2 = delta2
# (BP3) dC/dW_1 = delta_1 x^T,  (BP4) dC/db_1 = delta_1
grad_W1 = [[0.0075613015, 0.0037806507], [0.0127717882, 0.0063858941], [-0.0100946657, -0.0050473329]]
grad_b1 = delta1

# Gradient descent: W <- W - 0.5 dC/dW, b <- b - 0.5 dC/db
new_W1 = [[0.0962193493, 0.1981096746], [0.2936141059, -0.1031929470], [-0.1949526671, 0.4025236664]]
new_b1 = [0.0962193493, -0.1063858941, 0.0550473329]
new_W2 = [[0.2358143134, -0.2664932863, 0.1319522700], [0.3598828546, 0.0624676959, -0.2357911052]]
new_b2 = [0.0623462094, 0.0301633424]
# The same sample after the step: the cost went down from 0.2867 to 0.2543.
new_cost = 0.2542565438

TOL = 1e-9  # the hand values carry 10 decimals


@pytest.fixture
def net():
    net = bp.Network([2, 3, 2], seed=0)  # sigmoid everywhere, MSE: the reference's defaults
    net.set_parameters([W1, W2], [b1, b2])
    return net


def test_forward_pass(net):
    z, a = net.forward(np.array([x]).T)
    np.testing.assert_allclose(z[1][:, 0], z1, atol=TOL)
    np.testing.assert_allclose(a[1][:, 0], a1, atol=TOL)
    np.testing.assert_allclose(z[2][:, 0], z2, atol=TOL)
    np.testing.assert_allclose(a[2][:, 0], a2, atol=TOL)
    assert net.cost([x], [y]) == pytest.approx(cost, abs=TOL)


def test_backward_pass(net):
    xc, yc = np.array([x]).T, np.array([y]).T
    grad_w = [np.empty_like(W) for W in net.weights]
    grad_b = [np.empty_like(b) for b in net.biases]
    _, delta = net.backprop(xc, yc, None, grad_w, grad_b)
    # One sample, so m = 1 and the deltas of the mean cost are the sample's own.
    np.testing.assert_allclose(delta[2][:, 0], delta2, atol=TOL)
    np.testing.assert_allclose(delta[1][:, 0], delta1, atol=TOL)
    np.testing.assert_allclose(grad_w[1], grad_W2, atol=TOL)
    np.testing.assert_allclose(grad_b[1], grad_b2, atol=TOL)
    np.testing.assert_allclose(grad_w[0], grad_W1, atol=TOL)
    np.testing.assert_allclose(grad_b[0], grad_b1, atol=TOL)


def test_one_gradient_step(net):
    history = bp.train(net, [x], [y], epochs=1, batch_size=None, learning_rate=learning_rate, optimizer="sgd")
    np.testing.assert_allclose(net.weights[0], new_W1, atol=TOL)
    np.testing.assert_allclose(net.biases[0], new_b1, atol=TOL)
    np.testing.assert_allclose(net.weights[1], new_W2, atol=TOL)
    np.testing.assert_allclose(net.biases[1], new_b2, atol=TOL)
    assert history.cost == [pytest.approx(cost, abs=TOL)]  # the cost before the step
    assert net.cost([x], [y]) == pytest.approx(new_cost, abs=TOL)
