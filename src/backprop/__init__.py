"""backprop: feedforward neural networks trained by backpropagation, written out in numpy."""

from .activations import ACTIVATIONS
from .costs import COSTS
from .errors import BackpropError, ConfigError, DataError, DivergenceError, ModelFileError, ShapeError
from .gradcheck import GradcheckResult, gradcheck
from .model import Model, load, save
from .network import Network
from .training import Callback, History, TrainingOptions, train

__version__ = "0.1.0"

__all__ = ["ACTIVATIONS", "COSTS", "BackpropError", "Callback", "ConfigError", "DataError", "DivergenceError",
           "GradcheckResult", "History", "Model", "ModelFileError", "Network", "ShapeError", "TrainingOptions",
           "gradcheck",
           "load", "save", "train", "__version__"]


def __getattr__(name):
    """backprop.export and backprop.sklearn load on first use, so that `import backprop` stays light
    (scikit-learn is imported only by backprop.sklearn; onnx and torch only when an export runs)."""
    if name == "export":
        import backprop.export  # noqa: F401  the import sets the package's attribute
    elif name == "sklearn":
        import backprop.sklearn  # noqa: F401
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return globals()[name]
