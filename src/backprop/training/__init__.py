"""Training: the loop (loop.py) in named stages, the options it takes (options.py), the optimizers
that apply each step, learning-rate schedules, the history and callbacks, the progress bar, and what
training leaves on a network (state_of(net): its optimizer state and history)."""

from .history import Callback, History
from .interrupts import Interrupted
from .loop import train
from .options import TrainingOptions
from .optimizers import OPTIMIZERS
from .progress import ProgressBar
from .schedules import SCHEDULES
from .state import TrainingState, state_of

__all__ = ["Callback", "History", "Interrupted", "OPTIMIZERS", "ProgressBar", "SCHEDULES", "TrainingOptions",
           "TrainingState", "state_of", "train"]
