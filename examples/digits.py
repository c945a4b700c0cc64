"""Handwritten digits (scikit-learn's bundled 8x8 images): relu, softmax, cross-entropy, Adam."""

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import backprop as bp

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25, stratify=y, random_state=0)
net = bp.Network([64, 64, 10], activation="relu", output="softmax", cost="cross_entropy", seed=0)
history = bp.train(
    net, X_train, y_train, epochs=40, batch_size=64, optimizer="adam", learning_rate=0.002, validation_split=0.1
)
print(history.table(every=10))
accuracy = (net.predict(X_test).argmax(axis=1) == y_test).mean()
print(f"test accuracy: {accuracy:.1%}")
