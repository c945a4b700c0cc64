"""What keeps a run safe: snapshots of the parameters, the divergence guard, early stopping."""

import copy
import math

import numpy as np


class Diverged(Exception):
    """Raised inside an epoch; the loop puts the weights back and raises DivergenceError."""

    def __init__(self, what, batch):
        super().__init__(what)
        self.batch = batch


def parameter_norm(params):
    """sqrt(sum of squares) of the parameter buffer (Network.parameters), as a float."""
    return math.sqrt(float(np.vdot(params, params)))


class Snapshot:
    """A copy of the parameter buffer (and of the optimizer with its state), taken and put back in place."""

    def __init__(self, params, optimizer=None):
        self.params = params.copy()
        self.optimizer = copy.deepcopy(optimizer)

    def take(self, params, optimizer=None):
        np.copyto(self.params, params)
        self.optimizer = copy.deepcopy(optimizer)

    def restore(self, params, state=None):
        """Copy the saved values back into params; the saved optimizer back into state (a TrainingState)."""
        np.copyto(params, self.params)
        if state is not None and self.optimizer is not None:
            state.optimizer = copy.deepcopy(self.optimizer)


class DivergenceGuard:
    """Raises Diverged once the weights' norm exceeds max_growth times its start (or is not finite)."""

    def __init__(self, params, max_growth):
        self.max_growth = max_growth
        self.limit = math.inf if max_growth is None else max_growth * max(parameter_norm(params), 1e-3)

    def check_weights(self, params):
        # Once an epoch rather than every step: a pass over all weights per batch would cost as much
        # as the update itself. `not <` also catches inf and NaN.
        norm = parameter_norm(params)
        if not norm < self.limit:
            raise Diverged(f"the weights' norm grew to {norm:.3g}, past {self.max_growth:g} times its start", "end")


class EarlyStopping:
    """Keeps the weights of the epoch with the lowest validation cost; stops after `patience` worse ones."""

    def __init__(self, patience):
        self.patience, self.epoch, self.cost, self.best = patience, None, math.inf, None

    def should_stop(self, row, params):
        if not self.patience or row["val_cost"] is None:
            return False
        if row["val_cost"] < self.cost:
            self.cost, self.epoch = row["val_cost"], row["epoch"]
            if self.best is None:
                self.best = Snapshot(params)
            else:
                self.best.take(params)
            return False
        return row["epoch"] - self.epoch >= self.patience

    def restore(self, params):
        self.best.restore(params)
