"""Learning-rate schedules: the learning rate for an epoch (0-based), from the initial one lr0.

Each takes (lr0, epoch, total_epochs) and its own keyword options; TrainingOptions reads those
names from the signatures, so an option given to a schedule that does not take it is an error.
"""

import math

from ..errors import unknown_name


def constant(lr0, epoch, total_epochs):
    """lr = lr0 every epoch."""
    return lr0


def step(lr0, epoch, total_epochs, step_size=10, gamma=0.5):
    """lr = lr0 gamma^floor(epoch / step_size): drops by gamma every step_size epochs."""
    return lr0 * gamma ** (epoch // step_size)


def exponential(lr0, epoch, total_epochs, gamma=0.95):
    """lr = lr0 gamma^epoch."""
    return lr0 * gamma ** epoch


def cosine(lr0, epoch, total_epochs):
    """lr = lr0 (1 + cos(pi epoch / total_epochs)) / 2: from lr0 down towards 0 at the last epoch."""
    return lr0 * 0.5 * (1 + math.cos(math.pi * min(epoch, total_epochs) / max(total_epochs, 1)))


SCHEDULES = {f.__name__: f for f in (constant, step, exponential, cosine)}


def get_schedule(name):
    """The schedule function for a name."""
    if name not in SCHEDULES:
        raise unknown_name("learning-rate schedule", name, SCHEDULES)
    return SCHEDULES[name]
