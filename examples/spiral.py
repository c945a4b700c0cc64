"""Three interleaved spirals: a problem no straight line separates; the picture shows what was learned."""

import backprop as bp
from backprop.data import datasets

X, y = datasets.spirals(n=600, seed=0)
net = bp.Network([2, 64, 64, 3], activation="relu", output="softmax", cost="cross_entropy", seed=0)
history = bp.train(net, X, y, epochs=300, batch_size=32, optimizer="adam", learning_rate=0.01)
accuracy = (net.predict(X).argmax(axis=1) == y).mean()
print(f"training accuracy after {len(history)} epochs: {accuracy:.1%}")
try:
    from backprop import plots
    print("picture:", plots.decision_boundary(net.predict, X, y, "spiral.png", title="three spirals"))
except bp.ConfigError as exc:  # matplotlib is not installed
    print(exc)
