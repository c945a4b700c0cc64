"""XOR with the reference's network: sigmoid units, the squared cost, plain gradient descent."""

import numpy as np

import backprop as bp

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y = np.array([[0], [1], [1], [0]], dtype=float)
net = bp.Network([2, 3, 1], seed=0)
history = bp.train(net, X, Y, epochs=20000, batch_size=None, learning_rate=2.0, tol=1e-3, optimizer="sgd")
print(f"epochs: {len(history)} ({history.stop_message})")
print(f"cost: {history.cost[0]:.4f} -> {history.cost[-1]:.4f}")
print("predictions:", net.predict(X).round(2).ravel())
