"""ONNX export: raw feature rows in, labels and probabilities (or values in the target's units) out.

The graph, in float32, opset 17 of the default ONNX domain (any runtime since 2022 reads it), plus
ai.onnx.ml version 2 for the LabelEncoder of a table's string columns, only where a model has them:

    input (N, n_features) raw rows     (a table with string columns: "input" (N, n_numeric) float32
                                        and "categories" (N, n_categorical) strings, one-hot encoded
                                        by the ai.onnx.ml LabelEncoder, version 2, then Equal)
      -> scaler                        Sub center, Div scale
      -> per layer l: Gemm(a, W_l, b_l, transB=1) = a W_l^T + b_l, then the activation's operator
      -> classification: "probabilities" (N, n_classes) and "label" (N,) = classes[ArgMax]
         regression:     "value" (N, n_outputs) = a_L * target scale + target center

W_l keeps the engine's (n_out, n_in) orientation; Gemm's transB turns it at the one boundary.
"""

import json

import numpy as np

from .. import __version__
from ..activations import LeakyReLU
from ..data.encoder import MISSING
from ..errors import ConfigError
from ..io import write_atomically
from ..model import Model, as_model
from ..network import Network

OPSET = 17
ML_OPSET = 2  # ai.onnx.ml, for LabelEncoder on categorical columns

# Activation name -> (ONNX operator, attributes); identity needs no node. An activation missing
# here has no ONNX operator and is refused by name.
ONNX_ACTIVATIONS = {
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("Relu", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": LeakyReLU.slope}),
    "softmax": ("Softmax", {"axis": -1}),  # over the units of each row, as the engine's (units, samples) axis 0
    "identity": None,
}


class Graph:
    """The nodes and constants of an ONNX graph under construction; every value gets a fresh name."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, stem, array):
        name = self.name(stem)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, output=None, **attributes):
        output = output or self.name(op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output], **attributes))
        return output


# ---- preprocessing: raw columns -> the network's inputs --------------------------------------
def encoder_inputs(graph, encoder):
    """x (N, width) from the raw table columns, in the encoder's order, and the graph inputs it reads.

    "input" (N, n_numeric) float32 holds the numeric columns, "categories" (N, n_categorical) strings
    the categorical ones, each in the order of encoder.columns. A number is kept (NaN, a missing cell,
    becomes the training fill where the model imputes); a category becomes its one-hot block: the
    ai.onnx.ml LabelEncoder maps it to its index (an unknown one to -1, all zeros), Equal compares
    the index with 0..k-1. Missing spellings (empty, NA, ...) map to the fill category where there is one.
    """
    numeric, categorical = encoder.split_columns()
    blocks = []
    for name in encoder.columns:
        if name in encoder.categories:
            cell = graph.op("Gather", ["categories", graph.const("column", np.array([categorical.index(name)]))],
                            axis=1)  # (N, 1) strings
            known = encoder.categories[name]
            keys, values = list(known), list(range(len(known)))
            if name in encoder.fill:
                spellings = sorted({v for m in MISSING for v in (m, m.upper(), m.capitalize())} - set(keys))
                keys, values = keys + spellings, values + [known.index(encoder.fill[name])] * len(spellings)
            index = graph.op("LabelEncoder", [cell], domain="ai.onnx.ml", keys_strings=keys, values_int64s=values,
                             default_int64=-1)
            hot = graph.op("Equal", [index, graph.const("categories_of", np.arange(len(known))[None, :])])
            blocks.append(graph.op("Cast", [hot], to=graph.helper.np_dtype_to_tensor_dtype(np.dtype(np.float32))))
        else:
            value = graph.op("Gather", ["input", graph.const("column", np.array([numeric.index(name)]))], axis=1)
            if name in encoder.fill:
                fill = graph.const("fill", np.array(encoder.fill[name], np.float32))
                value = graph.op("Where", [graph.op("IsNaN", [value]), fill, value])
            blocks.append(value)
    x = graph.op("Concat", blocks, axis=1) if len(blocks) > 1 else blocks[0]
    inputs = ([("input", np.float32, ["N", len(numeric)])] if numeric else []) + \
        ([("categories", object, ["N", len(categorical)])] if categorical else [])
    return x, inputs


def scaler_step(graph, x, scaler, stem="scaler"):
    """x' = (x - center) / scale, as the Model's Scaler computes it; x itself for kind 'none'."""
    if scaler.kind == "none":
        return x
    x = graph.op("Sub", [x, graph.const(f"{stem}_center", scaler.center.astype(np.float32))])
    return graph.op("Div", [x, graph.const(f"{stem}_scale", scaler.scale.astype(np.float32))])


def preprocessing(graph, model):
    """(x, graph inputs): raw rows through the encoder (tables with named or string columns) and the scaler."""
    encoder = getattr(model, "encoder", None)
    if encoder is not None and encoder.active:
        x, inputs = encoder_inputs(graph, encoder)
    else:
        x, inputs = "input", [("input", np.float32, ["N", model.network.sizes[0]])]
    return scaler_step(graph, x, model.scaler), inputs


# ---- the network ------------------------------------------------------------------------------
def network_nodes(graph, net, x):
    """a_L for input x: per layer a Gemm and the activation's operator (float32 weights)."""
    for l, (W, b, activation) in enumerate(zip(net.weights, net.biases, net.activations), start=1):
        if activation.name not in ONNX_ACTIVATIONS:
            raise ConfigError(f"layer {l}'s activation {activation.name!r} has no ONNX operator; ONNX export "
                              f"handles {', '.join(ONNX_ACTIVATIONS)}")
        weights, biases = graph.const(f"W{l}", W.astype(np.float32)), graph.const(f"b{l}", b.astype(np.float32))
        z = graph.op("Gemm", [x, weights, biases], transB=1)  # z_l = a_{l-1} W_l^T + b_l, one row per sample
        operator = ONNX_ACTIVATIONS[activation.name]
        x = z if operator is None else graph.op(operator[0], [z], **operator[1])  # a_l = sigma_l(z_l)
    return x


# ---- the outputs ------------------------------------------------------------------------------
def class_tensor(classes):
    """The labels as an array ONNX holds: int64, double, bool, or strings."""
    labels = np.asarray(classes)
    kinds = {"i": np.int64, "u": np.int64, "f": np.float64, "b": np.bool_}
    if labels.dtype.kind in kinds:
        return labels.astype(kinds[labels.dtype.kind])
    return np.array([str(c) for c in classes], dtype=object)


def classification_outputs(graph, model, a_L):
    """'probabilities' (N, n_classes) and 'label' (N,), mirroring Model.predict_labels exactly."""
    classes = class_tensor(model.classes)
    n_out = model.network.sizes[-1]
    if n_out == 1:
        # One output unit: predict_labels picks classes[1] where a > 0.5 (strictly), else classes[0].
        if len(classes) != 2:
            raise ConfigError(f"a single output unit encodes two classes, but the model lists {len(classes)}")
        positive = graph.op("Greater", [a_L, graph.const("half", np.array(0.5, np.float32))])
        index = graph.op("Cast", [positive], to=graph.helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)))
        index = graph.op("Reshape", [index, graph.const("rows", np.array([-1], np.int64))])
        one_minus = graph.op("Sub", [graph.const("one", np.array(1.0, np.float32)), a_L])
        graph.op("Concat", [one_minus, a_L], output="probabilities", axis=1)  # [1 - p, p]
    else:
        if len(classes) != n_out:
            raise ConfigError(f"the network has {n_out} outputs but the model lists {len(classes)} classes")
        graph.op("Identity", [a_L], output="probabilities")
        index = graph.op("ArgMax", [a_L], axis=1, keepdims=0)  # the first maximum, as numpy's argmax
    graph.op("Gather", [graph.const("classes", classes), index], output="label", axis=0)
    return {"label": (classes.dtype, ["N"]), "probabilities": (np.float32, ["N", max(n_out, 2)])}


