"""ONNX export: raw feature rows in, labels and probabilities (or values in the target's units) out.

The graph, in float32 where that reproduces the model closely enough and float64 otherwise
(export.precision decides and says why), opset 17 of the default ONNX domain (any runtime since 2022
reads it), or opset 20 (onnxruntime 1.17 and later) for a table's string columns, whose cells are
normalised as backprop's reader normalises them (RegexFullMatch):

    input (N, n_features) raw rows     (a table with string columns: "input" (N, n_numeric) numbers
                                        and "categories" (N, n_categorical) strings, one-hot encoded:
                                        a cell matches a category with the reader's whitespace around
                                        it; a missing spelling, in any letter case, is the fill)
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
from .precision import choose

OPSET = 17
TEXT_OPSET = 20  # RegexFullMatch, for a table's string columns
# What backprop's reader strips from a cell: Python's whitespace, the same set as pyarrow's utf8_trim_whitespace.
WHITESPACE = "".join(chr(i) for i in range(0x10000) if chr(i).isspace())

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

    def __init__(self, helper, numpy_helper, dtype=np.float32):
        self.helper, self.numpy_helper, self.float = helper, numpy_helper, np.dtype(dtype)
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

    "input" (N, n_numeric) holds the numeric columns, "categories" (N, n_categorical) strings the
    categorical ones, each in the order of encoder.columns. A number is kept (NaN, a missing cell,
    becomes the training fill where the model imputes); a category becomes its one-hot block, one
    RegexFullMatch per known category: the cell as backprop's reader sees it (whitespace stripped) equals
    the category. A missing spelling (empty, NA, nan, ..., in any letter case, with whitespace) is the
    fill category where there is one; an unknown category, and a missing cell without a fill, are all
    zeros (backprop itself refuses them with an error naming the row).
    """
    numeric, categorical = encoder.split_columns()
    blocks = []
    for name in encoder.columns:
        if name in encoder.categories:
            cell = graph.op("Gather", ["categories", graph.const("column", np.array([categorical.index(name)]))],
                            axis=1)  # (N, 1) strings
            known = encoder.categories[name]
            hot = [graph.op("RegexFullMatch", [cell], pattern=_stripped(_literal(c))) for c in known]
            if name in encoder.fill:
                j = known.index(encoder.fill[name])
                missing = graph.op("RegexFullMatch", [cell],
                                   pattern="(?i)" + _stripped("(" + "|".join(map(_literal, MISSING)) + ")"))
                hot[j] = graph.op("Or", [hot[j], missing])
            hot = graph.op("Concat", hot, axis=1) if len(hot) > 1 else hot[0]
            blocks.append(graph.op("Cast", [hot], to=graph.helper.np_dtype_to_tensor_dtype(graph.float)))
        else:
            value = graph.op("Gather", ["input", graph.const("column", np.array([numeric.index(name)]))], axis=1)
            if name in encoder.fill:
                fill = graph.const("fill", np.array(encoder.fill[name], graph.float))
                value = graph.op("Where", [graph.op("IsNaN", [value]), fill, value])
            blocks.append(value)
    x = graph.op("Concat", blocks, axis=1) if len(blocks) > 1 else blocks[0]
    inputs = ([("input", graph.float, ["N", len(numeric)])] if numeric else []) + \
        ([("categories", object, ["N", len(categorical)])] if categorical else [])
    return x, inputs


def _literal(text):
    """text as an RE2 pattern matching exactly it: every character but ASCII letters and digits as \\x{HEX}."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


def _stripped(pattern):
    """pattern with any run of the reader's whitespace allowed around it."""
    space = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]*"
    return f"{space}{pattern}{space}"


def scaler_step(graph, x, scaler, stem="scaler"):
    """x' = (x - center) / scale, as the Model's Scaler computes it; x itself for kind 'none'."""
    if scaler.kind == "none":
        return x
    x = graph.op("Sub", [x, graph.const(f"{stem}_center", scaler.center.astype(graph.float))])
    return graph.op("Div", [x, graph.const(f"{stem}_scale", scaler.scale.astype(graph.float))])


