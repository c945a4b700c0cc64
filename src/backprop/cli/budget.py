"""Validate before spending: what the model file would refuse and what a command would need, checked before work.

A run that trains for minutes and then cannot save, or ends in a MemoryError, is refused at the start
instead, with a message saying what to change.
"""

import math

from ..errors import ConfigError, ModelFileError
from ..io import check_savable
from ..model_file import check_network
from ..training.optimizers import OPTIMIZERS
from ..training.state import state_of

MAX_STEPS = 2**53  # a model file's optimizer step count (t) stays an exact integer in JSON
MAX_SAMPLES = 10_000  # explain and gradcheck: a batch someone reads, or checks by finite differences
# Finite differences run 2 forward passes of the batch per parameter: P * 2 * P * samples multiply-adds.
MAX_FINITE_DIFFERENCE_WORK = 10**10


def check_layers(sizes, dtype, optimizer):
    """Refuse a network (all layer sizes) that its model file could not hold, before it is allocated."""
    check_network(sizes, dtype, len(OPTIMIZERS[optimizer].buffers))


def check_before_training(model, options, n_train):
    """Refuse what save would refuse after training: the metadata (names, labels, paths), the step count."""
    check_savable("the model", model.network, **model.metadata())
    state = state_of(model.network)
    steps = options.epochs * math.ceil(n_train / min(options.batch_size or n_train, n_train))
    done = state.optimizer.t if state is not None else 0
    if done + steps > MAX_STEPS:
        raise ModelFileError(f"the optimizer has taken {done} steps and this run adds {steps}: more than the 2^53 "
                             "a model file counts; refused before training")


def check_finite_differences(sizes, samples, command):
    """Refuse a finite-difference check (explain, gradcheck) too large to finish in reasonable time or memory."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise ConfigError(f"--samples must lie in 1..{MAX_SAMPLES}, got {samples}")
    params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    work = 2 * params * params * samples
    if work > MAX_FINITE_DIFFERENCE_WORK:
        limit = MAX_FINITE_DIFFERENCE_WORK
        raise ConfigError(f"{command} checks each of the network's {params} parameters by finite differences: "
                          f"{work:.1e} multiply-adds for {samples} sample(s), more than the {limit:.0e} it allows; "
                          "use smaller --layers or fewer --samples")


ARCHITECTURE = ("layers", "activation", "output", "cost", "dtype", "scale")


def check_resume_flags(model, setup, given):
    """Refuse architecture options (flags or config) that differ from the resumed model's: they cannot apply."""
    net = model.network
    actual = {"layers": ",".join(map(str, net.sizes[1:-1])), "activation": _hidden(net),
              "output": net.activations[-1].name, "cost": net.cost_function.name, "dtype": net.dtype.name,
              "scale": model.scaler.kind}
    differ = []
    for name in ARCHITECTURE:
        value = getattr(setup, name)
        if name in given and value is not None and _normal(name, value) != actual[name]:
            differ.append(f"--{name} {value} (the model's: {actual[name] or 'none'})")
    if differ:
        raise ConfigError(f"--resume continues the saved network as it is; {', '.join(differ)} cannot apply. "
                          "Leave them out, or train a new model without --resume")


def _hidden(net):
    names = sorted({a.name for a in net.activations[:-1]})
    return names[0] if len(names) == 1 else ",".join(a.name for a in net.activations[:-1])


def _normal(name, value):
    return ",".join(s.strip() for s in str(value).split(",")) if name == "layers" else str(value)