def regression_outputs(graph, model, a_L):
    """'value' (N, n_outputs) in the target's own units: the target scaler undone."""
    target = model.target_scaler
    if target.kind == "none":
        graph.op("Identity", [a_L], output="value")
    else:
        scaled = graph.op("Mul", [a_L, graph.const("target_scale", target.scale.astype(np.float32))])
        graph.op("Add", [scaled, graph.const("target_center", target.center.astype(np.float32))], output="value")
    return {"value": (np.float32, ["N", model.network.sizes[-1]])}


# ---- the model --------------------------------------------------------------------------------
def to_onnx(model, path=None, *, overwrite=False):
    """The ONNX ModelProto (opset 17) of a Model, a fitted backprop.sklearn estimator or a bare Network;
    written atomically to path if given.

    Input "input": float32 raw rows (N, n_features), N dynamic; for a model read from a table with
    string columns, "input" holds its numeric columns and "categories" (N, n_categorical) its string
    columns, each in the model's column order (model properties numeric_columns, categorical_columns).
    Outputs: "label" (N,) and "probabilities" (N, n_classes) float32 for classification (a single
    sigmoid unit gives [1 - p, p]); "value" (N, n_outputs) float32 in the target's units for regression.
    """
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ConfigError("ONNX export needs the onnx package: pip install 'backprop[onnx]'") from None
    model = as_model(model)
    if isinstance(model, Network):
        model = Model(model, "regression")
    net = model.network
    if not all(np.isfinite(p).all() for p in net.weights + net.biases):
        raise ConfigError("the network has NaN or infinite weights; there is nothing sensible to export")
    graph = Graph(helper, numpy_helper)
    x, inputs = preprocessing(graph, model)
    a_L = network_nodes(graph, net, x)
    if model.task == "classification":
        outputs = classification_outputs(graph, model, a_L)
    else:
        outputs = regression_outputs(graph, model, a_L)
    onnx_graph = helper.make_graph(
        graph.nodes, "backprop", [_value_info(helper, name, dtype, shape) for name, dtype, shape in inputs],
        [_value_info(helper, name, dtype, shape) for name, (dtype, shape) in outputs.items()],
        initializer=graph.initializers)
    opsets = [helper.make_opsetid("", OPSET)]
    if any(node.domain == "ai.onnx.ml" for node in graph.nodes):  # the categories' LabelEncoder
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    proto = helper.make_model(onnx_graph, opset_imports=opsets, producer_name="backprop", producer_version=__version__,
                              ir_version=helper.find_min_ir_version_for(opsets),
                              doc_string=f"{net!r}, task {model.task}, scaler {model.scaler.kind}")
    encoder = getattr(model, "encoder", None)
    columns = dict(zip(("numeric_columns", "categorical_columns"), encoder.split_columns())) \
        if encoder is not None and encoder.active else {}
    helper.set_model_props(proto, {"feature_names": json.dumps(list(model.feature_names)),
                                   "target_name": json.dumps(model.target_name),
                                   **{key: json.dumps(value) for key, value in columns.items()}})
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        write_atomically(path, lambda f: f.write(proto.SerializeToString()), overwrite=overwrite, error=ConfigError)
    return proto


def _value_info(helper, name, dtype, shape):
    from onnx import TensorProto
    element = TensorProto.STRING if np.dtype(dtype).kind == "O" else helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return helper.make_tensor_value_info(name, element, shape)
