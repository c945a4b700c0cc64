"""What training leaves on a network: its optimizer (with state), its options, its history."""

from dataclasses import dataclass, field

from .history import History
from .optimizers import Optimizer, get_optimizer


@dataclass
class TrainingState:
    """Kept on Network.training between calls to train (a warm start) and in model files."""

    optimizer: Optimizer
    options: object                     # the TrainingOptions of the latest run
    history: History = field(default_factory=History)

    @property
    def epochs_trained(self):
        return len(self.history)


def training_state(net, options):
    """net's TrainingState for a run with options: the same optimizer and its state on a warm start."""
    state = net.training
    if state is None or state.optimizer.name != options.optimizer:
        optimizer = get_optimizer(options.optimizer, **options.optimizer_settings())
        state = TrainingState(optimizer, options, History() if state is None else state.history)
    else:  # warm start: keep the step count and moments, take the settings given now
        for name, value in options.optimizer_settings().items():
            setattr(state.optimizer, name, value)
        state.options = options
    net.training = state
    return state
