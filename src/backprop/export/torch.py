"""PyTorch both ways: a Network as an nn.Sequential of Linear and activation modules, and back.

torch.nn.Linear stores its weight as (out_features, in_features), the engine's W_l orientation, so
the weights copy across unchanged. Only the network travels: preprocessing stays with the Model
(the ONNX export carries it). torch is imported inside the functions, never at module import.
"""

import io

import numpy as np

from ..activations import LeakyReLU
from ..errors import ConfigError
from ..io import write_atomically
from ..model import as_model
from ..network import Network

# Activation name -> torch.nn module name and its keyword arguments.
TORCH_MODULES = {
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("ReLU", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": LeakyReLU.slope}),
    "identity": ("Identity", {}),
    "softmax": ("Softmax", {"dim": -1}),  # over the units of each row
}


def _torch():
    try:
        import torch
    except ImportError:
        raise ConfigError("PyTorch export needs torch: pip install torch") from None
    return torch


def _network(network_or_model):
    """The Network of a Network, a Model or a fitted backprop.sklearn estimator."""
    model = as_model(network_or_model)
    return getattr(model, "network", model)


def to_torch(network_or_model):
    """torch.nn.Sequential(Linear, activation, ...) with the network's weights, in its dtype."""
    torch = _torch()
    net = _network(network_or_model)
    dtype = getattr(torch, net.dtype.name)
    modules = []
    for W, b, activation in zip(net.weights, net.biases, net.activations):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))  # (n_out, n_in) on both sides
            linear.bias.copy_(torch.from_numpy(b))
        name, kwargs = TORCH_MODULES[activation.name]
        modules += [linear, getattr(torch.nn, name)(**kwargs)]
    return torch.nn.Sequential(*modules).eval()


def from_torch(sequential, cost=None, seed=None):
    """A Network from an nn.Sequential of Linear layers, each followed by at most one activation module.

    A Linear with no activation after it is an identity layer. cost defaults as `backprop train`'s:
    cross_entropy after a softmax, else mse.
    """
    torch = _torch()
    by_module = {name: activation for activation, (name, _) in TORCH_MODULES.items()}
    layers = []  # [[Linear, activation name]]
    open_layer = False  # True right after a Linear, until its activation
    for i, module in enumerate(sequential):
        kind = type(module).__name__
        if isinstance(module, torch.nn.Linear):
            layers.append([module, "identity"])
            open_layer = True
        elif kind in by_module and isinstance(module, getattr(torch.nn, kind)):
            if not open_layer:
                raise ConfigError(f"module {i} ({kind}) does not follow a Linear layer; backprop's layers are "
                                  "a Linear and at most one activation")
            _check_settings(torch, i, module)
            layers[-1][1], open_layer = by_module[kind], False
        else:
            raise ConfigError(f"module {i} ({kind}) has no backprop equivalent; from_torch reads Linear layers and "
                              f"the activations {', '.join(name for name, _ in TORCH_MODULES.values())}")
    if not layers:
        raise ConfigError("the Sequential holds no Linear layer")
    sizes = [layers[0][0].in_features]
    for i, (linear, _) in enumerate(layers):
        if linear.in_features != sizes[-1]:
            raise ConfigError(f"Linear layer {i + 1} takes {linear.in_features} inputs but the layer before "
                              f"gives {sizes[-1]}")
        sizes.append(linear.out_features)
    dtype = layers[0][0].weight.dtype
    if dtype not in (torch.float32, torch.float64):
        raise ConfigError(f"the weights are {dtype}; convert the module with .float() or .double() first")
    names = [name for _, name in layers]
    cost = cost or ("cross_entropy" if names[-1] == "softmax" else "mse")
    net = Network(sizes, activation=names[:-1], output=names[-1], cost=cost, seed=seed,
                  dtype=str(dtype).removeprefix("torch."))
    net.set_parameters([linear.weight.detach().cpu().numpy() for linear, _ in layers],
                       [np.zeros(linear.out_features) if linear.bias is None else linear.bias.detach().cpu().numpy()
                        for linear, _ in layers])
    return net


def _check_settings(torch, i, module):
    """Refuse an activation module whose settings backprop's namesake does not share."""
    if isinstance(module, torch.nn.LeakyReLU) and module.negative_slope != LeakyReLU.slope:
        raise ConfigError(f"module {i} is LeakyReLU with slope {module.negative_slope}; backprop's leaky_relu has "
                          f"slope {LeakyReLU.slope}")
    if isinstance(module, torch.nn.Softmax) and module.dim not in (-1, 1):
        raise ConfigError(f"module {i} is Softmax over dim {module.dim}; backprop's softmax is over each row "
                          "(dim=-1)")


def save_torch(network_or_model, path, *, overwrite=False):
    """Write to_torch(...).state_dict() with torch.save (tensors only, no pickled module), atomically."""
    torch = _torch()
    buffer = io.BytesIO()
    torch.save(to_torch(network_or_model).state_dict(), buffer)
    return write_atomically(path, lambda f: f.write(buffer.getvalue()), overwrite=overwrite, error=ConfigError)


def rebuild_note(network_or_model, path):
    """Python that rebuilds the module of save_torch's file: the layer sizes and activations, in order."""
    net = _network(network_or_model)
    dtype = f"torch.{net.dtype.name}"
    lines = []
    for W, activation in zip(net.weights, net.activations):
        name, kwargs = TORCH_MODULES[activation.name]
        arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        lines.append(f"    torch.nn.Linear({W.shape[1]}, {W.shape[0]}, dtype={dtype}), torch.nn.{name}({arguments}),")
    return "\n".join(["import torch", "module = torch.nn.Sequential(", *lines, ")",
                      f"module.load_state_dict(torch.load({path!r}))"])
