"""The exceptions backprop raises: every one says what is wrong and how to fix it."""


class BackpropError(ValueError):
    """Base class of every error backprop raises on bad input or a failed run."""


class ShapeError(BackpropError):
    """An array's shape does not fit the network (targets, inputs, weights)."""


class ConfigError(BackpropError):
    """An option has an invalid value or an unknown name."""


class DataError(BackpropError):
    """A data file or array cannot be used: unreadable, ragged, non-numeric, non-finite."""


class ModelFileError(BackpropError):
    """A model file is missing, damaged, of an unknown version, or not a model file."""


class DivergenceError(BackpropError):
    """Training diverged (non-finite cost or runaway weights); the epoch's starting weights were restored."""

    def __init__(self, message, *, epoch=None, batch=None, learning_rate=None):
        super().__init__(message)
        self.epoch, self.batch, self.learning_rate = epoch, batch, learning_rate


def unknown_name(kind, name, valid):
    """A ConfigError for an unknown registry name, listing the valid ones."""
    return ConfigError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(valid))}")
