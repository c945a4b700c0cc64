"""Regression: a noisy sine wave, tanh hidden units, an identity output and the squared cost."""

import numpy as np

import backprop as bp

rng = np.random.default_rng(0)
X = rng.uniform(-3, 3, size=(500, 1))
y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=500)
net = bp.Network([1, 32, 1], activation="tanh", output="identity", seed=0)
history = bp.train(net, X, y, epochs=300, batch_size=32, optimizer="adam", learning_rate=0.01)
grid = np.linspace(-3, 3, 7).reshape(-1, 1)
print(f"cost: {history.cost[0]:.4f} -> {history.cost[-1]:.4f}")
print("x      sin(x)  network")
for x, p in zip(grid[:, 0], net.predict(grid)[:, 0]):
    print(f"{x:5.1f}  {np.sin(x):6.3f}  {p:6.3f}")