def preprocessing(graph, model):
    """(x, graph inputs): raw rows through the encoder (tables with named or string columns) and the scaler."""
    encoder = getattr(model, "encoder", None)
    if encoder is not None and encoder.active:
        x, inputs = encoder_inputs(graph, encoder)
    else:
        x, inputs = "input", [("input", graph.float, ["N", model.network.sizes[0]])]
    return scaler_step(graph, x, model.scaler), inputs


# ---- the network ------------------------------------------------------------------------------
def network_nodes(graph, net, x):
    """a_L for input x: per layer a Gemm and the activation's operator (weights in the graph's float type)."""
    for l, (W, b, activation) in enumerate(zip(net.weights, net.biases, net.activations), start=1):
        if activation.name not in ONNX_ACTIVATIONS:
            raise ConfigError(f"layer {l}'s activation {activation.name!r} has no ONNX operator; ONNX export "
                              f"handles {', '.join(ONNX_ACTIVATIONS)}")
        weights, biases = graph.const(f"W{l}", W.astype(graph.float)), graph.const(f"b{l}", b.astype(graph.float))
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
        positive = graph.op("Greater", [a_L, graph.const("half", np.array(0.5, graph.float))])
        index = graph.op("Cast", [positive], to=graph.helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)))
        index = graph.op("Reshape", [index, graph.const("rows", np.array([-1], np.int64))])
        one_minus = graph.op("Sub", [graph.const("one", np.array(1.0, graph.float)), a_L])
        graph.op("Concat", [one_minus, a_L], output="probabilities", axis=1)  # [1 - p, p]
    else:
        if len(classes) != n_out:
            raise ConfigError(f"the network has {n_out} outputs but the model lists {len(classes)} classes")
        graph.op("Identity", [a_L], output="probabilities")
        index = graph.op("ArgMax", [a_L], axis=1, keepdims=0)  # the first maximum, as numpy's argmax
    graph.op("Gather", [graph.const("classes", classes), index], output="label", axis=0)
    return {"label": (classes.dtype, ["N"]), "probabilities": (graph.float, ["N", max(n_out, 2)])}


def regression_outputs(graph, model, a_L):
    """'value' (N, n_outputs) in the target's own units: the target scaler undone."""
    target = model.target_scaler
    if target.kind == "none":
        graph.op("Identity", [a_L], output="value")
    else:
        scaled = graph.op("Mul", [a_L, graph.const("target_scale", target.scale.astype(graph.float))])
        graph.op("Add", [scaled, graph.const("target_center", target.center.astype(graph.float))], output="value")
    return {"value": (graph.float, ["N", model.network.sizes[-1]])}


# ---- the model --------------------------------------------------------------------------------
def to_onnx(model, path=None, *, overwrite=False, dtype="auto"):
    """The ONNX ModelProto (opset 17; 20 with string columns) of a Model, a fitted backprop.sklearn estimator or
    a bare Network; written atomically to path if given. dtype: auto (float32 where exact enough, else
    float64, as export.precision decides; the proto's doc_string says which and why), float32 (refused
    where not exact enough) or float64: the float type of "input" and of the outputs below.

    Input "input": raw rows (that float type) (N, n_features), N dynamic; for a model read from a table with
    string columns, "input" holds its numeric columns and "categories" (N, n_categorical) its string
    columns, each in the model's column order (model properties numeric_columns, categorical_columns).
    Outputs: "label" (N,) and "probabilities" (N, n_classes) for classification (a single
    sigmoid unit gives [1 - p, p]); "value" (N, n_outputs) in the target's units for regression.
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
    float_type, why = choose(model, dtype)
    graph = Graph(helper, numpy_helper, float_type)
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
    text = any(node.op_type == "RegexFullMatch" for node in graph.nodes)  # a table's string columns
    opsets = [helper.make_opsetid("", TEXT_OPSET if text else OPSET)]
    proto = helper.make_model(onnx_graph, opset_imports=opsets, producer_name="backprop", producer_version=__version__,
                              ir_version=helper.find_min_ir_version_for(opsets),
                              doc_string=f"{net!r}, task {model.task}, scaler {model.scaler.kind}; {why}")
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
