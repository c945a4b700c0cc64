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
