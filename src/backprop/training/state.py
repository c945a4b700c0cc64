"""What training leaves behind, kept by training and not by the engine: the optimizer (with its
state), the options of the latest run, the history.

A network's TrainingState is found by the network object itself (state_of(net)): a second
bp.train(net, ...) continues from it (a warm start), bp.save writes it beside the weights and
bp.load attaches the saved one to the network it returns. The table holds the networks weakly,
so a state lives exactly as long as its network; Network.copy() starts without one.
"""

import weakref
from dataclasses import dataclass, field

from .history import History
from .optimizers import Optimizer, get_optimizer

_STATES = weakref.WeakKeyDictionary()  # Network -> its TrainingState (by identity: Network defines no __eq__)


@dataclass
class TrainingState:
    """The optimizer and its state, the options of the latest run and the history of a network's training."""

    optimizer: Optimizer
    options: object                     # the TrainingOptions of the latest run
    history: History = field(default_factory=History)

    @property
    def epochs_trained(self):
        return len(self.history)


def state_of(net):
    """net's TrainingState (from training it, or from the model file it was loaded from), or None."""
    return _STATES.get(net)


def attach_state(net, state):
    """Make state net's TrainingState (a loaded model file's, or None to start the next run afresh)."""
    if state is None:
        _STATES.pop(net, None)
    else:
        _STATES[net] = state


def state_for_run(net, options):
    """net's TrainingState for a run with options: the same optimizer and its state on a warm start."""
    state = state_of(net)
    if state is None or state.optimizer.name != options.optimizer:
        optimizer = get_optimizer(options.optimizer, **options.optimizer_settings())
        state = TrainingState(optimizer, options, History() if state is None else state.history)
    else:  # warm start: keep the step count and moments, take the settings given now
        for name, value in options.optimizer_settings().items():
            setattr(state.optimizer, name, value)
        state.options = options
    attach_state(net, state)
    return state
